#!/usr/bin/env python3
"""make mutants / the CI mutation check: cargo-mutants over crates/domain
with its unit tests, a floor on the share caught, and every survivor
explained in docs/mutants.md.

  scripts/mutants.py                 the whole domain crate (make mutants)
  scripts/mutants.py --in-diff BASE  only mutants in lines changed since the
                                     git revision BASE (CI: every change keeps
                                     the floor without the whole run)

Caught means killed by a failing test or by a timeout. Unviable mutants (that
do not compile) do not count. The floor (90 %) applies to the whole run; in
a diff run every missed mutant must be listed. A survivor is listed in
docs/mutants.md by its cargo-mutants description without the line and
column (`crates/domain/src/x.rs: replace > with >= in f`), with the test
that kills it or why it is equivalent.
"""

import argparse
import json
import pathlib
import re
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
FLOOR = 0.90
VERSION = "27.1.0"


def ensure_cargo_mutants():
    found = subprocess.run(["cargo", "mutants", "--version"], capture_output=True, text=True)
    if found.returncode != 0 or VERSION not in found.stdout:
        subprocess.run(
            ["cargo", "install", "--locked", "cargo-mutants", "--version", VERSION],
            check=True,
        )


def without_position(line):
    """`crates/x.rs:12:5: replace ...` -> `crates/x.rs: replace ...`"""
    return re.sub(r"^([^:]+):\d+:\d+:", r"\1:", line.strip())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--in-diff", metavar="BASE")
    args = parser.parse_args()
    ensure_cargo_mutants()
    out = ROOT / "target" / ("mutants-diff" if args.in_diff else "mutants-domain")
    command = [
        "cargo", "mutants", "--package", "domain", "--test-package", "domain",
        "--jobs", "2", "--timeout", "60", "--output", str(out),
    ]
    if args.in_diff:
        diff = subprocess.run(
            ["git", "diff", args.in_diff, "--", "crates/domain"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout
        if not diff.strip():
            print("mutants: no change in crates/domain since", args.in_diff)
            return 0
        patch = out.parent / "mutants-in-diff.patch"
        patch.parent.mkdir(parents=True, exist_ok=True)
        patch.write_text(diff)
        command += ["--in-diff", str(patch)]
    started = time.time()
    # cargo-mutants exits 2 when mutants are missed: the floor decides here.
    run = subprocess.run(command, cwd=ROOT)
    if run.returncode not in (0, 2, 3):
        print(f"mutants: cargo mutants failed ({run.returncode})", file=sys.stderr)
        return 1
    outcomes = json.loads((out / "mutants.out" / "outcomes.json").read_text())
    counts = {}
    for outcome in outcomes["outcomes"]:
        if outcome["scenario"] == "Baseline":
            continue
        summary = outcome["summary"]
        counts[summary] = counts.get(summary, 0) + 1
    caught = counts.get("CaughtMutant", 0) + counts.get("Timeout", 0)
    missed = counts.get("MissedMutant", 0)
    unviable = counts.get("Unviable", 0)
    viable = caught + missed
    share = caught / viable if viable else 1.0
    print(
        f"mutants: domain {caught}/{viable} viable caught ({share:.1%}), "
        f"{missed} missed, {unviable} unviable, {time.time() - started:.0f} s"
    )
    explained = (ROOT / "docs" / "mutants.md").read_text()
    missed_lines = (out / "mutants.out" / "missed.txt").read_text().splitlines()
    unexplained = [m for m in missed_lines if without_position(m) not in explained]
    for line in unexplained:
        print(f"  not in docs/mutants.md: {without_position(line)}", file=sys.stderr)
    if not args.in_diff and share < FLOOR:
        print(f"mutants: below the {FLOOR:.0%} floor", file=sys.stderr)
        return 1
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
