"""A local GitHub GraphQL endpoint for the tests, the demo and the benchmark.

The query is parsed, validated and executed by graphql-core against the part of GitHub's
schema listkeeper asks for (``repository(owner:, name:)``, ``ref(qualifiedName:)``,
``defaultBranchRef{target{...on Commit}}``, ``rateLimit``), so aliases, variables, ``null``
fields and per-alias errors (``path`` starting with the alias) come out as the real API
gives them; a missing repository is ``null`` with an error of ``type`` NOT_FOUND and the
message GitHub writes. Around it, the answers GitHub gives when it will not answer:
RATE_LIMITED with HTTP 200, a secondary limit (403 + Retry-After), a 502 for a query
with too many aliases; and the ``x-ratelimit-*`` headers on every answer.

Each query is counted with its aliases, and the most queries ever in flight at once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLResolveInfo,
    OperationDefinitionNode,
    build_schema,
    graphql_sync,
    parse,
)

SDL = """
scalar DateTime
scalar URI
type Query {
  repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
  rateLimit(dryRun: Boolean = false): RateLimit
}
type RateLimit { cost: Int! limit: Int! remaining: Int! resetAt: DateTime! used: Int! }
type Repository {
  nameWithOwner: String! url: URI! isArchived: Boolean! archivedAt: DateTime
  isDisabled: Boolean! isFork: Boolean! isMirror: Boolean! isEmpty: Boolean!
  isPrivate: Boolean! pushedAt: DateTime stargazerCount: Int!
  defaultBranchRef: Ref
  ref(qualifiedName: String!): Ref
}
type Ref { name: String! target: GitObject }
interface GitObject { oid: String! }
type Commit implements GitObject { oid: String! committedDate: DateTime! }
"""
SCHEMA = build_schema(SDL)
SCHEMA.type_map["GitObject"].resolve_type = lambda *_: "Commit"  # type: ignore[attr-defined]

RATE_LIMITED_BODY = {
    "errors": [
        {
            "type": "RATE_LIMITED",
            "message": "API rate limit exceeded for user ID 1.",
        }
    ]
}
SECONDARY_BODY = {
    "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/"
    "rate-limits-for-the-rest-api#about-secondary-rate-limits",
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before "
    "you try again. If you reach out to GitHub Support for help, please include the "
    "request ID 0000:1111:2222:3333:4444.",
}
TIMEOUT_BODY = {
    "data": None,
    "errors": [
        {
            "message": "Something went wrong while executing your query. This may be the "
            "result of a timeout, or it could be a GitHub bug. Please include "
            "`0000:1111:2222` when reporting this issue."
        }
    ],
}


Canned = tuple[int, dict[str, str], dict[str, Any]]


@dataclass
class Repo:
    """A repository the endpoint knows."""

    name_with_owner: str
    archived: bool = False
    archived_at: str | None = None
    disabled: bool = False
    fork: bool = False
    mirror: bool = False
    private: bool = False
    pushed_at: str | None = "2026-11-30T12:00:00Z"
    last_commit_at: str | None = "2026-11-28T09:30:00Z"  # None: an empty repository
    stars: int = 42
    branches: tuple[str, ...] = ("main",)


@dataclass
class Endpoint:
    """What the endpoint knows, what it will refuse, and what it was asked."""

    token: str | None = None  # None: any bearer token is accepted
    repos: dict[str, Repo] = field(default_factory=dict)  # "owner/name" (lower) → repo
    # Faults served before answering, one per query: "rate_limited", "secondary",
    # "timeout" (a 200 with GitHub's "Something went wrong" error), an HTTP status, or a
    # whole answer (status, headers, body), e.g. a recorded one; "none" answers.
    faults: list[str | int | Canned] = field(default_factory=list)
    max_aliases: int | None = None  # a query with more repositories answers 502
    limit: int = 5000
    remaining: int = 5000
    reset_in: int = 1800  # seconds until the primary limit resets
    retry_after: int = 1  # of a secondary limit
    delay: float = 0.0  # per query, to make overlapping queries visible
    queries: list[int] = field(default_factory=list)  # repository aliases of each query
    in_flight: int = 0
    max_in_flight: int = 0
    busy: float = 0.0  # seconds spent answering (graphql-core's execution, for the bench)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, asked: str, repo: Repo | None = None) -> Repo:
        """Answer *asked* ("owner/name") with *repo* (a rename when its name differs)."""
        repo = repo or Repo(asked)
        self.repos[asked.lower()] = repo
        self.repos.setdefault(repo.name_with_owner.lower(), repo)
        return repo

    def handle(
        self, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """One POST to the endpoint: status, headers, JSON body."""
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        start = time.perf_counter()
        try:
            if self.delay:
                time.sleep(self.delay)
            return self._handle(headers, raw)
        finally:
            with self.lock:
                self.in_flight -= 1
                self.busy += time.perf_counter() - start

    def _handle(
        self, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        if not auth.startswith("Bearer ") or (
            self.token is not None and auth != f"Bearer {self.token}"
        ):
            body = {"message": "Bad credentials", "documentation_url": "https://docs.github.com"}
            return 401, self._limit_headers(), body
        try:
            request = json.loads(raw)
            query, variables = request["query"], request.get("variables") or {}
            document = parse(query)
        except (ValueError, KeyError, TypeError, GraphQLError) as exc:
            return 400, self._limit_headers(), {"message": f"Problems parsing JSON: {exc}"}
        aliases = _repository_fields(document)
        with self.lock:
            self.queries.append(aliases)
            fault = self.faults.pop(0) if self.faults else None
        if fault == "rate_limited" or self.remaining <= 0:
            # A refused query until the reset (the fault: this one only, as after a wait).
            return 200, {**self._limit_headers(), "X-RateLimit-Remaining": "0"}, (RATE_LIMITED_BODY)
        if fault == "secondary":
            return (
                403,
                {**self._limit_headers(), "Retry-After": str(self.retry_after)},
                (SECONDARY_BODY),
            )
        if fault == "timeout":
            return 200, self._limit_headers(), TIMEOUT_BODY
        if isinstance(fault, tuple):
            return fault
        if isinstance(fault, int):
            return fault, self._limit_headers(), {"message": "Server Error"}
        if self.max_aliases is not None and aliases > self.max_aliases:
            body = {"message": "We couldn't respond to your request in time. Sorry about that."}
            return 502, self._limit_headers(), body
        self.remaining -= 1
        result = graphql_sync(
            SCHEMA, query, root_value=self, variable_values=variables, field_resolver=_resolve
        )
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [_error(e) for e in result.errors]
        return 200, self._limit_headers(), out

    def _limit_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.remaining, 0)),
            "X-RateLimit-Used": str(self.limit - max(self.remaining, 0)),
            "X-RateLimit-Reset": str(int(time.time()) + self.reset_in),
            "X-RateLimit-Resource": "graphql",
        }

    def reset_at(self) -> str:
        moment = time.gmtime(time.time() + self.reset_in)
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", moment)


def _repository_fields(document: DocumentNode) -> int:
    """How many ``repository`` fields (aliases) the query's operations select."""
    count = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            for selection in definition.selection_set.selections:
                if isinstance(selection, FieldNode) and selection.name.value == "repository":
                    count += 1
    return count


class _NotFound(GraphQLError):
    pass


def _error(error: GraphQLError) -> dict[str, Any]:
    """GitHub's error shape: ``type`` beside ``path``, ``locations`` and ``message``."""
    formatted = dict(error.formatted)
    if isinstance(error.original_error, _NotFound) or isinstance(error, _NotFound):
        out: dict[str, Any] = {"type": "NOT_FOUND"}
        out.update(formatted)
        return out
    return formatted


def _resolve(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    name = info.field_name
    if isinstance(source, Endpoint):
        if name == "repository":
            asked = f"{args['owner']}/{args['name']}"
            repo = source.repos.get(asked.lower())
            if repo is None:
                raise _NotFound(f"Could not resolve to a Repository with the name '{asked}'.")
            return repo
        if name == "rateLimit":
            used = source.limit - source.remaining
            return {
                "cost": 1,
                "limit": source.limit,
                "remaining": source.remaining,
                "resetAt": source.reset_at(),
                "used": used,
            }
    if isinstance(source, Repo):
        simple = {
            "nameWithOwner": source.name_with_owner,
            "url": f"https://github.com/{source.name_with_owner}",
            "isArchived": source.archived,
            "archivedAt": source.archived_at,
            "isDisabled": source.disabled,
            "isFork": source.fork,
            "isMirror": source.mirror,
            "isEmpty": source.last_commit_at is None,
            "isPrivate": source.private,
            "pushedAt": source.pushed_at,
            "stargazerCount": source.stars,
        }
        if name in simple:
            return simple[name]
        if name == "defaultBranchRef":
            if source.last_commit_at is None:
                return None
            return {"name": source.branches[0], "target": _commit(source)}
        if name == "ref":
            wanted = str(args["qualifiedName"]).removeprefix("refs/heads/")
            if wanted in source.branches:
                return {"name": wanted, "target": _commit(source)}
            return None
    if isinstance(source, dict):
        return source.get(name)
    return None


def _commit(repo: Repo) -> dict[str, Any]:
    return {"oid": "0" * 40, "committedDate": repo.last_commit_at}


# --- serving it on loopback (the demo, the benchmark) -----------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status: int
        headers: dict[str, str]
        body: dict[str, Any]
        if urlsplit(self.path).path not in ("/graphql", "/api/graphql"):
            status, headers, body = 404, {}, {"message": "Not Found"}
        else:
            status, headers, body = self.server.endpoint.handle(dict(self.headers), raw)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.endpoint = endpoint


@contextmanager
def serving(endpoint: Endpoint) -> Iterator[str]:
    """The endpoint on a free loopback port; yields the API URL (GraphQL at ``/graphql``)."""
    server = _Server(endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
