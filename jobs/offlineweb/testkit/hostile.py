"""The hostile web: one page per hostile behaviour, each documented as a `Case` with the
verdict the rules settle on after the link's history (a single check may still say
`failing` where the verdict is `dead`: see each case's note).

URLs are templates holding `{port}`, `{tls_port}` or `{refused_port}` (`OfflineWeb.expand`).
Hosts live at 127.0.9.1-14 and are also named `*.test` (see `Web.dns_map()`).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from ..pages import article_html, atom_feed, rss_feed
from ..spec import Host, Page, Web

HOSTILE = "127.0.9.1"
CHALLENGE_HTML = (
    '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title></head><body>'
    '<div id="challenge-running">Checking if the site connection is secure</div>'
    '<noscript>Enable JavaScript and cookies to continue</noscript><div id="cf-wrapper">'
    '<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script>'
    "</div></body></html>"
)
S3_DENIED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    "<Message>Access Denied</Message><RequestId>0F5E4C1A</RequestId></Error>"
)


class Case(NamedTuple):
    """A hostile case: its URL template, the verdict its history settles on, and why."""

    url: str
    verdict: str  # ok redirected failing dead blocked suspect excluded
    note: str


def html_page(title: str, text: str) -> str:
    return f"<!doctype html><html><head><title>{title}</title></head><body>{text}</body></html>"


def _hostile_site(web: Web, cases: dict[str, Case]) -> Host:
    site = web.host(
        HOSTILE, names=["hostile.test"], robots_txt="User-agent: *\nDisallow: /private/\n"
    )
    base = f"http://{HOSTILE}:{{port}}"
    page = site.pages

    def case(name: str, path: str, p: Page | None, verdict: str, note: str) -> None:
        if p is not None:
            page[path.split("#", 1)[0]] = p
        cases[name] = Case(base + path, verdict, note)

    page["/"] = Page(body=html_page("Hostile Site", "<h1>Welcome to the home page</h1>"))
    article = article_html(
        "An article", "Hostile Site", base + "/ok", "2024-01-01", "A healthy page."
    )
    case("ok", "/ok", Page(body=article, template=True), "ok", "plain 200")
    for code, verdict, note in [
        (404, "dead", "permanent: failing at once, dead once confirmed (2 checks, 20 h apart)"),
        (410, "dead", "permanent, like 404"),
        (500, "failing", "transient 5xx: dead only after days"),
        (502, "failing", "transient 5xx"),
        (503, "failing", "transient 5xx with Retry-After: 2"),
    ]:
        extra = {"Retry-After": "2"} if code == 503 else {}
        case(
            f"status_{code}",
            f"/status/{code}",
            Page(status=code, body=html_page(str(code), "error"), headers=dict(extra)),
            verdict,
            note,
        )
    for code in (301, 302, 303, 307, 308):
        permanent = code in (301, 308)
        case(
            f"redirect_{code}",
            f"/redirect/{code}",
            Page(status=code, location="/ok"),
            "redirected" if permanent else "ok",
            "permanent redirect to a healthy page"
            if permanent
            else "temporary redirect: the link stays as written",
        )
    case(
        "redirect_relative",
        "/redirect/rel/deep",
        Page(status=301, location="../../ok"),
        "redirected",
        "relative Location ../../ok resolves to /ok",
    )
    page["/redirect/loop-b"] = Page(status=302, location="/redirect/loop-a")
    case(
        "redirect_loop",
        "/redirect/loop-a",
        Page(status=302, location="/redirect/loop-b"),
        "failing",
        "A -> B -> A: the loop must fail cleanly",
    )
    for i in range(1, 13):
        target = f"/redirect/chain/{i + 1}" if i < 12 else "/ok"
        page[f"/redirect/chain/{i}"] = Page(status=301, location=target)
    cases["redirect_chain_12"] = Case(
        base + "/redirect/chain/1", "failing", "12 hops, more than the 10 allowed"
    )
    case(
        "head_405",
        "/head-405",
        Page(body=article, template=True, head_status=405),
        "ok",
        "HEAD refused with 405, GET answers 200",
    )
    case(
        "head_501",
        "/head-501",
        Page(body=article, template=True, head_status=501),
        "ok",
        "HEAD answered 501, GET answers 200",
    )
    case(
        "soft_404",
        "/soft-404",
        Page(
            body=html_page(
                "Page not found",
                "<h1>Page not found</h1><p>Sorry, we could not find that page.</p>",
            )
        ),
        "suspect",
        "200 with a not-found page",
    )
    case(
        "redirect_home",
        "/2019/05/retired-article",
        Page(status=301, location="/"),
        "suspect",
        "an article redirected to the site's home page",
    )
    page["/login"] = Page(body=html_page("Sign in", "<form><input name=password></form>"))
    case(
        "login_redirect",
        "/members/report",
        Page(status=302, location="/login?next=/members/report"),
        "suspect",
        "redirect to a login wall: not the article for a reader without an account; "
        "never rewritten (consent walls, shown to every robot, are blocked)",
    )
    case(
        "consent_redirect",
        "/news/story",
        Page(status=302, location="http://127.0.9.6:{port}/consent?continue=/news/story"),
        "blocked",
        "redirect to another host's consent wall",
    )
    validated = Page(
        body=article, template=True, etag='"rev-7"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT"
    )
    case("etag", "/etag", validated, "ok", "ETag and Last-Modified; conditional requests get 304")
    case(
        "no_validators",
        "/no-validators",
        Page(body=article, template=True),
        "ok",
        "no ETag or Last-Modified: conditional requests get 200",
    )
    items = [("An article", base + "/ok", "2024-01-01T00:00:00Z")]
    case(
        "feed_rss",
        "/feed.xml",
        Page(
            body=rss_feed("Hostile", base + "/", items),
            template=True,
            content_type="application/rss+xml; charset=utf-8",
        ),
        "ok",
        "RSS feed",
    )
    case(
        "feed_atom",
        "/atom.xml",
        Page(
            body=atom_feed("Hostile", base + "/", items),
            template=True,
            content_type="application/atom+xml; charset=utf-8",
        ),
        "ok",
        "Atom feed",
    )
    sitemap = f'<?xml version="1.0"?><urlset><url><loc>{base}/ok</loc></url></urlset>'
    case(
        "sitemap",
        "/sitemap.xml",
        Page(body=sitemap, template=True, content_type="application/xml"),
        "ok",
        "sitemap",
    )
    case("fragment_ok", "/ok#intro", None, "ok", "the page has id=intro")
    case("fragment_missing", "/ok#no-such-anchor", None, "suspect", "missing #fragment: never dead")
    case(
        "drip_slow",
        "/drip/slow",
        Page(body="x" * 200, drip_bytes=20, drip_interval=0.2),
        "ok",
        "200 bytes, 20 every 0.2 s: slow (2 s) but complete",
    )
    case(
        "drip_stall",
        "/drip/stall",
        Page(body="x" * 120, drip_bytes=1, drip_interval=1.0),
        "failing",
        "1 byte a second for 120 s: a checker's timeout must fire",
    )
    case(
        "endless",
        "/endless",
        Page(endless=True, content_type="text/html"),
        "ok",
        "200 whose body never ends (bounded: 200 MB / 60 s): the status is known from the head; "
        "a checker must stop at its size cap, not hang or exhaust memory",
    )
    case(
        "bomb",
        "/bomb",
        Page(bomb_size=1 << 30),
        "ok",
        "200 with ~1 MB of gzip that expands to 1 GB: decompression must be capped",
    )
    for encoding in ("br", "zstd"):
        case(
            f"bomb_{encoding}",
            f"/bomb.{encoding}",
            Page(bomb_size=1 << 28, bomb_encoding=encoding),
            "ok",
            f"200 with a few hundred bytes of {encoding} that expand to 256 MB: every decoder "
            "call must be bounded, not the output checked after it",
        )
    case(
        "big_file",
        "/big.pdf",
        Page(body="%PDF-1.7 ", length=50 * 1024 * 1024, content_type="application/pdf"),
        "ok",
        "a live 50 MB file with its Content-Length: the status and headers decide, the "
        "body is read no further than the cap",
    )
    case(
        "reset",
        "/reset",
        Page(body="y" * 4000, reset_after=1000),
        "failing",
        "connection reset mid-body: transient",
    )
    case("closed", "/closed", Page(close=True), "failing", "connection closed with no answer")
    return site


def _other_hosts(web: Web, cases: dict[str, Case]) -> None:
    home = Page(body=html_page("Catch-all", "<h1>Welcome</h1><p>Latest posts</p>"))
    web.hosts["127.0.9.2"] = Host(names=["catchall.test"], catch_all=home, pages={"/": home})
    cases["catch_all"] = Case(
        "http://127.0.9.2:{port}/2020/01/vanished-post",
        "suspect",
        "host answers 200 with its template for every path",
    )
    wall = Page(status=403, body=html_page("Access denied", "<h1>Access denied</h1><p>bots</p>"))
    web.hosts["127.0.9.3"] = Host(names=["walled.test"], catch_all=wall)
    cases["bot_wall_403"] = Case(
        "http://127.0.9.3:{port}/article",
        "blocked",
        "the host refuses every request of ours with 403",
    )
    denied = Page(status=999, body="<html><body>Request denied</body></html>")
    web.hosts["127.0.9.4"] = Host(names=["linkedin.test"], catch_all=denied)
    cases["linkedin_999"] = Case(
        "http://127.0.9.4:{port}/in/someone", "blocked", "LinkedIn-style 999"
    )
    cf = {"cf-mitigated": "challenge", "Server": "cloudflare", "cf-ray": "8a1b2c3d4e5f-AMS"}
    challenge = Page(status=403, body=CHALLENGE_HTML, headers=dict(cf))
    web.hosts["127.0.9.5"] = Host(
        names=["cf.test"],
        catch_all=challenge,
        pages={"/js": Page(status=503, body=CHALLENGE_HTML, headers=dict(cf))},
    )
    cases["cloudflare_403"] = Case(
        "http://127.0.9.5:{port}/post", "blocked", "403 + cf-mitigated: challenge + challenge HTML"
    )
    cases["cloudflare_503"] = Case("http://127.0.9.5:{port}/js", "blocked", "503 challenge")
    web.hosts["127.0.9.6"] = Host(
        names=["consent.test"],
        pages={
            "/consent": Page(body=html_page("Before you continue", "<button>Accept all</button>"))
        },
    )
    web.hosts["127.0.9.7"] = Host(
        names=["bucket.test"],
        pages={
            "/exists.txt": Page(body="data", content_type="text/plain"),
            "/deleted.txt": Page(
                status=403,
                body=S3_DENIED,
                content_type="application/xml",
                headers={"Server": "AmazonS3"},
            ),
        },
    )
    cases["s3_deleted"] = Case(
        "http://127.0.9.7:{port}/deleted.txt",
        "dead",
        "S3-style 403 AccessDenied where the host's other objects answer "
        "200: the object is gone (a plain 403 decided by the host)",
    )
    busy = Host(names=["busy.test"], max_in_flight=2, retry_after=1)
    for i in range(20):
        busy.pages[f"/a/{i}"] = Page(body=html_page(f"Busy {i}", "ok"), latency=0.1)
    web.hosts["127.0.9.8"] = busy
    cases["rate_in_flight"] = Case(
        "http://127.0.9.8:{port}/a/0",
        "ok",
        "429 + Retry-After: 1 beyond 2 in flight: honour, never fail",
    )
    throttled = Host(names=["throttled.test"], max_rate=5, retry_after=1)
    for i in range(20):
        throttled.pages[f"/a/{i}"] = Page(body=html_page(f"Throttled {i}", "ok"))
    web.hosts["127.0.9.9"] = throttled
    cases["rate_per_second"] = Case(
        "http://127.0.9.9:{port}/a/0", "ok", "429 + Retry-After: 1 beyond 5 requests a second"
    )
    web.hosts["127.0.9.10"] = Host(names=["refused.test"], refuse=True)
    cases["refused"] = Case(
        "http://127.0.9.10:{refused_port}/", "failing", "connection refused: transient"
    )
    web.hosts["127.0.9.11"] = Host(names=["slow.test"], latency=0.5, pages={"/": home})
    cases["slow_host"] = Case("http://127.0.9.11:{port}/", "ok", "0.5 s latency on every answer")
    for address, name, mode, verdict in [
        ("127.0.9.12", "secure.test", "valid", "ok"),
        ("127.0.9.13", "expired.test", "expired", "failing"),
        ("127.0.9.14", "wronghost.test", "wrong_host", "failing"),
    ]:
        web.hosts[address] = Host(names=[name], tls=mode, pages={"/": home})
        cases[f"tls_{mode}"] = Case(
            f"https://{name}:{{tls_port}}/",
            verdict,
            f"certificate {mode.replace('_', '-')} (test CA; needs "
            "tls=True, the stub resolver and the CA)",
        )
    web.dns["internal.test"] = "10.0.0.7"
    cases["nxdomain"] = Case(
        "http://vanished.test:{port}/", "dead", "NXDOMAIN from the stub resolver: permanent"
    )
    cases["private_address"] = Case(
        "http://internal.test:{port}/",
        "excluded",
        "the name resolves to 10.0.0.7 (private): never requested",
    )
    cases["loopback_name"] = Case(
        "http://hostile.test:{port}/ok",
        "excluded",
        "resolves to loopback: excluded unless --allow-private",
    )
    cases["mailto"] = Case("mailto:someone@example.org", "excluded", "not an HTTP link")


def hostile_web(corpora: Path | None = None) -> tuple[Web, dict[str, Case]]:
    """One page per hostile behaviour. With `corpora` (shared/corpora), its real-world feeds
    are mounted at http://127.0.9.1:PORT/feeds/ and its sitemaps at /sitemaps/."""
    web = Web()
    cases: dict[str, Case] = {}
    site = _hostile_site(web, cases)
    _other_hosts(web, cases)
    if corpora is not None and (corpora / "feeds" / "real_world").is_dir():
        site.mounts["/feeds/"] = str(corpora / "feeds" / "real_world")
        site.mounts["/sitemaps/"] = str(corpora / "robots_sitemaps" / "sitemaps")
    return web, cases
