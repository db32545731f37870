"""What the benchmark and profiling scripts measure against, through the API
itself: a user, a team and a project. Prints the access token and the project
id; with `--task`, also creates one task and prints its id third."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from api_client import call, register  # noqa: E402

base = sys.argv[1]
token = register(base, "bench@example.com", "Bench")["access_token"]
team = call(base, "POST", "/api/v1/teams", {"name": "Bench"}, token)["data"]["id"]
project = call(base, "POST", f"/api/v1/teams/{team}/projects", {"name": "Bench"}, token)["data"]["id"]
if "--task" in sys.argv[2:]:
    task = call(base, "POST", f"/api/v1/projects/{project}/tasks", {"title": "Measured"}, token)["data"]["id"]
    print(token, project, task)
else:
    print(token, project)
