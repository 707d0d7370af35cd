"""The offline web (jobs/offlineweb) and the stub resolver (crawler/resolver.py).

Clients here are plain sockets, http.client and urllib against 127.0.0.0/8; one test runs a
small Scrapy crawl in a subprocess. No test asserts wall-time performance."""

from __future__ import annotations

import concurrent.futures
import gzip
import http.client
import json
import socket
import ssl
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from crawler.resolver import StubHosts, StubResolver
from jobs.offlineweb import OfflineWeb, Page, Web
from jobs.offlineweb.spec import Host
from jobs.offlineweb.testkit.builders import (
    Case,
    expected_verdict,
    hostile_web,
    sample_web,
    scale_web,
)
from jobs.offlineweb.testkit.recorded import load_recorded
from tests.conftest import SHARED, needs_shared

REPO = Path(__file__).resolve().parents[1]
CORPORA = SHARED / "corpora"
NEEDS_CORPORA = needs_shared("corpora", "responses", "index.json")

Response = tuple[int, http.client.HTTPMessage, bytes]


def fetch(
    url: str, method: str = "GET", headers: dict[str, str] | None = None, timeout: float = 10
) -> Response:
    """One request, no redirect following."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.hostname.startswith("127.")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request(method, target, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def hostile() -> Iterator[tuple[OfflineWeb, dict[str, Case]]]:
    web, cases = hostile_web(CORPORA if CORPORA.is_dir() else None)
    with OfflineWeb(web, tls=True) as ow:
        yield ow, cases


def case_url(hostile: tuple[OfflineWeb, dict[str, Case]], name: str) -> str:
    ow, cases = hostile
    return ow.expand(cases[name].url)


# -- spec ---------------------------------------------------------------------------------------


def test_web_json_round_trip() -> None:
    web, _ = hostile_web()
    again = Web.from_json(web.to_json())
    assert again == web
    assert again.dns_map()["hostile.test"] == "127.0.9.1"
    assert again.dns_map()["internal.test"] == "10.0.0.7"


def test_named_hosts_get_loopback_addresses() -> None:
    web = Web(hosts={"blog.test": Host(), "127.0.3.1": Host(names=["other.test"])})
    dns = web.dns_map()
    assert dns["other.test"] == "127.0.3.1"
    assert dns["blog.test"].startswith("127.77.")


def test_every_hostile_case_has_a_known_verdict() -> None:
    _, cases = hostile_web()
    verdicts = {"ok", "redirected", "failing", "dead", "blocked", "suspect", "excluded"}
    assert {c.verdict for c in cases.values()} <= verdicts
    assert len(cases) >= 40


# -- hosts, keep-alive, statuses ----------------------------------------------------------------


def test_host_by_address_and_by_host_header(hostile: tuple[OfflineWeb, dict[str, Case]]) -> None:
    ow, _ = hostile
    status, _, body = fetch(ow.url("127.0.9.4", "/x"))
    assert status == 999
    # Same address, but the Host header names the hostile site: the name wins.
    status, _, body = fetch(ow.url("127.0.9.4", "/ok"), headers={"Host": f"hostile.test:{ow.port}"})
    assert status == 200 and b"<title>An article" in body


def test_keep_alive_serves_many_requests_on_one_connection() -> None:
    web = Web(hosts={"127.0.3.1": Host(pages={"/": Page(body="hi")})})
    with OfflineWeb(web) as ow:
        conn = http.client.HTTPConnection("127.0.3.1", ow.port, timeout=5)
        for _ in range(50):
            conn.request("GET", "/")
            resp = conn.getresponse()
            assert resp.read() == b"hi"
        conn.close()
        stats = ow.stats()
        assert stats["connections"] == 1 and stats["total"] == 50


def test_http10_without_keep_alive_is_closed() -> None:
    web = Web(hosts={"127.0.3.1": Host(pages={"/": Page(body="hi")})})
    with OfflineWeb(web) as ow, socket.create_connection(("127.0.3.1", ow.port), 5) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        for _ in range(100):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        assert data.startswith(b"HTTP/1.1 200") and b"Connection: close" in data
        assert data.endswith(b"hi")


@pytest.mark.parametrize("code", [404, 410, 500, 502, 503])
def test_status_codes_with_bodies(hostile: tuple[OfflineWeb, dict[str, Case]], code: int) -> None:
    status, headers, body = fetch(case_url(hostile, f"status_{code}"))
    assert status == code and body
    if code == 503:
        assert headers["Retry-After"] == "2"


def test_unknown_path_is_404_and_unknown_host_too(
    hostile: tuple[OfflineWeb, dict[str, Case]],
) -> None:
    ow, _ = hostile
    assert fetch(ow.url("127.0.9.1", "/nothing-here"))[0] == 404
    assert fetch(f"http://127.0.99.99:{ow.port}/")[0] == 404


# -- redirects ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect_codes(hostile: tuple[OfflineWeb, dict[str, Case]], code: int) -> None:
    status, headers, _ = fetch(case_url(hostile, f"redirect_{code}"))
    assert status == code and headers["Location"] == "/ok"


def follow(url: str, limit: int = 30) -> list[tuple[int, str]]:
    """Follow redirects by hand, at most `limit` hops; returns (status, url) per hop."""
    hops: list[tuple[int, str]] = []
    for _ in range(limit):
        status, headers, _ = fetch(url)
        hops.append((status, url))
        if status not in (301, 302, 303, 307, 308):
            break
        url = urljoin(url, headers["Location"])
    return hops


def test_relative_redirect_resolves(hostile: tuple[OfflineWeb, dict[str, Case]]) -> None:
    hops = follow(case_url(hostile, "redirect_relative"))
    assert hops[-1][0] == 200 and hops[-1][1].endswith("/ok")


def test_redirect_loop_never_ends_but_clients_stop(
    hostile: tuple[OfflineWeb, dict[str, Case]],
) -> None:
    hops = follow(case_url(hostile, "redirect_loop"), limit=6)
    assert len(hops) == 6 and all(s == 302 for s, _ in hops)
    assert hops[0][1] == hops[2][1] != hops[1][1]
    with pytest.raises(urllib.error.HTTPError, match="redirect"):
        urllib.request.urlopen(case_url(hostile, "redirect_loop"), timeout=5)


def test_redirect_chain_of_twelve(hostile: tuple[OfflineWeb, dict[str, Case]]) -> None:
    hops = follow(case_url(hostile, "redirect_chain_12"))
    assert [s for s, _ in hops] == [301] * 12 + [200]


def test_redirects_to_home_login_and_consent(hostile: tuple[OfflineWeb, dict[str, Case]]) -> None:
    ow, _ = hostile
    assert follow(case_url(hostile, "redirect_home"))[-1][1].endswith(f":{ow.port}/")
    login = follow(case_url(hostile, "login_redirect"))
    assert "/login?next=" in login[-1][1] and login[-1][0] == 200
    consent = follow(case_url(hostile, "consent_redirect"))
    assert (
        consent[-1][1].startswith(f"http://127.0.9.6:{ow.port}/consent") and consent[-1][0] == 200
    )


# -- methods, soft 404s, walls ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "code"), [("head_405", 405), ("head_501", 501)])
def test_head_refused_while_get_works(
    hostile: tuple[OfflineWeb, dict[str, Case]], name: str, code: int
) -> None:
    assert fetch(case_url(hostile, name), method="HEAD")[0] == code
    status, _, body = fetch(case_url(hostile, name))
    assert status == 200 and b"<title>" in body


def test_head_of_a_normal_page_has_no_body(hostile: tuple[OfflineWeb, dict[str, Case]]) -> None:
    status, headers, body = fetch(case_url(hostile, "ok"), method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


def test_soft_404_and_catch_all(hostile: tuple[OfflineWeb, dict[str, Case]]) -> None:
    ow, _ = hostile
    status, _, body = fetch(case_url(hostile, "soft_404"))
    assert status == 200 and b"Page not found" in body
    home = fetch(ow.url("127.0.9.2", "/"))[2]
    status, _, body = fetch(case_url(hostile, "catch_all"))
    assert status == 200 and body == home
    assert fetch(ow.url("127.0.9.2", "/random-probe-8f3a"))[2] == home


def test_bot_walls(hostile: tuple[OfflineWeb, dict[str, Case]]) -> None:
    assert fetch(case_url(hostile, "bot_wall_403"))[0] == 403
    assert fetch(case_url(hostile, "bot_wall_403").replace("/article", "/anything"))[0] == 403
    assert fetch(case_url(hostile, "linkedin_999"))[0] == 999
    for name, code in [("cloudflare_403", 403), ("cloudflare_503", 503)]:
        status, headers, body = fetch(case_url(hostile, name))
        assert status == code
        assert headers["cf-mitigated"] == "challenge" and headers["Server"] == "cloudflare"
        assert b"Just a moment..." in body
    status, _, body = fetch(case_url(hostile, "s3_deleted"))
    assert status == 403 and b"<Code>AccessDenied</Code>" in body


# -- broken connections and hostile bodies ------------------------------------------------------


def test_connection_refused(hostile: tuple[OfflineWeb, dict[str, Case]]) -> None:
    url = urlsplit(case_url(hostile, "refused"))
    assert url.hostname is not None
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((url.hostname, url.port), timeout=5)


def test_refusing_host_resets_on_the_main_port(
    hostile: tuple[OfflineWeb, dict[str, Case]],
) -> None:
    ow, _ = hostile
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        fetch(f"http://127.0.9.10:{ow.port}/")


def test_reset_mid_response(hostile: tuple[OfflineWeb, dict[str, Case]]) -> None:
    with pytest.raises((ConnectionResetError, http.client.IncompleteRead)):
        fetch(case_url(hostile, "reset"))


def test_closed_without_answer(hostile: tuple[OfflineWeb, dict[str, Case]]) -> None:
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        fetch(case_url(hostile, "closed"))


def test_drip_is_slow_but_bounded() -> None:
    web = Web(
        hosts={
            "127.0.3.1": Host(
                pages={"/drip": Page(body="abcde" * 4, drip_bytes=5, drip_interval=0.1)}
            )
        }
    )
    with OfflineWeb(web) as ow:
        started = time.monotonic()
        status, _, body = fetch(ow.url("127.0.3.1", "/drip"))
        assert status == 200 and body == b"abcde" * 4
        assert time.monotonic() - started >= 0.35  # four chunks, 0.1 s apart
    stall = hostile_web()[0].hosts["127.0.9.1"].pages["/drip/stall"]
    assert len(stall.body) / stall.drip_bytes * stall.drip_interval <= 120  # ends by itself


def test_drip_stall_trips_a_client_timeout(hostile: tuple[OfflineWeb, dict[str, Case]]) -> None:
    with pytest.raises(TimeoutError):
        fetch(case_url(hostile, "drip_stall"), timeout=0.5)


def test_endless_body_streams_until_the_client_leaves(
    hostile: tuple[OfflineWeb, dict[str, Case]],
) -> None:
    url = urlsplit(case_url(hostile, "endless"))
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=5)
    conn.request("GET", url.path)
    resp = conn.getresponse()
    assert resp.status == 200 and resp.headers["Transfer-Encoding"] == "chunked"
    assert len(resp.read(2_000_000)) == 2_000_000
    conn.close()
    assert fetch(case_url(hostile, "ok"))[0] == 200  # the server is fine afterwards


def test_endless_body_stops_at_its_bound() -> None:
    page = Page(endless=True, endless_max_bytes=300_000, body="z")
    with OfflineWeb(Web(hosts={"127.0.3.1": Host(pages={"/": page})})) as ow:
        status, _, body = fetch(ow.url("127.0.3.1", "/"))
        assert status == 200 and 300_000 <= len(body) < 300_000 + 65_536 * 2


def test_gzip_bomb_is_small_and_expands(hostile: tuple[OfflineWeb, dict[str, Case]]) -> None:
    status, headers, body = fetch(case_url(hostile, "bomb"))
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert len(body) == int(headers["Content-Length"]) < (1 << 30) // 500
    inflater = zlib.decompressobj(wbits=31)
    first = inflater.decompress(body, 1 << 20)  # capped, as a client must
    assert first == bytes(1 << 20)
    small = Page(bomb_size=3 * (1 << 20) + 7)
    with OfflineWeb(Web(hosts={"127.0.3.1": Host(pages={"/b": small})})) as ow:
        assert gzip.decompress(fetch(ow.url("127.0.3.1", "/b"))[2]) == bytes(small.bomb_size)


# -- conditional requests, robots, feeds, files -------------------------------------------------


def test_conditional_requests(hostile: tuple[OfflineWeb, dict[str, Case]]) -> None:
    url = case_url(hostile, "etag")
    status, headers, _ = fetch(url)
    assert status == 200
    etag, modified = headers["ETag"], headers["Last-Modified"]
    status, headers, body = fetch(url, headers={"If-None-Match": etag})
    assert status == 304 and body == b"" and headers["ETag"] == etag
    assert fetch(url, headers={"If-None-Match": f'W/{etag}, "other"'})[0] == 304
    assert fetch(url, headers={"If-None-Match": '"stale"'})[0] == 200
    assert fetch(url, headers={"If-Modified-Since": modified})[0] == 304
    assert fetch(url, headers={"If-Modified-Since": "Sun, 01 Jan 2023 00:00:00 GMT"})[0] == 200
    plain = case_url(hostile, "no_validators")
    status, headers, _ = fetch(
        plain, headers={"If-None-Match": etag, "If-Modified-Since": modified}
    )
    assert status == 200 and "ETag" not in headers and "Last-Modified" not in headers


def test_robots_feeds_and_sitemap(hostile: tuple[OfflineWeb, dict[str, Case]]) -> None:
    ow, _ = hostile
    status, headers, body = fetch(ow.url("127.0.9.1", "/robots.txt"))
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert b"Disallow: /private/" in body
    for name, kind in [("feed_rss", "rss"), ("feed_atom", "atom"), ("sitemap", "xml")]:
        status, headers, body = fetch(case_url(hostile, name))
        assert status == 200 and kind in headers["Content-Type"]
        assert f":{ow.port}/ok".encode() in body  # {port} was substituted


@needs_shared("corpora", "feeds", "real_world", "index.json")
def test_mounted_corpus_files(hostile: tuple[OfflineWeb, dict[str, Case]]) -> None:
    ow, _ = hostile
    index = json.loads((CORPORA / "feeds" / "real_world" / "index.json").read_text())
    by_format = {rec["format"]: rec for rec in index}
    for fmt, kind in [("rss20", "rss"), ("atom10", "atom")]:
        name = Path(by_format[fmt]["file"]).name
        status, headers, body = fetch(ow.url("127.0.9.1", f"/feeds/{name}"))
        assert status == 200 and kind in headers["Content-Type"]
        assert body == (CORPORA / "feeds" / "real_world" / name).read_bytes()
        assert (
            fetch(
                ow.url("127.0.9.1", f"/feeds/{name}"), headers={"If-None-Match": headers["ETag"]}
            )[0]
            == 304
        )
    assert b"<a href=" in fetch(ow.url("127.0.9.1", "/feeds/"))[2]
    assert fetch(ow.url("127.0.9.1", "/feeds/../../../../etc/passwd"))[0] == 404


def test_page_with_body_file(tmp_path: Path) -> None:
    file = tmp_path / "page.html"
    file.write_bytes(b"<html>\xe9t\xe9</html>")
    web = Web(hosts={"127.0.3.1": Host(pages={"/f": Page(body_file=str(file))})})
    with OfflineWeb(web) as ow:
        assert fetch(ow.url("127.0.3.1", "/f"))[2] == file.read_bytes()


# -- limits and instrumentation -----------------------------------------------------------------


def concurrently(urls: list[str]) -> list[Response]:
    with concurrent.futures.ThreadPoolExecutor(len(urls)) as pool:
        return list(pool.map(fetch, urls))


def test_in_flight_limit_answers_429_and_max_is_tracked() -> None:
    host = Host(max_in_flight=2, retry_after=3, latency=0.5, pages={"/": Page(body="ok")})
    with OfflineWeb(Web(hosts={"127.0.3.1": host})) as ow:
        results = concurrently([ow.url("127.0.3.1", "/")] * 6)
        limited = [r for r in results if r[0] == 429]
        assert limited and all(r[1]["Retry-After"] == "3" for r in limited)
        assert sum(r[0] == 200 for r in results) >= 1
        stats = ow.stats()
        assert stats["max_in_flight"]["127.0.3.1"] >= 3  # arrivals are counted before refusal
        assert stats["limited"]["127.0.3.1"] == len(limited)
        for _ in range(5):  # one at a time stays within the limit
            assert fetch(ow.url("127.0.3.1", "/"))[0] == 200


def test_max_in_flight_counter_without_limits() -> None:
    host = Host(latency=0.5, pages={"/": Page(body="ok")})
    with OfflineWeb(Web(hosts={"127.0.3.1": host})) as ow:
        assert [r[0] for r in concurrently([ow.url("127.0.3.1", "/")] * 3)] == [200] * 3
        assert ow.stats()["max_in_flight"]["127.0.3.1"] == 3
        assert ow.stats()["in_flight"] == {}


def test_rate_limit_answers_429(hostile: tuple[OfflineWeb, dict[str, Case]]) -> None:
    ow, _ = hostile
    results = concurrently([ow.url("127.0.9.9", f"/a/{i}") for i in range(10)])
    statuses = [r[0] for r in results]
    assert 200 in statuses and 429 in statuses  # 5 a second, 10 at once
    assert all(r[1]["Retry-After"] == "1" for r in results if r[0] == 429)


def test_stats_count_urls_hosts_and_headers() -> None:
    web = Web(hosts={"blog.test": Host(pages={"/a": Page(body="a")})})
    with OfflineWeb(web) as ow:
        url = ow.url("blog.test", "/a")
        for _ in range(3):
            fetch(url, headers={"X-Probe": "yes"})
        stats = ow.stats(with_requests=True)
        assert ow.count(url) == 3 and stats["by_host"] == {"blog.test": 3}
        assert stats["by_status"] == {"200": 3}
        assert ["X-Probe", "yes"] in stats["requests"][-1]["headers"]
        status, _, body = fetch(ow.url("blog.test", "/__offlineweb__/stats"))
        assert status == 200 and json.loads(body)["by_url"] == {url: 3}
        fetch(ow.url("blog.test", "/__offlineweb__/reset"))
        assert ow.stats()["total"] == 0


# -- TLS ----------------------------------------------------------------------------------------


def tls_handshake(ow: OfflineWeb, name: str) -> str:
    assert ow.ca_pem is not None
    ctx = ssl.create_default_context(cafile=str(ow.ca_pem))
    address = ow.dns_map()[name]
    with (
        socket.create_connection((address, ow.tls_port), 5) as raw,
        ctx.wrap_socket(raw, server_hostname=name) as tls,
    ):
        tls.sendall(f"GET / HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode())
        return tls.recv(100).decode()


def test_tls_certificates(hostile: tuple[OfflineWeb, dict[str, Case]]) -> None:
    ow, _ = hostile
    assert tls_handshake(ow, "secure.test").startswith("HTTP/1.1 200")
    with pytest.raises(ssl.SSLCertVerificationError, match="expired"):
        tls_handshake(ow, "expired.test")
    with pytest.raises(ssl.SSLCertVerificationError, match=r"match"):
        tls_handshake(ow, "wronghost.test")


# -- resolver -----------------------------------------------------------------------------------


def test_stub_resolver_answers_only_from_its_table(monkeypatch: pytest.MonkeyPatch) -> None:
    from twisted.internet.error import DNSLookupError

    def no_real_dns(*args: object, **kwargs: object) -> None:
        raise AssertionError("a real resolver was asked")

    monkeypatch.setattr(socket, "getaddrinfo", no_real_dns)
    monkeypatch.setattr(socket, "gethostbyname", no_real_dns)
    resolver = StubResolver(None, {"Blog.Test": "127.0.3.1", "internal.test": "10.0.0.7"})
    results: list[object] = []
    resolver.getHostByName("blog.test.").addBoth(results.append)
    resolver.getHostByName("internal.test").addBoth(results.append)
    resolver.getHostByName("127.0.9.1").addBoth(results.append)
    resolver.getHostByName("example.com").addBoth(results.append)
    assert results[:3] == ["127.0.3.1", "10.0.0.7", "127.0.9.1"]
    failure = results[3]
    assert failure.check(DNSLookupError)  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        StubHosts({"bad.test": "not-an-address"})


SCRAPY_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import scrapy
    from scrapy.crawler import CrawlerProcess

    port, out = sys.argv[1], sys.argv[2]
    results = []

    class Probe(scrapy.Spider):
        name = "probe"

        async def start(self):
            for name in ("blog.test", "unknown.test"):
                yield scrapy.Request(f"http://{name}:{port}/", errback=self.failed)

        def parse(self, response):
            results.append({"url": response.url, "status": response.status,
                            "text": response.text})

        def failed(self, failure):
            cause = failure.value.__cause__
            results.append({"url": failure.request.url, "error": type(failure.value).__name__,
                            "cause": type(cause).__name__ if cause else None,
                            "message": str(failure.value)})

    process = CrawlerProcess(settings={
        "TWISTED_DNS_RESOLVER": "crawler.resolver.StubResolver",
        "STUBDNS_HOSTS": json.loads(sys.argv[3]),
        "RETRY_ENABLED": False, "ROBOTSTXT_OBEY": False, "LOG_LEVEL": "ERROR",
    })
    process.crawl(Probe)
    process.start()
    with open(out, "w") as f:
        json.dump(results, f)
    """
)


def test_scrapy_crawl_through_the_stub_resolver(tmp_path: Path) -> None:
    web = Web(hosts={"blog.test": Host(pages={"/": Page(body="<h1>blog home</h1>")})})
    script, out = tmp_path / "crawl.py", tmp_path / "out.json"
    script.write_text(SCRAPY_SCRIPT)
    with OfflineWeb(web) as ow:
        proc = subprocess.run(
            [sys.executable, str(script), str(ow.port), str(out), json.dumps(ow.dns_map())],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        results = {urlsplit(r["url"]).hostname: r for r in json.loads(out.read_text())}
        assert results["blog.test"]["status"] == 200
        assert "blog home" in results["blog.test"]["text"]
        failed = results["unknown.test"]
        assert "DNSLookupError" in (failed["error"], failed["cause"]), failed
        assert ow.stats()["by_host"] == {"blog.test": 1}  # the unknown name never connected


# -- recorded responses -------------------------------------------------------------------------


@NEEDS_CORPORA
def test_recorded_responses_replay() -> None:
    web = Web()
    records = load_recorded(CORPORA / "responses" / "index.json", web)
    index = json.loads((CORPORA / "responses" / "index.json").read_text())
    assert [r.id for r in records] == [r["id"] for r in index["records"]]
    with OfflineWeb(web) as ow:
        for rec in records:
            url = rec.final_url(ow)
            status, headers, body = fetch(url, method=rec.method)
            assert status == rec.status, rec.id
            assert body == (b"" if rec.method == "HEAD" else rec.body), rec.id
            served = [(k.lower(), v) for k, v in headers.items()]
            assert all((k.lower(), v) in served for k, v in rec.headers), rec.id
            if rec.redirect_status is not None:
                assert fetch(rec.url(ow))[0] == rec.redirect_status
                try:
                    followed = urllib.request.urlopen(rec.url(ow), timeout=5).status
                except urllib.error.HTTPError as error:
                    followed = error.code
                assert followed == rec.status, rec.id


# -- builders and the process -------------------------------------------------------------------


def test_sample_web() -> None:
    web, links = sample_web()
    with OfflineWeb(web) as ow:
        for url in links.articles[:3]:
            status, _, body = fetch(ow.expand(url))
            assert status == 200 and b"og:title" in body and b"application/ld+json" in body
        for url in links.feeds:
            status, headers, body = fetch(ow.expand(url))
            assert status == 200 and (
                "rss" in headers["Content-Type"] or "atom" in headers["Content-Type"]
            )
            assert any(ow.expand(a).encode() in body for a in links.articles)
        assert sorted(fetch(ow.expand(u))[0] for u in links.dead) == [404, 410]
        assert fetch(ow.expand(links.redirects[0]))[0] == 301
        statuses = [r[0] for r in concurrently([ow.expand(u) for u in links.rate_limited] * 2)]
        assert 200 in statuses and set(statuses) <= {200, 429}
        assert web.hosts["127.0.3.3"].max_in_flight == 2


def test_scale_web_is_deterministic_and_paths_tell_the_verdict() -> None:
    web, urls = scale_web(300, 20, 0.0, seed=7, hot_share=0.5)
    assert urls == scale_web(300, 20, 0.0, seed=7, hot_share=0.5)[1] and len(urls) == 300
    assert web.hosts["127.1.0.1"].max_in_flight == 2
    with OfflineWeb(web) as ow:
        for url in urls[:60]:
            status = fetch(ow.expand(url))[0]
            verdict = expected_verdict(url)
            assert {"ok": status == 200, "dead": status in (404, 410), "redirected": status == 301}[
                verdict
            ]


def test_process_prints_ports_and_stops_on_sigterm(tmp_path: Path) -> None:
    web = Web(hosts={"127.0.3.1": Host(pages={"/": Page(body="proc")})})
    spec = tmp_path / "web.json"
    spec.write_text(web.to_json())
    command = [sys.executable, "-m", "jobs.offlineweb.testkit", "--spec", str(spec)]
    with subprocess.Popen(
        [*command, "--max-seconds", "60"], cwd=REPO, stdout=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            ready = json.loads(proc.stdout.readline())
            assert fetch(f"http://127.0.3.1:{ready['port']}/")[2] == b"proc"
            proc.terminate()
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
