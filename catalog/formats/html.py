"""The HTML report: one self-contained file a maintainer opens in a browser.

The summary; a table of every link, sortable (click a header) and filterable by status,
section, host, "failing for" / "failing since" and free text; each link that is not ok with
its evidence (the last checks, the error, the redirect chain, where the README has it, and a
Wayback Machine search when ``wayback=True``); and the candidates found by discovery.

Nothing is fetched: CSS and a little vanilla JavaScript are inline, and a Content Security
Policy (``default-src 'none'``, the one script and the one style allowed by their hashes)
forbids anything else. Every value from the web or a README is escaped by Jinja2's
autoescape; only ``http(s)`` URLs become links. The script reads the links from a
``<script type="application/json">`` block whose ``<``, ``>`` and ``&`` are ``\\uXXXX``
escapes, so a ``</script>`` in a title cannot end the block, and it writes to the page with
``textContent`` only. The same report gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from markupsafe import Markup

from catalog.candidates_view import Candidate
from catalog.changes import PageChange
from catalog.formats.json import change_dict
from catalog.formats.markdown import HEADINGS, duration, when
from catalog.reports import STATUS_ORDER, Report, ReportLink, iso
from catalog.urls import web_url
from catalog.vocabulary import LinkKind, LinkStatus

WAYBACK = "https://web.archive.org/web/*/"
# Statuses for which an archived copy is worth suggesting: the page may be gone.
_WAYBACK_STATUSES = frozenset({LinkStatus.DEAD, LinkStatus.FAILING, LinkStatus.SUSPECT})
# Statuses listed with their evidence below the table.
_QUIET = frozenset({LinkStatus.OK, LinkStatus.UNCHECKED, LinkStatus.EXCLUDED})
_RANK = {status: i for i, status in enumerate(STATUS_ORDER)}
# "Failing for at least": the select's choices, in seconds.
FAILING_FOR = (("1 day", 86_400), ("7 days", 7 * 86_400), ("30 days", 30 * 86_400))
# Characters kept as they are in a URL handed to the Wayback Machine ("#" is encoded).
_URL_SAFE = ":/?&=%~+@!$,;'()*[]"


@dataclass(frozen=True)
class _Asset:
    text: Markup
    csp: str  # 'sha256-...'


_env: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    global _env
    if _env is None:
        _env = jinja2.Environment(
            loader=jinja2.PackageLoader("catalog", "templates"),
            autoescape=True,  # every {{ value }} is HTML-escaped
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    return _env


def format_report(
    report: Report, *, candidates: Sequence[Candidate] = (), wayback: bool = False
) -> str:
    """The report as one HTML document (UTF-8 text)."""
    env = environment()
    links = [_link(i, link, report, wayback) for i, link in enumerate(report.links)]
    data = {
        "generated_at": iso(report.generated_at),
        "links": [_row_data(view) for view in links],
    }
    script = _asset(env, "_report_script.html.j2")
    style = _asset(env, "_report_style.html.j2")
    csp = (
        "default-src 'none'; "
        f"script-src {script.csp}; style-src {style.csp}; "
        "img-src 'none'; base-uri 'none'; form-action 'none'"
    )
    counts = report.summary.as_dict()
    html = env.get_template("report.html.j2").render(
        report=report,
        title=f"Link report{' — ' + report.document if report.document else ''}",
        generated=when(report.generated_at),
        since=when(report.history_since) if report.history_since else None,
        statuses=[
            {"value": s.value, "label": HEADINGS[s], "count": counts[s.value]} for s in STATUS_ORDER
        ],
        summary=counts,
        links=links,
        evidence=[view for view in links if view["status"] not in _QUIET],
        sections=_sections(report.links),
        hosts=sorted({view["host"] for view in links if view["host"]}),
        failing_for=FAILING_FOR,
        candidates=[_candidate(c) for c in candidates],
        repositories=_repositories(report),
        wayback=wayback,
        data=json_script(data),
        script=script.text,
        style=style.text,
        csp=csp,
    )
    return html if html.endswith("\n") else html + "\n"


def json_script(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&``."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    # Nothing left in it can close the element or start markup.
    return Markup(text)


def http_href(url: str | None) -> str | None:
    """*url* when it may be a link, through the one URL gate (catalog.urls.web_url):
    ``http``/``https`` with a host, else None (never ``javascript:``)."""
    return web_url(url)


def wayback_url(url: str) -> str:
    return WAYBACK + quote(url.strip(), safe=_URL_SAFE)


def host_of(link: ReportLink) -> str:
    if link.kind not in (LinkKind.EXTERNAL, LinkKind.NO_SCHEME):
        return ""
    url = link.url if "://" in link.url else "https://" + link.url.lstrip("/")
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _asset(env: jinja2.Environment, name: str) -> _Asset:
    text = env.get_template(name).render().strip("\n")
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return _Asset(text=Markup(text), csp=f"'sha256-{digest}'")  # our own file, no data in it


def _failing_since(link: ReportLink) -> datetime | None:
    ev = link.evidence
    if ev is None or ev.failing_for is None:
        return None
    return link.first_failed_at


def _link(index: int, link: ReportLink, report: Report, wayback: bool) -> dict[str, Any]:
    ev = link.evidence
    since = _failing_since(link)
    sections = []
    for source in link.sources:
        if source.section and source.section not in sections:
            sections.append(source.section)
    checks = []
    redirects = []
    if ev is not None:
        checks = [
            {
                "when": when(c.checked_at),
                "iso": iso(c.checked_at),
                "outcome": c.outcome,
                "http_status": c.http_status,
                "error": c.error,
            }
            for c in ev.checks
        ]
        redirects = [
            {"status": h.status, "url": h.url, "href": http_href(h.url)} for h in ev.redirects
        ]
    suggest = (
        wayback
        and link.status in _WAYBACK_STATUSES
        and link.kind
        in (
            LinkKind.EXTERNAL,
            LinkKind.NO_SCHEME,
        )
    )
    return {
        "index": index,
        "anchor": f"link-{index + 1}",
        "status": link.status,
        "status_value": link.status.value,
        "status_label": HEADINGS[link.status],
        "url": link.url,
        "href": http_href(link.url),
        "title": link.title,
        "host": host_of(link),
        "sections": sections,
        "sources": link.sources,
        "http_status": link.http_status,
        "final_url": link.final_url,
        "final_href": http_href(link.final_url),
        "error": link.error,
        "checked_at": when(link.checked_at) if link.checked_at else None,
        "checked_iso": iso(link.checked_at),
        "since": when(since) if since else None,
        "since_iso": iso(since),
        "failing_for": duration(ev.failing_for) if ev and ev.failing_for is not None else None,
        "failing_for_seconds": (
            int(ev.failing_for.total_seconds()) if ev and ev.failing_for is not None else None
        ),
        "consecutive_failures": link.consecutive_failures,
        "checks": checks,
        "redirects": redirects,
        "wayback": wayback_url(link.url) if suggest else None,
        "change": _change(link.change),
    }


def _repositories(report: Report) -> dict[str, Any]:
    """The archived, renamed and stale GitHub repositories, for their own sections."""
    views: list[tuple[ReportLink, dict[str, Any]]] = []
    for link in report.links:
        facts = link.repository
        if facts is None:
            continue
        notes = facts.notes()
        view = {
            "url": link.url,
            "href": http_href(link.url),
            "title": link.title,
            "renamed": facts.renamed,
            "name_with_owner": facts.name_with_owner,
            "notes": notes,
        }
        views.append((link, view))
    kinds = (("archived", "Archived"), ("renamed", "Renamed"), ("stale", "Stale"))
    sections = [
        {
            "id": key,
            "title": title,
            "links": [v for link, v in views if getattr(link.repository, key)],
        }
        for key, title in kinds
    ]
    return {"sections": [s for s in sections if s["links"]], "as_pages": report.repos_as_pages}


def _change(change: PageChange | None) -> dict[str, Any] | None:
    """The view of a parked or replaced page: ``_report_change.html.j2``."""
    view = change_dict(change)
    if change is None or view is None:
        return None
    view["changed_at_iso"] = view["changed_at"]
    view["changed_at"] = when(change.changed_at) if change.changed_at else None
    return view


def _row_data(view: dict[str, Any]) -> dict[str, Any]:
    """What the script filters and sorts on, one object per table row, in row order."""
    return {
        "status": view["status_value"],
        "rank": _RANK[view["status"]],
        "title": view["title"],
        "url": view["url"],
        "sections": view["sections"],
        "host": view["host"],
        "http": view["http_status"],
        "since": view["since_iso"],
        "failingFor": view["failing_for_seconds"],
        "checked": view["checked_iso"],
        "failures": view["consecutive_failures"],
    }


def _sections(links: Sequence[ReportLink]) -> list[str]:
    """Every section path a link is written in, in the documents' order."""
    first: dict[str, tuple[str, int]] = {}
    for link in links:
        for source in link.sources:
            if source.section:
                place = (source.document, source.line)
                if source.section not in first or place < first[source.section]:
                    first[source.section] = place
    return sorted(first, key=lambda section: (first[section], section))


def _candidate(candidate: Candidate) -> dict[str, Any]:
    return {
        "id": candidate.id,
        "title": candidate.title,
        "url": candidate.url,
        "href": http_href(candidate.url),
        "section": candidate.section,
        "document": candidate.document,
        "origin": candidate.origin,
        "origin_ref": candidate.origin_ref,
        "origin_href": http_href(candidate.origin_ref),
        "added": when(candidate.added_at),
    }
