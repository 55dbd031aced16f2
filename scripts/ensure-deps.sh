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

# pgvector (vector search on PostgreSQL) for every PostgreSQL installed here, so the tests' PostgreSQL
# has it: Debian's postgresql-<version>-pgvector where the release has it; Debian 12 has none, so
# then it is built from Debian's pgvector source package of the next release (same mirror as apt's).
apt_mirror() {
  grep -hoE '^(URIs:|deb) +[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '{print $2}' | grep -v security | head -n 1
}
build_pgvector() {
  local v="$1" mirror dir
  mirror="$(apt_mirror)"
  [ -n "$mirror" ] && [ "$(id -u)" = 0 ] || return 1
  apt_install "postgresql-server-dev-$v" make gcc || return 1
  dir="$(mktemp -d)"
  mkdir -p "$dir/lists/partial"
  echo "deb-src $mirror trixie main" >"$dir/src.list"
  local opts=(-o "Dir::Etc::sourcelist=$dir/src.list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$dir/lists")
  say "building pgvector for PostgreSQL $v from Debian's source package (log: $dir/build.log)"
  if (
    cd "$dir" && apt-get "${opts[@]}" update -qq && apt-get "${opts[@]}" source --download-only pgvector &&
      tar xzf pgvector_*.orig.tar.gz && cd pgvector-*/ &&
      make -s PG_CONFIG="/usr/lib/postgresql/$v/bin/pg_config" && make -s install PG_CONFIG="/usr/lib/postgresql/$v/bin/pg_config"
  ) >"$dir/build.log" 2>&1; then
    rm -rf "$dir"
  else
    return 1
  fi
}
if [ "$want_pg" = 1 ]; then
  for ctl in /usr/lib/postgresql/*/bin/pg_ctl; do
    [ -e "$ctl" ] || continue
    v="$(basename "$(dirname "$(dirname "$ctl")")")"
    [ -f "/usr/share/postgresql/$v/extension/vector.control" ] && continue
    apt_install "postgresql-$v-pgvector" 2>/dev/null || build_pgvector "$v" ||
      say "pgvector is not installed for PostgreSQL $v (install postgresql-$v-pgvector): vector search on PostgreSQL is off and its tests fail"
  done
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
