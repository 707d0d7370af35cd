"""`listkeeper run`: every step, each failing on its own, one run at a time."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from catalog import db
from catalog.models import Lock
from catalog.vocabulary import utcnow
from jobs.offlineweb.server import OfflineWeb
from jobs.offlineweb.spec import Page, Web
from tests.catalogdb import default_url
from tests.checking import statuses, write_workspace
from tests.readmes import cli


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    web = Web()
    host = web.host("127.0.1.1")
    host.page("/ok", Page(body="<title>Fine</title><p>fine</p>"))
    with OfflineWeb(web) as ow:
        urls = {"fine": ow.url("127.0.1.1", "/ok"), "gone": ow.url("127.0.1.1", "/gone")}
        write_workspace(tmp_path, ow, urls, allow_networks=["127.0.1.0/24"])
        monkeypatch.chdir(tmp_path)
        yield urls


def test_run_does_every_step_and_exits_2_on_dead(workspace, capsys) -> None:  # type: ignore[no-untyped-def]
    result = cli(capsys, "run", "--report-dir", "out")
    assert result.code == 2, result.err
    for step in ("import", "check", "discover", "render", "report"):
        assert f"== {step}" in result.out
    got = statuses(Path("."))
    assert got[workspace["gone"]][0] == "dead" and got[workspace["fine"]][0] == "ok"
    report = json.loads(Path("out/report.json").read_text())
    assert report["summary"]["dead"] == 1
    assert Path("out/report.md").read_text().startswith("## Link report")
    assert cli(capsys, "run", "--fail-on", "never", "--report-dir", "out").code == 0


def test_a_failing_step_does_not_stop_the_others(workspace, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from catalog.errors import ListkeeperError
    from jobs import discover as discover_job

    def broken(*_: object, **__: object) -> int:
        raise ListkeeperError("feed server on fire")

    monkeypatch.setattr(discover_job, "discover", broken)
    result = cli(capsys, "run", "--report-dir", "out", "--fail-on", "never")
    assert result.code == 1
    assert "discover failed: feed server on fire" in result.err
    assert "== render" in result.out and Path("out/report.json").exists()  # the rest ran
    assert statuses(Path("."))[workspace["fine"]][0] == "ok"


def test_two_runs_never_overlap_and_a_dead_holder_is_taken_over(workspace, capsys) -> None:  # type: ignore[no-untyped-def]
    url = default_url(Path("."))
    engine = db.make_engine(url)
    db.upgrade(url)
    now = utcnow()
    with db.session_scope(engine) as s:
        s.execute(
            insert(Lock).values(
                name="run", holder="elsewhere:1", expires_at=now + timedelta(hours=1)
            )
        )
    held = cli(capsys, "run", "--report-dir", "out")
    assert held.code == 1 and "holds the catalog" in held.err and "elsewhere:1" in held.err
    with db.session_scope(engine) as s:  # a run on another machine that never came back
        s.execute(Lock.__table__.update().values(expires_at=now - timedelta(minutes=1)))
    assert cli(capsys, "run", "--report-dir", "out", "--fail-on", "never").code == 0
    with db.session_scope(engine) as s:  # this machine, a process that no longer exists
        s.execute(
            insert(Lock).values(
                name="run",
                holder=f"{__import__('socket').gethostname()}:999999",
                expires_at=now + timedelta(hours=1),
            )
        )
    assert cli(capsys, "run", "--report-dir", "out", "--fail-on", "never").code == 0
    engine.dispose()
