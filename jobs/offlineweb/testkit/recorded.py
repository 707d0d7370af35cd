"""Replaying recorded real HTTP responses (shared/corpora/responses/index.json) on the offline web.

`load_recorded(index_path, web)` mounts every record and returns one `RecordedResponse` each:

- host: one offline host per original hostname, keyed by that name (so the stub resolver can
  map it), with a loopback address allocated by `Web.finalize()`; records without a request
  URL go to the host `unrecorded.test`;
- path: the original path and query; when two records claim the same place (the same URL
  recorded several times), the later ones move to `/_rec/<id><path>`;
- status: the recorded one; records that kept only a body get 403 for bot walls and 200
  otherwise, flagged `status_assumed`;
- headers: the recorded ones minus the framing headers (Content-Length, Transfer-Encoding,
  Connection, Content-Encoding: bodies are stored decoded). Where the recorder merged the
  headers of every redirect hop into one list, the last value of each name is served
  (Set-Cookie keeps all). Absolute Location headers are rewritten to the offline host of
  the same name (a placeholder 200 page answers there when nothing was recorded);
- redirects: a record whose final URL maps elsewhere than its request URL is served behind a
  redirect (301 for the soft-404 category, 302 otherwise: the recorders kept no hop status)
  from the request URL to the final one, so a client that follows redirects ends on the
  recorded response.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..spec import HeaderValue, Page, Web

if TYPE_CHECKING:
    from ..server import OfflineWeb

UNRECORDED_HOST = "unrecorded.test"
FRAMING = {"content-length", "transfer-encoding", "connection", "content-encoding", "keep-alive"}
SUFFIX_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass
class RecordedResponse:
    """One mounted record: where to fetch it offline and what to expect back."""

    id: str
    category: str
    kind: str
    expected_conclusion: str
    method: str
    original_url: str | None
    host: str  # offline host key (the original hostname)
    path: str  # request target on that host
    status: int
    status_assumed: bool
    headers: list[tuple[str, str]]
    body: bytes
    final_host: str | None = None  # where the redirect from `path` lands, if any
    final_path: str | None = None
    redirect_status: int | None = None
    record: dict[str, Any] = field(default_factory=dict, repr=False)

    def url(self, ow: OfflineWeb) -> str:
        return ow.url(self.host, self.path)

    def final_url(self, ow: OfflineWeb) -> str:
        if self.final_host is None or self.final_path is None:
            return self.url(ow)
        return ow.url(self.final_host, self.final_path)


def _place(url: str | None) -> tuple[str, str]:
    if not url:
        return UNRECORDED_HOST, "/"
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return (parts.hostname or UNRECORDED_HOST).lower(), target


def _served_headers(raw: dict[str, Any] | None, merged: bool) -> dict[str, HeaderValue]:
    out: dict[str, HeaderValue] = {}
    for name, value in (raw or {}).items():
        if name.lower() in FRAMING or name.lower() == "status":
            continue
        values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if merged and name.lower() != "set-cookie":
            values = values[-1:]
        out[name] = values if len(values) > 1 else values[0]
    return out


def _load_exchange(path: Path) -> dict[str, Any]:
    response: dict[str, Any] = json.loads(path.read_text("utf-8"))["response"]
    return response


class _Mounter:
    def __init__(self, web: Web, base: Path) -> None:
        self.web = web
        self.base = base
        self.targets: list[tuple[str, str]] = []  # Location targets to back with a page

    def free_path(self, host: str, path: str, record_id: str) -> str:
        pages = self.web.host(host).pages
        return path if path not in pages else f"/_rec/{record_id}{path}"

    def offline_location(self, location: str) -> str:
        if not location.startswith(("http://", "https://")):
            return location
        host, target = _place(location)
        self.targets.append((host, target))
        return f"http://{host}:{{port}}{target}"

    def mount(self, rec: dict[str, Any]) -> RecordedResponse:
        request = rec.get("request") or {}
        host, path = _place(request.get("url"))
        body_path = self.base / rec["file"]
        if rec.get("exchange_format"):
            response = _load_exchange(body_path)
            raw_headers, status = response.get("headers"), response.get("status")
            body = str(response.get("body") or "").encode("utf-8")
            reason = response.get("reason")
        else:
            raw_headers, status = rec.get("headers"), rec.get("status")
            body = body_path.read_bytes()
            reason = rec.get("reason_phrase")
        merged = "merges all redirect hops" in str(rec.get("headers_provenance") or "")
        headers = _served_headers(raw_headers, merged)
        assumed = status is None
        if status is None:
            status = 403 if rec.get("category") == "bot_wall" else 200
        status = int(status)
        final_host, final_path = (
            _place(rec.get("final_url")) if rec.get("final_url") else (host, path)
        )
        redirect_status = None
        if (final_host, final_path) != (host, path):
            redirect_status = 301 if rec.get("category") == "soft404" else 302
        location = None
        for name in [k for k in headers if k.lower() == "location"]:
            value = headers.pop(name)  # earlier hops' Locations are served by our redirect
            if 300 <= status < 400 and isinstance(value, str):
                location = self.offline_location(value)
        if "content-type" not in {k.lower() for k in headers}:
            headers["Content-Type"] = SUFFIX_TYPES.get(body_path.suffix, "text/plain")
        page = Page(
            status=status,
            body_file=None if rec.get("exchange_format") else str(body_path),
            body=body.decode("utf-8") if rec.get("exchange_format") else "",
            content_type="",
            headers=headers,
            reason=reason,
            location=location,
        )
        if redirect_status is None:
            path = self.free_path(host, path, rec["id"])
            self.web.host(host).pages[path] = page
        else:
            path = self.free_path(host, path, rec["id"])
            final_path = self.free_path(final_host, final_path, rec["id"])
            self.web.host(final_host).pages[final_path] = page
            location = f"http://{final_host}:{{port}}{final_path}"
            self.web.host(host).pages[path] = Page(
                status=redirect_status, location=location, content_type=""
            )
        served = [(k, x) for k, v in headers.items() for x in ([v] if isinstance(v, str) else v)]
        return RecordedResponse(
            id=rec["id"],
            category=rec.get("category", ""),
            kind=rec.get("kind", ""),
            expected_conclusion=rec.get("expected_conclusion", ""),
            method=str(request.get("method") or "GET"),
            original_url=request.get("url"),
            host=host,
            path=path,
            status=status,
            status_assumed=assumed,
            headers=served,
            body=body,
            final_host=final_host if redirect_status else None,
            final_path=final_path if redirect_status else None,
            redirect_status=redirect_status,
            record=rec,
        )

    def back_targets(self) -> None:
        """A placeholder page wherever a rewritten Location points and nothing was recorded."""
        for host, target in self.targets:
            pages = self.web.host(host).pages
            if target not in pages:
                pages[target] = Page(body="<title>redirect target</title><p>not recorded</p>")


def load_recorded(
    index_path: str | Path, web: Web, *, by_name: bool = False
) -> list[RecordedResponse]:
    """Mount every record of `index_path` on `web`; return them in index order. Their
    `headers` are the served ones except Location (see `page.location` on the web).
    With `by_name`, redirects keep the hosts' names (for a client with the stub resolver,
    which then sees the same hosts as the recording did)."""
    index_path = Path(index_path)
    index = json.loads(index_path.read_text("utf-8"))
    mounter = _Mounter(web, index_path.parent)
    records = [mounter.mount(rec) for rec in index["records"]]
    mounter.back_targets()
    if by_name:
        return records
    # Redirects point at names; the offline web resolves them as Host headers, but clients
    # connect by address: rewrite those Locations to the hosts' addresses.
    dns = web.dns_map()
    for host in web.hosts.values():
        for page in host.pages.values():
            if page.location and page.location.startswith("http://"):
                name = urlsplit(page.location.replace("{port}", "1")).hostname or ""
                if name in dns:
                    page.location = page.location.replace(f"//{name}:", f"//{dns[name]}:", 1)
    return records


def recorded_web(
    index_path: str | Path, *, by_name: bool = False
) -> tuple[Web, list[RecordedResponse]]:
    """A new web holding only the recorded responses."""
    web = Web()
    return web, load_recorded(index_path, web, by_name=by_name)
