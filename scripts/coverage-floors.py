"""Line coverage per crate from an lcov file, with floors that fail the run.

Usage: coverage-floors.py LCOV_FILE

Prints one row per crate (lines hit / found) and the workspace total over
`crates/*/src`, then exits 1 if a floor is not met. Floors (issue 13): the
domain crate ≥ 85 % of lines, the workspace ≥ 75 %. The test harness
(`tests/`) is not product code and is not counted.
"""

import os
import re
import sys
from collections import defaultdict

FLOORS = {"domain": 85.0, "workspace": 75.0}
CRATE = re.compile(r"(?:^|/)crates/([^/]+)/src/")


def per_crate(path):
    found, hit = defaultdict(int), defaultdict(int)
    crate = None
    with open(path, encoding="utf-8") as lcov:
        for line in lcov:
            if line.startswith("SF:"):
                match = CRATE.search(line[3:].strip().replace(os.sep, "/"))
                crate = match.group(1) if match else None
            elif crate and line.startswith("LF:"):
                found[crate] += int(line[3:])
            elif crate and line.startswith("LH:"):
                hit[crate] += int(line[3:])
    return found, hit


def main(path):
    found, hit = per_crate(path)
    if not found:
        print(f"{path}: no lines of crates/*/src", file=sys.stderr)
        return 1
    rows = {crate: (hit[crate], found[crate]) for crate in sorted(found)}
    rows["workspace"] = (sum(hit.values()), sum(found.values()))
    print(f"{'crate':<20} {'lines hit':>10} {'of':>8} {'cover':>7}  floor")
    failed = []
    for crate, (h, f) in rows.items():
        percent = 100.0 * h / f if f else 0.0
        floor = FLOORS.get(crate)
        mark = ""
        if floor is not None:
            mark = f"≥ {floor:.0f} %" + ("" if percent >= floor else "  FAILED")
            if percent < floor:
                failed.append(f"{crate} {percent:.1f} % < {floor:.0f} %")
        print(f"{crate:<20} {h:>10} {f:>8} {percent:>6.1f}%  {mark}")
    if failed:
        print("coverage below its floor: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
