"""Processes and faults: signals stop every crawl, one check at a time, a killed run is
abandoned, and a locked, read-only or full catalog or report folder is one line, exit 1.

Signals are sent to real ``listkeeper`` processes crawling a slow host of the offline web;
waits are bounded and poll for a condition (a process gone, a row written), never a sleep.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from catalog import db, locks
from catalog import runs as catalog_runs
from catalog.errors import ListkeeperError
from jobs import interrupt
from jobs.crawling import run_crawl
from jobs.interrupt import Interrupted
from jobs.offlineweb.server import OfflineWeb
from jobs.offlineweb.spec import Page, Web
from tests.catalogdb import select
from tests.checking import write_workspace
from tests.polling import wait_for
from tests.readmes import cli

EXE = [sys.executable, "-c", "from jobs.cli import main; main()"]
SLOW = 120.0  # seconds the slow host takes to answer: far longer than any test waits


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if int((entry / "stat").read_text().rpartition(")")[2].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def runs(folder: Path) -> list[tuple[str, str]]:
    with contextlib.suppress(DBAPIError):
        return [
            (job, status)
            for job, status in select(folder, "select job, status from runs order by id")
        ]
    return []


@pytest.fixture(scope="module")
def slow_web() -> Iterator[OfflineWeb]:
    web = Web()
    host = web.host("127.0.11.1")
    host.page("/slow", Page(body="<title>slow</title>", latency=SLOW))
    host.page("/ok", Page(body="<title>ok</title>fine"))
    web.host("127.0.11.30").page("/slow", Page(body="<title>slow too</title>", latency=SLOW))
    with OfflineWeb(web) as ow:
        yield ow


@pytest.fixture
def workspace(tmp_path: Path, slow_web: OfflineWeb) -> Path:
    urls = {
        "slow": slow_web.url("127.0.11.1", "/slow"),
        "ok": slow_web.url("127.0.11.1", "/ok"),
        "other": slow_web.url("127.0.11.30", "/slow"),  # a second host: two crawl processes
    }
    write_workspace(
        tmp_path,
        slow_web,
        urls,
        allow_networks=["127.0.11.0/24"],
        settings={"DOWNLOAD_TIMEOUT": SLOW * 2},
    )
    subprocess.run([*EXE, "import", "README.md"], cwd=tmp_path, check=True, capture_output=True)
    return tmp_path


def start(folder: Path, *args: str) -> subprocess.Popen[str]:
    """``listkeeper ARGS`` in a process group of its own, as a terminal's job or a CI
    step is; once its crawl process is running."""
    proc = subprocess.Popen(
        [*EXE, *args],
        cwd=folder,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    crawling = lambda: ("check", "running") in runs(folder) and children_of(proc.pid)  # noqa: E731
    # Bounded, and generous: a loaded machine (CI, other suites) may take long to get there.
    assert wait_for(crawling, timeout=90), "the check never started crawling"
    return proc


@pytest.mark.parametrize(
    ("signum", "to_group", "code", "processes"),
    [
        (signal.SIGINT, True, 130, 1),
        (signal.SIGTERM, False, 143, 1),
        (signal.SIGINT, False, 130, 1),
        (signal.SIGTERM, False, 143, 2),
    ],
    ids=[
        "ctrl-c-at-a-terminal",
        "sigterm-from-a-scheduler",
        "sigint-to-the-command",
        "sigterm-two-crawl-processes",
    ],
)
def test_a_signal_stops_the_command_and_every_crawl_it_started(
    workspace: Path, signum: int, to_group: bool, code: int, processes: int
) -> None:
    proc = start(workspace, "check", "--processes", str(processes))
    if processes > 1:
        assert wait_for(lambda: len(children_of(proc.pid)) >= processes)
    crawls = children_of(proc.pid)
    if to_group:  # what a terminal does: the whole foreground process group
        os.killpg(proc.pid, signum)
    else:
        os.kill(proc.pid, signum)
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == code, err
    assert not [pid for pid in crawls if alive(pid)], "a crawl outlived its command"
    assert "Traceback" not in err and f"interrupted by {signal.Signals(signum).name}" in err
    assert runs(workspace) == [("check", "interrupted")]


def test_a_signal_that_lands_in_a_finalizer_still_interrupts() -> None:
    """The garbage collector runs finalizers and weak references' callbacks wherever it
    runs; an exception raised there is printed and dropped. A SIGTERM landing there (seen
    while an import compiled a module) must still stop the command."""
    dropped: list[object] = []

    class Finalized:
        def __del__(self) -> None:
            signal.raise_signal(signal.SIGTERM)  # its handler runs in here
            dropped.append(self)

    previous = sys.unraisablehook
    sys.unraisablehook = dropped.append
    try:
        with pytest.raises(Interrupted), interrupt.handled():
            Finalized()
            wait_for(lambda: False, timeout=10)
    finally:
        sys.unraisablehook = previous
    assert len(dropped) == 1, dropped  # the finalizer ran to its end; nothing was dropped


def test_a_stopped_run_is_recorded_interrupted_with_its_check(workspace: Path) -> None:
    proc = start(workspace, "run", "--report-dir", "out")
    crawls = children_of(proc.pid)
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert not [pid for pid in crawls if alive(pid)]
    assert runs(workspace) == [("run", "interrupted"), ("check", "interrupted")]
    assert not (workspace / "out").exists()  # the steps after check never ran


def test_two_checks_never_crawl_at_once(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = start(workspace, "check")
    try:
        monkeypatch.chdir(workspace)
        second = cli(capsys, "check")
        assert second.code == 1
        assert "another `check` holds the catalog" in second.err
        assert len(second.err.strip().splitlines()) == 1
    finally:
        os.kill(first.pid, signal.SIGTERM)
        first.communicate(timeout=30)
    assert first.returncode == 143


def test_a_run_killed_hard_takes_its_crawl_along_and_is_marked_abandoned(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    proc = start(workspace, "run", "--report-dir", "out")
    crawls = children_of(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)  # only the command: its crawl is not signalled
    proc.communicate(timeout=10)
    gone = wait_for(lambda: not any(alive(pid) for pid in crawls), timeout=30)
    assert gone, f"crawls {crawls} outlived the killed run"
    monkeypatch.chdir(workspace)
    again = cli(capsys, "check", "--timeout", "1")
    assert again.code == 0, (again.err, runs(workspace))
    assert runs(workspace) == [("run", "abandoned"), ("check", "abandoned"), ("check", "done")]


def test_a_crawl_that_cannot_start_fails_the_check_in_one_line(
    tmp_path: Path,
    slow_web: OfflineWeb,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    urls = {"ok": slow_web.url("127.0.11.1", "/ok")}
    write_workspace(
        tmp_path,
        slow_web,
        urls,
        allow_networks=["127.0.11.0/24"],
        settings={"DOWNLOADER": "no_such_module.Downloader"},
    )
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "import", "README.md").code == 0
    result = cli(capsys, "check")
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if "history starts now" not in line]
    assert len(errors) == 1 and "No module named 'no_such_module'" in errors[0], result.err
    assert runs(tmp_path) == [("check", "failed")]
    # Whatever the child refuses (here a network list the crawl cannot read): its reason.
    with pytest.raises(ListkeeperError, match="'not-a-network' does not appear to be"):
        run_crawl("links", {"links": []}, {"PRIVATEGUARD_ALLOW_NETWORKS": ["not-a-network"]})


def test_links_that_fail_are_not_errors_on_stderr(
    tmp_path: Path,
    slow_web: OfflineWeb,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Nothing listens on port 1 of these hosts: every link is refused, as without a network.
    urls = {f"l{i}": f"http://127.0.11.{i + 2}:1/page/{i}" for i in range(12)}
    write_workspace(tmp_path, slow_web, urls, allow_networks=["127.0.11.0/24"])
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "import", "README.md").code == 0
    result = cli(capsys, "check")
    assert result.code == 0
    assert result.err.strip().splitlines() == [
        "catalog has no check history yet: history starts now"
    ]
    verbose = cli(capsys, "--verbose", "check", "--all")
    assert verbose.code == 0 and "Gave up retrying" in verbose.err


@pytest.mark.sqlite_only("holds SQLite's file lock; PostgreSQL waits on rows instead")
def test_a_locked_catalog_is_one_line(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workspace)
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(workspace / "listkeeper.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = cli(capsys, "check")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.code == 1
    assert result.err.splitlines() == [
        "listkeeper: error: catalog: database is locked: another process holds the catalog's "
        "write lock; retry when it ends"
    ]


@pytest.mark.sqlite_only("opens the SQLite file read-only")
def test_a_read_only_catalog_is_one_line(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workspace)
    before = (workspace / "listkeeper.db").read_bytes()
    result = cli(capsys, "--db", "sqlite:///file:listkeeper.db?mode=ro&uri=true", "check")
    assert result.code == 1
    assert len(result.err.splitlines()) == 1 and "read-only" in result.err, result.err
    assert (workspace / "listkeeper.db").read_bytes() == before


@pytest.mark.parametrize("output", ["no/such/folder/report.json", "README.md/report.json"])
def test_a_report_folder_missing_or_not_a_folder_is_one_line(
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    output: str,
) -> None:
    monkeypatch.chdir(workspace)
    result = cli(capsys, "report", "--format", "json", "--output", output)
    assert result.code == 1
    reason = "No such file or directory" if output.startswith("no/") else "Not a directory"
    assert len(result.err.splitlines()) == 1, result.err
    assert result.err.startswith(f"listkeeper: error: {output}: cannot write ({reason})")


def test_a_full_disk_writes_no_half_report(tmp_path: Path, slow_web: OfflineWeb) -> None:
    urls = {f"link{i}": f"http://127.0.11.1:{slow_web.port}/a/{i}" for i in range(300)}
    write_workspace(tmp_path, slow_web, urls, allow_networks=["127.0.11.0/24"])
    subprocess.run([*EXE, "import", "README.md"], cwd=tmp_path, check=True, capture_output=True)
    (tmp_path / "report.html").write_text("the previous report\n")
    limit = 64 * 1024  # the catalog's files fit; the report does not

    def full_disk() -> None:  # files cannot grow past the limit, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    # Under `make coverage` a child writes its measurements at exit, which the full disk
    # refuses (a warning on stderr): this child goes unmeasured.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS_")}
    result = subprocess.run(
        [*EXE, "report", "--format", "html", "--output", "report.html"],
        cwd=tmp_path,
        env=env,
        preexec_fn=full_disk,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "listkeeper: error: report.html: cannot write (File too large); nothing changed"
    ]
    assert (tmp_path / "report.html").read_text() == "the previous report\n"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".report.html")]


@pytest.mark.postgresql_only("a SQLite query runs to its end before a signal's handler runs")
@pytest.mark.parametrize("through", ["sqlalchemy", "the-driver"])
def test_a_signal_that_lands_in_a_query_still_records_the_run_interrupted(
    engine: Engine, catalog_url: str, through: str
) -> None:
    """SIGTERM landing while a PostgreSQL query runs: the query is cancelled on the server,
    the run recorded interrupted, the lock released, and the signal's exit stands. Seen
    under load: landing in a query SQLAlchemy leaves to psycopg (likely the close of a
    ``yield_per`` server-side cursor), it left the connection mid-query; the rollback then
    failed with "another command is already in progress", which replaced the interrupt
    (the check exited 1, not 143). What ``check`` and ``run`` do, the signal sent once the
    server shows the query running, so that it lands in it."""
    watcher = create_engine(catalog_url, poolclass=NullPool)
    running = text(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
        " AND query = 'SELECT pg_sleep(60)'"
    )

    def signal_once_running() -> None:
        with watcher.connect() as conn:
            # Bounded, and well within the query: the signal lands in it whatever happens.
            wait_for(lambda: conn.execute(running).scalar() == 1, timeout=30)
        os.kill(os.getpid(), signal.SIGTERM)

    sender = threading.Thread(target=signal_once_running)
    with (
        pytest.raises(Interrupted),
        interrupt.handled(),
        locks.held(engine, "check", timedelta(minutes=5)),
    ):
        run_id = catalog_runs.start(engine, "check", locks.me())
        try:
            with db.session_scope(engine) as s:
                sender.start()
                if through == "sqlalchemy":
                    s.execute(text("SELECT pg_sleep(60)"))
                else:
                    s.connection().connection.driver_connection.execute(  # type: ignore[union-attr]
                        "SELECT pg_sleep(60)"
                    )
        except BaseException as exc:
            catalog_runs.finish_after(engine, run_id, exc)
            raise
    sender.join(timeout=60)
    watcher.dispose()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT job, status FROM runs")).all() == [
            ("check", "interrupted")
        ]
        assert conn.execute(text("SELECT count(*) FROM locks")).scalar() == 0
        assert conn.execute(running).scalar() == 0  # cancelled, not left running with its locks
