#!/usr/bin/env bash
# Each deploy check must fail on a broken input, or its green means nothing.
# Every case below breaks a copy of the real file in one way a person could
# (a typo, a wrong type, a missing file) and expects the check to refuse it.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/deploy-tools.sh
source scripts/lib/deploy-tools.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# expect_rejected NAME REASON COMMAND...: the command must exit non-zero and
# say REASON (a regex), so a tool that fails for another cause (not
# installed, a crash) does not count as a rejection.
expect_rejected() {
    local name=$1 reason=$2
    shift 2
    if "$@" >"$work/out" 2>&1; then
        echo "deploy-check: NOT rejected: $name" >&2
        failures=$((failures + 1))
    elif ! grep -qE -- "$reason" "$work/out"; then
        echo "deploy-check: $name failed without saying /$reason/:" >&2
        cat "$work/out" >&2
        failures=$((failures + 1))
    else
        echo "  rejected as it should: $name"
    fi
}

echo "deploy-check: each check on a broken input"

# hadolint: an unpinned base image and a root user.
sed -e 's/^FROM debian:bookworm-slim AS runtime/FROM debian AS runtime/' \
    -e 's/^USER 10001:10001/USER root/' deploy/Dockerfile >"$work/Dockerfile"
expect_rejected "hadolint: untagged base image, USER root" 'DL3006|DL3002' check_dockerfile "$work/Dockerfile"

# compose schema: a healthcheck condition that does not exist.
sed 's/condition: service_healthy/condition: service_is_fine/' deploy/compose.yaml >"$work/compose.yaml"
expect_rejected "compose schema: unknown depends_on condition" 'service_is_fine' check_compose "$work/compose.yaml"

# kustomize render: an overlay naming a resource that is not there.
cp -r deploy/k8s "$work/k8s-missing"
sed -i 's|^  - ../../base$|  - ../../base\n  - ../../base/no-such-file.yaml|' "$work/k8s-missing/overlays/prod/kustomization.yaml"
expect_rejected "kustomize: missing resource" 'no-such-file' check_overlay "$work/k8s-missing/overlays/prod"

# Kubernetes schema: a port given as a word, a misspelt probe field.
cp -r deploy/k8s "$work/k8s-schema"
sed -i -e 's/containerPort: 8080/containerPort: http-port/' \
    "$work/k8s-schema/base/api-deployment.yaml"
expect_rejected "kubernetes schema: containerPort is not an integer" "'http-port' is not of type 'integer'" check_overlay "$work/k8s-schema/overlays/prod"
cp -r deploy/k8s "$work/k8s-field"
sed -i -e 's/readinessProbe:/readynessProbe:/' "$work/k8s-field/base/worker-deployment.yaml"
expect_rejected "kubernetes schema (strict): unknown field readynessProbe" 'readynessProbe' check_overlay "$work/k8s-field/overlays/staging"

# policy: a grace period shorter than the process's own shutdown grace.
cp -r deploy/k8s "$work/k8s-policy"
sed -i 's/terminationGracePeriodSeconds: 40/terminationGracePeriodSeconds: 10/' \
    "$work/k8s-policy/base/api-deployment.yaml"
expect_rejected "k8s policy: terminationGracePeriodSeconds below shutdown grace" 'terminationGracePeriodSeconds 10 must exceed' check_overlay "$work/k8s-policy/overlays/prod"

# promtool check rules: a PromQL syntax error.
sed 's/> 0.01/> > 0.01/' deploy/prometheus/alerts.yml >"$work/alerts.yml"
expect_rejected "promtool check rules: PromQL syntax error" 'parse error' check_rules "$work/alerts.yml"

# promtool test rules: the alert tested against a threshold it does not have.
cp deploy/prometheus/alerts.test.yml "$work/alerts.test.yml"
sed 's/> 300/> 3000/' deploy/prometheus/alerts.yml >"$work/alerts.yml"
expect_rejected "promtool test rules: oldest-job alert no longer fires at 12 min" 'OpsflowJobOldestPendingTooOld' check_rule_tests "$work/alerts.test.yml"

# promtool check config: a rule file that does not exist.
sed 's/alerts.yml/no-such-alerts.yml/' deploy/prometheus/prometheus.yml >"$work/prometheus.yml"
expect_rejected "promtool check config: missing rule file" 'no-such-alerts' check_prometheus_config "$work/prometheus.yml"

# actionlint: an expression on a context property that does not exist.
sed 's/github.ref }}/github.reff }}/' .github/workflows/ci.yml >"$work/ci.yml"
expect_rejected "actionlint: undefined property github.reff" 'property "reff" is not defined' check_workflows "$work/ci.yml"

# dashboard: not JSON.
head -c 200 deploy/grafana/opsflow-dashboard.json >"$work/dashboard.json"
expect_rejected "dashboard: truncated JSON" 'Expecting|Unterminated' check_dashboard "$work/dashboard.json"

# .env.example: a variable the code reads is left out.
grep -v '^OPSFLOW_CACHE_TTL_SECS=' deploy/.env.example >"$work/env.example"
expect_rejected ".env.example: OPSFLOW_CACHE_TTL_SECS missing" "OPSFLOW_CACHE_TTL_SECS is read by the code" check_env_example "$work/env.example"

if [ "$failures" -gt 0 ]; then
    echo "deploy-check: $failures broken input(s) passed a check" >&2
    exit 1
fi
echo "deploy: every check rejects its broken input"
