"""``jobs.wayback`` and ``catalog.cdx`` against a local CDX server replaying recordings.

The recordings (``shared/corpora/responses``, category ``wayback``) are real answers of
``https://web.archive.org/cdx/search/cdx``: plain text lines, gzip-encoded as recorded.
The server answers a query with the recording made for the same ``url`` (and
``resumeKey``) and checks the request has the recorded shape: path, and the recorded
parameters in the recorded order.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from catalog import pullrequest as prlogic
from catalog.cdx import Capture, choose, parse_cdx
from catalog.errors import ConfigError
from jobs.offlineweb.throwaway import serving
from jobs.pr import _wayback
from jobs.wayback import CDX_PATH, nearest_capture
from tests.conftest import SHARED, needs_shared

RESPONSES = SHARED / "corpora" / "responses"

RECORDED = needs_shared("corpora", "responses", "index.json")  # the tests with the archive

EMPTY_URL = "empty.example/page"  # answered with the recorded empty CDX body
UNAVAILABLE_URL = "unavailable.example/page"  # answered 503 (not recorded: made up here)
GARBLED_URL = "garbled.example/page"  # answered 200 with an HTML page, not CDX lines
SLOW_URL = "slow.example/page"  # answered after SLOW seconds
SLOW = 1.5


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

    def params_of(self, n: int) -> dict[str, str]:
        return dict(self.requests[n][1])


@pytest.fixture(scope="module")
def recordings() -> dict[str, Recording]:
    return _recordings()


@pytest.fixture
def archive(recordings: dict[str, Recording]) -> Iterator[Archive]:
    by_query = {(r.query["url"], r.query.get("resumeKey")): r for r in recordings.values()}
    empty = recordings["wayback-cdx-search-resumekey-last-empty"]
    shape = [k for k, _ in recordings["wayback-cdx-search-nasa-1996"].params]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = parse_qsl(parts.query, keep_blank_values=True)
            state.requests.append((parts.path, params))
            query = dict(params)
            key = (query.get("url", ""), query.get("resumeKey"))
            rec = by_query.get(key)
            made_up = query.get("url") in (EMPTY_URL, UNAVAILABLE_URL)
            if made_up and query.get("url") == EMPTY_URL:
                rec = empty
            if rec is not None:
                # The recorded requests' shape: path and parameters, in order.
                names = [k for k, _ in params]
                want = shape if made_up else [k for k, _ in rec.params]
                if "resumeKey" in names and "resumeKey" not in want:
                    want = [*want, "resumeKey"]
                if parts.path != CDX_PATH or names != want:
                    state.problems.append(f"request shape {parts.path} {names} != {want}")
            if query.get("url") == SLOW_URL:
                time.sleep(SLOW)
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
    state = Archive(url=f"http://127.0.0.1:{server.server_address[1]}", recordings=recordings)
    with serving(server):
        yield state


def _window(params: dict[str, str]) -> tuple[datetime, datetime]:
    def parse(s: str) -> datetime:
        return datetime.strptime(s, "%Y%m%d%H%M%S").replace(tzinfo=UTC)

    return parse(params["from"]), parse(params["to"])


@RECORDED
def test_the_nearest_archived_200_is_chosen_over_nearer_redirects_and_revisits(
    archive: Archive,
) -> None:
    # 10:14:20 falls between a 301 (10:14:16) and a revisit without status (10:14:22);
    # the nearest archived 200 is 11:36:56.
    when = datetime(2020, 6, 12, 10, 14, 20)
    capture = nearest_capture("energystar.gov/", when, api_url=archive.url + "/")
    assert capture == Capture(
        timestamp=datetime(2020, 6, 12, 11, 36, 56, tzinfo=UTC),
        original="https://www.energystar.gov/",
        archive_url=f"{archive.url}/web/20200612113656/https://www.energystar.gov/",
        status="200",
    )
    assert archive.problems == []
    assert len(archive.requests) == 1  # a 200 in the first window: nothing more asked
    params = archive.params_of(0)
    assert params["url"] == "energystar.gov/"
    assert (params["showResumeKey"], params["resolveRevisits"]) == ("true", "true")
    start, end = _window(params)
    assert start < when.replace(tzinfo=UTC) < end


@RECORDED
def test_a_date_and_gzip_answers_the_nasa_1996_recording(archive: Archive) -> None:
    capture = nearest_capture("nasa.gov", date(1996, 12, 1), api_url=archive.url)
    assert capture is not None
    assert capture.timestamp == datetime(1996, 12, 31, 23, 58, 47, tzinfo=UTC)
    assert capture.archive_url == f"{archive.url}/web/19961231235847/http://www.nasa.gov:80/"
    assert archive.problems == []


@RECORDED
def test_pages_are_followed_with_the_recorded_resume_key(archive: Archive) -> None:
    page2 = archive.recordings["wayback-cdx-search-resumekey-page2"]
    capture = nearest_capture("cnn.com", date(2001, 5, 3), api_url=archive.url)
    assert archive.problems == []
    assert archive.params_of(1)["resumeKey"] == page2.query["resumeKey"]
    # Page 3 was not recorded (the server answers 404): pages 1 and 2 are enough.
    assert capture is not None and capture.status == "200"
    assert capture.timestamp == datetime(2001, 5, 3, 14, 57, 28, tzinfo=UTC)


@RECORDED
def test_an_empty_result_gives_none_after_widening_the_window(archive: Archive) -> None:
    when = date(2015, 3, 1)
    assert nearest_capture(EMPTY_URL, when, api_url=archive.url) is None
    assert archive.problems == []
    windows = [_window(dict(params)) for _, params in archive.requests]
    assert len(windows) == 3
    assert windows[0][0] > windows[1][0] > windows[2][0]  # each wider than the last


@RECORDED
def test_a_blocked_site_403_gives_none(archive: Archive) -> None:
    url = "https://nationalpost.com/health"
    assert nearest_capture(url, date(2019, 10, 1), api_url=archive.url) is None
    assert archive.problems == []
    assert len(archive.requests) == 1


@RECORDED
def test_a_503_gives_none(archive: Archive) -> None:
    assert nearest_capture(UNAVAILABLE_URL, date(2020, 1, 1), api_url=archive.url) is None
    assert archive.problems == []
    assert len(archive.requests) == 1


@RECORDED
def test_a_garbled_answer_and_no_server_give_none(archive: Archive) -> None:
    assert nearest_capture(GARBLED_URL, date(2020, 1, 1), api_url=archive.url) is None
    closed = "http://127.0.0.1:9"  # discard port: nothing listens
    assert nearest_capture("x.example", date(2020, 1, 1), api_url=closed, timeout=2) is None


@RECORDED
def test_the_timeout_bounds_the_lookup(archive: Archive) -> None:
    started = time.monotonic()
    assert nearest_capture(SLOW_URL, date(2020, 1, 1), api_url=archive.url, timeout=0.3) is None
    assert time.monotonic() - started < SLOW


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


@RECORDED
def test_the_pr_archive_mode_uses_the_capture_or_marks_the_link(archive: Archive) -> None:
    """The ``dead = "archive"`` choice of ``listkeeper pr``, without git or GitHub."""
    settings = prlogic.settings({"pr": {"dead": "archive", "wayback_api": archive.url}})
    rows = [
        ("energystar.gov/", 3, "dead", None, date(2020, 6, 12)),  # no scheme: left alone
        ("https://nationalpost.com/health", 4, "dead", None, date(2019, 10, 1)),
    ]
    lookup = _wayback(settings)
    assert lookup("nasa.gov", date(1996, 12, 1)) == (
        f"{archive.url}/web/19961231235847/http://www.nasa.gov:80/"
    )
    changes = prlogic.changes_from(rows, settings, archive=lookup)
    assert changes == [
        prlogic.Change(
            kind="mark",
            old="https://nationalpost.com/health",
            lines=(4,),
            note=prlogic.NO_ARCHIVE_NOTE,
        )
    ]
    text = "# L\n\n- [E](energystar.gov/)\n- [N](https://nationalpost.com/health)\n"
    out = prlogic.apply_changes(text, changes, today=date(2026, 1, 1))
    assert "- [N](https://nationalpost.com/health) *(dead link)*" in out.text

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
