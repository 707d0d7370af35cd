"""Issue 16 on the offline web: each link serves a page, then (the web restarted on the same
port) a lander, another site's page or an ordinary edit of the same page. Every lander is
caught and confirmed over two checks; no edit is flagged."""

from __future__ import annotations

import json
from pathlib import Path

from jobs.offlineweb.server import OfflineWeb
from jobs.offlineweb.spec import Page, Web
from tests import landerpages as pages
from tests.catalogdb import select
from tests.checking import checks, statuses, write_workspace
from tests.conftest import needs_shared, shared_path
from tests.readmes import cli

HOST = "127.0.16.1"
PARKED_HOST = "127.0.16.2"
NET = ["127.0.16.0/24"]
PARKED_DIR = ("corpora", "responses", "parked")
EDIT_PATHS = {*(f"/p/{name}" for name in pages.EDITS), "/look/mismatch"}


def _webs() -> tuple[Web, Web, dict[str, str]]:
    """The web before and after, and what each path is expected to become."""
    before, after = Web(), Web()
    expected: dict[str, str] = {}
    for name, markup in pages.LANDERS.items():
        before.host(HOST).page(f"/p/{name}", Page(body=pages.article()))
        after.host(HOST).page(f"/p/{name}", Page(body=markup))
        expected[f"/p/{name}"] = "parked"
    for name, (first, later) in pages.EDITS.items():
        before.host(HOST).page(f"/p/{name}", Page(body=first))
        after.host(HOST).page(f"/p/{name}", Page(body=later))
        expected[f"/p/{name}"] = "ok"
    for name, markup in (
        ("other-site", pages.OTHER_SITE),
        ("other-post", pages.SAME_SITE_OTHER_POST),
    ):
        before.host(HOST).page(f"/p/{name}", Page(body=pages.article()))
        after.host(HOST).page(f"/p/{name}", Page(body=markup))
        expected[f"/p/{name}"] = "replaced"
    # A whole domain parked: every path, the random one of the soft-404 probe too, answers
    # the lander (classify alone would call it a soft 404).
    before.host(PARKED_HOST).page("/2020/05/post", Page(body=pages.article()))
    after.host(PARKED_HOST, catch_all=Page(body=pages.PARKED_LISTINGS))
    expected["/2020/05/post"] = "parked"
    # Parked from the very first check: no reference is needed for a lander.
    for web in (before, after):
        web.host(HOST).page("/first/for-sale", Page(body=pages.FOR_SALE))
        # Listed as something the page's title says nothing of: reported for a look.
        web.host(HOST).page("/look/mismatch", Page(body=pages.article()))
    expected["/first/for-sale"] = "parked"
    expected["/look/mismatch"] = "ok"
    return before, after, expected


def _text(path: str) -> str:
    """The README text of a link: the article's words, but for the one listed as another."""
    return (
        "Kubernetes operator patterns" if path.startswith("/look") else f"Consistent hashing {path}"
    )


def _outcomes(folder: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for url, _status, outcome in checks(folder):
        out.setdefault(url.split(":", 2)[2].split("/", 1)[1], []).append(outcome)
    return {f"/{k}": v for k, v in out.items()}


def _check_twice(tmp_path, monkeypatch, capsys, before, after, expected) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Check once on ``before``, twice a day apart on ``after``: every link ends as
    expected, a change confirmed. Returns the links' URLs by path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LISTKEEPER_NOW", "2026-03-01T08:00:00+00:00")
    with OfflineWeb(before) as ow:
        port = ow.port
        urls = {
            path: ow.url(PARKED_HOST if path.startswith("/2020") else HOST, path)
            for path in expected
        }
        write_workspace(
            tmp_path,
            ow,
            {_text(p): u for p, u in urls.items()},
            allow_networks=NET,
            verdicts=(2, 20.0),
        )
        assert cli(capsys, "import", "README.md").code == 0
        assert cli(capsys, "check").code == 0
    first = _outcomes(tmp_path)
    if "/first/for-sale" in expected:
        assert first.pop("/first/for-sale") == ["parked"]
    assert {o[0] for o in first.values()} == {"ok"}, first

    with OfflineWeb(after, port=port):
        for day in ("2026-03-02T08:00:00+00:00", "2026-03-03T08:00:00+00:00"):
            monkeypatch.setenv("LISTKEEPER_NOW", day)
            assert cli(capsys, "check", "--all").code == 0
    got = _outcomes(tmp_path)
    wrong = {p: got[p] for p, want in expected.items() if got[p][-1] != want}
    assert wrong == {}
    status = statuses(tmp_path)
    for path, want in expected.items():
        assert status[urls[path]][0] == ("ok" if want == "ok" else "suspect"), path

    refs = {
        url: (kind, confirmed, title, changed_at)
        for url, kind, confirmed, title, changed_at in select(
            tmp_path,
            "select l.url, r.change_kind, r.change_confirmed, r.title, r.changed_at"
            " from page_references r join links l on l.id = r.link_id",
        )
    }
    for path, want in expected.items():
        kind, confirmed, title, changed_at = refs[urls[path]]
        if want == "ok":
            assert kind is None and title  # the reference stays, no change recorded
        else:
            assert kind == want and confirmed, path  # two checks a day apart
            if path.startswith("/p/"):
                assert title == "Understanding consistent hashing"
                assert str(changed_at).startswith("2026-03-02")
    return urls


def test_landers_and_other_pages_are_caught_and_edits_are_not(
    tmp_path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    urls = _check_twice(tmp_path, monkeypatch, capsys, *_webs())
    _reports_show_before_and_after(tmp_path, capsys, urls)


@needs_shared(*PARKED_DIR)
def test_every_real_lander_is_caught_on_the_offline_web(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """Each real lander of ../shared served where the article was; a redesign beside them
    stays ok."""
    before, after = Web(), Web()
    expected = {"/p/redesign": "ok"}
    before.host(HOST).page("/p/redesign", Page(body=pages.article()))
    after.host(HOST).page("/p/redesign", Page(body=pages.article(redesign=True)))
    for path in sorted(shared_path(*PARKED_DIR).glob("*.html")):
        before.host(HOST).page(f"/p/{path.stem}", Page(body=pages.article()))
        after.host(HOST).page(f"/p/{path.stem}", Page(body_file=str(path)))
        expected[f"/p/{path.stem}"] = "parked"
    assert len(expected) >= 12
    _check_twice(tmp_path, monkeypatch, capsys, before, after, expected)


def _reports_show_before_and_after(folder: Path, capsys, urls: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert cli(capsys, "report", "--format", "json", "--output", "r.json").code == 0
    data = json.loads((folder / "r.json").read_text())
    by_url = {link["url"]: link for link in data["links"]}
    sale = by_url[urls["/p/for-sale"]]["change"]
    assert sale["kind"] == "parked" and sale["confirmed"]
    assert sale["changed_at"] == "2026-03-02T08:00:00Z"
    assert sale["before"] == {
        "title": "Understanding consistent hashing",
        "site_name": "Ring Notes",
        "host": "ringnotes.example",
        "lang": "en",
    }
    assert sale["after"]["title"] == "ringnotes.example"
    other = by_url[urls["/p/other-site"]]["change"]
    assert other["kind"] == "replaced" and other["after"]["site_name"] == "Seeblick Reisen"
    assert by_url[urls["/first/for-sale"]]["change"]["before"] is None
    assert by_url[urls["/p/redesign"]]["change"] is None
    # and the first-check one, and the parked domain
    assert data["summary"]["parked"] == len(pages.LANDERS) + 2
    assert data["summary"]["replaced"] == 2
    assert [k["url"] for k in data["look"]] == [urls["/look/mismatch"]]

    assert cli(capsys, "report", "--format", "markdown", "--output", "r.md").code == 0
    md = (folder / "r.md").read_text()
    assert "**replaced** since 2026-03-02 08:00 UTC (confirmed)" in md
    assert (
        "  - before: Understanding consistent hashing · Ring Notes · ringnotes.example · en" in md
    )
    assert "  - after: Günstige Ferienwohnungen am See · Seeblick Reisen" in md
    assert "### Worth a look (1)" in md and "Kubernetes operator patterns" in md

    assert cli(capsys, "report", "--format", "html", "--output", "r.html").code == 0
    page = (folder / "r.html").read_text()
    assert page.count('class="change-sides"') == len(set(urls) - EDIT_PATHS)
    assert "Worth a look (1)" in page

    assert cli(capsys, "report", "--format", "junit", "--output", "r.xml").code == 0
    junit = (folder / "r.xml").read_text()
    assert "replaced since 2026-03-02 08:00 UTC (confirmed)" in junit
    assert "before: Understanding consistent hashing · Ring Notes · ringnotes.example · en" in junit


def test_changed_off_reads_no_page_on_rechecks(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    before, after = Web(), Web()
    before.host(HOST).page("/p/x", Page(body=pages.article()))
    after.host(HOST).page("/p/x", Page(body=pages.FOR_SALE))
    monkeypatch.chdir(tmp_path)
    with OfflineWeb(before) as ow:
        port = ow.port
        url = ow.url(HOST, "/p/x")
        write_workspace(tmp_path, ow, {"x": url}, allow_networks=NET, check={"changed": False})
        assert cli(capsys, "import", "README.md").code == 0
        assert cli(capsys, "check").code == 0
    with OfflineWeb(after, port=port) as ow:
        assert cli(capsys, "check", "--all").code == 0
        methods = [r["method"] for r in ow.stats(with_requests=True)["requests"]]
    assert methods == ["HEAD"]
    assert statuses(tmp_path)[url][0] == "ok"


def test_changed_must_be_a_boolean(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "listkeeper.toml").write_text('[check]\nchanged = "yes"\n')
    (tmp_path / "README.md").write_text("# x\n\n- [a](https://a.example/)\n")
    result = cli(capsys, "check")
    assert result.code == 3
    assert '[check] changed = "yes": expected true or false' in result.err
