#!/usr/bin/env bash
# The HTTP leg of `make bench`: installs wrk if missing, builds the release
# binaries, then runs the driver (`xtask bench-http`, xtask/src/bench_http/:
# seeding, statement capture for the pgbench ceilings, wrk, the table, the
# chart). Extra arguments go to the driver (`--bin-dir DIR --no-chart`
# measures another build, e.g. the previous commit's, with the same driver).
#
# Environment: DATABASE_URL/REDIS_URL as from .data/env; BENCH_SECONDS (10).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || {
    echo "bench-http: installing wrk (Debian package)"
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
}
cargo build -q --release --bin opsflow-api --bin opsflow --bin xtask
cargo build -q --release -p opsflow-tests --features chart --bin bench-chart
target/release/xtask bench-http "$@"
