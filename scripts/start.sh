#!/usr/bin/env bash
# `npm start`: install what is missing, then run `kith start` (embedded Redis unless REDIS_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${REDIS_URL:-}" ]; then bash scripts/ensure-deps.sh --no-redis; else bash scripts/ensure-deps.sh; fi
exec node bin/kith.mjs start "$@"
