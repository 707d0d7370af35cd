"""A small GitHub GraphQL client on urllib, beside the REST one (``jobs/github.py``), with
the same user agent, redaction (``catalog.output``) and refusal to follow redirects (the
token would go along).

One ``POST {graphql_url}`` per call, answered as it came: any HTTP status, the ``data``
and ``errors`` of the body, and the rate-limit headers. Deciding what an answer means
(split, wait, stop) is the caller's (``jobs/repositories.py``), which sends one query at a
time: this client is never used from two threads.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from catalog.output import Redactor, add_secret
from jobs.github import GitHubError
from jobs.http import TIMEOUT, FetchError, fetch


@dataclass(frozen=True)
class Answer:
    """One answer of the GraphQL endpoint."""

    status: int
    data: dict[str, Any] | None
    errors: list[dict[str, Any]] = field(default_factory=list)
    headers: Mapping[str, str] = field(default_factory=dict)
    message: str = ""  # a REST-style ``message`` (secondary limits, 5xx), redacted

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


class GraphQL:
    """``POST`` queries to one GraphQL endpoint with one token; counts what it sent."""

    def __init__(self, url: str, token: str, *, timeout: float = TIMEOUT) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout
        self.redact = Redactor(token)
        add_secret(token)  # and wherever else it might turn up (catalog.output)
        self.sent = 0  # queries sent, for the check's summary and the tests

    def post(self, query: str, variables: Mapping[str, Any]) -> Answer:
        """The endpoint's answer; :class:`GitHubError` only when nothing came back."""
        payload = json.dumps({"query": query, "variables": dict(variables)}).encode()
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Bearer {self.token}",
        }
        self.sent += 1
        try:
            answer = fetch(
                self.url,
                headers=headers,
                method="POST",
                data=payload,
                follow_redirects=False,
                deadline=time.monotonic() + self.timeout,
            )
        except FetchError as exc:
            where = self.redact(self.url)
            message = f"cannot reach GitHub GraphQL ({where}): {exc.reason}"
            raise GitHubError(self.redact(message)) from None
        # 100 repositories answer in ~60 KB: a body cut at the cap is not ours, and no answer
        raw = b"" if answer.cut else answer.body
        return _answer(answer.status, dict(answer.headers), raw, self.redact)


def _answer(status: int, headers: dict[str, str], raw: bytes, redact: Redactor) -> Answer:
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = None
        text = raw[:200].decode("utf-8", "replace")
    else:
        text = ""
    if not isinstance(body, dict):
        return Answer(status, None, [], headers, redact(" ".join(text.split())))
    data = body.get("data") if isinstance(body.get("data"), dict) else None
    errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    message = redact(" ".join(str(body.get("message") or "").split())[:300])
    return Answer(status, data, errors, headers, message)
