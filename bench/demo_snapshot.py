"""What `listkeeper demo` produces, with what changes from run to run masked: compare two
trees (before and after a refactor) byte for byte. Prints digests, never passes or fails.

    python bench/demo_snapshot.py OUT                    # the demo of this checkout
    python bench/demo_snapshot.py OUT --tree ../other    # the demo of another checkout
    diff -r OUT_BEFORE OUT_AFTER                         # nothing printed: the same output

The demo runs in a fresh temporary folder (its default ``demo-out`` inside), with the
packages of ``--tree`` first on ``PYTHONPATH`` (the crawl processes inherit it), bounded by
a timeout. OUT receives its README, report.json and pull-request body, with what the clock
and the OS decide masked: timestamps (dates near the run's day become ``<today-N>``, times
``hh:mm:ss``), durations in seconds (whole hours), the offline web's loopback ports
(``host:<port>``) and the temporary folder. Dates far from the run's day (an article's, an
archived repository's) are the demo's own and kept. A run that straddles midnight UTC
shifts every offset by one: run it again.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ("README.md", "report.json", "pull-request.txt")
RUN_TIMEOUT = 300.0  # seconds: the demo takes about 20 on an idle machine
NEAR_DAYS = 90  # dates this close to the run's day are the run's (checks, the local API's)

DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?:([T ])(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?")
# The offline web's hosts are loopback addresses or names under .test; its port is the OS's.
# Durations measured against the clock of the run (a day since the first failure, and the
# seconds the demo took): shown in whole hours.
SECONDS = re.compile(r'("\w+_seconds": )(\d+)')
PORT = re.compile(r"\b((?:127(?:\.\d{1,3}){3})|localhost|(?:[a-z0-9-]+\.)+test):\d{2,5}\b")


def mask(text: str, today: date, workdir: str) -> str:
    """``text`` with the run's timestamps, ports and temporary folder masked."""

    def day(m: re.Match[str]) -> str:
        try:
            when = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return m[0]
        offset = (when - today).days
        if abs(offset) > NEAR_DAYS:
            return m[0]
        shown = f"<today{offset:+d}>" if offset else "<today>"
        if m[4]:
            shown += m[4] + "hh:mm" + (":ss" if m[7] else "") + (".f" if m[8] else "")
        return shown

    text = text.replace(workdir, "<workdir>")
    text = SECONDS.sub(lambda m: f'{m[1]}"<{int(m[2]) // 3600}h>"', text)
    return PORT.sub(r"\1:<port>", DATE.sub(day, text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the masked files")
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout whose demo runs")
    args = parser.parse_args()
    tree = args.tree.resolve()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tree), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("LISTKEEPER_NOW", None)
    with tempfile.TemporaryDirectory(prefix="listkeeper-demo-") as tmp:
        # The tree named must be the one imported, not the venv's editable install.
        where = subprocess.run(
            [sys.executable, "-c", "import jobs, catalog; print(jobs.__file__, catalog.__file__)"],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        if not all(Path(w).resolve().is_relative_to(tree) for w in where):
            sys.exit(f"--tree {tree}: the packages imported are {where}, not that tree's")
        today = datetime.now(UTC).date()
        run = subprocess.run(
            [sys.executable, "-m", "jobs", "demo"],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )
        if run.returncode != 0:
            sys.exit(f"demo exited {run.returncode}:\n{run.stderr[-2000:]}")
        args.out.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            raw = (Path(tmp) / "demo-out" / name).read_text(encoding="utf-8")
            masked = mask(raw, today, tmp)
            (args.out / name).write_text(masked, encoding="utf-8")
            digest = hashlib.sha256(masked.encode()).hexdigest()[:16]
            print(f"{name:<18} {len(masked):>6} chars  sha256 {digest}  ({tree})")


if __name__ == "__main__":
    main()
