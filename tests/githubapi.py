"""A local GitHub REST API for ``listkeeper pr`` tests: the pull-request endpoints.

A ``ThreadingHTTPServer`` on 127.0.0.1 (port 0) that answers, with the shapes recorded
from the real API in ``../shared/corpora/responses/github_api/``:

- ``GET /repos/{owner}/{repo}/pulls?head=owner:branch&state=open`` → a list of pulls
- ``POST /repos/{owner}/{repo}/pulls`` → 201 and the pull, or the recorded 422
  "A pull request already exists for owner:branch." when one is open for that head
- ``PATCH /repos/{owner}/{repo}/pulls/{number}`` → 200 and the updated pull
- ``POST /graphql`` (and GitHub Enterprise Server's ``/api/graphql``) → the GraphQL
  endpoint of ``jobs.offlineweb.githubgraphql`` (``state.graphql``): repositories,
  renames, NOT_FOUND, rate limits, secondary limits, 502s

Every request is recorded (method, path, query, headers, JSON body). ``fail`` queues
canned answers (status, body) served before anything else, e.g. a 401 or a 500 whose
body echoes the token; ``hide_from_list`` makes the next list answer empty, so that a
create meets the 422 (the race GitHub's answer exists for).
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jobs.offlineweb.githubgraphql import Endpoint

RECORDED = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "responses" / "github_api"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class State:
    token: str
    pull_template: dict[str, Any]
    exists_template: dict[str, Any]
    requests: list[Request] = field(default_factory=list)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    fail: list[tuple[int, str]] = field(default_factory=list)
    hide_from_list: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    graphql: Endpoint = field(default_factory=Endpoint)

    def calls(self, method: str | None = None) -> list[Request]:
        return [r for r in self.requests if method is None or r.method == method]


def _recorded(name: str) -> dict[str, Any]:
    record = json.loads((RECORDED / name).read_text(encoding="utf-8"))
    body: dict[str, Any] = json.loads(record["response"]["body"])
    return body


def templates() -> tuple[dict[str, Any], dict[str, Any]]:
    """The recorded 201 pull object and the recorded 422 "already exists" answer."""
    return (
        _recorded("hub4j-create-pull-201.json"),
        _recorded("hub4j-create-pull-422-already-exists.json"),
    )


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet tests
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def _handle(self, method: str) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        if method == "POST" and parts.path in ("/graphql", "/api/graphql"):
            # Outside the REST lock: the endpoint counts the queries in flight itself.
            status, headers, answer = state.graphql.handle(dict(self.headers), raw)
            return self._send(status, json.dumps(answer), headers=headers)
        with state.lock:
            state.requests.append(
                Request(method, parts.path, parse_qs(parts.query), dict(self.headers), body)
            )
            if state.fail:
                status, text = state.fail.pop(0)
                return self._send(status, text)
            if self.headers.get("Authorization") != f"Bearer {state.token}":
                return self._json(
                    401,
                    {
                        "message": "Bad credentials",
                        "documentation_url": "https://docs.github.com/rest",
                    },
                )
            segments = parts.path.strip("/").split("/")
            if len(segments) < 4 or segments[0] != "repos" or segments[3] != "pulls":
                return self._json(404, {"message": "Not Found"})
            owner, repo = segments[1], segments[2]
            if method == "GET" and len(segments) == 4:
                return self._list(owner, parse_qs(parts.query))
            if method == "POST" and len(segments) == 4:
                return self._create(owner, repo, body)
            if method == "PATCH" and len(segments) == 5 and segments[4].isdigit():
                return self._update(int(segments[4]), body)
            return self._json(404, {"message": "Not Found"})

    def _list(self, owner: str, query: dict[str, list[str]]) -> None:
        state = self.server.state
        head = query.get("head", [""])[0]
        wanted = query.get("state", ["open"])[0]
        if state.hide_from_list > 0:
            state.hide_from_list -= 1
            return self._json(200, [])
        found = [
            p
            for p in state.pulls.values()
            if (not head or p["head"]["label"] == head)
            and (wanted == "all" or p["state"] == wanted)
        ]
        return self._json(200, found)

    def _create(self, owner: str, repo: str, body: Any) -> None:
        state = self.server.state
        if not isinstance(body, dict) or not all(body.get(k) for k in ("title", "head", "base")):
            return self._json(422, {"message": "Validation Failed", "errors": []})
        label = f"{owner}:{body['head']}"
        if any(p["head"]["label"] == label and p["state"] == "open" for p in state.pulls.values()):
            answer = copy.deepcopy(state.exists_template)
            answer["errors"][0]["message"] = f"A pull request already exists for {label}."
            return self._json(422, answer)
        number = max(state.pulls, default=0) + 1
        pull = copy.deepcopy(state.pull_template)
        base_url = f"http://{self.headers.get('Host')}/repos/{owner}/{repo}"
        pull.update(
            number=number,
            id=1000 + number,
            url=f"{base_url}/pulls/{number}",
            html_url=f"https://github.example/{owner}/{repo}/pull/{number}",
            title=body["title"],
            body=body.get("body"),
            state="open",
            draft=bool(body.get("draft")),
            maintainer_can_modify=bool(body.get("maintainer_can_modify")),
        )
        pull["head"].update(ref=body["head"], label=label)
        pull["base"].update(ref=body["base"], label=f"{owner}:{body['base']}")
        state.pulls[number] = pull
        return self._json(201, pull, location=pull["url"])

    def _update(self, number: int, body: Any) -> None:
        state = self.server.state
        pull = state.pulls.get(number)
        if pull is None:
            return self._json(404, {"message": "Not Found"})
        if not isinstance(body, dict):
            return self._json(400, {"message": "Problems parsing JSON"})
        for key in ("title", "body", "state", "base"):
            if key in body:
                if key == "base":
                    pull["base"]["ref"] = body[key]
                else:
                    pull[key] = body[key]
        return self._json(200, pull)

    def _json(self, status: int, data: Any, location: str | None = None) -> None:
        self._send(status, json.dumps(data), location)

    def _send(
        self,
        status: int,
        text: str,
        location: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        raw = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("X-GitHub-Media-Type", "github.v3; format=json")
        if location:
            self.send_header("Location", location)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: State) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@dataclass
class GitHubAPI:
    url: str
    state: State


@contextmanager
def serve(token: str, graphql: Endpoint | None = None) -> Iterator[GitHubAPI]:
    """A running local GitHub API that accepts *token*; stopped on exit. The GraphQL
    endpoint needs no recorded file: a lone clone tests every answer kind with it."""
    # The pull-request answers are recorded ones (the corpus suite); a server started for
    # its GraphQL endpoint alone reads nothing of ../shared.
    pull, exists = templates() if graphql is None else ({}, {})
    endpoint = graphql or Endpoint(token=token)
    server = _Server(
        State(token=token, pull_template=pull, exists_template=exists, graphql=endpoint)
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield GitHubAPI(url=f"http://127.0.0.1:{server.server_address[1]}", state=server.state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
