#!/usr/bin/env bash
# `npm test`: install what is missing, type-check, lint, then run every test against throwaway
# redis-server and PostgreSQL servers on loopback (started and stopped by tests/global-setup.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --postgres --compose --chromium
export METADATA_SERVER_DETECTION=none
echo "== type-check (tsc)"
npx tsc --noEmit -p .
npx tsc --noEmit -p web
echo "== lint (eslint)"
npx eslint --max-warnings 0 .
echo "== tests (vitest)"
npx vitest run "$@"
