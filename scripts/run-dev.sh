#!/usr/bin/env bash
# `make run`: services, migrations, then api + worker in the foreground.
# Ctrl-C (or SIGTERM) stops both gracefully; if either exits, the other is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/dev-services.sh
# shellcheck disable=SC1091
source .data/env

cargo build --bins
bin=target/debug
"$bin/opsflow" create-database
"$bin/opsflow" migrate

"$bin/opsflow-api" & api=$!
"$bin/opsflow-worker" & worker=$!
echo "run: api on http://${OPSFLOW_LISTEN:-127.0.0.1:8080} (docs at /docs), worker health on http://${OPSFLOW_WORKER_LISTEN:-127.0.0.1:8081}/health. Ctrl-C stops both." >&2

stop() { kill -TERM "$api" "$worker" 2>/dev/null || true; }
trap stop INT TERM
status=0
wait -n "$api" "$worker" || status=$?
stop
wait "$api" "$worker" 2>/dev/null || true
exit $status
