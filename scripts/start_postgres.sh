#!/usr/bin/env bash
# Start a throwaway PostgreSQL for the tests (installing Debian's package if missing) and print
# the URL to export as TOOLFORGE_TEST_POSTGRES_URL. Idempotent: an already running one is reused.
set -euo pipefail
PORT=${TOOLFORGE_PG_PORT:-55432}
DATA=${TOOLFORGE_PG_DATA:-/tmp/toolforge-pg}
URL="postgresql://postgres@127.0.0.1:${PORT}/toolforge_test"

bin_dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin_dir" ] || [ ! -x "$bin_dir/pg_ctl" ]; then
  echo "installing PostgreSQL from Debian's packages" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bin_dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ ! -f "$DATA/PG_VERSION" ]; then
  mkdir -p "$DATA"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$DATA"
  as_pg "$bin_dir/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >/dev/null
fi
if ! as_pg "$bin_dir/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  as_pg "$bin_dir/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
    -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >&2
fi
as_pg "$bin_dir/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname='toolforge_test'" | grep -q 1 ||
  as_pg "$bin_dir/createdb" -h 127.0.0.1 -p "$PORT" -U postgres toolforge_test
echo "$URL"
