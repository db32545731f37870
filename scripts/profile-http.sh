#!/usr/bin/env bash
# Where the CPU goes while the release api serves task GETs (or, with
# PROFILE_WHAT=list, the cached task list; PROFILE_WHAT=create, task creates)
# under wrk (64 connections): `perf record` of the whole machine, then the share of each
# process (api, PostgreSQL, Redis, wrk) and the api's hottest symbols. Backs
# the "what bounds it" paragraph of docs/performance.md.
#
# Environment: DATABASE_URL/REDIS_URL as from .data/env; PROFILE_SECONDS (10).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v perf >/dev/null || apt-get install -y -qq linux-perf >/dev/null
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
cargo build -q --release --bin opsflow-api --bin opsflow

seconds=${PROFILE_SECONDS:-10}
# shellcheck source=lib/fresh-api.sh
source scripts/lib/fresh-api.sh
start_fresh_api profile .data/profile-server.log
read -r token project task < <(python3 scripts/bench-http-fixtures.py "$base" --task)

path="/api/v1/tasks/$task"
script=()
case "${PROFILE_WHAT:-task}" in
    list) path="/api/v1/projects/$project/tasks?limit=20" ;;
    create)
        path="/api/v1/projects/$project/tasks"
        printf '%s\n' 'wrk.method = "POST"' 'wrk.body = [[{"title":"Profiled create"}]]' \
            'wrk.headers["Content-Type"] = "application/json"' >.data/profile-create.lua
        script=(-s .data/profile-create.lua)
        ;;
esac
wrk -t2 -c64 -d"$((seconds + 4))s" "${script[@]}" -H "Authorization: Bearer $token" "$base$path" >.data/profile-wrk.txt &
load=$!
sleep 2
perf record -q -a -g -o .data/perf.data -- sleep "$seconds" 2>/dev/null
wait "$load"

echo "## wrk"
grep -E "Requests/sec|Latency" .data/profile-wrk.txt
echo
echo "## CPU samples by process (whole machine, $seconds s)"
perf report -i .data/perf.data --no-children --sort comm --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -12
echo
echo "## api: hottest shared objects"
perf report -i .data/perf.data --no-children --pid "$api" --sort dso --stdio 2>/dev/null \
    | grep -E '^ +[0-9]' | head -10
echo
echo "## api: hottest symbols"
perf report -i .data/perf.data --no-children --pid "$api" --sort sym --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -25
