"""GitHub repositories as entries: which links name one, the ``[github]`` settings, and
the facts the API gave about them (stored with history, read by every report).

Pure URL rules and plain SQL here; the GraphQL client that asks is ``jobs/graphql.py``
and the check step that batches the questions is ``jobs/repositories.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from catalog.config import (
    DEFAULT_GITHUB_API_URL,
    DEFAULT_WEB_HOSTS,
    GitHubSettings,
    graphql_url,
    parse,
)
from catalog.models import Check, Link, Occurrence, RepositoryFacts
from catalog.vocabulary import LinkStatus

DEFAULT_API_URL = DEFAULT_GITHUB_API_URL
__all__ = ["DEFAULT_WEB_HOSTS", "GitHubSettings", "graphql_url"]

# First path segments of github.com that are GitHub's own pages, never an owner: such
# links stay pages. GitHub refuses these as user or organisation names.
RESERVED = frozenset(
    [
        "about",
        "account",
        "apps",
        "blog",
        "business",
        "codespaces",
        "collections",
        "contact",
        "copilot",
        "customer-stories",
        "dashboard",
        "developer",
        "enterprise",
        "enterprises",
        "events",
        "explore",
        "features",
        "gist",
        "gists",
        "github",
        "login",
        "logout",
        "marketplace",
        "new",
        "notifications",
        "organizations",
        "orgs",
        "pricing",
        "pulls",
        "issues",
        "readme",
        "search",
        "security",
        "settings",
        "site",
        "signup",
        "sponsors",
        "stars",
        "team",
        "teams",
        "topics",
        "trending",
        "users",
        "watching",
        "join",
        "password_reset",
        "sessions",
        "mobile",
        "premium-support",
        "resources",
        "solutions",
        "partners",
        "nonprofit",
        "education",
        "codeofconduct",
        "home",
    ]
)
_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_BRANCH = re.compile(r"[^\s~^:?*\[\\]{1,250}")


@dataclass(frozen=True)
class RepoRef:
    """A repository a link names, and the branch a ``/tree/BRANCH`` link names."""

    owner: str
    name: str
    branch: str | None = None
    host: str = field(default="github.com", compare=False)  # where the page is

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def repo_ref(url: str, hosts: Iterable[str] = DEFAULT_WEB_HOSTS) -> RepoRef | None:
    """The repository *url* names (``https://github.com/OWNER/REPO`` with or without a
    trailing ``/``, ``.git`` or ``#readme``; ``/tree/BRANCH``), else None: GitHub's own
    pages and deeper links (files, issues, the wiki) stay pages."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.query or parts.username:
        return None
    if (parts.hostname or "") not in set(hosts) or parts.port not in (None, 443, 80):
        return None
    if parts.fragment not in ("", "readme"):
        return None
    segments = parts.path.split("/")[1:]
    if segments and segments[-1] == "":
        segments.pop()
    branch = None
    if len(segments) >= 4 and segments[2] == "tree" and "" not in segments[3:]:
        branch = unquote("/".join(segments[3:]))
        if not _BRANCH.fullmatch(branch):
            return None
        segments = segments[:2]
    if len(segments) != 2:
        return None
    owner, name = segments
    if name.endswith(".git") and branch is None:
        name = name[: -len(".git")]
    if owner.lower() in RESERVED or not _OWNER.fullmatch(owner) or not _NAME.fullmatch(name):
        return None
    if name in (".", ".."):
        return None
    return RepoRef(owner=owner, name=name, branch=branch, host=parts.hostname or "github.com")


def repo_url(full_name: str, branch: str | None = None, host: str = "github.com") -> str:
    """The repository's page for *full_name* (``NEW/NAME`` after a rename)."""
    return f"https://{host}/{full_name}" + (f"/tree/{branch}" if branch else "")


# --- settings -------------------------------------------------------------------------


def github_settings(raw: Mapping[str, Any], where: str = "config") -> GitHubSettings:
    """``[github]`` of a config's TOML, checked by the schema (catalog.config)."""
    return parse({"github": raw.get("github", {})}, where).tables.github


# --- facts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the API said about a repository at one check."""

    name_with_owner: str
    archived: bool = False
    archived_at: datetime | None = None
    disabled: bool = False
    fork: bool = False
    mirror: bool = False
    empty: bool = False
    private: bool = False
    pushed_at: datetime | None = None
    last_commit_at: datetime | None = None
    stars: int | None = None
    stale: bool = False
    renamed: bool = False

    def notes(self) -> list[str]:
        """Short words for people: archived (when), disabled, last commit, stars."""
        notes = []
        if self.archived:
            notes.append("archived" + (f" {self.archived_at:%Y-%m-%d}" if self.archived_at else ""))
        if self.disabled:
            notes.append("disabled")
        if self.last_commit_at is not None:
            notes.append(f"last commit {self.last_commit_at:%Y-%m-%d}")
        if self.stars is not None:
            notes.append(f"{self.stars} stars")
        return notes

    def as_dict(self) -> dict[str, Any]:
        """The JSON report's ``repository`` object."""
        from catalog.reports import iso

        return {
            "name_with_owner": self.name_with_owner,
            "archived": self.archived,
            "disabled": self.disabled,
            "fork": self.fork,
            "pushed_at": iso(self.pushed_at),
            "last_commit_at": iso(self.last_commit_at),
            "stars": self.stars,
            "stale": self.stale,
            "renamed": self.renamed,
        }


# --- in templates -----------------------------------------------------------------------

# What repo_badges writes, as the README's importer reads it back into the description
# (tags dropped): stripped again before the next render, so rendering stays idempotent.
_BADGES = re.compile(
    r"\s*★ [\d,]+(?: · last commit \d{4}-\d{2}-\d{2})?(?: · archived)?(?: · stale)?\s*$"
)


def repo_badges(facts: Facts | None) -> str:
    """`` <sub>★ 1,200 · last commit 2026-11-28 · archived</sub>`` for a template, "" for
    a link that is no repository (or not asked about yet)."""
    if facts is None:
        return ""
    parts = [f"★ {facts.stars or 0:,}"]
    if facts.last_commit_at is not None:
        parts.append(f"last commit {facts.last_commit_at:%Y-%m-%d}")
    if facts.archived:
        parts.append("archived")
    if facts.stale:
        parts.append("stale")
    return f" <sub>{' · '.join(parts)}</sub>"


def without_badges(description: str) -> str:
    """*description* without the badges a previous render appended to it."""
    return _BADGES.sub("", description)


def is_stale(last_commit_at: datetime | None, now: datetime, days: int) -> bool:
    """The default branch's last commit is older than *days* (an empty repository, with
    no commit, is not called stale: it is shown as empty)."""
    return last_commit_at is not None and now - last_commit_at > timedelta(days=days)


_COLUMNS = (
    "name_with_owner",
    "archived",
    "archived_at",
    "disabled",
    "fork",
    "mirror",
    "empty",
    "private",
    "pushed_at",
    "last_commit_at",
    "stars",
    "stale",
    "renamed",
)


def record_facts(
    session: Session, rows: Sequence[tuple[int, datetime, Facts]], run_id: int | None = None
) -> None:
    """Append one observation per link (history, like checks)."""
    if not rows:
        return
    session.execute(
        insert(RepositoryFacts),
        [
            {
                "link_id": link_id,
                "run_id": run_id,
                "checked_at": at,
                **{c: getattr(facts, c) for c in _COLUMNS},
            }
            for link_id, at, facts in rows
        ],
    )


def latest_facts(session: Session, link_ids: Any) -> dict[int, Facts]:
    """The last observation of each link among *link_ids* (a list or a subquery)."""
    last = (
        select(func.max(RepositoryFacts.id))
        .where(RepositoryFacts.link_id.in_(link_ids))
        .group_by(RepositoryFacts.link_id)
    )
    out: dict[int, Facts] = {}
    for row in session.scalars(select(RepositoryFacts).where(RepositoryFacts.id.in_(last))):
        out[row.link_id] = Facts(**{c: getattr(row, c) for c in _COLUMNS})
    return out


def checked_as_pages(session: Session, links: Sequence[Link], facts: Mapping[int, Facts]) -> int:
    """How many repository links (on github.com) were last checked as pages, not through
    the API: what a token would turn into API checks."""
    ids = [
        link.id
        for link in links
        if link.host in DEFAULT_WEB_HOSTS  # cheap first: most links of a list are not
        and link.id not in facts
        and link.checked_at is not None
        and repo_ref(link.url)
    ]
    if not ids:
        return 0
    last = select(func.max(Check.id)).where(Check.link_id.in_(ids)).group_by(Check.link_id)
    methods = session.scalars(select(Check.method).where(Check.id.in_(last)))
    return sum(1 for method in methods if method != "GRAPHQL")


def archived_rows(session: Session, document_id: int) -> list[tuple[str, int, str | None]]:
    """``(written, line, renamed_to)`` of the document's links to repositories whose last
    facts say archived (a dead one is the dead-link policy's); ``renamed_to``: the new URL
    of one that was renamed too, which the pull request writes first."""
    last = select(func.max(RepositoryFacts.id)).group_by(RepositoryFacts.link_id)
    rows = session.execute(
        select(Occurrence.written, Occurrence.line, Link.status, Link.final_url)
        .join(RepositoryFacts, RepositoryFacts.link_id == Occurrence.link_id)
        .join(Link, Link.id == Occurrence.link_id)
        .where(
            Occurrence.document_id == document_id,
            RepositoryFacts.id.in_(last),
            RepositoryFacts.archived.is_(True),
            Link.status != LinkStatus.DEAD,
        )
        .order_by(Occurrence.line)
    )
    return [
        (written, line, final if status == LinkStatus.REDIRECTED else None)
        for written, line, status, final in rows
    ]
