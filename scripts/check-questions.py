"""Every test, item and path the documentation names must exist (make lint).

The study guide and the docs send readers to code by name; a renamed or
deleted file, function or test would leave them at a dead end, and a doc
that names a file the code does not have describes a mechanism the code
does not use. Checked in README.md and docs/*.md:

- tests named `module::test_name` (a file of tests/api/) or as the filter of
  `cargo test -p CRATE NAME`;
- items named `file.rs::name` (a file anywhere in the repository, by its
  name or a path suffix): `name` must be defined there (fn, struct, enum,
  trait, const, static, type, mod or a macro_rules);
- repository paths in backticks (`crates/...`, `adapters-postgres/src/x.rs`,
  `routes/tasks.rs`, `scripts/x.py`, ...): a tracked file or directory must
  have that path or end with it; patterns (`…`, `*`, `{}`, `<>`) are skipped;
- relative Markdown links to files of the repository.

Exits 1 listing what is missing.
"""

import pathlib
import re
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
docs = [root / "README.md"] + sorted((root / "docs").glob("*.md"))
files = subprocess.run(
    ["git", "ls-files", "-co", "--exclude-standard"],
    cwd=root, capture_output=True, text=True, check=True,
).stdout.split()
files = [f for f in files if (root / f).exists()]
directories = set()
for f in files:
    parts = pathlib.PurePosixPath(f).parts
    for i in range(1, len(parts)):
        directories.add("/".join(parts[:i]))
missing, checked = [], 0
EXTENSIONS = (".rs", ".py", ".sh", ".sql", ".md", ".yaml", ".yml", ".toml", ".json", ".html", ".conf")
ROOTS = ("crates/", "tests/", "scripts/", "docs/", "migrations/", "deploy/", ".github/", ".ci/", "examples/")


def defines(path, name, kinds=r"fn"):
    return path.is_file() and re.search(
        rf"\b(?:{kinds})\s+{re.escape(name)}\b", path.read_text(encoding="utf-8")
    )


def ignored(path):
    """A path git ignores is one the reader creates (deploy/.env)."""
    return subprocess.run(["git", "check-ignore", "-q", path], cwd=root).returncode == 0


def matching(path):
    """Tracked files or directories whose path is `path` or ends with `/path`."""
    path = path.rstrip("/")
    hits = [f for f in files if f == path or f.endswith("/" + path)]
    hits += [d for d in directories if d == path or d.endswith("/" + path)]
    return hits


ITEM_KINDS = r"fn|struct|enum|trait|const|static|type|mod|macro_rules!"

for doc in docs:
    text = doc.read_text(encoding="utf-8")
    name = doc.relative_to(root)
    for module, test in set(re.findall(r"`(?:cargo test -p opsflow-tests --test api )?([a-z_]+)::([a-z0-9_]+)`", text)):
        if not (root / "tests/api" / f"{module}.rs").is_file():
            continue  # a Rust path (domain::jobs), not a test
        checked += 1
        if not defines(root / "tests/api" / f"{module}.rs", test):
            missing.append(f"{name}: tests/api/{module}.rs has no test {test}")
    for crate, test in set(re.findall(r"`cargo test -p ([a-z_-]+) ([a-z0-9_]+)`", text)):
        checked += 1
        crate_dir = root / "crates" / crate
        if not any(defines(p, test) for p in crate_dir.rglob("*.rs")):
            missing.append(f"{name}: crates/{crate} has no test {test}")
    for file, item in set(re.findall(r"([A-Za-z0-9_./-]+\.rs)::([A-Za-z_][A-Za-z0-9_]*)", text)):
        checked += 1
        candidates = [root / f for f in matching(file) if f.endswith(".rs")]
        if not candidates:
            missing.append(f"{name}: no file {file} (named as {file}::{item})")
        elif not any(defines(p, item, ITEM_KINDS) for p in candidates):
            missing.append(f"{name}: {file} defines no {item}")
    for quoted in set(re.findall(r"`([^`\s]+)`", text)):
        path = quoted.split("::")[0].split(":")[0] if ".rs::" in quoted else quoted
        if any(mark in path for mark in "…*{}<>$=?&@") or "//" in path:
            continue
        if path.startswith(("/", "../")):
            continue  # a URL path, or outside the repository (../shared)
        path = path.removeprefix("./")
        looks_like_path = path.startswith(ROOTS) or ("/" in path and path.endswith(EXTENSIONS))
        if not looks_like_path:
            continue
        checked += 1
        if not matching(path) and not ignored(path):
            missing.append(f"{name}: no file or directory {path}")
    for link in set(re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)):
        if "://" in link or link.startswith("mailto:"):
            continue
        checked += 1
        if link.startswith("../../") or not (doc.parent / link).resolve().is_relative_to(root):
            continue  # outside the repository
        if not (doc.parent / link).exists():
            missing.append(f"{name}: link to missing {link}")

for line in sorted(set(missing)):
    print(line, file=sys.stderr)
print(f"doc references: {checked} checked, {len(set(missing))} missing")
sys.exit(1 if missing else 0)
