"""What only ../shared exercises: lines and branches covered with the corpora but not from a
lone clone, per file, from two ``coverage json`` reports (``make coverage`` writes both).

Each file listed is a rule the corpus suite reaches and the project's own fixtures do not
yet pin.

    python bench/coverage_gap.py LONE.json SHARED.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def covered(report: dict[str, Any]) -> dict[str, tuple[set[int], set[tuple[int, int]]]]:
    out = {}
    for name, data in report["files"].items():
        branches = {tuple(b) for b in data.get("executed_branches", [])}
        out[name] = (set(data["executed_lines"]), branches)
    return out


def main(argv: list[str]) -> int:
    lone, shared = (json.loads(Path(a).read_text(encoding="utf-8")) for a in argv[:2])
    print(
        f"branch coverage: lone clone {lone['totals']['percent_covered']:.1f} %, "
        f"with ../shared {shared['totals']['percent_covered']:.1f} %"
    )
    a, b = covered(lone), covered(shared)
    gaps = []
    for name, (lines, branches) in b.items():
        lone_lines, lone_branches = a.get(name, (set(), set()))
        only_lines, only_branches = lines - lone_lines, branches - lone_branches
        if only_lines or only_branches:
            gaps.append((len(only_lines) + len(only_branches), name, sorted(only_lines)))
    total = sum(count for count, _, _ in gaps)
    print(f"only with ../shared: {total} lines and branches in {len(gaps)} files")
    print(f"{'file':50} only with ../shared (lines + branches)  first lines")
    for count, name, lines in sorted(gaps, reverse=True):
        print(f"{name:50} {count:6}  {lines[:8]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
