"""`listkeeper check` crawls the offline web through Scrapy's real downloader."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

import jobs.check
from catalog import db
from catalog.checkconfig import CheckConfig
from crawler.spiders.links import busiest_hosts_first, pages_from
from jobs.check import CheckOptions, _Rounds
from jobs.context import Context
from jobs.crawling import CrawlChild
from jobs.crawling import run_crawl as real_run_crawl
from jobs.offlineweb.server import OfflineWeb
from jobs.offlineweb.spec import Page, Web
from jobs.offlineweb.testkit.builders import hostile_web
from tests.catalogdb import select
from tests.checking import checks, grid_urls, grid_web, statuses, write_workspace
from tests.readmes import cli

GUARDED = {"loopback_name", "private_address"}  # asserted with the guard on, below


@pytest.fixture(scope="module")
def hostile() -> tuple[OfflineWeb, dict]:  # type: ignore[type-arg]
    web, cases = hostile_web()
    with OfflineWeb(web, tls=True) as ow:
        yield ow, cases


def test_every_hostile_case_gets_its_verdict(hostile, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    ow, cases = hostile
    monkeypatch.chdir(tmp_path)
    dns = ow.dns_map()
    names = [n for n in dns if n != "hostile.test" and dns[n].startswith("127.")]
    allowed = ["127.0.9.1/32"] + [f"{dns[n]}/32" for n in names]
    urls = {name: ow.expand(c.url) for name, c in cases.items() if name not in GUARDED}
    write_workspace(tmp_path, ow, urls, allow_networks=allowed)
    assert cli(capsys, "import", "README.md").code == 0
    result = cli(capsys, "check")
    assert result.code == 2, result.err  # the 404, 410, NXDOMAIN and S3 cases are dead
    got = statuses(tmp_path)
    wrong = {
        name: (got[url], cases[name].verdict)
        for name, url in urls.items()
        if got[url][0] != cases[name].verdict
    }
    assert wrong == {}
    assert "history starts now" in result.err
    # page#a and page#b: one fetch of the page, two verdicts.
    assert ow.count(ow.expand(cases["ok"].url)) >= 1
    ok_page = ow.expand(cases["ok"].url)
    fetched = [u for u, _, _ in checks(tmp_path) if u.startswith(ok_page)]
    assert len(fetched) == 3


def test_private_address_guard_refuses_names_and_redirect_hops(
    tmp_path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    web = Web(dns={"internal.test": "10.0.0.7"})
    web.host("127.0.8.1").page("/ok", Page(body="<title>ok</title>fine"))
    web.host("127.0.8.1").page("/hop", Page(status=302, location="http://127.0.8.2:{port}/ok"))
    web.host("127.0.8.2").page("/ok", Page(body="<title>ok</title>fine"))
    web.host("sneaky.test").page("/", Page(body="loopback behind a name"))
    with OfflineWeb(web) as ow:
        urls = {
            "allowed": ow.url("127.0.8.1", "/ok"),
            "hop": ow.url("127.0.8.1", "/hop"),
            "name": ow.url("sneaky.test", "/", by_name=True),
            "internal": f"http://internal.test:{ow.port}/",
        }
        write_workspace(tmp_path, ow, urls, allow_networks=["127.0.8.1/32"])
        monkeypatch.chdir(tmp_path)
        assert cli(capsys, "import", "README.md").code == 0
        assert cli(capsys, "check").code == 0
        got = statuses(tmp_path)
        assert got[urls["allowed"]][0] == "ok"
        for name in ("hop", "name", "internal"):
            status, error = got[urls[name]]
            assert status == "excluded" and "private address" in (error or ""), name
        by_host = ow.stats()["by_host"]
        assert "127.0.8.2" not in by_host  # the redirect hop was refused before connecting
        assert not any("sneaky" in h or h == ow.web.address_of("sneaky.test") for h in by_host)
        # --allow-private lifts the guard.
        assert cli(capsys, "check", "--all", "--allow-private").code == 0
        assert statuses(tmp_path)[urls["hop"]][0] == "ok"


def test_rate_limited_host_ends_all_ok(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    web = Web(latency=0.05)
    busy = web.host("127.0.7.1", max_in_flight=1, retry_after=1)
    for i in range(12):
        busy.page(f"/a/{i}", Page(body=f"<title>a{i}</title>article {i}"))
    web.host("127.0.7.2").page("/later", Page(status=429, headers={"Retry-After": "86400"}))
    with OfflineWeb(web) as ow:
        urls = {f"a{i}": ow.url("127.0.7.1", f"/a/{i}") for i in range(12)}
        later = ow.url("127.0.7.2", "/later")
        write_workspace(tmp_path, ow, {**urls, "later": later}, allow_networks=["127.0.7.0/24"])
        monkeypatch.chdir(tmp_path)
        assert cli(capsys, "import", "README.md").code == 0
        assert cli(capsys, "check").code == 0
        stats = ow.stats()
        got = statuses(tmp_path)
        # Asked to wait a day: the run goes on, and the link stays due for the next one.
        assert got.pop(later)[0] == "unchecked"
        assert cli(capsys, "check").out.startswith("checked 1 due links")
    assert stats["limited"].get("127.0.7.1", 0) > 0  # it did answer 429 + Retry-After
    assert {s for s, _ in got.values()} == {"ok"}


def test_conditional_get_and_due_selection(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    web = Web()
    web.host("127.0.6.1").page(
        "/e",
        Page(
            body="<title>e</title>tagged",
            etag='"v1"',
            last_modified="Mon, 01 Jan 2024 00:00:00 GMT",
        ),
    )
    with OfflineWeb(web) as ow:
        url = ow.url("127.0.6.1", "/e")
        write_workspace(tmp_path, ow, {"e": url}, allow_networks=["127.0.6.0/24"])
        monkeypatch.chdir(tmp_path)
        assert cli(capsys, "import", "README.md").code == 0
        assert cli(capsys, "check").code == 0
        first = ow.count(url)
        again = cli(capsys, "check")  # within the time-to-live: nothing is due
        assert again.code == 0 and "checked 0 due links" in again.out
        assert ow.count(url) == first
        assert cli(capsys, "check", "--all").code == 0
        last = ow.stats(with_requests=True)["requests"][-1]
    headers = {k.lower(): v for k, v in last["headers"]}
    assert headers.get("if-none-match") == '"v1"'
    assert last["status"] == 304
    assert checks(tmp_path)[-1][1:] == (304, "ok")
    assert statuses(tmp_path)[url][0] == "ok"


def test_kill_9_mid_run_resumes_without_refetching(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    web = Web(latency=0.25)
    host = web.host("127.0.5.1")
    for i in range(30):
        host.page(f"/a/{i}", Page(body=f"<title>a{i}</title>article {i}"))
    host.not_found = Page(status=404, body="nope")
    with OfflineWeb(web) as ow:
        urls = {f"a{i}": ow.url("127.0.5.1", f"/a/{i}") for i in range(30)}
        write_workspace(
            tmp_path, ow, urls, allow_networks=["127.0.5.0/24"], check={"batch_size": 2}
        )
        exe = [sys.executable, "-c", "import sys; from jobs.cli import main; main()"]
        subprocess.run([*exe, "import", "README.md"], cwd=tmp_path, check=True, capture_output=True)
        proc = subprocess.Popen(
            [*exe, "check"],
            cwd=tmp_path,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        stored = 0
        while time.monotonic() < deadline and stored < 6:
            time.sleep(0.1)
            with contextlib.suppress(DBAPIError):  # no catalog yet
                ((stored,),) = select(tmp_path, "select count(*) from checks")
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its crawl, mid-run
        proc.wait(timeout=10)
        done_first = {u for u, _, _ in checks(tmp_path)}
        assert 6 <= len(done_first) < 30
        rerun = subprocess.run([*exe, "check"], cwd=tmp_path, capture_output=True, text=True)
        assert rerun.returncode == 0, rerun.stderr
        counts = ow.stats()["by_url"]
    assert {s for s, _ in statuses(tmp_path).values()} == {"ok"}
    for url in urls.values():
        assert counts.get(url, 0) >= 1
        if url in done_first:
            assert counts[url] == 1, url  # stored by the killed run: not fetched again


def test_added_since_checks_only_new_links_strictly(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    web = Web()
    host = web.host("127.0.4.1")
    for path in ("/old", "/new"):
        host.page(path, Page(body=f"<title>{path}</title>page"))
    with OfflineWeb(web) as ow:
        old, new, gone = (ow.url("127.0.4.1", p) for p in ("/old", "/new", "/gone"))
        write_workspace(
            tmp_path, ow, {"old": old}, allow_networks=["127.0.4.0/24"], verdicts=(2, 20.0)
        )
        monkeypatch.chdir(tmp_path)
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
        subprocess.run(["git", "init", "-q"], check=True)
        subprocess.run([*git, "add", "README.md"], check=True)
        subprocess.run([*git, "commit", "-qm", "list"], check=True)
        readme = Path("README.md")
        readme.write_text(readme.read_text() + f"- [New]({new})\n- [Gone]({gone})\n")
        result = cli(capsys, "check", "--added-since", "HEAD", "README.md")
        assert result.code == 2, result.err
        assert "2 links added since HEAD" in result.out
        assert f"dead       {gone}" in result.out  # one 404 is enough: strict, no history
        assert ow.count(old) == 0 and ow.count(new) == 1
        assert not Path("listkeeper.db").exists()  # the project's catalog is untouched
        if db.ENV_VAR in os.environ:  # ... nor the test's PostgreSQL database
            tables = "select count(*) from information_schema.tables where table_schema = 'public'"
            assert select(Path("."), tables) == [(0,)]
        bad = cli(capsys, "check", "--added-since", "no-such-ref", "README.md")
        assert bad.code == 3 and "no-such-ref" in bad.err


def test_per_host_headers_are_sent(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    web = Web()
    web.host("127.0.3.9").page("/p", Page(body="<title>p</title>page"))
    with OfflineWeb(web) as ow:
        url = ow.url("127.0.3.9", "/p")
        write_workspace(tmp_path, ow, {"p": url}, allow_networks=["127.0.3.0/24"])
        with (tmp_path / "listkeeper.toml").open("a") as fh:
            fh.write('\n[check.hosts."127.0.3.9".headers]\nAuthorization = "Bearer t0ken"\n')
        monkeypatch.chdir(tmp_path)
        assert cli(capsys, "import", "README.md").code == 0
        assert cli(capsys, "check").code == 0
        sent = [
            dict((k.lower(), v) for k, v in r["headers"])
            for r in ow.stats(with_requests=True)["requests"]
            if r["url"] == url
        ]
    assert sent and all(h.get("authorization") == "Bearer t0ken" for h in sent)
    assert all("listkeeper" in h.get("user-agent", "") for h in sent)


def test_split_by_host_keeps_hosts_whole_and_balances() -> None:
    from crawler.checkjob import split_by_host

    links = [{"url": f"http://h{i % 5}.test/{i}"} for i in range(50)]
    links += [{"url": f"http://big.test/{i}"} for i in range(30)]
    groups = split_by_host(links, 3)
    assert len(groups) == 3 and sum(map(len, groups)) == 80
    hosts = [{link["url"].split("/")[2] for link in g} for g in groups]
    assert all(not (a & b) for i, a in enumerate(hosts) for b in hosts[i + 1 :])
    assert max(map(len, groups)) == 30  # the big host alone; the others share the rest
    assert split_by_host(links[:3], 8) == [[links[0]], [links[1]], [links[2]]]


def test_two_crawl_processes_check_every_link_once(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    with OfflineWeb(grid_web("127.0.3", 6, 8, latency=0.02)) as ow:
        urls = grid_urls(ow, "127.0.3", 6, 8)
        write_workspace(tmp_path, ow, urls, allow_networks=["127.0.3.0/24"])
        monkeypatch.chdir(tmp_path)
        assert cli(capsys, "import", "README.md").code == 0
        assert cli(capsys, "check", "--processes", "2").code == 0
        stats = ow.stats()
    assert all(stats["by_url"].get(u) == 1 for u in urls.values())
    assert max(stats["max_in_flight"].values()) <= 2
    assert {s for s, _ in statuses(tmp_path).values()} == {"ok"}
    assert len(checks(tmp_path)) == len(urls)


def test_anchors_and_files_beside_the_readme_are_checked_locally(
    tmp_path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    Path("listkeeper.toml").write_text("")  # a list's folder
    Path("docs").mkdir()
    Path("docs/guide.md").write_text("# Guide\n")
    Path("README.md").write_text(
        "# List\n\n## Tools\n\n- [Up](#tools)\n- [Nowhere](#no-such-part)\n"
        "- [Guide](./docs/guide.md)\n- [Gone](./docs/missing.md)\n"
    )
    assert cli(capsys, "import", "README.md").code == 0
    assert cli(capsys, "check").code == 0  # one check: a missing file is failing, not dead
    got = {url: status for url, (status, _) in statuses(tmp_path).items()}
    assert got == {
        "#tools": "ok",
        "#no-such-part": "suspect",
        "./docs/guide.md": "ok",
        "./docs/missing.md": "failing",
    }


def test_spare_crawl_processes_end_when_the_crawl_needs_fewer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With two processes asked for, a spare is started while the catalog is read; when the
    web links sit on one host, one crawl process is enough and the spare ends before the
    crawl, not after it."""
    spares: list[CrawlChild] = []

    class Recorded(CrawlChild):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            spares.append(self)

    at_crawl: list[list[int | None]] = []

    def crawl(*args: Any, **kwargs: Any) -> None:
        at_crawl.append([spare.proc.poll() for spare in spares])
        real_run_crawl(*args, **kwargs)

    monkeypatch.setattr(jobs.check, "CrawlChild", Recorded)
    monkeypatch.setattr(jobs.check, "run_crawl", crawl)
    with OfflineWeb(grid_web("127.0.5", 1, 6, latency=0.0)) as ow:
        urls = grid_urls(ow, "127.0.5", 1, 6)
        write_workspace(tmp_path, ow, urls, allow_networks=["127.0.5.0/24"])
        monkeypatch.chdir(tmp_path)
        assert cli(capsys, "import", "README.md").code == 0
        assert cli(capsys, "check", "--processes", "2").code == 0
    assert len(spares) == 1
    assert at_crawl == [[0]]  # the spare had already exited, cleanly, when the crawl ran
    assert {s for s, _ in statuses(tmp_path).values()} == {"ok"}


def test_a_check_in_small_rounds_checks_every_link_once(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """`[check] round_links` bounds how many due links a round holds in memory; rounds page
    through the due links by id, so none is skipped or checked twice."""
    with OfflineWeb(grid_web("127.0.4", 3, 6, latency=0.01)) as ow:
        urls = grid_urls(ow, "127.0.4", 3, 6)
        urls["local"] = "#links"
        write_workspace(
            tmp_path, ow, urls, allow_networks=["127.0.4.0/24"], check={"round_links": 4}
        )
        monkeypatch.chdir(tmp_path)
        assert cli(capsys, "import", "README.md").code == 0
        result = cli(capsys, "check")
        assert result.code == 0
        assert "checked 19 due links" in result.out
        stats = ow.stats()
    assert all(stats["by_url"].get(u) == 1 for u in urls.values() if u.startswith("http"))
    assert {s for s, _ in statuses(tmp_path).values()} == {"ok"}
    assert len(checks(tmp_path)) == len(urls)
    # The rounds themselves: 19 due links (18 on the web, then the anchor) 4 at a time.
    ctx = Context(config_path=tmp_path / "listkeeper.toml")
    cfg = CheckConfig.of(ctx.config)
    run_id = select(tmp_path, "select max(id) from runs")[0][0]
    rounds = _Rounds(ctx, cfg, CheckOptions(all_links=True), run_id)
    assert [len(web) for web in rounds] == [4, 4, 4, 4, 2]
    assert rounds.due == 19


def test_the_busiest_host_is_served_first_and_never_idles(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """crawler.scheduling: among hosts with nothing in flight the one with the most queued
    goes first (Scrapy's own queue takes them round-robin by name: the big host, last by
    name, would start last and end the crawl alone)."""
    web = Web(latency=0.05)
    big = web.host("127.0.5.9")
    for i in range(8):
        big.page(f"/a/{i}", Page(body=f"<title>a{i}</title>article"))
    for h in range(1, 5):
        web.host(f"127.0.5.{h}").page("/a", Page(body="<title>small</title>article"))
    with OfflineWeb(web) as ow:
        urls = {f"small{h}": ow.url(f"127.0.5.{h}", "/a") for h in range(1, 5)}
        urls |= {f"big{i}": ow.url("127.0.5.9", f"/a/{i}") for i in range(8)}
        write_workspace(tmp_path, ow, urls, allow_networks=["127.0.5.0/24"])
        monkeypatch.chdir(tmp_path)
        assert cli(capsys, "import", "README.md").code == 0
        assert cli(capsys, "check", "--max-concurrency", "2", "--processes", "1").code == 0
        arrivals = sorted(ow.stats(with_requests=True)["requests"], key=lambda r: r["t"])
    hosts = [r["host"] for r in arrivals]
    assert hosts[0] == "127.0.5.9"
    # The big host (a probe and 8 pages) never waits behind a small one: by the time the
    # small hosts are done, so is most of it.
    last_small = max(i for i, h in enumerate(hosts) if h != "127.0.5.9")
    assert hosts[: last_small + 1].count("127.0.5.9") >= 5
    assert {s for s, _ in statuses(tmp_path).values()} == {"ok"}


def test_start_order_is_round_robin_over_hosts_biggest_first() -> None:
    pages = pages_from(
        [{"id": i, "url": f"http://{h}.example/{i}"} for i, h in enumerate("abbcccb")]
    )
    order = [p.url for p in busiest_hosts_first(pages)]
    assert order == [
        "http://b.example/1",
        "http://c.example/3",
        "http://a.example/0",
        "http://b.example/2",
        "http://c.example/4",
        "http://b.example/6",
        "http://c.example/5",
    ]


def test_a_hosts_probe_goes_first_and_its_pages_in_order(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """First in, first out within a host: Scrapy's default LIFO queue sent each host's
    soft-404 probe last, which held every item of that host back to the end of the crawl."""
    with OfflineWeb(grid_web("127.0.7", 3, 5, latency=0.02)) as ow:
        urls = grid_urls(ow, "127.0.7", 3, 5)
        write_workspace(tmp_path, ow, urls, allow_networks=["127.0.7.0/24"])
        monkeypatch.chdir(tmp_path)
        assert cli(capsys, "import", "README.md").code == 0
        assert cli(capsys, "check", "--max-concurrency", "2", "--processes", "1").code == 0
        arrivals = sorted(ow.stats(with_requests=True)["requests"], key=lambda r: r["t"])
    for h in range(3):
        paths = [r["url"].split("/", 3)[3] for r in arrivals if r["host"] == f"127.0.7.{h + 1}"]
        assert paths[0].startswith(".well-known/listkeeper-probe-")
        assert paths[1:] == [f"a/{i}" for i in range(5)]
