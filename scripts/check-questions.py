"""Every test docs/questions.md (and docs/scaling.md) names must exist.

The study guide sends readers to tests by name; a renamed or deleted test
would leave them at a dead end. Names are found as `module::test_name`
(a file of tests/api/) and as the filter of `cargo test -p CRATE NAME`
commands; each must be a `fn` in the right place. Exits 1 listing the missing.
"""

import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
docs = [root / "docs/questions.md", root / "docs/scaling.md"]
missing, checked = [], 0


def defines(path, name):
    return path.is_file() and re.search(rf"\bfn {re.escape(name)}\s*[(<]", path.read_text(encoding="utf-8"))


sources = [p for p in (root / "crates").rglob("*.rs")] + [p for p in (root / "tests").rglob("*.rs")]
for doc in docs:
    if not doc.is_file():
        continue
    text = doc.read_text(encoding="utf-8")
    for module, name in set(re.findall(r"`(?:cargo test -p opsflow-tests --test api )?([a-z_]+)::([a-z0-9_]+)`", text)):
        checked += 1
        if not defines(root / "tests/api" / f"{module}.rs", name):
            missing.append(f"{doc.name}: tests/api/{module}.rs has no test {name}")
    for crate, name in set(re.findall(r"`cargo test -p ([a-z_-]+) ([a-z0-9_]+)`", text)):
        checked += 1
        crate_dir = root / "crates" / crate
        if not any(defines(p, name) for p in crate_dir.rglob("*.rs")):
            missing.append(f"{doc.name}: crates/{crate} has no test {name}")
for line in missing:
    print(line, file=sys.stderr)
print(f"questions: {checked} named tests checked, {len(missing)} missing")
sys.exit(1 if missing else 0)
