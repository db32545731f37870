"""Turns what PostgreSQL logged for one request into a pgbench script, so the
database's own ceiling is measured on the *captured* statements (the exact
text and bound values the api sent), never on retyped SQL.

Usage: captured_sql.py LOG DATABASE START_MARKER END_MARKER OUT [options]
Reads the server log (log_statement = 'all' for DATABASE), keeps the
statements the api's connections ran between the two marker queries, inlines
each statement's logged parameters, and writes one statement per line.

A write cannot be replayed verbatim (the second INSERT of the same id
fails; the second compare-and-set UPDATE matches nothing), so three
rewrites keep each replay doing the work one request does:
  --fresh-ids        the id of each inserted row (one the request generated)
                     becomes random per replay (pgbench variables);
  --seeded-task ID   that seeded task id becomes a random one of the 10,000
                     seeded tasks (ids ...-8000-1000000nnnnn, see bench-http.sh);
  --any-version      the optimistic-lock guard `version = n` always matches."""

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

options = sys.argv[6:]
# A new connection's setup is not part of any request: diesel's own (time
# zone, encoding) and the pool's session settings (`set_config` of an
# `opsflow.` setting, sent once per connection by PgPoolSettings).
statements = [
    s for s in statements
    if not re.match(r"SET (TIME ZONE|CLIENT_ENCODING)|SELECT set_config\('opsflow\.", s[1])
]


def uuid_from(low, high=None):
    """A uuid built from pgbench variables, as an expression (not a literal
    with variables inside quotes), so it works in `-M prepared` too."""
    first = f"{high}::text" if high else "'00000000'"
    return f"({first} || '-0000-4000-8000-' || {low}::text)::uuid"


header = []
uuid_re = re.compile(r"'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'")
texts = [text for _, text in statements]
if "--seeded-task" in options:
    seeded = options[options.index("--seeded-task") + 1]
    header.append("\\set task random(100000000001, 100000010000)")
    texts = [t.replace(f"'{seeded}'", uuid_from(":task")) for t in texts]
if "--fresh-ids" in options:
    # The new row's own id: the first value of an INSERT whose first column
    # is "id" (every table here); other uuids in it (project, actor) exist.
    insert_re = re.compile(r'INSERT INTO "?\w+"? \("id",.*?\) VALUES \(' + uuid_re.pattern)
    fresh = {}
    for text in texts:
        for found in insert_re.findall(text):
            fresh.setdefault(found, len(fresh))
    for found, n in fresh.items():
        header += [f"\\set hi{n} random(10000000, 99999999)", f"\\set lo{n} random(100000000000, 999999999999)"]
        texts = [t.replace(f"'{found}'", uuid_from(f":lo{n}", f":hi{n}")) for t in texts]
if "--any-version" in options:
    texts = [re.sub(r'("tasks"\."version") = \'?\d+\'?', r"\1 = \1", t) for t in texts]

with open(out, "w") as script:
    for line in header:
        script.write(line + "\n")
    for text in texts:
        script.write(text.rstrip(";") + ";\n")
print(len(texts))
