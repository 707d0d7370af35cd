"""`listkeeper schedule`: cron jobs in a real scheduler process, killed and restarted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from jobs.schedule import trigger
from tests.catalogdb import select
from tests.polling import wait_for

CRONS = {"fast": "*/2 * * * * *", "slow": "*/3 * * * * *"}
CONFIG = "\n".join(
    f'[schedule.jobs.{name}]\ncron = "{cron}"\nargs = ["import", "README.md"]\n'
    for name, cron in CRONS.items()
)


def _runs(folder: Path) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {"fast": [], "slow": []}
    try:
        rows = select(
            folder, "select job, status, stats from runs where job like 'schedule:%' order by id"
        )
    except DBAPIError:  # no catalog yet
        return out
    for job, status, stats in rows:
        if not isinstance(stats, dict):  # JSON comes back as text from SQLite
            stats = json.loads(stats or "{}")
        out[job.split(":", 1)[1]].append((status, stats.get("fire", "")))
    return out


def _wait(folder: Path, want: int, seconds: float) -> dict[str, list[tuple[str, str]]]:
    deadline = time.monotonic() + seconds
    runs = _runs(folder)
    while time.monotonic() < deadline:
        runs = _runs(folder)
        if all(sum(s == "done" for s, _ in r) >= want for r in runs.values()):
            break
        time.sleep(0.2)
    return runs


def _start(folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "jobs", "schedule"],
        cwd=folder,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_no_run_lost_or_doubled_across_a_kill(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# L\n\n- [A](https://a.example/)\n")
    (tmp_path / "listkeeper.toml").write_text(CONFIG)
    first = _start(tmp_path)
    try:
        before = _wait(tmp_path, 2, 40)
        assert all(sum(s == "done" for s, _ in r) >= 2 for r in before.values()), before
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # no chance to finish anything
        first.wait(10)
    killed_at = datetime.now().astimezone()
    # Fire times pass with no scheduler (they must not be lost): each job's first one
    # after the kill is behind us before the scheduler comes back.
    due = max(trigger(cron).get_next_fire_time(None, killed_at) for cron in CRONS.values())
    assert wait_for(lambda: datetime.now(UTC) > due, timeout=10)
    second = _start(tmp_path)
    try:
        _wait(tmp_path, sum(s == "done" for s, _ in before["fast"]) + 2, 40)
    finally:
        second.send_signal(signal.SIGTERM)
        out, _ = second.communicate(timeout=60)
    assert second.returncode == 0, out
    assert "stopping after the running job" in out
    assert "catching up the run of" in out
    after = _runs(tmp_path)
    for job, runs in after.items():
        fires = [f for s, f in runs if s == "done"]
        assert len(fires) == len(set(fires)), (job, fires)  # never twice
        caught = [f for f in fires if datetime.fromisoformat(f) >= killed_at]
        assert caught, (job, fires)  # a run stands for the time the scheduler was away


@pytest.mark.parametrize("cron", ["not a cron", "61 * * * *", "* * *"])
def test_bad_cron_is_a_config_error(tmp_path: Path, cron: str) -> None:
    (tmp_path / "listkeeper.toml").write_text(f'[schedule.jobs.x]\ncron = "{cron}"\n')
    done = subprocess.run(
        [sys.executable, "-m", "jobs", "schedule"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3 and "[schedule.jobs.x]" in done.stderr


def test_apschedulers_table_stays_out_of_alembic_check(catalog_url: str) -> None:
    from alembic import command

    from catalog import db
    from catalog.config import parse
    from jobs.context import Context
    from jobs.schedule import jobs_from

    url = catalog_url
    ctx = Context(db_url=url)
    ctx.engine()
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    store = SQLAlchemyJobStore(url=url)
    store.start(None, "default")  # creates apscheduler_jobs, as `schedule` does
    config = parse({"schedule": {"jobs": {"x": {"cron": "17 4 * * *"}}}})
    assert jobs_from(config)[0].args == ("x",)
    command.check(db.alembic_config(url))  # raises if the foreign table were compared
