"""Output filter benchmark: prints figures, never passes or fails on time.

    python bench/outputfilter.py [--links 40000]

A Markdown report's worth of table rows (one per link, the shape `report` prints) goes
through catalog.output's terminal filter with a registered 40-character token: the cost
every line of stdout pays. Best of three runs.
"""

from __future__ import annotations

import argparse
import random
import string
import time

from catalog.output import add_secret, for_terminal


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--links", type=int, default=40_000)
    args = parser.parse_args()
    rng = random.Random(11)
    add_secret(
        "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))
    )
    rows = []
    for i in range(args.links):
        slug = "-".join(rng.choice(("cache", "raft", "queue", "index", "shard")) for _ in range(4))
        rows.append(
            f"| [{slug.replace('-', ' ').title()}](https://engineering{i % 97}.example.com/"
            f"2024/05/{i % 28 + 1:02d}/{slug}) | dead | HTTP 404 Not Found | README.md:{i} |\n"
        )
    text = "".join(rows)
    best = min(_timed(text) for _ in range(3))
    mb = len(text.encode()) / 1e6
    print(f"{args.links} rows, {mb:.1f} MB: {best:.3f} s ({best / mb * 1000:.0f} ms/MB)")


def _timed(text: str) -> float:
    start = time.perf_counter()
    for_terminal(text)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
