#!/usr/bin/env bash
# Makes PostgreSQL and Redis available for `make run` / `make test` and writes
# their URLs to .data/env:
#   1. the configured servers (DATABASE_URL / REDIS_URL, default the local ones)
#      when they answer;
#   2. otherwise, when the server programs are installed, private instances
#      under .data/ on their own ports (55432, 56379);
#   3. otherwise, as root, installs them with apt and goes to 2; not root, prints
#      the one command to run.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .data

DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/opsflow}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
PRIVATE_PG_PORT=55432
PRIVATE_REDIS_PORT=56379

log() { echo "services: $*" >&2; }

# host and port out of scheme://[user@]host:port[/db]
hostport() { local rest=${1#*://}; rest=${rest#*@}; echo "${rest%%/*}"; }
reachable() { local hp; hp=$(hostport "$1"); timeout 2 bash -c "exec 3<>/dev/tcp/${hp%:*}/${hp##*:}" 2>/dev/null; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install_packages() {
    if [ "$(id -u)" -eq 0 ]; then
        log "installing $* with apt"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
        log "not installed: run   sudo apt-get install -y $*   and try again"
        exit 1
    fi
}

ensure_postgres() {
    if reachable "$DATABASE_URL"; then
        log "PostgreSQL: using $(hostport "$DATABASE_URL")"
        return
    fi
    [ -n "$(pg_bin)" ] || install_packages postgresql
    local bin data=$PWD/.data/postgres
    bin=$(pg_bin)
    local as=()
    # PostgreSQL refuses to run as root: run the private instance as `postgres`.
    if [ "$(id -u)" -eq 0 ]; then as=(runuser -u postgres --); chown postgres "$PWD/.data"; fi
    if [ ! -f "$data/PG_VERSION" ]; then
        log "PostgreSQL: creating a private instance in .data/postgres"
        "${as[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust >/dev/null
    fi
    if ! reachable "postgres://127.0.0.1:$PRIVATE_PG_PORT"; then
        log "PostgreSQL: starting the private instance on port $PRIVATE_PG_PORT"
        "${as[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
            -o "-p $PRIVATE_PG_PORT -k /tmp -c listen_addresses=127.0.0.1" start >/dev/null
    fi
    DATABASE_URL="postgres://postgres@127.0.0.1:$PRIVATE_PG_PORT/opsflow"
}

ensure_redis() {
    if reachable "$REDIS_URL"; then
        log "Redis: using $(hostport "$REDIS_URL")"
        return
    fi
    command -v redis-server >/dev/null || install_packages redis-server
    if ! reachable "redis://127.0.0.1:$PRIVATE_REDIS_PORT"; then
        log "Redis: starting a private instance on port $PRIVATE_REDIS_PORT"
        mkdir -p .data/redis
        redis-server --daemonize yes --bind 127.0.0.1 --port "$PRIVATE_REDIS_PORT" \
            --dir "$PWD/.data/redis" --save "" --appendonly no \
            --logfile "$PWD/.data/redis/server.log" --pidfile "$PWD/.data/redis/redis.pid"
        for _ in $(seq 50); do reachable "redis://127.0.0.1:$PRIVATE_REDIS_PORT" && break; sleep 0.1; done
    fi
    REDIS_URL="redis://127.0.0.1:$PRIVATE_REDIS_PORT"
}

ensure_postgres
ensure_redis

# The test suite wants the server's maintenance database; the app its own.
server=${DATABASE_URL%/*}
cat > .data/env <<ENV
export DATABASE_URL=$DATABASE_URL
export REDIS_URL=$REDIS_URL
export TEST_DATABASE_URL=\${TEST_DATABASE_URL:-$server/postgres}
export TEST_REDIS_URL=\${TEST_REDIS_URL:-$REDIS_URL}
ENV
log "ready: DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL (written to .data/env)"
