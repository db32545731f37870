#!/usr/bin/env bash
# `make test-api`: fuzz the running API against its own OpenAPI document with
# schemathesis (all checks, stateful phase included) and fail on any failure.
#
# It builds the release server, starts it on a fresh database and a private
# Redis prefix, registers a user and creates a team, a project and a task so
# the stateful phase has real ids to follow, then runs `st run`. Logout,
# logout-all and ending a session are excluded: they would revoke the token
# the run authenticates with (a run that fuzzed ending a session had every
# later request answered 401).
#
# Environment: DATABASE_URL/REDIS_URL as from .data/env (server part reused);
# ST_MAX_EXAMPLES (default 25 per operation); ST_MAX_TIME (seconds, optional:
# fuzzing and stateful phases repeat until it is spent).
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
VENV=.data/schemathesis-$SCHEMATHESIS_VERSION
if [ ! -x "$VENV/bin/st" ]; then
    echo "test-api: installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

cargo build -q --release --bin opsflow-api --bin opsflow

# shellcheck source=lib/fresh-api.sh
source scripts/lib/fresh-api.sh
log=.data/test-api-server.log
start_fresh_api fuzz "$log"

# A user with a team, project and task, so ids exist for the stateful phase.
config=.data/test-api-schemathesis.toml
token=$(python3 scripts/test-api-fixtures.py "$base" "$config.ids")
cat tests/fuzz/schemathesis.toml "$config.ids" > "$config"

started=$(date +%s)
args=(
    --config-file "$config"
    run "$base/api/v1/openapi.json"
    --checks all
    --phases examples,coverage,fuzzing,stateful
    --max-examples "${ST_MAX_EXAMPLES:-25}"
    --header "Authorization: Bearer $token"
    --exclude-path /api/v1/auth/logout
    --exclude-path /api/v1/auth/logout-all
    --exclude-path '/api/v1/users/me/sessions/{session_id}'
    --request-timeout 10
    --seed "${ST_SEED:-1}"
)
[ -n "${ST_MAX_TIME:-}" ] && args+=(--max-time "$ST_MAX_TIME")
status=0
"$VENV/bin/st" "${args[@]}" || status=$?
echo "test-api: schemathesis finished in $(( $(date +%s) - started ))s with status $status"
if grep '"level":"ERROR"' "$log" | grep -qv '"target":"actix_http'; then
    echo "test-api: the server logged errors:" >&2
    grep '"level":"ERROR"' "$log" | head -20 >&2
    status=1
fi
exit "$status"
