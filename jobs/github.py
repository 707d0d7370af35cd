"""A small GitHub REST client on urllib: the pull-request endpoints ``listkeeper pr`` uses.

- ``GET /repos/{owner}/{repo}/pulls?head={owner}:{branch}&state=open`` (find the bot's PR)
- ``POST /repos/{owner}/{repo}/pulls`` (open it; 422 "A pull request already exists")
- ``PATCH /repos/{owner}/{repo}/pulls/{number}`` (update its title and body, or close it)

The token is sent only to the configured API URL, in the ``Authorization`` header, and
never appears in an error: it is registered with the process's output filter
(catalog.output), and every message is redacted before it is cut to length. Redirects
are not followed (urllib would replay the token to wherever a 3xx points). Answers are
checked for the shape this client reads before anything is taken from them: a list where
an object belongs, or a pull request without a number, is one clear error, not a
traceback.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from catalog.errors import ListkeeperError
from catalog.output import Redactor, add_secret, redact
from catalog.urls import web_url
from jobs.http import TIMEOUT, FetchError, fetch

__all__ = ["GitHub", "GitHubError", "Pull", "Redactor"]

API_VERSION = "2022-11-28"
TOKEN_ENV = "GITHUB_TOKEN"  # read by pr and by check (repository links); never printed
MESSAGE_CHARS = 300  # GitHub's message in an error line, cut after redaction


class GitHubError(ListkeeperError):
    """GitHub refused or could not be reached; the message is already redacted."""

    def __init__(self, message: str, status: int | None = None, data: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.data = data


@dataclass(frozen=True)
class Pull:
    number: int
    html_url: str
    state: str
    head_ref: str
    body: str

    @classmethod
    def from_json(cls, data: Any, where: str = "GitHub") -> Pull:
        """A pull request from GitHub's JSON; GitHubError when it is not shaped like one."""
        if not isinstance(data, dict):
            raise _shape(where, "a pull request object", data)
        number = data.get("number")
        if type(number) is not int or number <= 0:
            raise _shape(where, "a pull request with a positive integer number", data)
        head = data.get("head")
        return cls(
            number=number,
            html_url=web_url(_string(data.get("html_url"))) or "",  # printed: the URL gate
            state=_string(data.get("state")),
            head_ref=_string(head.get("ref")) if isinstance(head, dict) else "",
            body=_string(data.get("body")),
        )


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _shape(where: str, expected: str, data: Any) -> GitHubError:
    got = (
        type(data).__name__
        if not isinstance(data, dict)
        else f"an object without it ({_keys(data)})"
    )
    return GitHubError(redact(f"{where}: GitHub's answer is not {expected} but {got}"))


def _keys(data: dict[str, Any]) -> str:
    keys = ", ".join(str(k) for k in list(data)[:8])
    return f"keys: {keys}" if keys else "no keys"


class GitHub:
    def __init__(self, api_url: str, token: str, repo: str, *, timeout: float = TIMEOUT) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.owner, self.name = repo.split("/", 1)
        self.timeout = timeout
        add_secret(token)  # whatever prints or logs it, anywhere in the process
        self.redact = Redactor(token)

    # --- the endpoints --------------------------------------------------------------

    def open_pull(self, branch: str) -> Pull | None:
        """The open pull request whose head is *branch* of this repository, if any."""
        query = urllib.parse.urlencode({"head": f"{self.owner}:{branch}", "state": "open"})
        path = f"{self._repo_path()}/pulls"
        data = self._call("GET", f"{path}?{query}")
        if data is None:
            data = []
        if not isinstance(data, list):
            raise _shape(f"GET {path}", "a list of pull requests", data)
        pulls = [Pull.from_json(p, f"GET {path}") for p in data]
        return next((p for p in pulls if p.head_ref == branch), pulls[0] if pulls else None)

    def create_pull(self, *, title: str, head: str, base: str, body: str) -> Pull:
        """Open the pull request; when GitHub says one exists already, update that one."""
        payload = {
            "title": title,
            "head": head,
            "base": base,
            "body": body,
            "maintainer_can_modify": True,
            "draft": False,
        }
        path = f"{self._repo_path()}/pulls"
        try:
            return Pull.from_json(self._call("POST", path, payload), f"POST {path}")
        except GitHubError as exc:
            if exc.status != 422 or not _already_exists(exc.data):
                raise
        existing = self.open_pull(head)
        if existing is None:
            raise GitHubError(
                f"GitHub says a pull request for {self.owner}:{head} exists, "
                "but none is open for it; retry later",
                422,
            )
        return self.update_pull(existing.number, title=title, body=body)

    def update_pull(self, number: int, **fields: Any) -> Pull:
        path = f"{self._repo_path()}/pulls/{number}"
        return Pull.from_json(self._call("PATCH", path, fields), f"PATCH {path}")

    def close_pull(self, number: int) -> Pull:
        return self.update_pull(number, state="closed")

    # --- plumbing -------------------------------------------------------------------

    def _repo_path(self) -> str:
        quote = urllib.parse.quote
        return f"/repos/{quote(self.owner, safe='')}/{quote(self.name, safe='')}"

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "Authorization": f"Bearer {self.token}",
        }
        if data is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        where = self.redact(f"{method} {self.api_url}{path.split('?')[0]}")
        try:
            answer = fetch(
                self.api_url + path,
                headers=headers,
                method=method,
                data=data,
                follow_redirects=False,
                deadline=time.monotonic() + self.timeout,
            )
        except FetchError as exc:
            raise GitHubError(self.redact(f"cannot reach GitHub ({where}): {exc.reason}")) from None
        if answer.status >= 300:
            parsed = _json(answer.body)
            message = _message(answer.status, parsed, self.redact)
            raise GitHubError(
                f"GitHub answered {answer.status} to {where}: {message}", answer.status, parsed
            )
        data = _json(answer.body)
        if isinstance(data, str):
            raise GitHubError(f"{where}: GitHub's answer is not JSON: {_cut(self.redact(data))}")
        return data


def _json(raw: bytes) -> Any:
    """The JSON of a body, or its text when it is not JSON (an HTML error page, say)."""
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw.decode("utf-8", "replace")


def _cut(text: str) -> str:
    """One line of at most MESSAGE_CHARS: only ever applied to redacted text, since a cut
    before redaction can leave a part of a secret that no longer matches it whole."""
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"


def _message(status: int, data: Any, redactor: Redactor) -> str:
    """GitHub's own ``message`` and its validation errors, on one short line."""
    if isinstance(data, dict):
        text = str(data.get("message") or "")
        errors = data.get("errors")
        if isinstance(errors, list):
            details = [
                str(e.get("message") or e.get("code")) for e in errors if isinstance(e, dict)
            ]
            if details:
                text += ": " + "; ".join(details)
    else:
        text = str(data or "")
    text = _cut(redact(redactor(text)))
    hints = {
        401: " (check GITHUB_TOKEN)",
        403: " (the token lacks the pull-request or contents permission, or a rate limit)",
        404: " (check [pr] repo and --api-url, and that the token can see the repository)",
        301: " (the repository moved: update [pr] repo)",
    }
    return (text or "no message") + hints.get(status, "")


def _already_exists(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    errors = data.get("errors") or []
    return any(
        isinstance(e, dict) and "already exists" in str(e.get("message", "")).lower()
        for e in errors
    )
