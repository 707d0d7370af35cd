"""Start-up of `listkeeper check` on a 10-link list, and the CLI's import cost. Prints
figures, never passes or fails on time.

    python bench/startup.py              # 7 runs of `check --all` on 10 links, then importtime
    python bench/startup.py --runs 15

On a list this small a check's wall time is mostly start-up (interpreters, imports, the
config, the catalog), which every cron run pays: measure it before and after a change to
anything every command loads (the config schema, the CLI, the context). The offline web
serves the 10 pages on loopback in this process's thread; each run is bounded by a timeout.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jobs.offlineweb.server import OfflineWeb  # noqa: E402
from jobs.offlineweb.spec import Page, Web  # noqa: E402
from jobs.offlineweb.wiring import check_toml  # noqa: E402

RUN_TIMEOUT = 120.0  # seconds: one check of 10 links on loopback takes about one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    listkeeper = Path(sys.executable).with_name("listkeeper")
    web = Web(latency=0.0)
    host = web.host("127.0.9.1")
    for i in range(10):
        host.page(f"/a/{i}", Page(body=f"<title>a{i}</title>article"))
    with OfflineWeb(web) as ow, tempfile.TemporaryDirectory(prefix="lk-startup-") as tmp:
        folder = Path(tmp)
        links = "\n".join(f"- [a{i}]({ow.url('127.0.9.1', f'/a/{i}')})" for i in range(10))
        (folder / "README.md").write_text(f"# Bench\n\n## Links\n\n{links}\n")
        (folder / "listkeeper.toml").write_text(check_toml(ow, allow_networks=["127.0.9.0/24"]))
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
        cmd = [str(listkeeper), "import", "README.md"]
        subprocess.run(cmd, cwd=folder, check=True, capture_output=True, env=env)
        walls = []
        for _ in range(args.runs + 1):  # the first run warms the page cache and is dropped
            start = time.perf_counter()
            subprocess.run(
                [str(listkeeper), "check", "--all"],
                cwd=folder,
                check=True,
                capture_output=True,
                env=env,
                timeout=RUN_TIMEOUT,
            )
            walls.append(time.perf_counter() - start)
        walls = walls[1:]
    print(
        f"check --all, 10 links, {args.runs} runs: median {statistics.median(walls):.3f} s,"
        f" min {min(walls):.3f} s, max {max(walls):.3f} s"
    )
    for module in ("jobs.cli", "jobs.check"):
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            check=True,
        ).stderr.splitlines()
        # top-level lines (no indent before the name) add up to the whole import
        total = sum(int(line.split("|")[1]) for line in out[1:] if line.split("|")[2][1] != " ")
        print(f"import {module}: {total / 1000:.1f} ms cumulative (python -X importtime)")


if __name__ == "__main__":
    main()
