"""Rules the Kubernetes schemas cannot express, checked on rendered manifests.

Usage: check_k8s_policy.py RENDERED.yaml  (exit 1 with one line per breach)

The schemas say a manifest is well formed; these say it is the deployment
issue 12 asks for: non-root, read-only root filesystem, probes on the right
paths, memory bounds, a termination grace period longer than the process's
own shutdown grace plus its preStop pause, at least two api replicas, and no
replica migrating on start (the Job does).
"""

import sys

import yaml

api_paths = {"readinessProbe": "/ready", "livenessProbe": "/health"}


def breaches(docs):
    by_kind = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    config = {}
    for cm in by_kind.get("ConfigMap", []):
        if cm["metadata"]["name"].startswith("opsflow-config"):
            config = cm.get("data", {})
    grace = int(config.get("OPSFLOW_SHUTDOWN_GRACE_SECS", "30"))
    if config.get("OPSFLOW_MIGRATE_ON_START") != "false":
        yield "ConfigMap opsflow-config: OPSFLOW_MIGRATE_ON_START must be false (the Job migrates)"
    if "OPSFLOW_JWT_SECRET" in config or "DATABASE_URL" in config:
        yield "ConfigMap opsflow-config: secrets belong in the Secret opsflow-secrets"
    if any(d["kind"] == "Secret" for d in docs):
        yield "a Secret is rendered: secret values are never committed"
    workloads = by_kind.get("Deployment", []) + by_kind.get("Job", [])
    for work in workloads:
        name = f'{work["kind"]} {work["metadata"]["name"]}'
        pod = work["spec"]["template"]["spec"]
        if not pod.get("securityContext", {}).get("runAsNonRoot"):
            yield f"{name}: pod securityContext.runAsNonRoot is not true"
        for container in pod["containers"]:
            where = f'{name} container {container["name"]}'
            security = container.get("securityContext", {})
            if not security.get("readOnlyRootFilesystem"):
                yield f"{where}: readOnlyRootFilesystem is not true"
            if security.get("allowPrivilegeEscalation") is not False:
                yield f"{where}: allowPrivilegeEscalation is not false"
            limits = container.get("resources", {}).get("limits", {})
            if "memory" not in limits:
                yield f"{where}: no memory limit"
            if work["kind"] != "Deployment":
                continue
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in container:
                    yield f"{where}: no {probe}"
            if work["metadata"]["name"] == "opsflow-api":
                for probe, path in api_paths.items():
                    got = container.get(probe, {}).get("httpGet", {}).get("path")
                    if got != path:
                        yield f"{where}: {probe} is {got}, want {path}"
                pre_stop = container.get("lifecycle", {}).get("preStop")
                if pre_stop is None:
                    yield f"{where}: no preStop pause"
                pause = int(pre_stop["exec"]["command"][-1]) if pre_stop else 0
                needed = grace + pause
                period = pod.get("terminationGracePeriodSeconds", 30)
                if period <= needed:
                    yield (f"{name}: terminationGracePeriodSeconds {period} must exceed "
                           f"OPSFLOW_SHUTDOWN_GRACE_SECS + preStop = {needed}")
                if work["spec"].get("replicas", 1) < 2:
                    yield f"{name}: fewer than 2 replicas"
    for kind in ("Service", "Ingress", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy"):
        if kind not in by_kind:
            yield f"no {kind} rendered"


def main(path):
    with open(path, encoding="utf-8") as file:
        docs = [doc for doc in yaml.safe_load_all(file) if doc]
    found = list(breaches(docs))
    for line in found:
        print(f"{path}: {line}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
