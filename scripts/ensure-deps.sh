#!/usr/bin/env bash
# Installs what Kith needs when it is missing, so `npm start` and `npm test` work on a fresh
# clone: Node dependencies always; redis-server (and, with --postgres, PostgreSQL) through
# apt-get when running as root on Debian/Ubuntu; elsewhere it says what to install. --chromium
# adds Debian's chromium, which the web view's browser tests and `npm run bench -- web` drive.
set -euo pipefail
want_redis=1
want_pg=0
want_compose=0
want_chromium=0
for a in "$@"; do
  case "$a" in
    --postgres) want_pg=1 ;;
    --no-redis) want_redis=0 ;;
    --compose) want_compose=1 ;;
    --chromium) want_chromium=1 ;;
  esac
done

say() { printf 'kith: %s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing $* with apt-get"
    if [ ! -f /tmp/.kith-apt-updated ]; then apt-get update -qq >/dev/null && touch /tmp/.kith-apt-updated; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    return 1
  fi
}

# Node dependencies: install when missing or when package-lock.json changed since.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing Node dependencies (npm ci; the first time builds better-sqlite3, about two minutes)"
  # Some npm 11 setups (omit-lockfile-registry-resolved) write locks that `npm ci` then rejects
  # for other platforms' optional packages; `npm install` honours the same lock without that check.
  if ! npm ci --no-audit --no-fund --loglevel=error >/tmp/kith-npm-ci.log 2>&1; then
    say "npm ci refused the lock file (see /tmp/kith-npm-ci.log): falling back to npm install"
    npm install --no-audit --no-fund --loglevel=error
  fi
fi

# Compiled JavaScript for `kith` and its worker processes (skipped when dist/ matches src/; if it
# cannot be built, kith runs src/ through tsx instead, only slower to start).
node scripts/build.mjs --if-stale || say "could not build dist/ (see above); kith will run the TypeScript sources directly"

if [ "$want_redis" = 1 ] && ! command -v redis-server >/dev/null 2>&1; then
  apt_install redis-server || {
    say "redis-server is not installed. Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis),"
    say "or run 'docker compose up -d redis' and set REDIS_URL=redis://127.0.0.1:6379."
    exit 1
  }
fi

has_pg() { command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; }
if [ "$want_pg" = 1 ] && ! has_pg; then
  apt_install postgresql || {
    say "PostgreSQL server binaries (initdb, pg_ctl) are needed for the tests: install postgresql (Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql)."
    exit 1
  }
fi

# The docker-compose.yml check in the tests wants a compose CLI; Debian ships docker-compose.
if [ "$want_compose" = 1 ] && ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
  apt_install docker-compose || say "no docker compose CLI: the compose file is checked structurally only"
fi

# The web view's browser tests drive Debian's chromium through playwright-core (never a browser
# download of its own); without it those tests fail with a message naming this flag.
if [ "$want_chromium" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium || say "chromium is not installed (Debian/Ubuntu: sudo apt-get install chromium): the web view's browser tests cannot run"
fi
