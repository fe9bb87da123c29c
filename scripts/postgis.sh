#!/usr/bin/env bash
# Makes a PostGIS server available for tests and CI: a private PostgreSQL 15 cluster under /tmp,
# independent of any system server and its pg_hba.conf, with a `wangge_test` database that has
# the postgis extension. Idempotent: a second call finds the cluster running and returns at once.
#
# The last line of stdout is the URL, e.g. postgres://postgres@127.0.0.1:54329/wangge_test;
# everything else goes to stderr. So:
#   export WANGGE_TEST_DATABASE_URL="$(scripts/postgis.sh)"
#
# Environment: WANGGE_PG_PORT (default 54329), WANGGE_PG_DIR (default /tmp/wangge-pg-$PORT),
# WANGGE_PG_DURABLE=1 for a server that fsyncs every commit (benchmarks of durable writes; the
# test cluster skips fsync, which only speeds the tests up). Use another port for it.
# Stop it with: runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$DIR/data" stop
set -euo pipefail

# Only the URL goes to the caller's stdout.
exec 3>&1 1>&2

PG_VERSION=15
BIN="/usr/lib/postgresql/$PG_VERSION/bin"
PORT="${WANGGE_PG_PORT:-54329}"
DIR="${WANGGE_PG_DIR:-/tmp/wangge-pg-$PORT}"
DATA="$DIR/data"
LOG="$DIR/postgres.log"
DB=wangge_test

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

# initdb and postgres refuse to run as root: run the server as the postgres OS user then.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ ! -f "/usr/share/postgresql/$PG_VERSION/extension/postgis.control" ] || [ ! -x "$BIN/initdb" ]; then
    echo "postgis.sh: installing postgresql-$PG_VERSION-postgis-3" >&2
    export DEBIAN_FRONTEND=noninteractive
    # Wait for a concurrent apt/dpkg run instead of failing on its lock.
    apt_opts=(-y -q -o DPkg::Lock::Timeout=600)
    if ! as_root apt-get install "${apt_opts[@]}" "postgresql-$PG_VERSION-postgis-3"; then
        as_root apt-get update -q -o DPkg::Lock::Timeout=600
        as_root apt-get install "${apt_opts[@]}" "postgresql-$PG_VERSION-postgis-3"
    fi
fi

mkdir -p "$DIR"
if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$DIR"; fi
# One caller at a time sets the cluster up; the others then find it running. The server must not
# inherit this descriptor or fd 3, or it would hold the lock and the caller's stdout open forever.
exec 9>"$DIR.lock"
flock 9

if [ ! -s "$DATA/PG_VERSION" ]; then
    echo "postgis.sh: creating cluster in $DATA" >&2
    as_owner mkdir -p "$DATA"
    as_owner chmod 700 "$DATA"
    as_owner "$BIN/initdb" -D "$DATA" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >&2
fi

if ! as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    durability="-c fsync=off"
    if [ "${WANGGE_PG_DURABLE:-0}" = 1 ]; then durability="-c fsync=on -c synchronous_commit=on"; fi
    echo "postgis.sh: starting PostgreSQL on 127.0.0.1:$PORT ($durability; log: $LOG)" >&2
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
        -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 $durability -c max_connections=200" \
        start >&2 3>&- 9>&-
fi

psql_admin() {
    PGOPTIONS="-c client_min_messages=warning" \
    "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres "$@"
}

if [ -z "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
    psql_admin -d postgres -c "CREATE DATABASE $DB" >&2
fi
psql_admin -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS postgis" >&2

echo "postgres://postgres@127.0.0.1:$PORT/$DB" >&3
