#!/usr/bin/env bash
# `make chaos`: fault runs against two api processes and three workers under
# steady, bounded load, each ending with an invariant check
# (`cargo xtask chaos`, xtask/src/chaos/; docs/scaling.md has the results and
# their meaning).
#
# The faults hit private PostgreSQL and Redis instances under .data/chaos
# (ports 55433 and 56380), never the machine's shared servers: the run pauses
# Redis and restarts PostgreSQL. Everything it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release --bin opsflow-api --bin opsflow-worker --bin opsflow --bin xtask

root=$PWD/.data/chaos
pg_port=55433
redis_port=56380
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as=()
if [ "$(id -u)" -eq 0 ]; then as=(runuser -u postgres --); fi

stop_services() {
    "${as[@]}" "$bin/pg_ctl" -D "$root/pg" -m immediate stop >/dev/null 2>&1 || true
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
    [ -f "$root/redis.pid" ] && kill -CONT "$(cat "$root/redis.pid")" 2>/dev/null || true
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
}
trap stop_services EXIT
stop_services
rm -rf "$root"
mkdir -p "$root"
[ "$(id -u)" -eq 0 ] && chown postgres "$root"
"${as[@]}" "$bin/initdb" -D "$root/pg" -U postgres --auth=trust >/dev/null
pg_ctl_start="${as[*]} $bin/pg_ctl -D $root/pg -l $root/pg/server.log -w -o '-p $pg_port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200' start"
eval "$pg_ctl_start" >/dev/null
redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
    --dir "$root" --logfile "$root/redis.log" --pidfile "$root/redis.pid"
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

export CHAOS_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/opsflow"
export CHAOS_REDIS_URL="redis://127.0.0.1:$redis_port"
export CHAOS_REDIS_PID_FILE="$root/redis.pid"
export CHAOS_PG_STOP="${as[*]} $bin/pg_ctl -D $root/pg -m fast -w stop"
export CHAOS_PG_START="$pg_ctl_start"
export CHAOS_LOGS="$root"
DATABASE_URL=$CHAOS_DATABASE_URL target/release/opsflow create-database >/dev/null
DATABASE_URL=$CHAOS_DATABASE_URL target/release/opsflow migrate >/dev/null
target/release/xtask chaos
