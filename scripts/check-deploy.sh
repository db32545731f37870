#!/usr/bin/env bash
# `make deploy-check`: every file under deploy/ and .github/ checked offline by
# the real tools (scripts/lib/deploy-tools.sh installs them), then each check
# fed a broken copy of its input to show it fails. No Docker engine or cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/deploy-tools.sh
source scripts/lib/deploy-tools.sh
install_deploy_tools

check_dockerfile deploy/Dockerfile
check_compose deploy/compose.yaml deploy/compose.dev.yaml
for overlay in deploy/k8s/overlays/*/; do
    check_overlay "$overlay"
done
check_rules deploy/prometheus/alerts.yml >/dev/null
check_rule_tests deploy/prometheus/alerts.test.yml >/dev/null
check_prometheus_config deploy/prometheus/prometheus.yml >/dev/null
check_workflows .github/workflows/*.yml >/dev/null
check_dashboard deploy/grafana/opsflow-dashboard.json
check_env_example deploy/.env.example
echo "deploy: Dockerfile, compose, k8s overlays ($(ls -d deploy/k8s/overlays/*/ | wc -l)), alerts + rule tests, prometheus.yml, CI workflow, dashboard, .env.example pass"

scripts/check-deploy-rejects.sh
