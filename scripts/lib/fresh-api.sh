# Sourced by scripts/test-api.sh and scripts/bench-http.sh: starts the release
# api (already built) on a fresh database and a private Redis prefix, waits
# until it answers, and stops it and drops the database on exit.
#
# After `start_fresh_api LABEL LOG`: $base is the api's URL, $api its pid,
# $DATABASE_URL the fresh database.

start_fresh_api() {
    local label=$1 log=$2
    fresh_server=${DATABASE_URL%/*}
    fresh_database="opsflow_${label}_$(date +%s)_$$"
    export DATABASE_URL="$fresh_server/$fresh_database"
    export OPSFLOW_REDIS_PREFIX="$label-$fresh_database:"
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    export OPSFLOW_LISTEN="127.0.0.1:$port"
    export OPSFLOW_ENV=test OPSFLOW_BCRYPT_COST=${OPSFLOW_BCRYPT_COST:-4} OPSFLOW_COOKIE_SECURE=false
    export OPSFLOW_JWT_SECRET=local-runs-only-secret-local-runs-only-secret
    # Fuzzing and benchmarks send thousands of requests a minute from one
    # user and one address: with the contract's limits they would measure
    # 429s. The limiter has its own tests (tests/api/rate_limit.rs).
    export OPSFLOW_RATE_LIMIT_ENABLED=${OPSFLOW_RATE_LIMIT_ENABLED:-false}
    export RUST_LOG=${RUST_LOG:-warn}
    base="http://127.0.0.1:$port"
    target/release/opsflow create-database >/dev/null
    target/release/opsflow migrate >/dev/null
    mkdir -p "$(dirname "$log")"
    target/release/opsflow-api >"$log" 2>&1 &
    api=$!
    trap stop_fresh_api EXIT
    python3 scripts/lib/api_client.py wait "$base"
}

stop_fresh_api() {
    kill "$api" 2>/dev/null || true
    wait "$api" 2>/dev/null || true
    psql -q "$fresh_server/postgres" -c "DROP DATABASE IF EXISTS \"$fresh_database\" WITH (FORCE)" 2>/dev/null || true
}
