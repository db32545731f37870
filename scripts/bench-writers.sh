#!/usr/bin/env bash
# What the rows kept in each write's transaction cost concurrent writers:
# the per-status counters (task_counts). pgbench, 50 clients, one project of
# 10,000 tasks (the worst case: every writer shares the project's rows), each
# transaction one UPDATE of a random task; with the counters' trigger and
# without it. Prints a Markdown table (docs/performance.md). The task-list
# generation costs writers nothing since migration
# `…_list_generation_from_activity` (it is read from the activity log).
#
# Environment: DATABASE_URL as from .data/env; BENCH_SECONDS (10).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release --bin opsflow
seconds=${BENCH_SECONDS:-10}
server=${DATABASE_URL%/*}
database="opsflow_writers_$(date +%s)_$$"
export DATABASE_URL="$server/$database"
trap 'psql -q "$server/postgres" -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" 2>/dev/null || true' EXIT
target/release/opsflow create-database >/dev/null
target/release/opsflow migrate >/dev/null
psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" <<'SQL'
INSERT INTO users (id, email, email_normalized, password_hash, name)
VALUES ('00000000-0000-4000-8000-000000000001', 'writers@example.com', 'writers@example.com', 'x', 'Writers');
INSERT INTO teams (id, name) VALUES ('00000000-0000-4000-8000-000000000002', 'Writers');
INSERT INTO projects (id, team_id, name, created_by) VALUES
  ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000002', 'Writers',
   '00000000-0000-4000-8000-000000000001');
INSERT INTO tasks (id, project_id, title, status, created_by)
SELECT ('00000000-0000-4000-8000-' || (100000000000 + n))::uuid,
       '00000000-0000-4000-8000-000000000003', 'Task ' || n,
       (ARRAY['todo','done'])[1 + n % 2], '00000000-0000-4000-8000-000000000001'
  FROM generate_series(1, 10000) AS n;
VACUUM ANALYZE;
SQL
task="('00000000-0000-4000-8000-' || (100000000000 + :n)::text)::uuid"
cat > .data/writers-status.sql <<SQL
\set n random(1, 10000)
UPDATE tasks SET status = CASE WHEN status = 'done' THEN 'todo' ELSE 'done' END,
       version = version + 1, updated_at = now() WHERE id = $task;
SQL
cat > .data/writers-title.sql <<SQL
\set n random(1, 10000)
UPDATE tasks SET title = 'Edited ' || :n, version = version + 1, updated_at = now() WHERE id = $task;
SQL

run() {
    pgbench -n -M prepared -c 50 -j 2 -T "$seconds" -f ".data/writers-$1.sql" "$DATABASE_URL" 2>/dev/null |
        awk '/latency average/ {lat=$4} /^tps/ {tps=$3} END {printf "%.0f tps, %.1f ms", tps, lat}'
}
counters() {
    psql -q "$DATABASE_URL" -c "ALTER TABLE tasks $1 TRIGGER task_counts_on_update"
}

echo "| 50 concurrent writers, one project (pgbench -c50 -T$seconds) | with the counters | without |"
echo "|---|---|---|"
for kind in status title; do
    counters ENABLE
    with=$(run "$kind")
    counters DISABLE
    without=$(run "$kind")
    counters ENABLE
    echo "| $kind change | $with | $without |"
done
