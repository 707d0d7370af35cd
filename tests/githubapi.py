"""A local GitHub REST API for ``listkeeper pr`` tests: the pull-request endpoints.

A ``ThreadingHTTPServer`` on 127.0.0.1 (port 0) that answers with GitHub's REST shapes,
written here by hand (``PULL``, ``ALREADY_EXISTS``: the fields the client reads and their
neighbours, names and types as GitHub sends them; the corpus suite checks them against the
answers recorded from the real API in ``../shared``, so the two cannot drift):

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
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jobs.offlineweb.githubgraphql import Endpoint


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


def _user(login: str, number: int) -> dict[str, Any]:
    return {
        "login": login,
        "id": number,
        "node_id": f"U_{number}",
        "avatar_url": f"https://avatars.github.example/u/{number}?v=4",
        "gravatar_id": "",
        "url": f"https://api.github.example/users/{login}",
        "html_url": f"https://github.example/{login}",
        "type": "User",
        "site_admin": False,
    }


def _branch(owner: str, ref: str, sha: str) -> dict[str, Any]:
    return {"label": f"{owner}:{ref}", "ref": ref, "sha": sha, "user": _user(owner, 583231)}


# A pull request as ``POST /repos/{owner}/{repo}/pulls`` answers it (201), and as PATCH
# does (200); the server fills in number, URLs, title, body, state and the branches.
PULL: dict[str, Any] = {
    "url": "https://api.github.example/repos/octo/list/pulls/1",
    "id": 1001,
    "node_id": "PR_1001",
    "html_url": "https://github.example/octo/list/pull/1",
    "diff_url": "https://github.example/octo/list/pull/1.diff",
    "patch_url": "https://github.example/octo/list/pull/1.patch",
    "issue_url": "https://api.github.example/repos/octo/list/issues/1",
    "number": 1,
    "state": "open",
    "locked": False,
    "title": "",
    "user": _user("listkeeper-bot", 1),
    "body": None,
    "created_at": "2024-06-01T09:00:00Z",
    "updated_at": "2024-06-01T09:00:00Z",
    "closed_at": None,
    "merged_at": None,
    "merge_commit_sha": None,
    "assignee": None,
    "assignees": [],
    "requested_reviewers": [],
    "requested_teams": [],
    "labels": [],
    "milestone": None,
    "draft": False,
    "head": _branch("octo", "listkeeper/update", "1f4c6d2e8a0b3c5d7e9f1a2b4c6d8e0f2a4b6c8d"),
    "base": _branch("octo", "main", "0e2a4c6e8f0a1b3c5d7e9f0a2b4c6d8e0f1a3b5c"),
    "author_association": "CONTRIBUTOR",
    "auto_merge": None,
    "active_lock_reason": None,
    "merged": False,
    "mergeable": None,
    "rebaseable": None,
    "mergeable_state": "unknown",
    "merged_by": None,
    "comments": 0,
    "review_comments": 0,
    "maintainer_can_modify": False,
    "commits": 1,
    "additions": 1,
    "deletions": 1,
    "changed_files": 1,
}

# The list endpoint answers "simple" pull requests: these fields are the full object's only.
FULL_ONLY = frozenset(
    {
        "active_lock_reason",
        "additions",
        "auto_merge",
        "changed_files",
        "comments",
        "commits",
        "deletions",
        "maintainer_can_modify",
        "mergeable",
        "mergeable_state",
        "merged",
        "merged_by",
        "rebaseable",
        "review_comments",
    }
)

# GitHub's 422 to a create when a pull request is open for that head already.
ALREADY_EXISTS: dict[str, Any] = {
    "message": "Validation Failed",
    "errors": [
        {
            "resource": "PullRequest",
            "code": "custom",
            "message": "A pull request already exists for octo:listkeeper/update.",
        }
    ],
    "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
}


def templates() -> tuple[dict[str, Any], dict[str, Any]]:
    """Copies of the pull object and of the 422 "already exists" answer."""
    return copy.deepcopy(PULL), copy.deepcopy(ALREADY_EXISTS)


def simple(pull: dict[str, Any]) -> dict[str, Any]:
    """*pull* as the list endpoint shows it."""
    return {k: v for k, v in pull.items() if k not in FULL_ONLY}


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
            simple(p)
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
            diff_url=f"https://github.example/{owner}/{repo}/pull/{number}.diff",
            patch_url=f"https://github.example/{owner}/{repo}/pull/{number}.patch",
            issue_url=f"{base_url}/issues/{number}",
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
    """A running local GitHub API that accepts *token*; stopped on exit."""
    pull, exists = templates()
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
