"""The JSON report: the machine interface, in a stable shape (keys are added, never removed
or renamed).

``{"summary": {...}, "links": [{"url", "status", "http_status", "final_url", "error",
"checked_at", "first_failed_at", "consecutive_failures", "title", "sources": [...]}]}``;
keys may be added (``evidence``; top-level ``hygiene``: document, kind, line, text, fix,
message; ``repository`` for a GitHub repository, with ``archived`` and ``stale`` in the
summary; ``change`` per link, ``parked`` and ``replaced`` in the summary and a
top-level ``look``), never removed or renamed.
"""

from __future__ import annotations

import json
from typing import Any

from catalog.changes import PageChange, PageSide
from catalog.reports import Evidence, Report, ReportLink, iso


def as_dict(report: Report) -> dict[str, Any]:
    return {
        "summary": {**report.summary.as_dict(), **_changed_counts(report)},
        "links": [_link(link) for link in report.links],
        "hygiene": _hygiene(report),
        "look": _looks(report),
    }


def _changed_counts(report: Report) -> dict[str, int]:
    """Suspect links whose page is parked or replaced (confirmed or not)."""
    kinds = [link.change.kind for link in report.links if link.change is not None]
    return {"parked": kinds.count("parked"), "replaced": kinds.count("replaced")}


def _side(side: PageSide | None) -> dict[str, Any] | None:
    if side is None:
        return None
    return {"title": side.title, "site_name": side.site_name, "host": side.host, "lang": side.lang}


def change_dict(change: PageChange | None) -> dict[str, Any] | None:
    """A parked or replaced page: kind, confirmed, reason, since when, before and after."""
    if change is None:
        return None
    return {
        "kind": change.kind,
        "confirmed": change.confirmed,
        "reason": change.reason,
        "changed_at": iso(change.changed_at),
        "seen_at": iso(change.seen_at),
        "before": _side(change.before),
        "after": _side(change.after),
    }


def _looks(report: Report) -> list[dict[str, Any]]:
    return [
        {"url": k.url, "text": k.text, "title": k.title, "document": k.document, "line": k.line}
        for k in report.looks
    ]


def _hygiene(report: Report) -> list[dict[str, Any]]:
    return [
        {
            "document": h.document,
            "kind": h.kind,
            "line": h.line,
            "text": h.text,
            "fix": h.fix,
            "message": h.message,
        }
        for h in report.hygiene
    ]


def format_report(report: Report) -> str:
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"


def _link(link: ReportLink) -> dict[str, Any]:
    out = {
        "url": link.url,
        "status": link.status.value,
        "http_status": link.http_status,
        "final_url": link.final_url,
        "error": link.error,
        "checked_at": iso(link.checked_at),
        "first_failed_at": iso(link.first_failed_at),
        "consecutive_failures": link.consecutive_failures,
        "title": link.title,
        "sources": [
            {"document": s.document, "section": s.section, "line": s.line} for s in link.sources
        ],
        "evidence": _evidence(link.evidence),
        "change": change_dict(link.change),
    }
    if link.repository is not None:  # a GitHub repository the API answered for
        out["repository"] = link.repository.as_dict()
    return out


def _evidence(evidence: Evidence | None) -> dict[str, Any] | None:
    if evidence is None:
        return None
    return {
        "checks": [
            {
                "checked_at": iso(c.checked_at),
                "outcome": c.outcome,
                "http_status": c.http_status,
                "error": c.error,
            }
            for c in evidence.checks
        ],
        "redirects": [{"status": h.status, "url": h.url} for h in evidence.redirects],
        "failing_for_seconds": (
            int(evidence.failing_for.total_seconds()) if evidence.failing_for is not None else None
        ),
    }
