"""Issue 16 in the pull request: a link confirmed parked or replaced is treated as
``[pr] dead`` says (marked, or the Wayback capture nearest *before* the change), an ignore
comment keeps it, and the body shows before and after."""

# ruff: noqa: F811 (the fixtures of test_pr and test_wayback, imported, are parameters here)

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

import catalog.pullrequest as prlogic
from catalog import db
from catalog.cdx import choose, parse_cdx
from catalog.models import Link, PageReference
from catalog.vocabulary import LinkStatus
from jobs.pr import _wayback
from jobs.wayback import nearest_capture
from tests import githubapi
from tests.test_pr import Workspace, api, run_pr, ws  # noqa: F401 (fixtures)
from tests.test_wayback import NEAREST, Archive, Site, archive, recordings  # noqa: F401

CHANGED_AT = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)


def _changed(ws: Workspace, url: str, kind: str, *, confirmed: bool = True) -> None:
    ws.set_status(url, LinkStatus.SUSPECT)
    with db.session_scope(db.make_engine(ws.db_url)) as s:
        link = s.scalar(select(Link).where(Link.url == url))
        assert link is not None
        s.add(
            PageReference(
                link_id=link.id,
                title="Fine article about caches",
                site_name="Fine Blog",
                host="fine.example",
                lang="en",
                taken_at=datetime(2025, 1, 1, tzinfo=UTC),
                change_kind=kind,
                change_reason="parked or for-sale domain: 'This domain is for sale'",
                change_title="fine.example is for sale",
                change_host="fine.example",
                changed_at=CHANGED_AT,
                change_seen_at=CHANGED_AT,
                change_confirmed=confirmed,
            )
        )


def test_a_confirmed_lander_is_marked_and_shown_before_and_after(
    ws: Workspace, api: githubapi.GitHubAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    _changed(ws, "https://fine.example/", "parked")
    _changed(ws, "https://kept.example/old", "replaced")  # its line has an ignore comment
    code, out, err = run_pr(ws, capsys, api.url, dry_run=True)
    assert code == 0, err
    assert "+- [Fine](https://fine.example/) *(dead link)*" in out
    assert "marked as a dead link (the page is now a parked" in out
    assert "kept.example/old) *(dead link)*" not in out  # kept as written
    assert "**parked** since 2026-02-01 09:30 UTC (confirmed)" in out
    assert "before: Fine article about caches · Fine Blog · fine.example · en" in out
    assert "after: fine.example is for sale · fine.example" in out


def test_an_unconfirmed_change_changes_nothing(
    ws: Workspace, api: githubapi.GitHubAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    _changed(ws, "https://fine.example/", "parked", confirmed=False)
    code, out, err = run_pr(ws, capsys, api.url, dry_run=True)
    assert code == 0, err
    assert "fine.example/) *(dead link)*" not in out
    assert "(not confirmed yet)" in out


def test_archive_takes_the_capture_nearest_before_the_change() -> None:
    settings = prlogic.settings({"pr": {"dead": "archive"}})
    asked: list[tuple[str, str, date]] = []

    def lookup(which: str):  # type: ignore[no-untyped-def]
        def find(url: str, since: date) -> str:
            asked.append((which, url, since))
            return f"https://archive.example/web/{which}/{url}"

        return find

    rows = [
        ("https://gone.example/", 3, "dead", None, date(2020, 1, 1)),
        ("https://parked.example/", 4, "parked", None, date(2026, 2, 1)),
        ("https://other.example/", 5, "replaced", None, date(2026, 3, 1)),
    ]
    changes = prlogic.changes_from(
        rows, settings, archive=lookup("listed"), archive_before=lookup("before")
    )
    assert [(c.old, c.new) for c in changes] == [
        ("https://gone.example/", "https://archive.example/web/listed/https://gone.example/"),
        ("https://parked.example/", "https://archive.example/web/before/https://parked.example/"),
        ("https://other.example/", "https://archive.example/web/before/https://other.example/"),
    ]
    none = prlogic.changes_from(rows[1:2], settings, archive_before=lambda url, since: None)
    assert none[0].kind == "mark" and prlogic.NO_ARCHIVE_NOTE in none[0].note


def test_choose_before_skips_captures_taken_after() -> None:
    rows, _ = parse_cdx(
        "k 20260110000000 https://a.example/ text/html 200 D 1\n"
        "k 20260131000000 https://a.example/ text/html 200 D 1\n"
        "k 20260202000000 https://a.example/ text/html 200 D 1\n"
    )
    moment = datetime(2026, 2, 1, tzinfo=UTC)
    nearest = choose(rows, moment, api_url="https://w")
    before = choose(rows, moment, api_url="https://w", before=True)
    assert nearest is not None and nearest.timestamp == datetime(2026, 1, 31, tzinfo=UTC)
    assert before is not None and before.timestamp == datetime(2026, 1, 31, tzinfo=UTC)
    after_only = choose(rows[2:], moment, api_url="https://w", before=True)
    assert after_only is None
    assert choose(rows[2:], moment, api_url="https://w") is not None


@pytest.mark.parametrize("site", NEAREST)
def test_the_cdx_query_of_a_change_ends_at_the_change(archive: Archive, site: Site) -> None:
    when = datetime(2020, 6, 12, 10, 14, 20, tzinfo=UTC)
    capture = nearest_capture(site.url, when, api_url=archive.url, before=True)
    assert archive.problems == []
    params = archive.params_of(0)
    assert params["to"] == "20200612101420"
    assert capture is not None and capture.timestamp < when
    lookup = _wayback(prlogic.settings({"pr": {"wayback_api": archive.url}}), before=True)
    asked = len(archive.requests)
    lookup(site.url, when.date())  # what `pr` asks: the day the page changed
    assert archive.params_of(asked)["to"] == "20200612000000"


def test_archive_mode_uses_the_capture_before_a_change_and_leaves_bare_hosts() -> None:
    settings = prlogic.settings({"pr": {"dead": "archive"}})
    asked: list[tuple[str, str]] = []

    def lookup(which: str) -> prlogic.ArchiveLookup:
        def ask(url: str, since: date) -> str | None:
            asked.append((which, url))
            return None if "gone" in url else f"https://archive.example/web/2020/{url}"

        return ask

    rows = [
        ("https://fine.example/", 3, "parked", None, date(2020, 1, 1)),
        ("https://gone.example/", 4, "replaced", None, date(2020, 1, 1)),
        ("fine.example/bare", 5, "parked", None, date(2020, 1, 1)),  # no scheme: left alone
    ]
    changes = prlogic.changes_from(
        rows, settings, archive=lookup("any"), archive_before=lookup("before")
    )
    assert asked == [("before", "https://fine.example/"), ("before", "https://gone.example/")]
    assert [(c.kind, c.old, c.new, c.lines) for c in changes] == [
        (
            "archive",
            "https://fine.example/",
            "https://archive.example/web/2020/https://fine.example/",
            (3,),
        ),
        ("mark", "https://gone.example/", "", (4,)),
    ]
    assert changes[1].note == f"{prlogic.CHANGED_NOTES['replaced']}; {prlogic.NO_ARCHIVE_NOTE}"
