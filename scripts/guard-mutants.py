#!/usr/bin/env python3
"""make guard-mutants: break each documented invariant on purpose and check a
named test notices.

Reads tests/guard-mutants.toml. The tree is copied to target/guard-mutants/src
(the working copy is never touched) and built there with its own target
directory, so each mutant costs an incremental rebuild of the crates it
touches. First the named tests run on the unmutated copy and must pass (a
test that fails anyway proves nothing); then, per mutant: apply it, build
(a mutant that does not compile is a broken table entry, not a catch), run
its tests, restore. Exits non-zero unless every mutant is caught.

Usage: scripts/guard-mutants.py [--only NAME ...] [--list]
"""

import argparse
import os
import pathlib
import subprocess
import sys
import time
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "guard-mutants"
SCRATCH = WORK / "src"

# Cargo arguments of each test target named in the table.
TARGETS = {
    "api": ["-p", "opsflow-tests", "--test", "api"],
    "binaries": ["-p", "app", "--test", "binaries"],
    "app": ["-p", "app", "--lib"],
    "domain": ["-p", "domain", "--lib"],
    "worker": ["-p", "worker", "--lib"],
    "http-actix": ["-p", "http-actix", "--lib"],
}


def load_mutants():
    with open(ROOT / "tests" / "guard-mutants.toml", "rb") as file:
        mutants = tomllib.load(file)["mutant"]
    names = [m["name"] for m in mutants]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        sys.exit(f"guard-mutants: duplicate names {sorted(duplicated)}")
    for mutant in mutants:
        if mutant["target"] not in TARGETS:
            sys.exit(f"guard-mutants: {mutant['name']}: unknown target {mutant['target']}")
        source = (ROOT / mutant["file"]).read_text()
        found = source.count(mutant["find"])
        if found != 1:
            sys.exit(
                f"guard-mutants: {mutant['name']}: `find` occurs {found} times in "
                f"{mutant['file']} (must be exactly once: the code it guards moved?)"
            )
    return mutants


def copy_tree():
    """Brings the scratch copy up to date with the working tree. By content
    (`--checksum`) and without keeping modification times: a file that
    changed gets the current time, so cargo, which compares times, rebuilds
    it — keeping the source's older time would let a build made from a
    mutant pass for the restored file."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "rsync", "-rlpD", "--checksum", "--delete",
            "--exclude", "/target", "--exclude", "/.git", "--exclude", "/.data",
            f"{ROOT}/", f"{SCRATCH}/",
        ],
        check=True,
    )


def cargo(target, extra, log):
    env = dict(os.environ)
    env["CARGO_TARGET_DIR"] = str(WORK / "target")
    env.setdefault("RUST_BACKTRACE", "0")
    command = ["cargo", "test", "-q", *TARGETS[target], *extra]
    with open(log, "w") as out:
        return subprocess.run(command, cwd=SCRATCH, env=env, stdout=out, stderr=subprocess.STDOUT).returncode


def run_tests(target, tests, log):
    """The exit status of running the tests whose names contain `tests`."""
    return cargo(target, ["--", *tests], log)


def check_names(target, tests, log):
    """Every name must match a test (a renamed test would otherwise make its
    mutants 'survive' by running nothing, or the baseline pass vacuously)."""
    if cargo(target, ["--", "--list"], log) != 0:
        return [f"cannot list the tests of {target}: {log}"]
    listed = [
        line.rsplit(": test", 1)[0]
        for line in pathlib.Path(log).read_text(errors="replace").splitlines()
        if line.endswith(": test")
    ]
    return [name for name in tests if not any(name in test for test in listed)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    mutants = load_mutants()
    if args.only:
        mutants = [m for m in mutants if m["name"] in args.only]
    if args.list:
        for m in mutants:
            print(f"{m['name']}: {m['invariant']}")
        return 0
    start = time.time()
    copy_tree()
    logs = WORK / "logs"
    logs.mkdir(exist_ok=True)

    # Baseline: every named test passes on the unmutated tree.
    by_target = {}
    for m in mutants:
        by_target.setdefault(m["target"], set()).update(m["tests"])
    for target, tests in by_target.items():
        print(f"== baseline: {target} ({len(tests)} names)", flush=True)
        unknown = check_names(target, sorted(tests), logs / f"list-{target}.log")
        if unknown:
            print(f"guard-mutants: no test matches {unknown}")
            return 1
        if run_tests(target, sorted(tests), logs / f"baseline-{target}.log") != 0:
            print(f"guard-mutants: the named tests fail unmutated: {logs}/baseline-{target}.log")
            return 1

    results = []
    for m in mutants:
        path = SCRATCH / m["file"]
        original = path.read_text()
        began = time.time()
        try:
            path.write_text(original.replace(m["find"], m["replace"], 1))
            log = logs / f"{m['name']}.log"
            if cargo(m["target"], ["--no-run"], log) != 0:
                verdict = "DOES NOT COMPILE"
            else:
                verdict = "caught" if run_tests(m["target"], m["tests"], log) != 0 else "SURVIVED"
        finally:
            path.write_text(original)
        seconds = time.time() - began
        results.append((m, verdict, seconds))
        print(f"== {m['name']}: {verdict} ({seconds:.0f} s)", flush=True)

    print()
    print("| mutant | invariant | caught by | result |")
    print("|---|---|---|---|")
    for m, verdict, _ in results:
        tests = ", ".join(f"`{t}`" for t in m["tests"])
        print(f"| `{m['name']}` | {m['invariant']} | {tests} | {verdict} |")
    caught = sum(1 for _, v, _ in results if v == "caught")
    print(f"\nguard-mutants: {caught}/{len(results)} caught in {time.time() - start:.0f} s")
    return 0 if caught == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
