"""`make chaos` (run by scripts/chaos.sh, which owns the private PostgreSQL
and Redis): two api processes and three workers, steady bounded load, four
faults, one invariant check after each. Standard library only.

Scenarios (each bounded in time; loopback only):
  1. Redis paused (SIGSTOP) then resumed: 0 5xx, no stale read across
     replicas, the cache serves hits again afterwards.
  2. PostgreSQL restarted: only 503 problem+json while it is down, recovery
     without restarting our processes, no acknowledged write lost.
  3. SIGTERM to an api under load, after the balancer stopped sending it new
     requests (what Kubernetes' preStop pause is for): the requests in flight
     complete, 0 fail.
  4. kill -9 of a worker mid-batch: every reminder notifies exactly once, every
     webhook delivery arrives (duplicates of a crashed delivery share its
     delivery id, so the receiver de-duplicates), nothing dead-lettered.

Prints one line per invariant and exits 1 if any fails.
"""

import hashlib
import hmac
import http.client
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

DATABASE_URL = os.environ["CHAOS_DATABASE_URL"]
REDIS_URL = os.environ["CHAOS_REDIS_URL"]
LOGS = os.environ["CHAOS_LOGS"]
LEAD_SECS = 3600
WORKER_CONCURRENCY = 4
failures = []


def check(name, ok, detail=""):
    print(f"  {'ok  ' if ok else 'FAIL'} {name}{(': ' + detail) if detail else ''}", flush=True)
    if not ok:
        failures.append(name)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sql(query):
    out = subprocess.run(["psql", "-At", DATABASE_URL, "-c", query], check=True, capture_output=True, text=True)
    return out.stdout.strip()


BASE_ENV = {
    **os.environ,
    "OPSFLOW_ENV": "test",
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "OPSFLOW_REDIS_PREFIX": "chaos:",
    "OPSFLOW_JWT_SECRET": "chaos-runs-only-secret-chaos-runs-only-secret",
    # The production cost: scenario 3 needs a request that takes a while.
    "OPSFLOW_BCRYPT_COST": "12",
    "OPSFLOW_COOKIE_SECURE": "false",
    "OPSFLOW_RATE_LIMIT_ENABLED": "false",
    "OPSFLOW_MIGRATE_ON_START": "false",
    "OPSFLOW_REDIS_TIMEOUT_MS": "100",
    "OPSFLOW_REDIS_BREAKER_MS": "500",
    "OPSFLOW_SHUTDOWN_GRACE_SECS": "10",
    "OPSFLOW_WORKER_POLL_MS": "100",
    "OPSFLOW_WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
    "OPSFLOW_WEBHOOK_ALLOW_PRIVATE": "true",
    "OPSFLOW_JOB_BACKOFF_BASE_MS": "200",
    "OPSFLOW_JOB_BACKOFF_MAX_SECS": "2",
    "OPSFLOW_REMINDER_LEAD_SECS": str(LEAD_SECS),
    # A killed worker's jobs come back after one lease: short, to keep the
    # run bounded; it must outlast a delivery's timeout (checked at start).
    "OPSFLOW_JOB_LEASE_SECS": "5",
    "OPSFLOW_WEBHOOK_TIMEOUT_MS": "2000",
    "RUST_LOG": "warn",
}


class Process:
    """One of our binaries, its log under .data/chaos."""

    def __init__(self, binary, name, env):
        self.name = name
        self.port = free_port()
        listen = "OPSFLOW_LISTEN" if binary == "opsflow-api" else "OPSFLOW_WORKER_LISTEN"
        log = open(os.path.join(LOGS, f"{name}.log"), "ab")
        self.proc = subprocess.Popen(
            [f"target/release/{binary}"],
            env={**BASE_ENV, **env, listen: f"127.0.0.1:{self.port}"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if request(self.base, "GET", "/health")[0] == 200:
                    return
            except (OSError, NotSent):
                time.sleep(0.1)
        self.proc.kill()
        raise SystemExit(f"{name} did not answer /health within 15 s")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout):
        return self.proc.wait(timeout=timeout)


class NotSent(Exception):
    """The connection was refused: the request never reached a server."""


def request(base, method, path, body=None, token=None, timeout=15):
    """(status, headers, json body or None). Raises NotSent when the
    connection is refused, OSError/HTTPException when it fails in flight."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        try:
            conn.connect()
        except ConnectionRefusedError as error:
            raise NotSent() from error
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        return response.status, {k.lower(): v for k, v in response.getheaders()}, payload
    finally:
        conn.close()


class Cluster:
    """The api replicas behind a client-side balancer: round robin over
    `apis` (a scenario takes a replica out, as endpoints controllers do),
    and a refused connection (never sent) goes to the next replica."""

    def __init__(self, apis):
        self.apis = list(apis)
        self.turn = 0
        self.lock = threading.Lock()

    def call(self, method, path, body=None, token=None):
        with self.lock:
            order = self.apis[self.turn % len(self.apis):] + self.apis[: self.turn % len(self.apis)]
            self.turn += 1
        for api in order:
            try:
                return request(api.base, method, path, body, token)
            except NotSent:
                continue
        raise NotSent()


class Load:
    """Steady, bounded load: each thread owns one task and loops over read,
    update, list and create at about 40 requests/s; it records every answer
    and every acknowledged write."""

    def __init__(self, cluster, token, project, threads=6):
        self.cluster, self.token, self.project = cluster, token, project
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.statuses = Counter()
        self.server_errors = []  # (status, content-type, body)
        self.in_flight_failures = []
        self.refused = 0
        self.acked_creates = []
        self.acked_versions = {}  # task id -> last acknowledged version
        self.last_success = 0.0
        self.threads = [threading.Thread(target=self.run, args=(n,), daemon=True) for n in range(threads)]

    def record(self, outcome):
        status, headers, body = outcome
        with self.lock:
            self.statuses[status] += 1
            if status >= 500:
                self.server_errors.append((status, headers.get("content-type", ""), body))
            elif status < 400:
                self.last_success = time.monotonic()
        return outcome

    def call(self, method, path, body=None):
        try:
            return self.record(self.cluster.call(method, path, body, self.token))
        except NotSent:
            with self.lock:
                self.refused += 1
        except (OSError, http.client.HTTPException) as error:
            with self.lock:
                self.in_flight_failures.append(f"{method} {path}: {error!r}")
        return None

    def run(self, n):
        task = None
        while task is None and not self.stop.is_set():
            created = self.call("POST", f"/api/v1/projects/{self.project}/tasks", {"title": f"load {n}"})
            if created and created[0] == 201:
                task = created[2]["data"]
        step = 0
        while not self.stop.is_set():
            step += 1
            self.call("GET", f"/api/v1/tasks/{task['id']}")
            patched = self.call("PATCH", f"/api/v1/tasks/{task['id']}", {"title": f"load {n} #{step}", "version": task["version"]})
            if patched and patched[0] == 200:
                task = patched[2]["data"]
                with self.lock:
                    self.acked_versions[task["id"]] = task["version"]
            elif patched and patched[0] == 409:
                # An update whose answer was lost (an outage) may have landed:
                # re-read the version rather than guess.
                fresh = self.call("GET", f"/api/v1/tasks/{task['id']}")
                if fresh and fresh[0] == 200:
                    task = fresh[2]["data"]
            self.call("GET", f"/api/v1/projects/{self.project}/tasks?limit=20")
            if step % 5 == 0:
                created = self.call("POST", f"/api/v1/projects/{self.project}/tasks", {"title": f"created {n} #{step}"})
                if created and created[0] == 201:
                    with self.lock:
                        self.acked_creates.append(created[2]["data"]["id"])
            time.sleep(0.1)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


PASSWORD = "chaos runs only"


def register(base, email):
    request(base, "POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD, "name": email})
    return request(base, "POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})[2]["data"]


def no_acknowledged_write_lost(load):
    ids = load.acked_creates
    if ids:
        quoted = ",".join(f"'{i}'" for i in ids)
        found = int(sql(f"SELECT count(*) FROM tasks WHERE id IN ({quoted})"))
    else:
        found = 0
    check("every acknowledged create is stored", found == len(ids), f"{found} of {len(ids)}")
    behind = 0
    for task, version in load.acked_versions.items():
        if int(sql(f"SELECT version FROM tasks WHERE id = '{task}'")) < version:
            behind += 1
    check("every acknowledged update is stored", behind == 0,
          f"{len(load.acked_versions)} tasks, {behind} behind their acknowledged version")


def scenario_redis_pause(cluster, apis, token, project):
    print("1. Redis paused for 5 s under load, then resumed", flush=True)
    redis_pid = int(open(os.environ["CHAOS_REDIS_PID_FILE"]).read())
    # A task only the stale-read probe edits, in its own project.
    probe_project = request(apis[0].base, "POST", f"/api/v1/teams/{TEAM}/projects", {"name": "stale probe"}, token)[2]["data"]["id"]
    probe = request(apis[0].base, "POST", f"/api/v1/projects/{probe_project}/tasks", {"title": "v0"}, token)[2]["data"]
    stale, probes = [], 0
    stop = threading.Event()

    def stale_probe():
        # Write through replica A, read the list through replica B: the
        # list must show the write (the cache key carries the generation).
        nonlocal probe, probes
        while not stop.is_set():
            title = f"v{probes + 1}"
            answer = request(apis[0].base, "PATCH", f"/api/v1/tasks/{probe['id']}", {"title": title, "version": probe["version"]}, token)
            if answer[0] == 200:
                probe = answer[2]["data"]
                listed = request(apis[1].base, "GET", f"/api/v1/projects/{probe_project}/tasks", None, token)
                probes += 1
                if listed[0] != 200 or listed[2]["data"][0]["title"] != title:
                    stale.append((title, listed[0], listed[1].get("x-cache"), listed[2]))
            time.sleep(0.05)

    prober = threading.Thread(target=stale_probe, daemon=True)
    with Load(cluster, token, project) as load:
        prober.start()
        time.sleep(3)
        os.kill(redis_pid, signal.SIGSTOP)
        time.sleep(5)
        os.kill(redis_pid, signal.SIGCONT)
        time.sleep(4)
        stop.set()
        prober.join(timeout=10)
    total = sum(load.statuses.values())
    check("0 5xx while Redis was paused", not load.server_errors, f"{total} answers, {dict(load.statuses)}")
    check("0 failed in-flight requests", not load.in_flight_failures, "; ".join(load.in_flight_failures[:3]))
    check("no stale read across replicas", probes > 20 and not stale, f"{probes} write-then-read probes, {len(stale)} stale {stale[:2]}")
    hit = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and hit != "HIT":
        hit = request(apis[1].base, "GET", f"/api/v1/projects/{probe_project}/tasks?limit=7", None, token)[1].get("x-cache")
        time.sleep(0.2)
    check("the cache serves hits again after Redis resumes", hit == "HIT", f"X-Cache: {hit}")


def scenario_postgres_restart(cluster, apis, token, project):
    print("2. PostgreSQL stopped for 3 s under load, then started", flush=True)
    with Load(cluster, token, project) as load:
        time.sleep(3)
        subprocess.run(os.environ["CHAOS_PG_STOP"], shell=True, check=True, capture_output=True)
        down_at = time.monotonic()
        time.sleep(3)
        subprocess.run(os.environ["CHAOS_PG_START"], shell=True, check=True, capture_output=True)
        up_at = time.monotonic()
        deadline = up_at + 20
        while time.monotonic() < deadline and load.last_success < up_at:
            time.sleep(0.1)
        recovered_after = load.last_success - up_at if load.last_success > up_at else None
        time.sleep(3)
    problems = [e for e in load.server_errors if e[0] != 503 or not e[1].startswith("application/problem+json")]
    check("only 503 problem+json during the outage (no 500, no other shape)", not problems,
          f"{len(load.server_errors)} × 503 over {up_at - down_at:.1f} s down; others: {problems[:2]}")
    check("0 failed in-flight requests", not load.in_flight_failures, "; ".join(load.in_flight_failures[:3]))
    check("recovered without restarting any process", recovered_after is not None,
          f"first success {recovered_after:.2f} s after PostgreSQL was back" if recovered_after is not None else "no success within 20 s")
    ready = [request(api.base, "GET", "/ready")[0] for api in apis]
    check("every api replica is ready again", ready == [200] * len(apis), f"/ready: {ready}")
    no_acknowledged_write_lost(load)


def scenario_sigterm_api(cluster, apis, token, project, email):
    print("3. SIGTERM to one api replica under load", flush=True)
    draining = threading.Event()
    slow = {"after_sigterm": [], "failures": []}
    sigterm_at = [float("inf")]

    def slow_logins():
        # A login at bcrypt cost 12 takes ~0.25 s: one is nearly always in
        # flight on replica A, so the SIGTERM lands on real work.
        while not draining.is_set():
            try:
                status = request(apis[0].base, "POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})[0]
                if time.monotonic() > sigterm_at[0]:
                    slow["after_sigterm"].append(status)
            except NotSent:
                break
            except (OSError, http.client.HTTPException) as error:
                slow["failures"].append(repr(error))

    slow_thread = threading.Thread(target=slow_logins, daemon=True)
    with Load(cluster, token, project, threads=8) as load:
        slow_thread.start()
        time.sleep(3)
        # What the preStop pause is for: the load balancer stops sending new
        # requests to A; requests already on A are in flight when SIGTERM lands.
        cluster.apis = [apis[1]]
        draining.set()
        sigterm_at[0] = time.monotonic()
        apis[0].signal(signal.SIGTERM)
        code = apis[0].wait(timeout=20)
        slow_thread.join(timeout=20)
        time.sleep(2)
    total = sum(load.statuses.values())
    failures = load.in_flight_failures + slow["failures"]
    check("the replica drained and exited 0", code == 0, f"exit code {code}")
    check("requests in flight at SIGTERM completed", slow["after_sigterm"] == [200],
          f"the login in flight when SIGTERM landed answered {slow['after_sigterm']}")
    check("0 failed in-flight requests", not failures, f"{total} answers under load; " + "; ".join(failures[:3]))
    check("0 5xx", not load.server_errors, f"{dict(load.statuses)}")
    no_acknowledged_write_lost(load)
    apis[0] = Process("opsflow-api", "api-a-restarted", {})
    cluster.apis = list(apis)


class Receiver(http.server.BaseHTTPRequestHandler):
    deliveries = Counter()
    bad_signatures = 0
    secret = b""
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "sha256=" + hmac.new(Receiver.secret, body, hashlib.sha256).hexdigest()
        with Receiver.lock:
            Receiver.deliveries[(self.headers["X-OpsFlow-Delivery"], self.headers["X-OpsFlow-Event"])] += 1
            if not hmac.compare_digest(expected, self.headers.get("X-OpsFlow-Signature", "")):
                Receiver.bad_signatures += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_):
        pass


def scenario_kill_worker(workers, apis, token, user_id):
    print("4. kill -9 of a worker mid-batch (reminders and webhook deliveries)", flush=True)
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook = request(apis[0].base, "POST", f"/api/v1/teams/{TEAM}/webhooks",
                   {"url": f"http://127.0.0.1:{receiver.server_port}/hook", "events": ["task.created", "task.due_soon"]}, token)
    Receiver.secret = hook[2]["data"]["secret"].encode()
    project = request(apis[0].base, "POST", f"/api/v1/teams/{TEAM}/projects", {"name": "reminders"}, token)[2]["data"]["id"]
    count = 600
    # Due just over the lead from now: each reminder becomes due within seconds.
    due = (datetime.now(timezone.utc) + timedelta(seconds=LEAD_SECS + 4)).isoformat()
    created = []

    def create(n):
        for i in range(n, count, 6):
            answer = request(apis[i % 2].base, "POST", f"/api/v1/projects/{project}/tasks",
                             {"title": f"due {i}", "assignee_id": user_id, "due_at": due}, token)
            if answer[0] == 201:
                created.append(answer[2]["data"]["id"])

    creators = [threading.Thread(target=create, args=(n,)) for n in range(6)]
    for thread in creators:
        thread.start()
    for thread in creators:
        thread.join()
    check("tasks created", len(created) == count, f"{len(created)} of {count}")
    # Kill a worker as soon as the reminders start to be worked through.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and int(sql("SELECT count(*) FROM notifications")) == 0:
        time.sleep(0.01)
    done_at_kill = int(sql("SELECT count(*) FROM notifications"))
    workers[0].signal(signal.SIGKILL)
    workers[0].wait(timeout=10)
    running_at_kill = int(sql("SELECT count(*) FROM jobs WHERE status = 'running'"))
    workers[0] = Process("opsflow-worker", "worker-1-restarted", {})
    # Jobs the dead worker held come back after their lease (5 s here).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sql("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')") != "0":
        time.sleep(0.5)
    pending = int(sql("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')"))
    check("the queue drained (the killed worker's leases expired and were reclaimed)", pending == 0,
          f"killed after {done_at_kill} of {count} reminders, {running_at_kill} jobs running at the kill")
    notified = sql("SELECT count(*), count(DISTINCT task_id) FROM notifications").split("|")
    check("every reminder notified exactly once", notified == [str(count), str(count)], f"notifications (rows, tasks): {notified}")
    events = Counter(event for (_, event) in Receiver.deliveries)
    duplicates = sum(n - 1 for n in Receiver.deliveries.values())
    check("every webhook delivery arrived", events == Counter({"task.created": count, "task.due_soon": count}), f"distinct delivery ids by event: {dict(events)}")
    check("re-sent deliveries only from the crash, each with its original delivery id", duplicates <= WORKER_CONCURRENCY,
          f"{duplicates} duplicate(s) (≤ {WORKER_CONCURRENCY}: the jobs in flight at the kill), de-duplicated by X-OpsFlow-Delivery")
    check("every delivery correctly signed", Receiver.bad_signatures == 0, f"{Receiver.bad_signatures} bad")
    dead = sql("SELECT count(*) FROM jobs WHERE status = 'dead'")
    check("nothing dead-lettered", dead == "0", f"{dead} dead")
    receiver.shutdown()


TEAM = None


def main():
    global TEAM
    started = time.monotonic()
    apis, workers = [], []
    try:
        apis += [Process("opsflow-api", "api-a", {}), Process("opsflow-api", "api-b", {})]
        workers += [Process("opsflow-worker", f"worker-{n}", {}) for n in (1, 2, 3)]
        email = f"chaos-{uuid.uuid4().hex[:8]}@example.com"
        login = register(apis[0].base, email)
        token, user_id = login["access_token"], login["user"]["id"]
        TEAM = request(apis[0].base, "POST", "/api/v1/teams", {"name": "Chaos"}, token)[2]["data"]["id"]
        project = request(apis[0].base, "POST", f"/api/v1/teams/{TEAM}/projects", {"name": "Load"}, token)[2]["data"]["id"]
        cluster = Cluster(apis)
        print(f"chaos: 2 api processes, 3 workers, private PostgreSQL and Redis (logs in {LOGS})")
        scenario_redis_pause(cluster, apis, token, project)
        scenario_postgres_restart(cluster, apis, token, project)
        scenario_sigterm_api(cluster, apis, token, project, email)
        scenario_kill_worker(workers, apis, token, user_id)
    finally:
        for process in apis + workers:
            if process.proc.poll() is None:
                process.signal(signal.SIGTERM)
        for process in apis + workers:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.signal(signal.SIGKILL)
    print(f"chaos: {'all invariants hold' if not failures else 'FAILED: ' + ', '.join(failures)} ({time.monotonic() - started:.0f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
