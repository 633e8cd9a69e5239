#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for tests and development, without systemd, and
# prints its URL on stdout (and nothing else there), e.g.
#
#   export HALLMARK_TEST_POSTGRES_URL="$(scripts/start-postgres.sh)"
#   scripts/start-postgres.sh stop
#
# The server listens on 127.0.0.1 only, port $HALLMARK_PG_PORT (default 55432), trusts every
# local connection (no passwords: never use it for real data) and keeps its files in
# $HALLMARK_PG_DIR (default /tmp/hallmark-postgres-<port>); `stop` stops it and keeps them,
# `stop --purge` also deletes them. Running it again while the server runs just prints the URL.
# As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
# Needs the Debian packages postgresql and libpq-dev (`apt-get install -y postgresql libpq-dev`).
set -euo pipefail

PORT="${HALLMARK_PG_PORT:-55432}"
DIR="${HALLMARK_PG_DIR:-/tmp/hallmark-postgres-$PORT}"
DATABASE="hallmark_test"
SUPERUSER="postgres"
URL="postgres://$SUPERUSER@127.0.0.1:$PORT/$DATABASE"

log() { echo "start-postgres: $*" >&2; }
die() { log "$*"; exit 1; }

case "$PORT" in
    ''|*[!0-9]*) die "HALLMARK_PG_PORT must be a port number, not \"$PORT\"" ;;
esac

BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
[ -n "$BIN" ] && [ -x "$BIN/pg_ctl" ] ||
    die "no PostgreSQL server found under /usr/lib/postgresql (apt-get install -y postgresql)"

# Runs a PostgreSQL program as the server's owner: `postgres` when we are root, else ourselves.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        if command -v runuser >/dev/null 2>&1; then
            (cd / && runuser -u postgres -- "$@")
        else
            (cd / && su postgres -s /bin/sh -c 'exec "$0" "$@"' -- "$@")
        fi
    else
        "$@"
    fi
}

if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    die "there is no postgres user to run the server as (apt-get install -y postgresql creates it)"
fi

is_running() {
    [ -f "$DIR/PG_VERSION" ] && as_owner "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1
}

case "${1:-start}" in
    start) ;;
    stop)
        if is_running; then
            as_owner "$BIN/pg_ctl" -D "$DIR" stop -m fast -w >&2
        else
            log "not running ($DIR)"
        fi
        if [ "${2:-}" = "--purge" ]; then
            rm -rf "$DIR"
            log "removed $DIR"
        fi
        exit 0
        ;;
    *) die "usage: $0 [start | stop [--purge]]" ;;
esac

if ! is_running; then
    if [ ! -f "$DIR/PG_VERSION" ]; then
        if [ "$(id -u)" -eq 0 ]; then
            install -d -m 0700 -o postgres -g postgres "$DIR"
        else
            install -d -m 0700 "$DIR"
        fi
        log "initialising $DIR ($BIN)"
        # UTF-8 with the C locale: the same on every machine, whatever the environment's locale.
        as_owner "$BIN/initdb" -D "$DIR" -U "$SUPERUSER" -A trust -E UTF8 --no-locale >"$DIR.initdb.log" 2>&1 ||
            { cat "$DIR.initdb.log" >&2; die "initdb failed"; }
        rm -f "$DIR.initdb.log"
    fi
    log "starting the server on 127.0.0.1:$PORT (log: $DIR/log)"
    # -k: the Unix socket goes into the data directory, not /var/run/postgresql (which may
    # not exist without the packaged cluster).
    if ! as_owner "$BIN/pg_ctl" -D "$DIR" -l "$DIR/log" -w -t 60 \
        -o "-p $PORT -k '$DIR' -c listen_addresses=127.0.0.1 -c max_connections=200" start >&2; then
        tail -n 20 "$DIR/log" >&2 || true
        die "the server did not start (is port $PORT taken? set HALLMARK_PG_PORT)"
    fi
fi

# Create the database unless it exists (also after a restart with old data).
exists="$(as_owner "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$SUPERUSER" -d postgres -XAtq \
    -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" ||
    die "cannot connect to the server on 127.0.0.1:$PORT (see $DIR/log)"
if [ "$exists" != "1" ]; then
    as_owner "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U "$SUPERUSER" "$DATABASE"
    log "created database $DATABASE"
fi

echo "$URL"
