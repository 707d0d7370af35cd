"""The words every layer shares: a link's status and kind, a check's outcome and error kind,
an entry's state, and the one clock. Free of SQLAlchemy and Scrapy, so the crawler, the
pipelines, the catalog and the reports all speak it without importing each other.
"""

from __future__ import annotations

import enum
import os
from datetime import UTC, datetime

CLOCK_ENV = "LISTKEEPER_NOW"


def utcnow() -> datetime:
    """Now, in UTC: the one clock of the catalog, the crawl and the reports.

    ``LISTKEEPER_NOW`` (ISO 8601) replaces it, in this process and the crawls it starts:
    an injectable clock for tests and for replaying a day, never a sleep.
    """
    fixed = os.environ.get(CLOCK_ENV)
    if fixed:
        moment = datetime.fromisoformat(fixed)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    return datetime.now(UTC)


class LinkStatus(enum.StrEnum):
    """A link's verdict, shared by the database, the reports and the CLI.

    The members are in the order of the JSON report's summary and the check's closing line;
    ``URGENCY`` is the reports' order.
    """

    OK = "ok"
    REDIRECTED = "redirected"
    FAILING = "failing"
    DEAD = "dead"
    BLOCKED = "blocked"
    SUSPECT = "suspect"
    EXCLUDED = "excluded"
    UNCHECKED = "unchecked"


# The reports' order: what needs a maintainer first.
URGENCY: tuple[LinkStatus, ...] = (
    LinkStatus.DEAD,
    LinkStatus.FAILING,
    LinkStatus.SUSPECT,
    LinkStatus.BLOCKED,
    LinkStatus.REDIRECTED,
    LinkStatus.UNCHECKED,
    LinkStatus.EXCLUDED,
    LinkStatus.OK,
)


class LinkKind(enum.StrEnum):
    """What a link points at, decided from how it is written."""

    EXTERNAL = "external"  # http(s) URL
    NO_SCHEME = "no_scheme"  # "example.com/page": checked as https, reported as hygiene
    RELATIVE = "relative"  # a file beside the README
    ANCHOR = "anchor"  # "#heading" in the same document
    MAILTO = "mailto"
    OTHER = "other"  # tel:, ftp:, javascript:, ...


class EntryState(enum.StrEnum):
    LISTED = "listed"
    CANDIDATE = "candidate"
    REJECTED = "rejected"
    REMOVED = "removed"


class OutcomeKind(enum.StrEnum):
    """The outcome of one check, as stored in ``checks.outcome``."""

    OK = "ok"
    REDIRECT = "redirect"  # a permanent redirect to a working page
    PERMANENT = "permanent"  # 404, 410, no such host
    TRANSIENT = "transient"  # timeout, 5xx, 429, reset, TLS error, ambiguous 403
    BLOCKED = "blocked"  # bot wall: no evidence either way
    SUSPECT = "suspect"  # answered, but probably not the article any more
    EXCLUDED = "excluded"  # not checked, by rule
    # Answered, but no longer what was listed: suspect, confirmed over checks.
    PARKED = "parked"  # a parking or for-sale lander, a suspended or default server page
    REPLACED = "replaced"  # another page: another site, or nothing left of the reference


class ErrorKind(enum.StrEnum):
    """What kind of failure a check's error describes (a check without a response)."""

    EXCLUDED = "excluded"  # private-address guard, excluded scheme, ignore rules
    DNS = "dns"  # NXDOMAIN: no such host
    DNS_TEMPORARY = "dns_temporary"  # resolver timeout or SERVFAIL
    TIMEOUT = "timeout"
    CONNECTION = "connection"  # refused, reset, lost
    TLS = "tls"  # handshake failure
    CERTIFICATE = "certificate"  # expired, wrong host, untrusted
    REDIRECT = "redirect"  # not followed: a loop, a chain too long, a target not http(s)
    # Not a failure: the host asked to wait longer than the cap; the link stays due and
    # nothing is recorded.
    DEFERRED = "deferred"
    OTHER = "other"
