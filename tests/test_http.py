"""The HTTP clients outside the crawl (GitHub REST and GraphQL, the Wayback lookup, extract)
against a local server: one user agent, one cap on what they read, one deadline."""

from __future__ import annotations

import gzip
import http.server
import time
from collections.abc import Callable, Iterator
from datetime import date

import pytest

from crawler.settings import USER_AGENT
from jobs import http as client_http
from jobs.extract import extract_page
from jobs.github import GitHub, GitHubError
from jobs.graphql import GraphQL
from jobs.offlineweb.testkit.throwaway import serving
from jobs.wayback import nearest_capture


class Server(http.server.ThreadingHTTPServer):
    body = b""  # served gzip-encoded to every request
    drip = 0  # > 0: the body is sent a byte at a time, this many seconds apart
    agents: list[str]


class Handler(http.server.BaseHTTPRequestHandler):
    server: Server

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.server.agents.append(self.headers.get("User-Agent", ""))
        body = gzip.compress(self.server.body, compresslevel=1)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if not self.server.drip:
                self.wfile.write(body)
                return
            for i in range(len(body)):  # bounded: the body is small
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
                time.sleep(self.server.drip)  # the slow drip under test, not a wait
        except OSError:
            pass  # the client gave up (the deadline test)

    do_GET = do_POST = do_PATCH = answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[Server]:
    srv = Server(("127.0.0.1", 0), Handler)
    srv.agents = []
    with serving(srv):
        yield srv


def url(srv: Server) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}"


# Each client against the server: does what it returns show the answer's ``tail``? (An
# answer is ``head``, padding, ``tail``.)
def github(srv: Server, capsys: pytest.CaptureFixture[str]) -> bool:
    try:
        GitHub(url(srv), "t0ken", "o/r").open_pull("b")
    except GitHubError as exc:
        assert "not JSON" in str(exc)
        return False
    return True


def graphql(srv: Server, capsys: pytest.CaptureFixture[str]) -> bool:
    return GraphQL(url(srv) + "/graphql", "t0ken").post("{ ok }", {}).data == {"ok": True}


def wayback(srv: Server, capsys: pytest.CaptureFixture[str]) -> bool:
    return nearest_capture("example.com", date(2020, 1, 1), api_url=url(srv)) is not None


def extract(srv: Server, capsys: pytest.CaptureFixture[str]) -> bool:
    extract_page(url(srv) + "/page", None)
    return '"title": "Whole"' in capsys.readouterr().out


CAPTURE = "com,example)/ 20200101000000 http://example.com/ text/html 200 DIGEST 1234\n"
CLIENTS: dict[
    str, tuple[Callable[[Server, pytest.CaptureFixture[str]], bool], bytes, bytes, bytes]
] = {
    "github": (github, b"[", b" ", b"]"),
    "graphql": (graphql, b'{"data": {"ok": true}', b" ", b"}"),
    "wayback": (wayback, b"", b"\n", CAPTURE.encode()),
    "extract": (extract, b"<html><head>", b" ", b"<title>Whole</title></head></html>"),
}


def test_every_client_sends_the_one_user_agent(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, (client, head, pad, tail) in CLIENTS.items():
        server.body = head + pad + tail
        assert client(server, capsys), name
    assert len(server.agents) == len(CLIENTS)
    assert set(server.agents) == {USER_AGENT}


@pytest.mark.parametrize("name", list(CLIENTS))
def test_every_client_reads_up_to_the_one_cap(
    name: str, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    """An answer of exactly ``MAX_BODY`` decoded bytes is read whole; one whose ``tail``
    lies past the cap is cut before it, however small it is on the wire (gzip)."""
    client, head, pad, tail = CLIENTS[name]
    fill = client_http.MAX_BODY - len(head) - len(tail)
    server.body = head + pad * fill + tail
    assert client(server, capsys), f"{name}: an answer of exactly the cap is read whole"
    server.body = head + pad * (fill + len(tail)) + tail
    assert not client(server, capsys), f"{name}: an answer past the cap is cut"


def test_the_deadline_bounds_a_slow_drip(server: Server) -> None:
    """urllib's timeout bounds each socket read; a byte every 50 ms never trips it, the
    deadline for the whole exchange does."""
    server.body = b"<html>" + b" " * 200 + b"</html>"
    server.drip = 0.05
    with pytest.raises(client_http.FetchError, match="timed out"):
        client_http.fetch(url(server) + "/page", deadline=time.monotonic() + 0.5)
