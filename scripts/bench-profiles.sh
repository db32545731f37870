#!/usr/bin/env bash
# `release` vs `dist` (fat LTO, 1 codegen unit, stripped: what the images
# ship): binary sizes, the rebuild after a one-line source change, and the
# api's throughput on one GET /tasks/{id} — both binaries on the same fresh
# database, alternated twice so machine noise hits both alike.
# Prints a Markdown table for docs/deployment.md.
#
# Environment: DATABASE_URL/REDIS_URL as from .data/env; BENCH_SECONDS (10).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${BENCH_SECONDS:-10}
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
bins=(--bin opsflow-api --bin opsflow-worker --bin opsflow)

# Dependencies of both profiles built first; then what a source edit costs.
cargo build -q --release --locked "${bins[@]}"
cargo build -q --profile dist --locked "${bins[@]}"
rebuild() {
    touch crates/domain/src/lib.rs
    local start=$SECONDS
    cargo build -q --profile "$1" --locked "${bins[@]}"
    echo $((SECONDS - start))
}
release_rebuild=$(rebuild release)
dist_rebuild=$(rebuild dist)
size() { du -k "target/$1/opsflow-api" | cut -f1; }

# shellcheck source=lib/fresh-api.sh
source scripts/lib/fresh-api.sh
start_fresh_api profiles .data/bench-profiles-release.log
read -r token project task < <(python3 scripts/bench-http-fixtures.py "$base" --task)
dist_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
OPSFLOW_LISTEN="127.0.0.1:$dist_port" target/dist/opsflow-api >.data/bench-profiles-dist.log 2>&1 &
dist_api=$!
trap 'kill $dist_api 2>/dev/null || true; stop_fresh_api' EXIT
dist_base="http://127.0.0.1:$dist_port"
python3 scripts/lib/api_client.py wait "$dist_base"

rps() {
    wrk -t2 -c64 -d"${seconds}s" -H "Authorization: Bearer $token" "$1/api/v1/tasks/$task" |
        awk '/Requests\/sec/ {printf "%.0f", $2}'
}
release_runs=() dist_runs=()
for _ in 1 2; do
    release_runs+=("$(rps "$base")")
    dist_runs+=("$(rps "$dist_base")")
done

echo "| profile | api binary | rebuild after a source edit | GET /tasks/{id} req/s (wrk -c64, ${seconds}s, two runs) |"
echo "|---|---|---|---|"
echo "| release (opt-level 3, 16 codegen units, thin local LTO) | $(size release) KiB | ${release_rebuild} s | ${release_runs[*]} |"
echo "| dist (fat LTO, 1 codegen unit, stripped) | $(size dist) KiB | ${dist_rebuild} s | ${dist_runs[*]} |"
