"""A small GitHub REST client on urllib: the pull-request endpoints ``listkeeper pr`` uses.

- ``GET /repos/{owner}/{repo}/pulls?head={owner}:{branch}&state=open`` (find the bot's PR)
- ``POST /repos/{owner}/{repo}/pulls`` (open it; 422 "A pull request already exists")
- ``PATCH /repos/{owner}/{repo}/pulls/{number}`` (update its title and body, or close it)

The token is sent only to the configured API URL, in the ``Authorization`` header, and
never appears in an error: every message is passed through :class:`Redactor`. Redirects
are not followed (urllib would replay the token to wherever a 3xx points).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from catalog.errors import ListkeeperError

API_VERSION = "2022-11-28"
USER_AGENT = "listkeeper (+https://github.com/listkeeper/listkeeper)"
_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)


class Redactor:
    """Removes a secret (and any ``user:password@`` of a URL) from text meant for people."""

    def __init__(self, *secrets: str | None) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _USERINFO.sub(lambda m: m["scheme"] + "***@", text)


class GitHubError(ListkeeperError):
    """GitHub refused or could not be reached; the message is already redacted."""

    def __init__(self, message: str, status: int | None = None, data: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.data = data


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True)
class Pull:
    number: int
    html_url: str
    state: str
    head_ref: str
    body: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pull:
        return cls(
            number=int(data["number"]),
            html_url=str(data.get("html_url") or ""),
            state=str(data.get("state") or ""),
            head_ref=str((data.get("head") or {}).get("ref") or ""),
            body=str(data.get("body") or ""),
        )


class GitHub:
    def __init__(self, api_url: str, token: str, repo: str, *, timeout: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.owner, self.name = repo.split("/", 1)
        self.timeout = timeout
        self.redact = Redactor(token)
        self._opener = urllib.request.build_opener(_NoRedirect())

    # --- the endpoints --------------------------------------------------------------

    def open_pull(self, branch: str) -> Pull | None:
        """The open pull request whose head is *branch* of this repository, if any."""
        query = urllib.parse.urlencode({"head": f"{self.owner}:{branch}", "state": "open"})
        data = self._call("GET", f"{self._repo_path()}/pulls?{query}")
        pulls = [Pull.from_json(p) for p in data or [] if isinstance(p, dict)]
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
        try:
            return Pull.from_json(self._call("POST", f"{self._repo_path()}/pulls", payload))
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
        return Pull.from_json(self._call("PATCH", f"{self._repo_path()}/pulls/{number}", fields))

    def close_pull(self, number: int) -> Pull:
        return self.update_pull(number, state="closed")

    # --- plumbing -------------------------------------------------------------------

    def _repo_path(self) -> str:
        quote = urllib.parse.quote
        return f"/repos/{quote(self.owner, safe='')}/{quote(self.name, safe='')}"

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        url = self.api_url + path
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", API_VERSION)
        request.add_header("User-Agent", USER_AGENT)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json; charset=utf-8")
        where = f"{method} {self.redact(self.api_url)}{path.split('?')[0]}"
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read() if exc.fp is not None else b""
            parsed = _json(raw)
            raise GitHubError(
                self.redact(f"GitHub answered {exc.code} to {where}: {_message(exc.code, parsed)}"),
                exc.code,
                parsed,
            ) from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise GitHubError(self.redact(f"cannot reach GitHub ({where}): {reason}")) from None
        return _json(raw)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw[:200].decode("utf-8", "replace")


def _message(status: int, data: Any) -> str:
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
    text = " ".join(text.split())[:300]
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
