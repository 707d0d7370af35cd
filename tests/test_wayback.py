"""``jobs.wayback`` and ``catalog.cdx`` against a local CDX server.

The server answers a query with the answer made for the same ``url`` (and ``resumeKey``)
and checks the request has the answer's shape: path, and the parameters in the order the
archive's clients send them. Its answers are written here (``OWN``: made-up sites, CDX
lines in the archive's format, gzip-encoded as the archive sends them), so a lone clone
tests every rule; a test marked corpus gets the recordings too (``shared/corpora/
responses``, category ``wayback``: real answers of ``https://web.archive.org/cdx/search/
cdx``), and one corpus test checks the written answers have the recorded ones' shape.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from catalog import pullrequest as prlogic
from catalog.cdx import Capture, as_utc, choose, parse_cdx
from catalog.errors import ConfigError
from jobs.offlineweb.testkit.throwaway import serving
from jobs.pr import _wayback
from jobs.wayback import CDX_PATH, nearest_capture
from tests.conftest import SHARED, needs_shared

RESPONSES = SHARED / "corpora" / "responses"

RECORDED = needs_shared("corpora", "responses", "index.json")  # the tests with the archive

EMPTY_URL = "empty.example/page"  # answered with an empty CDX body
UNAVAILABLE_URL = "unavailable.example/page"  # answered 503 (not recorded: made up here)
GARBLED_URL = "garbled.example/page"  # answered 200 with an HTML page, not CDX lines
SLOW_URL = "slow.example/page"  # answered with a capture once the test releases it
HELD = 30.0  # at most this long: a server thread never outlives a failed test by more


@dataclass
class Recording:
    id: str
    path: str
    params: list[tuple[str, str]]
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def query(self) -> dict[str, str]:
        return dict(self.params)


# The parameters in the order the archive's own clients send them (the recorded requests'
# order: a corpus test checks it).
SHAPE = ("url", "limit", "from", "to", "showResumeKey", "resolveRevisits")
PAGE_KEY = "example%2Cpaged%29%2F+20010414005930"  # a resume key as the archive writes one


def _own(id: str, url: str, lines: str, *, status: int = 200, resume: str = "") -> Recording:
    """An answer of our own: *lines* as the CDX server writes them, gzip-encoded."""
    params = [(k, url if k == "url" else "") for k in SHAPE]
    return Recording(
        id=id,
        path=CDX_PATH,
        params=[*params, ("resumeKey", resume)] if resume else params,
        status=status,
        headers={"Content-Type": "text/plain;charset=UTF-8", "Content-Encoding": "gzip"},
        body=gzip.compress(lines.encode()),
    )


def _line(key: str, stamp: str, original: str, status: str, mime: str = "text/html") -> str:
    return f"{key} {stamp} {original} {mime} {status} DIGEST{stamp} 1811\n"


OWN = {
    r.id: r
    for r in (
        # 10:14:20 falls between a 301 (10:14:16) and a revisit without status (10:14:22);
        # a 404 on the day before; the nearest archived 200 is 11:36:56.
        _own(
            "own-nearest",
            "nearest.example/",
            _line("example,nearest)/", "20200611101420", "https://nearest.example/", "404")
            + _line("example,nearest)/", "20200612101416", "http://nearest.example/", "301")
            + _line(
                "example,nearest)/",
                "20200612101422",
                "https://nearest.example/",
                "-",
                "warc/revisit",
            )
            + _line("example,nearest)/", "20200612113656", "https://nearest.example/", "200"),
        ),
        # Two pages: the first holds only captures far from the day and the resume key.
        _own(
            "own-paged-1",
            "paged.example",
            _line("example,paged)/", "20010410213930", "http://paged.example:80/", "200")
            + _line("example,paged)/", "20010414005930", "http://paged.example:80/", "200")
            + f"\n{PAGE_KEY}\n",
        ),
        _own(
            "own-paged-2",
            "paged.example",
            _line("example,paged)/", "20010503145728", "http://paged.example:80/", "200"),
            resume=PAGE_KEY,
        ),
        # A site the archive excludes: 403 and the archive's exception text.
        _own(
            "own-blocked-403", "https://blocked.example/health", "Blocked Site Error\n", status=403
        ),
        _own("own-empty", EMPTY_URL, ""),
        # Held back until the test releases it: a capture only a client that waited gets.
        _own(
            "own-slow",
            SLOW_URL,
            _line("example,slow)/page", "20200101120000", "https://slow.example/page", "200"),
        ),
    )
}


def _recordings() -> dict[str, Recording]:
    index = json.loads((RESPONSES / "index.json").read_text())
    found = {}
    for rec in index["records"]:
        if rec.get("category") != "wayback":
            continue
        data = json.loads((RESPONSES / rec["file"]).read_text())
        parts = urlsplit(data["request"]["url"])
        if parts.path != CDX_PATH:
            continue  # a memento, not the CDX server
        response = data["response"]
        headers = {
            k: v[0]
            for k, v in response["headers"].items()
            if k.lower() in ("content-type", "content-encoding")
        }
        found[rec["id"]] = Recording(
            id=rec["id"],
            path=parts.path,
            params=parse_qsl(parts.query, keep_blank_values=True),
            status=response["status"],
            headers=headers,
            body=base64.b64decode(response["body_raw_base64"]),
        )
    return found


@dataclass
class Archive:
    url: str
    recordings: dict[str, Recording]
    requests: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    def params_of(self, n: int) -> dict[str, str]:
        return dict(self.requests[n][1])


@pytest.fixture(scope="module")
def recordings() -> dict[str, Recording]:
    return _recordings()


@pytest.fixture
def archive(request: pytest.FixtureRequest) -> Iterator[Archive]:
    """A local CDX server with our answers, and the recorded ones for a corpus test."""
    answers = dict(OWN)
    if request.node.get_closest_marker("corpus") is not None:
        answers.update(request.getfixturevalue("recordings"))
    by_query = {(r.query["url"], r.query.get("resumeKey")): r for r in answers.values()}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = parse_qsl(parts.query, keep_blank_values=True)
            state.requests.append((parts.path, params))
            query = dict(params)
            key = (query.get("url", ""), query.get("resumeKey"))
            rec = by_query.get(key)
            if rec is not None:
                # The answer's request shape: path and parameters, in order.
                names = [k for k, _ in params]
                want = [k for k, _ in rec.params]
                if "resumeKey" in names and "resumeKey" not in want:
                    want = [*want, "resumeKey"]
                if parts.path != CDX_PATH or names != want:
                    state.problems.append(f"request shape {parts.path} {names} != {want}")
            if query.get("url") == SLOW_URL:
                state.released.wait(HELD)  # an archive that answers after the client's timeout
            if query.get("url") == UNAVAILABLE_URL:
                self._send(503, {"Content-Type": "text/plain", "Retry-After": "120"}, b"busy\n")
            elif query.get("url") == GARBLED_URL:
                self._send(200, {"Content-Type": "text/html"}, b"<html><p>Oops</p></html>")
            elif rec is None:
                self._send(404, {"Content-Type": "text/plain"}, b"not recorded\n")
            else:
                self._send(rec.status, rec.headers, rec.body)

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)  # the client may have given up (the timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Archive(url=f"http://127.0.0.1:{server.server_address[1]}", recordings=answers)
    with serving(server):
        try:
            yield state
        finally:
            state.released.set()


def _window(params: dict[str, str]) -> tuple[datetime, datetime]:
    def parse(s: str) -> datetime:
        return datetime.strptime(s, "%Y%m%d%H%M%S").replace(tzinfo=UTC)

    return parse(params["from"]), parse(params["to"])


@dataclass(frozen=True)
class Site:
    """A site the archive answers for: the URL asked, the day, the capture expected."""

    url: str
    when: date | datetime
    taken: datetime | None = None
    original: str = ""
    page2: str = ""  # the answer of the second page, when there is one


def _sites(own: Site, recorded: Site) -> list[Any]:
    """Our answer, and (corpus) the recorded one, for the same rule."""
    return [pytest.param(own, id="own"), pytest.param(recorded, marks=RECORDED, id="recorded")]


ON_THE_DAY = datetime(2020, 6, 12, 10, 14, 20)
NEAREST = _sites(
    Site(
        "nearest.example/",
        ON_THE_DAY,
        datetime(2020, 6, 12, 11, 36, 56, tzinfo=UTC),
        "https://nearest.example/",
    ),
    Site(
        "energystar.gov/",
        ON_THE_DAY,
        datetime(2020, 6, 12, 11, 36, 56, tzinfo=UTC),
        "https://www.energystar.gov/",
    ),
)
PAGE_2 = datetime(2001, 5, 3, 14, 57, 28, tzinfo=UTC)
PAGED = _sites(
    Site("paged.example", PAGE_2.date(), PAGE_2, page2="own-paged-2"),
    Site("cnn.com", PAGE_2.date(), PAGE_2, page2="wayback-cdx-search-resumekey-page2"),
)
BLOCKED = _sites(
    Site("https://blocked.example/health", date(2019, 10, 1)),
    Site("https://nationalpost.com/health", date(2019, 10, 1)),
)


@pytest.mark.parametrize("site", NEAREST)
def test_the_nearest_archived_200_is_chosen_over_nearer_redirects_and_revisits(
    archive: Archive, site: Site
) -> None:
    capture = nearest_capture(site.url, site.when, api_url=archive.url + "/")
    assert site.taken is not None
    stamp = site.taken.strftime("%Y%m%d%H%M%S")
    assert capture == Capture(
        timestamp=site.taken,
        original=site.original,
        archive_url=f"{archive.url}/web/{stamp}/{site.original}",
        status="200",
    )
    assert archive.problems == []
    assert len(archive.requests) == 1  # a 200 in the first window: nothing more asked
    params = archive.params_of(0)
    assert params["url"] == site.url
    assert (params["showResumeKey"], params["resolveRevisits"]) == ("true", "true")
    start, end = _window(params)
    assert start < as_utc(site.when) < end


@RECORDED
def test_a_date_and_gzip_answers_the_nasa_1996_recording(archive: Archive) -> None:
    capture = nearest_capture("nasa.gov", date(1996, 12, 1), api_url=archive.url)
    assert capture is not None
    assert capture.timestamp == datetime(1996, 12, 31, 23, 58, 47, tzinfo=UTC)
    assert capture.archive_url == f"{archive.url}/web/19961231235847/http://www.nasa.gov:80/"
    assert archive.problems == []


@pytest.mark.parametrize("site", PAGED)
def test_pages_are_followed_with_the_resume_key(archive: Archive, site: Site) -> None:
    page2 = archive.recordings[site.page2]
    capture = nearest_capture(site.url, site.when, api_url=archive.url)
    assert archive.problems == []
    assert archive.params_of(1)["resumeKey"] == page2.query["resumeKey"]
    # Page 3 has no answer (the server answers 404): pages 1 and 2 are enough.
    assert capture is not None and capture.status == "200"
    assert capture.timestamp == site.taken


def test_an_empty_result_gives_none_after_widening_the_window(archive: Archive) -> None:
    when = date(2015, 3, 1)
    assert nearest_capture(EMPTY_URL, when, api_url=archive.url) is None
    assert archive.problems == []
    windows = [_window(dict(params)) for _, params in archive.requests]
    assert len(windows) == 3
    assert windows[0][0] > windows[1][0] > windows[2][0]  # each wider than the last


@pytest.mark.parametrize("site", BLOCKED)
def test_a_blocked_site_403_gives_none(archive: Archive, site: Site) -> None:
    assert nearest_capture(site.url, site.when, api_url=archive.url) is None
    assert archive.problems == []
    assert len(archive.requests) == 1


def test_a_503_gives_none(archive: Archive) -> None:
    assert nearest_capture(UNAVAILABLE_URL, date(2020, 1, 1), api_url=archive.url) is None
    assert archive.problems == []
    assert len(archive.requests) == 1


def test_a_garbled_answer_and_no_server_give_none(archive: Archive) -> None:
    assert nearest_capture(GARBLED_URL, date(2020, 1, 1), api_url=archive.url) is None
    closed = "http://127.0.0.1:9"  # discard port: nothing listens
    assert nearest_capture("x.example", date(2020, 1, 1), api_url=closed, timeout=2) is None


def test_the_timeout_bounds_the_lookup(archive: Archive) -> None:
    """The archive holds its answer (a capture) until released: a lookup that honoured its
    timeout has given up with none; one that waited would return the capture."""
    held = nearest_capture(SLOW_URL, date(2020, 1, 1), api_url=archive.url, timeout=0.3)
    archive.released.set()
    assert held is None
    answered = nearest_capture(SLOW_URL, date(2020, 1, 1), api_url=archive.url, timeout=5)
    assert answered is not None  # the answer it gave up on was a capture


@RECORDED
def test_our_answers_have_the_recorded_shape(recordings: dict[str, Recording]) -> None:
    """OWN is written in the archive's format: the same request parameters in the same
    order, headers, statuses, fields a line, and resume key at the end of a page."""
    recorded = recordings["wayback-cdx-search-nasa-1996"]
    assert tuple(k for k, _ in recorded.params) == SHAPE
    for name, rec in recordings.items():
        if "matchType" not in rec.query:  # prefix queries: not asked by listkeeper
            assert [k for k, _ in rec.params if k != "resumeKey"] == list(SHAPE), name
    mine = OWN["own-nearest"]
    assert {k.lower(): v for k, v in mine.headers.items()} == {
        k.lower(): v for k, v in recorded.headers.items()
    }
    assert OWN["own-blocked-403"].status == recordings["wayback-cdx-blocked-403"].status
    lines = [gzip.decompress(r.body).decode() for r in (recorded, mine)]
    widths = [{len(line.split()) for line in text.splitlines()} for text in lines]
    assert widths[0] == widths[1] == {7}
    page1 = gzip.decompress(recordings["wayback-cdx-search-resumekey-page1"].body).decode()
    ours = gzip.decompress(OWN["own-paged-1"].body).decode()
    for text in (page1, ours):
        *_, blank, key = text.rstrip("\n").split("\n")
        assert blank == "" and len(key.split()) == 1


def test_parse_and_choose_without_a_server() -> None:
    rows, resume = parse_cdx(
        "k 20200101000000 https://a.example/ text/html 404 D 1\n"
        "k 20200105000000 https://a.example/ text/html 200 D 1\n"
        "k 20191225000000 https://a.example/ text/html 200 D 1\n"
        "k notatimestamp https://a.example/ text/html 200 D 1\n"
        "short line\n"
        "\n"
        "k%2C+20200106000000\n"
    )
    assert resume == "k%2C+20200106000000"
    # The 404 on the day itself is never chosen; 4 days after beats 7 days before.
    found = choose(rows, date(2020, 1, 1), api_url="https://web.archive.org/")
    assert found is not None
    assert found.archive_url == "https://web.archive.org/web/20200105000000/https://a.example/"
    # Equally near (6 days either side of 2019-12-30 12:00): the earlier wins.
    tie = choose(rows, datetime(2019, 12, 30, 12), api_url="https://w")
    assert tie is not None and tie.timestamp == datetime(2019, 12, 25, tzinfo=UTC)
    assert choose(rows[:1], date(2020, 1, 1), api_url="https://w") is None  # a 404 only
    redirect = [["k", "20200101000000", "https://a.example/", "text/html", "301", "D", "1"]]
    only = choose(redirect, date(2020, 1, 1), api_url="https://w")
    assert only is not None and only.status == "301"


@pytest.mark.parametrize(
    ("site", "blocked"),
    [
        pytest.param(NEAREST[0].values[0], BLOCKED[0].values[0], id="own"),
        pytest.param(
            Site(
                "nasa.gov",
                date(1996, 12, 1),
                datetime(1996, 12, 31, 23, 58, 47, tzinfo=UTC),
                "http://www.nasa.gov:80/",
            ),
            BLOCKED[1].values[0],
            marks=RECORDED,
            id="recorded",
        ),
    ],
)
def test_the_pr_archive_mode_uses_the_capture_or_marks_the_link(
    archive: Archive, site: Site, blocked: Site
) -> None:
    """The ``dead = "archive"`` choice of ``listkeeper pr``, without git or GitHub."""
    settings = prlogic.settings({"pr": {"dead": "archive", "wayback_api": archive.url}})
    rows = [
        ("energystar.gov/", 3, "dead", None, date(2020, 6, 12)),  # no scheme: left alone
        (blocked.url, 4, "dead", None, blocked.when),
    ]
    lookup = _wayback(settings)
    assert site.taken is not None
    stamp = site.taken.strftime("%Y%m%d%H%M%S")
    assert lookup(site.url, as_utc(site.when).date()) == (
        f"{archive.url}/web/{stamp}/{site.original}"
    )
    changes = prlogic.changes_from(rows, settings, archive=lookup)
    assert changes == [
        prlogic.Change(kind="mark", old=blocked.url, lines=(4,), note=prlogic.NO_ARCHIVE_NOTE)
    ]
    text = f"# L\n\n- [E](energystar.gov/)\n- [N]({blocked.url})\n"
    out = prlogic.apply_changes(text, changes, today=date(2026, 1, 1))
    assert f"- [N]({blocked.url}) *(dead link)*" in out.text

    archived = prlogic.changes_from(
        [("https://a.example/x", 2, "dead", None, date(2020, 1, 1))],
        settings,
        archive=lambda url, since: f"{archive.url}/web/20200101000000/{url}",
    )
    assert [(c.kind, c.new) for c in archived] == [
        ("archive", f"{archive.url}/web/20200101000000/https://a.example/x")
    ]
    # The body says why a dead link was marked rather than archived.
    line = prlogic._change_line(changes[0], 4)
    assert "marked as a dead link (no archived copy found in the Wayback Machine)" in line


def test_wayback_api_is_checked() -> None:
    assert prlogic.settings({}).wayback_api == "https://web.archive.org"
    for bad in ("", "ftp://archive.example", 3):
        with pytest.raises(ConfigError, match="wayback_api"):
            prlogic.settings({"pr": {"wayback_api": bad}})
