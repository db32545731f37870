"""The few API calls the scripts need (fixtures for fuzzing and benchmarks),
with the standard library only. `python3 api_client.py wait BASE` waits
(bounded: 10 s, or the seconds given after BASE) until the api answers /health; `python3 api_client.py send
BASE METHOD PATH TOKEN [JSON]` sends one request (a benchmark capturing the
statements it causes)."""

import json
import sys
import time
import urllib.request


def call(base, method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(request, data) as response:
        return json.loads(response.read() or b"null")


def register(base, email, name, password="local runs only"):
    """Registers and logs in; returns the login's data (token and user)."""
    call(base, "POST", "/api/v1/auth/register", {"email": email, "password": password, "name": name})
    return call(base, "POST", "/api/v1/auth/login", {"email": email, "password": password})["data"]


def wait_healthy(base, seconds=10):
    for _ in range(int(seconds * 10)):
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"the api did not become healthy within {seconds} s")


if __name__ == "__main__" and sys.argv[1:2] == ["wait"]:
    wait_healthy(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 10)
elif __name__ == "__main__" and sys.argv[1:2] == ["send"]:
    base, method, path, token = sys.argv[2:6]
    body = json.loads(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[6] else None
    print(json.dumps(call(base, method, path, body, token)))
