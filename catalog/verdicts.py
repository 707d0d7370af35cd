"""A link's status from its history of checks (the README's "How a link gets its verdict").

A single check is not a verdict. Each check's outcome (``OutcomeKind``) is recorded; the
status follows the history: permanent failures make a link ``failing`` at once and
``dead`` once they persist (by default two checks at least 20 hours apart); transient
failures make it ``dead`` only after days. ``blocked`` and ``suspect`` checks say nothing
about whether the page is gone: inside a run of failures they neither reset nor count.
A page that answers but is no longer what was listed (``parked``, ``replaced``) makes a
link ``suspect`` at once, and ``confirmed`` once it persists as a failure would (by default
two such checks at least 20 hours apart); failures and blocked checks between them neither
reset nor count, an ``ok`` check ends it.

Pure functions over plain values: no database session, no Scrapy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from catalog.config import Verdicts
from catalog.vocabulary import LinkStatus, OutcomeKind

_DEFAULTS = Verdicts()  # the config schema holds the defaults


FAILURES = frozenset({OutcomeKind.PERMANENT, OutcomeKind.TRANSIENT})
NEUTRAL = frozenset({OutcomeKind.BLOCKED, OutcomeKind.SUSPECT})
CHANGED = frozenset({OutcomeKind.PARKED, OutcomeKind.REPLACED})

_LATEST_STATUS = {
    OutcomeKind.OK: LinkStatus.OK,
    OutcomeKind.REDIRECT: LinkStatus.REDIRECTED,
    OutcomeKind.BLOCKED: LinkStatus.BLOCKED,
    OutcomeKind.SUSPECT: LinkStatus.SUSPECT,
    OutcomeKind.EXCLUDED: LinkStatus.EXCLUDED,
    OutcomeKind.PARKED: LinkStatus.SUSPECT,
    OutcomeKind.REPLACED: LinkStatus.SUSPECT,
}


class CheckFacts(Protocol):
    """What a verdict needs of a check; ``catalog.models.Check`` rows satisfy it."""

    @property
    def checked_at(self) -> datetime: ...

    @property
    def outcome(self) -> str: ...


@dataclass(frozen=True)
class CheckRecord:
    """A plain ``CheckFacts`` (for callers without ORM rows, and for tests)."""

    checked_at: datetime
    outcome: str


@dataclass(frozen=True)
class StatusDecision:
    status: LinkStatus
    first_failed_at: datetime | None
    consecutive_failures: int
    reason: str
    # For a parked or replaced page: since when it has been so, and whether that persisted.
    changed_since: datetime | None = None
    confirmed: bool = False


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _kind(outcome: str) -> OutcomeKind | None:
    try:
        return OutcomeKind(outcome)
    except ValueError:
        return None  # an outcome this version does not know


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _failure_run(history: Sequence[CheckFacts]) -> list[CheckFacts]:
    """The trailing failures, oldest first, skipping blocked/suspect checks inside."""
    run: list[CheckFacts] = []
    for check in reversed(history):
        kind = _kind(check.outcome)
        if kind in FAILURES:
            run.append(check)
        elif kind in NEUTRAL or kind in CHANGED:
            continue
        else:
            break  # ok, redirect or excluded ends the run
    run.reverse()
    return run


def _changed(
    history: Sequence[CheckFacts], dead_after_checks: int, dead_after_hours: float
) -> StatusDecision:
    """A link whose latest check found the page parked or replaced: suspect, confirmed once
    that persists as a permanent failure would have to."""
    run: list[CheckFacts] = []
    for check in reversed(history):
        kind = _kind(check.outcome)
        if kind in CHANGED:
            run.append(check)
        elif kind not in NEUTRAL and kind not in FAILURES:
            break  # ok, redirect or excluded: the page was itself again
    run.reverse()
    since = _utc(run[0].checked_at)
    span = _hours(_utc(run[-1].checked_at) - since)
    latest = history[-1].outcome
    confirmed = len(run) >= max(dead_after_checks, 1) and span >= dead_after_hours
    if confirmed:
        reason = f"{latest}: {len(run)} check(s) over {span:.1f} h since {since:%Y-%m-%d %H:%M} UTC"
    else:
        reason = (
            f"{latest} ({len(run)} check(s) since {since:%Y-%m-%d %H:%M} UTC; confirmed after "
            f"{dead_after_checks} checks {dead_after_hours:g} h apart)"
        )
    return StatusDecision(
        LinkStatus.SUSPECT, None, 0, reason, changed_since=since, confirmed=confirmed
    )


def status_from_history(
    checks: Sequence[CheckFacts],
    *,
    now: datetime,
    dead_after_checks: int = _DEFAULTS.dead_after_checks,
    dead_after_hours: float = _DEFAULTS.dead_after_hours,
    transient_dead_after_days: float = _DEFAULTS.transient_dead_after_days,
) -> StatusDecision:
    """The status of a link given its checks (oldest first), as of ``now``.

    Checks after ``now`` are ignored, so a status can be recomputed as of any moment;
    so are outcomes this version does not know (a later version's vocabulary).
    """
    now = _utc(now)
    history = sorted(
        (c for c in checks if _utc(c.checked_at) <= now and _kind(c.outcome) is not None),
        key=lambda c: _utc(c.checked_at),
    )
    if not history:
        return StatusDecision(LinkStatus.UNCHECKED, None, 0, "never checked")

    run = _failure_run(history)
    first_failed_at = _utc(run[0].checked_at) if run else None
    latest = OutcomeKind(history[-1].outcome)
    if latest in CHANGED:
        return _changed(history, dead_after_checks, dead_after_hours)

    if latest not in FAILURES:
        if latest not in NEUTRAL:  # ok, redirect, excluded: a fresh start
            return StatusDecision(_LATEST_STATUS[latest], None, 0, f"latest check: {latest}")
        reason = f"latest check: {latest}"
        if run:
            reason += f" (after {len(run)} failure(s), neither reset nor counted)"
        return StatusDecision(_LATEST_STATUS[latest], first_failed_at, len(run), reason)

    assert first_failed_at is not None  # the latest check is a failure, so run is not empty
    last_at = _utc(run[-1].checked_at)
    permanent = [c for c in run if c.outcome == OutcomeKind.PERMANENT]
    if len(permanent) >= max(dead_after_checks, 1):
        span = _hours(_utc(permanent[-1].checked_at) - _utc(permanent[0].checked_at))
        if span >= dead_after_hours:
            reason = (
                f"{len(permanent)} permanent failure(s) over {span:.1f} h "
                f"(dead after {dead_after_checks} checks, {dead_after_hours:g} h apart)"
            )
            return StatusDecision(LinkStatus.DEAD, first_failed_at, len(run), reason)

    span_days = _hours(last_at - first_failed_at) / 24
    if len(run) >= max(dead_after_checks, 1) and span_days >= transient_dead_after_days:
        reason = (
            f"{len(run)} failures over {span_days:.1f} days "
            f"(transient failures are dead after {transient_dead_after_days:g} days)"
        )
        return StatusDecision(LinkStatus.DEAD, first_failed_at, len(run), reason)

    if permanent:
        reason = (
            f"{len(permanent)} permanent failure(s) of {len(run)} since "
            f"{first_failed_at:%Y-%m-%d %H:%M} UTC; dead after {dead_after_checks} checks "
            f"{dead_after_hours:g} h apart"
        )
    else:
        reason = (
            f"{len(run)} transient failure(s) since {first_failed_at:%Y-%m-%d %H:%M} UTC; "
            f"dead if they persist {transient_dead_after_days:g} days"
        )
    return StatusDecision(LinkStatus.FAILING, first_failed_at, len(run), reason)


__all__ = [
    "CHANGED",
    "FAILURES",
    "NEUTRAL",
    "CheckFacts",
    "CheckRecord",
    "OutcomeKind",
    "StatusDecision",
    "status_from_history",
]
