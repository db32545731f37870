#!/usr/bin/env bash
# Heap allocations per request, counted (not timed) by valgrind's DHAT on the
# release api: two runs on the same fresh database, N and 2N requests of one
# kind; the difference divided by N is what one request allocates, with
# startup and warm-up cancelled out. Instruction-free counts are repeatable
# on a noisy machine. Part of the cost model in docs/scaling.md.
#
# Environment: DATABASE_URL/REDIS_URL as from .data/env; ALLOC_REQUESTS (500).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || apt-get install -y -qq valgrind >/dev/null
cargo build -q --release --bin opsflow-api --bin opsflow
n=${ALLOC_REQUESTS:-500}

# shellcheck source=lib/fresh-api.sh
source scripts/lib/fresh-api.sh
start_fresh_api alloc .data/alloc-setup.log
read -r token project task < <(python3 scripts/bench-http-fixtures.py "$base" --task)
for i in $(seq 1 30); do
    python3 scripts/lib/api_client.py send "$base" POST "/api/v1/projects/$project/tasks" "$token" "{\"title\":\"Row $i\"}" >/dev/null
done
kill "$api"; wait "$api" 2>/dev/null || true

# blocks_for COUNT PATH: "blocks bytes" allocated on the heap by an api
# process that served COUNT requests of PATH (then stopped by SIGTERM).
blocks_for() {
    local count=$1 path=$2 out=.data/alloc-dhat.txt
    valgrind --tool=dhat --dhat-out-file=/dev/null target/release/opsflow-api >/dev/null 2>"$out" &
    local pid=$!
    python3 scripts/lib/api_client.py wait "$base" 120
    python3 - "$base" "$path" "$token" "$count" <<'PY'
import sys, urllib.request
base, path, token, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for _ in range(count):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    urllib.request.urlopen(request).read()
PY
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    # ==pid== Total:     128,074,179 bytes in 509,421 blocks
    awk '/Total:/ {gsub(",", "", $3); gsub(",", "", $6); print $6, $3; exit}' "$out"
}
per_request() {
    local small_blocks small_bytes big_blocks big_bytes
    read -r small_blocks small_bytes < <(blocks_for "$n" "$1")
    read -r big_blocks big_bytes < <(blocks_for $((2 * n)) "$1")
    echo "$(((big_blocks - small_blocks) / n)) | $(((big_bytes - small_bytes) / n))"
}
echo "DHAT: the difference between $n and $((2 * n)) requests, divided by $n"
echo
echo "| request | heap allocations per request | bytes allocated per request |"
echo "|---|---|---|"
echo "| GET /health | $(per_request /health) |"
echo "| GET /tasks/{id} | $(per_request "/api/v1/tasks/$task") |"
echo "| GET /projects/{id}/tasks (page of 20, cached) | $(per_request "/api/v1/projects/$project/tasks?limit=20") |"
