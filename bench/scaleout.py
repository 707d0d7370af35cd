"""Scale-out benchmark: one local crawl process against workers sharing a Redis queue, on
the same offline web (10,000 links over 500 hosts, 200 ms latency by default). Prints
figures only.

    python bench/scaleout.py                    # 10,000 links / 500 hosts
    python bench/scaleout.py --links 2000 --hosts 100

Every variant starts from a copy of the same imported catalog and checks every link once:
  local x1    `listkeeper check --processes 1`
  local x2    `listkeeper check --processes 2` (hosts split between two crawl processes)
  redis x1    `listkeeper check --queue URL`, then one `listkeeper worker --exit-when-empty`
  redis x2    the same with two workers started together
  redis x2 warm  two `listkeeper worker` already running (as deployed: idle, their crawl
              processes started), then `listkeeper check --queue URL --wait` timed
Wall time runs from the first command's start to the last process's exit; CPU is user +
system of every listkeeper process (wait4, children included). A redis-server and the
offline web run in processes of their own; their CPU is not counted but they share the
machine's cores with the crawls (``nproc`` is printed: on two cores two workers compete
with the web server).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from subprocess import DEVNULL
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from linkcheck import (  # noqa: E402
    WebProcess,
    _Ports,
    listkeeper_exe,
    write_readme,
)

from jobs.offlineweb.testkit.builders import scale_web  # noqa: E402
from jobs.offlineweb.testkit.throwaway import redis_server  # noqa: E402
from jobs.offlineweb.wiring import check_toml  # noqa: E402

RUN_TIMEOUT = 900.0  # seconds: a variant still running then is killed
WARM_SECONDS = 3.0  # idle workers start their crawl process meanwhile


@dataclass
class Figures:
    name: str
    wall: float
    cpu: float
    rss_mb: float
    checked: int
    web_cpu: float  # the offline web's CPU seconds meanwhile: it shares the cores


def run_then_together(
    first: list[str], rest: list[list[str]], cwd: Path
) -> tuple[float, float, float]:
    """Run ``first`` to its end, then every command of ``rest`` at once; wall time of the
    whole, summed CPU seconds, largest peak RSS (MiB)."""
    start = time.perf_counter()
    deadline = start + RUN_TIMEOUT
    cpu, rss = 0.0, 0.0
    for group in ([first], rest):
        procs = [subprocess.Popen(c, cwd=cwd, stdout=DEVNULL, stderr=DEVNULL) for c in group]
        for proc in procs:
            usage = _reap_until(proc, deadline)
            cpu += usage.ru_utime + usage.ru_stime
            rss = max(rss, usage.ru_maxrss / 1024)
    return time.perf_counter() - start, cpu, rss


def run_with_workers(
    check: list[str], workers: list[list[str]], cwd: Path
) -> tuple[float, float, float]:
    """The production topology: workers already running and idle (their crawl processes
    started), then ``check --queue --wait`` timed from its start to the drained queue; the
    workers are stopped (SIGTERM) afterwards and their CPU counted too."""
    procs = [subprocess.Popen(c, cwd=cwd, stdout=DEVNULL, stderr=DEVNULL) for c in workers]
    time.sleep(WARM_SECONDS)
    start = time.perf_counter()
    deadline = start + RUN_TIMEOUT
    usage = _reap_until(subprocess.Popen(check, cwd=cwd, stdout=DEVNULL, stderr=DEVNULL), deadline)
    wall = time.perf_counter() - start
    cpu, rss = usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        usage = _reap_until(proc, time.perf_counter() + 60)
        cpu += usage.ru_utime + usage.ru_stime
        rss = max(rss, usage.ru_maxrss / 1024)
    return wall, cpu, rss


def _reap_until(proc: subprocess.Popen[bytes], deadline: float) -> Any:
    while True:  # bounded by `deadline`
        pid, _status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return usage
        if time.perf_counter() > deadline:
            proc.kill()
        time.sleep(0.01)


def checked(folder: Path) -> int:
    with sqlite3.connect(folder / "listkeeper.db") as con:
        return int(
            con.execute("select count(*) from links where checked_at is not null").fetchone()[0]
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--links", type=int, default=10_000)
    p.add_argument("--hosts", type=int, default=500)
    p.add_argument("--latency", type=float, default=0.2)
    p.add_argument("--concurrency", type=int, default=128)
    args = p.parse_args(argv)
    print("scale-out benchmark (bench/scaleout.py): figures only, no pass/fail on time")
    print(
        f"{args.links} links over {args.hosts} hosts, latency {args.latency * 1000:.0f} ms, "
        f"global cap {args.concurrency}, 2 per host; nproc {os.cpu_count()}"
    )
    web, templates = scale_web(args.links, args.hosts, args.latency)
    work = Path(tempfile.mkdtemp(prefix="lk-scaleout-"))
    exe = listkeeper_exe()
    caps = ["--max-concurrency", str(args.concurrency), "--per-host", "2", "--timeout", "10"]
    results: list[Figures] = []
    try:
        ow = WebProcess(web, work, max_seconds=6 * RUN_TIMEOUT)
        urls = [t.replace("{port}", str(ow.port)) for t in templates]
        base = work / "base"
        base.mkdir()
        write_readme(base, urls)
        config = "[verdicts]\ndead_after_checks = 1\ndead_after_hours = 0.0\n\n"
        config += check_toml(_Ports(), allow_networks=["127.0.0.0/8"])  # type: ignore[arg-type]
        (base / "listkeeper.toml").write_text(config)
        subprocess.run([*exe, "import", "README.md"], cwd=base, check=True, capture_output=True)
        with redis_server() as queue:
            check = [*exe, "check", *caps]
            worker = [*exe, "worker", "--queue", queue, "--exit-when-empty"]
            warm = [*exe, "worker", "--queue", queue]
            queued = [*check, "--queue", queue]
            variants: dict[str, Callable[[Path], tuple[float, float, float]]] = {
                "local x1": lambda f: run_then_together([*check, "--processes", "1"], [], f),
                "local x2": lambda f: run_then_together([*check, "--processes", "2"], [], f),
                "redis x1": lambda f: run_then_together(queued, [worker], f),
                "redis x2": lambda f: run_then_together(queued, [worker, worker], f),
                "redis x2 warm": lambda f: run_with_workers([*queued, "--wait"], [warm, warm], f),
            }
            for name, run in variants.items():
                folder = work / name.replace(" ", "-")
                shutil.copytree(base, folder)
                ow.control("reset")
                web_cpu = ow.cpu_seconds()
                wall, cpu, rss = run(folder)
                web_cpu = ow.cpu_seconds() - web_cpu
                results.append(Figures(name, wall, cpu, rss, checked(folder), web_cpu))
                print(f"   {name}: {wall:.2f} s", flush=True)
        ow.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    one = results[0].wall
    print(
        f"   {'variant':<14}{'wall s':>8}{'CPU s':>8}{'ms/link':>9}{'links/s':>9}"
        f"{'x local x1':>11}{'peak RSS MiB':>13}{'checked':>9}{'web CPU s':>10}"
    )
    for r in results:
        print(
            f"   {r.name:<14}{r.wall:>8.2f}{r.cpu:>8.2f}{r.cpu / args.links * 1000:>9.2f}"
            f"{args.links / r.wall:>9.0f}{one / r.wall:>11.2f}{r.rss_mb:>13.0f}{r.checked:>9}"
            f"{r.web_cpu:>10.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
