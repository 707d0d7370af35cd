"""The verdicts of local links, without the network: an anchor against its document's
headings, a relative link (or one without a scheme) against the files beside the README."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from catalog import db
from catalog.models import Document, Section
from catalog.store import DueLink, Result
from catalog.urls import resolve_relative
from catalog.vocabulary import LinkKind, OutcomeKind, utcnow

# A link without a scheme is a relative link on GitHub: judged as a file in the repository.
LOCAL_KINDS = (LinkKind.ANCHOR, LinkKind.RELATIVE, LinkKind.NO_SCHEME)
WEB_KINDS = (LinkKind.EXTERNAL,)


def url_to_fetch(link: DueLink) -> str:
    """The URL a web check fetches: a link written without a scheme is tried as https."""
    return "https://" + link.url if link.kind == LinkKind.NO_SCHEME else link.url


def result(link: DueLink, outcome: OutcomeKind, reason: str, **kw: Any) -> Result:
    return Result(link_id=link.id, outcome=outcome.value, reason=reason, checked_at=utcnow(), **kw)


def decide(link: DueLink, anchors_of: Callable[[str], set[str]]) -> Result:
    """Anchors against the document's headings; relative links against files."""
    if link.kind == LinkKind.ANCHOR:
        doc_path, _, fragment = link.key.partition("#")
        if not fragment or fragment.lower() == "top" or fragment.lower() in anchors_of(doc_path):
            return result(link, OutcomeKind.OK, "heading exists")
        return result(link, OutcomeKind.SUSPECT, f"missing #{fragment}: no such heading")
    if link.kind == LinkKind.NO_SCHEME:
        path = resolve_relative(link.url)
        if Path(path).exists():
            return result(link, OutcomeKind.OK, "file exists")
        why = f"no such file: {path} (a link without a scheme; write https://{link.url})"
        return result(link, OutcomeKind.PERMANENT, why, error=why)
    path = link.key.removeprefix("file:").split("#", 1)[0].split("?", 1)[0]
    if path and Path(path).exists():
        return result(link, OutcomeKind.OK, "file exists")
    return result(link, OutcomeKind.PERMANENT, f"no such file: {path}", error="no such file")


def heading_anchors(engine: Any) -> Callable[[str], set[str]]:
    """A document's heading anchors (lowercased), read once per document per check."""

    @functools.cache
    def anchors_of(doc_path: str) -> set[str]:
        with db.session_factory(engine)() as s:
            return {
                a.lower()
                for a in s.scalars(
                    select(Section.anchor)
                    .join(Document, Section.document_id == Document.id)
                    .where(Document.path == doc_path, Section.present.is_(True))
                )
            }

    return anchors_of
