"""Turns what PostgreSQL logged for one request into a pgbench script, so the
database's own ceiling is measured on the *captured* statements (the exact
text and bound values the api sent), never on retyped SQL.

Usage: captured_sql.py LOG DATABASE START_MARKER END_MARKER OUT
Reads the server log (log_statement = 'all' for DATABASE), keeps the
statements the api's connections ran between the two marker queries, inlines
each statement's logged parameters, and writes one statement per line."""

import re
import sys

log_path, database, start, end, out = sys.argv[1:6]
line_re = re.compile(r"\[(\d+)\] \S*@(\S+) (LOG|DETAIL):\s+(.*)")
statements = []  # (pid, text)
recording = False
marker_pid = None
pending = None  # index of the statement waiting for its parameters
with open(log_path, errors="replace") as log:
    for raw in log:
        match = line_re.search(raw)
        if not match or match.group(2) != database:
            continue
        pid, kind, rest = match.group(1), match.group(3), match.group(4)
        if kind == "LOG" and start in rest:
            recording, marker_pid = True, pid
            continue
        if kind == "LOG" and end in rest:
            break
        if not recording or pid == marker_pid:
            continue
        if kind == "LOG":
            body = re.sub(r"^(execute \S+|statement):\s*", "", rest)
            if rest.startswith(("execute", "statement")):
                statements.append([pid, body.strip()])
                pending = len(statements) - 1
        elif kind == "DETAIL" and rest.startswith("parameters:") and pending is not None:
            params = dict(re.findall(r"\$(\d+) = ('(?:[^']|'')*'|NULL)", rest))
            text = statements[pending][1]
            for number in sorted(params, key=int, reverse=True):
                text = text.replace(f"${number}", params[number])
            statements[pending][1] = text
            pending = None

with open(out, "w") as script:
    for _, text in statements:
        script.write(text.rstrip(";") + ";\n")
print(len(statements))
