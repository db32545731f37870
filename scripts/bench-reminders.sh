#!/usr/bin/env bash
# Reminders per second: 10,000 tasks already due (bulk-inserted, then armed by
# `opsflow jobs arm-reminders`), then 1 and 3 release `opsflow-worker` processes on the same
# database; timed from the workers' start to the last notification.
#
# Environment: DATABASE_URL as from .data/env; BENCH_REMINDERS (10000; the
# figures in docs/performance.md were taken with 20000, which keeps `make
# bench` just over 15 minutes on a cold build).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release --bin opsflow-worker --bin opsflow
count=${BENCH_REMINDERS:-10000}
server=${DATABASE_URL%/*}

run() {
    local workers=$1
    local database="opsflow_reminders_$(date +%s)_$$_$workers"
    export DATABASE_URL="$server/$database"
    target/release/opsflow create-database >/dev/null
    target/release/opsflow migrate >/dev/null
    psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" <<SQL
INSERT INTO users (id, email, email_normalized, password_hash, name)
VALUES ('00000000-0000-4000-8000-000000000001', 'bench@example.com', 'bench@example.com', 'x', 'Bench');
INSERT INTO teams (id, name) VALUES ('00000000-0000-4000-8000-000000000002', 'Bench');
-- The assignee is a member of the team: a reminder re-checks that at fire time.
INSERT INTO team_members (team_id, user_id, role) VALUES
  ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'admin');
INSERT INTO projects (id, team_id, name, created_by) VALUES
  ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000002', 'Bench',
   '00000000-0000-4000-8000-000000000001');
INSERT INTO tasks (id, project_id, title, assignee_id, due_at, created_by)
SELECT gen_random_uuid(), '00000000-0000-4000-8000-000000000003', 'Due ' || n,
       '00000000-0000-4000-8000-000000000001', now() + interval '5 minutes',
       '00000000-0000-4000-8000-000000000001'
  FROM generate_series(1, $count) AS n;
SQL
    # Bulk SQL arms nothing by itself: the operator's command does.
    target/release/opsflow jobs arm-reminders >/dev/null
    psql -q -c 'VACUUM ANALYZE' "$DATABASE_URL"
    local pids=() started finished
    started=$(date +%s.%N)
    for n in $(seq 1 "$workers"); do
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        OPSFLOW_WORKER_LISTEN="127.0.0.1:$port" RUST_LOG=warn target/release/opsflow-worker \
            >".data/bench-reminders-$n.log" 2>&1 &
        pids+=($!)
    done
    local rss_peak=0 rss
    for _ in $(seq 1 6000); do
        done_count=$(psql -At "$DATABASE_URL" -c "SELECT count(*) FROM notifications")
        [ "$done_count" -ge "$count" ] && break
        # Worker RSS under load: the largest of the processes, sampled as it works.
        for pid in "${pids[@]}"; do
            rss=$(ps -o rss= -p "$pid" 2>/dev/null | tr -d ' ')
            [ "${rss:-0}" -gt "$rss_peak" ] && rss_peak=$rss
        done
        sleep 0.05
    done
    finished=$(date +%s.%N)
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
    local notified
    notified=$(psql -At "$DATABASE_URL" -c "SELECT count(*) FROM notifications")
    psql -q "$server/postgres" -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)"
    awk -v w="$workers" -v n="$notified" -v a="$started" -v b="$finished" -v r="$rss_peak" \
        'BEGIN { printf "| %d | %d | %.1f s | %.0f reminders/s | %.0f MiB |\n", w, n, b - a, n / (b - a), r / 1024 }'
}

echo "| workers | notifications | time | rate | worker RSS, highest sample |"
echo "|---|---|---|---|---|"
run 1
run 3
