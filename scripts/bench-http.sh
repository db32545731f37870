#!/usr/bin/env bash
# The HTTP leg of `make bench`: the release api under wrk (64 connections) on
# a fresh database seeded with 10 projects × 10,000 tasks and 200,000
# comments (a progress bar while seeding), `VACUUM ANALYZE`d. Every request is
# also measured against its database ceiling: pgbench replaying the exact
# statements (and binds) that request sent, captured from PostgreSQL's log,
# at the same concurrency, in the same run. Prints the machine, a Markdown
# table (req/s, p50, p99, the ceiling, the ratio), the api's RSS under load,
# and draws docs/img/performance.png (tests/tools/bench_chart.rs, plotters).
# Two api processes share the database: one with the task-list cache (cached
# list rows), one without it (every other row, so "uncached" really is).
#
# Environment: DATABASE_URL/REDIS_URL as from .data/env; BENCH_SECONDS (10).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || {
    echo "bench-http: installing wrk (Debian package)"
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
}
cargo build -q --release --bin opsflow-api --bin opsflow
cargo build -q --release -p opsflow-tests --features chart --bin bench-chart

seconds=${BENCH_SECONDS:-10}
echo "machine: $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), \
$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr), \
$(psql -At "${DATABASE_URL%/*}/postgres" -c 'SHOW server_version' | cut -d' ' -f1 | sed 's/^/PostgreSQL /'), \
$(redis-server --version | awk '{print "Redis " substr($3, 3)}'); api, wrk, pgbench and both servers share it"
# Login is measured at the production bcrypt cost (12), not the test one.
export OPSFLOW_BCRYPT_COST=12
# shellcheck source=lib/fresh-api.sh
source scripts/lib/fresh-api.sh
start_fresh_api bench .data/bench-http-server.log
# PostgreSQL logs every statement of this database while the requests are
# captured for pgbench (below); new sessions only, so this comes first.
pg_log=$(ls /var/log/postgresql/postgresql-*-main.log 2>/dev/null | head -n 1 || true)
if [ -r "${pg_log:-}" ]; then
    psql -q "$fresh_server/postgres" -c "ALTER DATABASE \"$fresh_database\" SET log_statement = 'all'"
fi

# A user, a team and a project through the API; nine more projects, 10,000
# tasks in each and 200,000 comments with SQL (status and priority
# independent of each other, a third without due date). Seeded ids are
# predictable (task n of the measured project is ...-8000-1000000nnnnn) so
# the PATCH load and its pgbench ceiling can pick any task without a lookup.
read -r token project < <(python3 scripts/bench-http-fixtures.py "$base")
user=$(psql -At "$DATABASE_URL" -c "SELECT id FROM users LIMIT 1")
team=$(psql -At "$DATABASE_URL" -c "SELECT team_id FROM projects WHERE id = '$project'")
progress() { # progress DONE TOTAL WHAT
    local width=40 filled=$(( $1 * 40 / $2 ))
    printf '\rseeding [%-*s] %3d%% %s' "$width" "$(printf '%*s' "$filled" '' | tr ' ' '#')" $(( $1 * 100 / $2 )) "$3" >&2
}
steps=20
for p in $(seq 0 9); do
    progress "$p" "$steps" "project $((p + 1))/10: 10,000 tasks"
    if [ "$p" -eq 0 ]; then pid=$project; else
        pid=$(psql -At "$DATABASE_URL" -c "INSERT INTO projects (id, team_id, name, created_by)
              VALUES (gen_random_uuid(), '$team', 'Bench $p', '$user') RETURNING id" | head -n 1)
    fi
    psql -q "$DATABASE_URL" <<SQL
INSERT INTO tasks (id, project_id, title, status, priority, due_at, created_by, created_at, updated_at)
SELECT ('00000000-0000-4000-8000-' || (100000000000 + $p * 100000 + n))::uuid, '$pid', 'Task ' || n,
       (ARRAY['todo','in_progress','in_review','done'])[1 + n % 4], ((n / 4) % 4)::smallint,
       CASE WHEN n % 3 = 0 THEN NULL ELSE now() + make_interval(hours => n % 500) END,
       '$user', now() - make_interval(secs => 10000 - n), now() - make_interval(secs => n % 977)
  FROM generate_series(1, 10000) AS n;
SQL
done
# 200,000 comments: two on every task of the ten projects, in ten batches.
for p in $(seq 0 9); do
    progress $((10 + p)) "$steps" "comments $((p * 20000 + 20000))/200,000"
    psql -q "$DATABASE_URL" <<SQL
INSERT INTO comments (id, task_id, author_id, body, created_at)
SELECT gen_random_uuid(), ('00000000-0000-4000-8000-' || (100000000000 + $p * 100000 + 1 + n / 2))::uuid,
       '$user', 'Comment ' || n, now() - make_interval(secs => n)
  FROM generate_series(0, 19999) AS n;
SQL
done
progress "$steps" "$steps" "VACUUM ANALYZE"
psql -q "$DATABASE_URL" -c "VACUUM ANALYZE"
echo >&2
task=$(psql -At "$DATABASE_URL" -c "SELECT id FROM tasks WHERE project_id = '$project' ORDER BY created_at DESC LIMIT 1")
# The second api process, same database and Redis, cache off.
nocache_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
OPSFLOW_LISTEN="127.0.0.1:$nocache_port" OPSFLOW_CACHE_ENABLED=false \
    target/release/opsflow-api >.data/bench-http-nocache.log 2>&1 &
api_nocache=$!
trap 'kill $api_nocache 2>/dev/null || true; stop_fresh_api' EXIT
uncached="http://127.0.0.1:$nocache_port"
python3 scripts/lib/api_client.py wait "$uncached"
patched=00000000-0000-4000-8000-100000000001

# Capture the exact statements one request of each kind sends (from the
# server log) as pgbench scripts, then stop logging: every pooled connection
# is closed so the api reconnects without it before anything is measured.
capture() {
    local label=$1 path=$2 method=${3:-GET} body=${4:-} rewrite=${5:-} at=${6:-$uncached}
    local marker="bench_capture_${RANDOM}_$1"
    [ -r "${pg_log:-}" ] || return 0
    psql -q "$DATABASE_URL" -c "SELECT '${marker}_start'" >/dev/null
    python3 scripts/lib/api_client.py send "$at" "$method" "$path" "$token" "$body" >/dev/null
    psql -q "$DATABASE_URL" -c "SELECT '${marker}_end'" >/dev/null
    # shellcheck disable=SC2086 # $rewrite is a list of options
    python3 scripts/lib/captured_sql.py "$pg_log" "$fresh_database" "${marker}_start" "${marker}_end" \
        ".data/pgbench-$label.sql" $rewrite >/dev/null
}
cat > .data/bench-login.lua <<'LUA'
wrk.method = "POST"
wrk.body = '{"email":"bench@example.com","password":"local runs only"}'
wrk.headers["Content-Type"] = "application/json"
LUA
cat > .data/bench-create.lua <<'LUA'
wrk.method = "POST"
wrk.body = '{"title":"Created under load","priority":"high"}'
wrk.headers["Content-Type"] = "application/json"
LUA

capture get "/api/v1/tasks/$task"
# A cached list read (warmed first): what it still sends to PostgreSQL.
python3 scripts/lib/api_client.py send "$base" GET "/api/v1/projects/$project/tasks?limit=20" "$token" >/dev/null
capture cached "/api/v1/projects/$project/tasks?limit=20" GET "" "" "$base"
# A create replays with fresh ids (the ones the request generated become
# pgbench random variables); a PATCH on a random seeded task, its version
# guard rewritten to match whatever version that task has reached.
capture create "/api/v1/projects/$project/tasks" POST '{"title":"Created under load","priority":"high"}' --fresh-ids
capture patch "/api/v1/tasks/$patched" PATCH '{"title":"Patched under load","version":1}' \
    "--fresh-ids --seeded-task $patched --any-version"
capture list "/api/v1/projects/$project/tasks?limit=20"
capture todo "/api/v1/projects/$project/tasks?status=todo&limit=20"
for sort in -due_at due_at priority -priority title updated_at; do
    capture "todo$sort" "/api/v1/projects/$project/tasks?status=todo&sort=$sort&limit=20"
done
if [ -r "${pg_log:-}" ]; then
    psql -q "$fresh_server/postgres" \
        -c "ALTER DATABASE \"$fresh_database\" RESET log_statement" \
        -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$fresh_database' AND pid <> pg_backend_pid()" >/dev/null
    wrk -t1 -c4 -d1s -H "Authorization: Bearer $token" "$base/api/v1/tasks/$task" >/dev/null
    wrk -t1 -c4 -d1s -H "Authorization: Bearer $token" "$uncached/api/v1/tasks/$task" >/dev/null
fi

rss_peak=0
measure() {
    local label=$1 path=$2 script=${3:-} captured=${4:-} at=${5:-$uncached} pid=${6:-$api_nocache}
    local args=(-t2 -c64 -d"${seconds}s" --latency --timeout "${WRK_TIMEOUT:-2s}" -H "Authorization: Bearer $token")
    [ -n "$script" ] && args+=(-s "$script")
    # RSS sampled mid-run (`wait` names the sampler: a bare `wait` would
    # also wait for the api itself).
    ( sleep $(( seconds / 2 )); ps -o rss= -p "$pid" > .data/bench-rss ) &
    local sampler=$!
    local out
    out=$(wrk "${args[@]}" "$at$path")
    wait "$sampler"
    local rss
    rss=$(tr -d ' ' < .data/bench-rss)
    [ "$rss" -gt "$rss_peak" ] && rss_peak=$rss
    local rps p50 p99 errors
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
    # The database's own ceiling on the same statements, same concurrency.
    local ceiling="—" ratio="—"
    if [ -n "$captured" ] && [ -s ".data/pgbench-$captured.sql" ]; then
        ceiling=$(pgbench -n -M prepared -c 64 -j 2 -T "$seconds" -f ".data/pgbench-$captured.sql" "$DATABASE_URL" 2>/dev/null \
            | awk '/^tps/ {printf "%.0f", $3}')
        ratio=$(awk -v a="$rps" -v b="$ceiling" 'BEGIN { if (b > 0) printf "%.0f %%", 100 * a / b; else print "—" }')
    fi
    printf '| %s | %.0f | %s | %s | %s | %s | %s |\n' "$label" "$rps" "$p50" "$p99" "${errors:-0}" "$ceiling" "$ratio"
    printf '%s\t%s\t%s\n' "${chart_label:-$label}" "$rps" "${ceiling/—/-}" >>.data/bench-results.tsv
}
: >.data/bench-results.tsv

echo "| request (wrk -t2 -c64 -d${seconds}s) | req/s | p50 | p99 | non-2xx | pgbench tps, same statements, -c64 | req/s as % of it |"
echo "|---|---|---|---|---|---|---|"
chart_label="GET /health (HTTP ceiling)" measure "GET /health (the HTTP ceiling of this binary)" "/health"
measure "GET /tasks/{id}" "/api/v1/tasks/$task" "" get
chart_label="list, cached (HIT)" measure "list, default sort, **cached** (X-Cache: HIT)" "/api/v1/projects/$project/tasks?limit=20" "" cached "$base" "$api"
chart_label="list, uncached" measure "list, default sort, uncached" "/api/v1/projects/$project/tasks?limit=20" "" list
measure "list ?status=todo" "/api/v1/projects/$project/tasks?status=todo&limit=20" "" todo
# The six other sorts run half as long each: they are the same shape of
# statement, and `make bench` must fit in 15 minutes on a fresh machine.
for sort in -due_at due_at priority -priority title updated_at; do
    seconds=$(( (${BENCH_SECONDS:-10} + 1) / 2 )) measure "list ?status=todo&sort=$sort" "/api/v1/projects/$project/tasks?status=todo&sort=$sort&limit=20" "" "todo$sort"
done
chart_label="POST create task" measure "POST /projects/{id}/tasks" "/api/v1/projects/$project/tasks" .data/bench-create.lua create
chart_label="PATCH task (uncontended)" measure "PATCH /tasks/{id} (uncontended: each request its own task)" "/api/v1/tasks/$patched" scripts/lib/patch-load.lua patch
# Login at bcrypt cost 12: each one is ~0.25 s of one core by design, so
# 64 connections queue for seconds (wrk's timeout raised to see them).
WRK_TIMEOUT=60s chart_label="POST login (bcrypt 12)" measure "POST /auth/login (bcrypt cost 12: the hash is the work)" "/api/v1/auth/login" .data/bench-login.lua
echo
echo "api RSS, highest sample under load: $(( rss_peak / 1024 )) MiB"
# The chart: only the rows the table's summary names (every sort would crowd it).
grep -E '^(GET /health|GET /tasks|list, cached|list, uncached|POST create|PATCH task|POST login)' \
    .data/bench-results.tsv >.data/bench-chart.tsv || true
mkdir -p docs/img
target/release/bench-chart .data/bench-chart.tsv docs/img/performance.png
