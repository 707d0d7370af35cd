"""catalog.verdicts: a link's status from its history of checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from catalog.models import Check
from catalog.verdicts import CheckRecord, status_from_history
from catalog.vocabulary import LinkStatus, OutcomeKind

T0 = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=60)


def history(*steps: tuple[float, str]) -> list[CheckRecord]:
    """(hours after T0, outcome) pairs."""
    return [CheckRecord(T0 + timedelta(hours=h), outcome) for h, outcome in steps]


def status(*steps: tuple[float, str], **kw: Any) -> LinkStatus:
    return status_from_history(history(*steps), now=NOW, **kw).status


def test_no_history_is_unchecked() -> None:
    decision = status_from_history([], now=NOW)
    assert decision.status == LinkStatus.UNCHECKED and decision.consecutive_failures == 0


def test_latest_outcome_decides_when_it_is_not_a_failure() -> None:
    assert status((0, "ok")) == LinkStatus.OK
    assert status((0, "redirect")) == LinkStatus.REDIRECTED
    assert status((0, "blocked")) == LinkStatus.BLOCKED
    assert status((0, "suspect")) == LinkStatus.SUSPECT
    assert status((0, "excluded")) == LinkStatus.EXCLUDED


def test_one_flaky_night_does_not_make_a_link_dead() -> None:
    decision = status_from_history(
        history((0, "ok"), (24, "transient"), (25, "transient"), (26, "permanent")), now=NOW
    )
    assert decision.status == LinkStatus.FAILING
    assert decision.first_failed_at == T0 + timedelta(hours=24)
    assert decision.consecutive_failures == 3
    assert status((0, "ok"), (24, "permanent"), (48, "ok")) == LinkStatus.OK


def test_permanent_failure_is_failing_at_once_and_dead_after_two_checks_20_hours_apart() -> None:
    assert status((0, "permanent")) == LinkStatus.FAILING
    assert status((0, "permanent"), (19.5, "permanent")) == LinkStatus.FAILING
    decision = status_from_history(history((0, "permanent"), (20, "permanent")), now=NOW)
    assert decision.status == LinkStatus.DEAD
    assert decision.first_failed_at == T0 and decision.consecutive_failures == 2
    # Many checks in one evening are still one evening.
    assert status(*[(h / 4, "permanent") for h in range(10)]) == LinkStatus.FAILING
    assert status((0, "permanent"), (3, "permanent"), (21, "permanent")) == LinkStatus.DEAD


def test_thresholds_1_and_0_make_a_single_404_dead() -> None:
    kw: dict[str, Any] = {"dead_after_checks": 1, "dead_after_hours": 0.0}
    assert status((0, "permanent"), **kw) == LinkStatus.DEAD
    assert status((0, "transient"), **kw) == LinkStatus.FAILING  # transient still takes days


def test_transient_failures_are_dead_only_after_days() -> None:
    daily = [(24.0 * day, "transient") for day in range(7)]
    assert status(*daily) == LinkStatus.FAILING  # six days from first to last
    decision = status_from_history(history(*daily, (24 * 7, "transient")), now=NOW)
    assert decision.status == LinkStatus.DEAD and decision.consecutive_failures == 8
    # Days alone are not enough: at least dead_after_checks checks.
    assert status((0, "transient"), transient_dead_after_days=0.0) == LinkStatus.FAILING
    assert status((0, "transient"), (1, "transient"), transient_dead_after_days=0.0) == (
        LinkStatus.DEAD
    )


def test_recovery_resets_the_run() -> None:
    decision = status_from_history(
        history((0, "permanent"), (30, "permanent"), (60, "ok"), (90, "permanent")), now=NOW
    )
    assert decision.status == LinkStatus.FAILING
    assert decision.consecutive_failures == 1
    assert decision.first_failed_at == T0 + timedelta(hours=90)
    assert status((0, "permanent"), (30, "redirect"), (60, "permanent")) == LinkStatus.FAILING


def test_blocked_or_suspect_inside_a_run_neither_resets_nor_counts() -> None:
    decision = status_from_history(
        history((0, "permanent"), (10, "blocked"), (21, "permanent")), now=NOW
    )
    assert decision.status == LinkStatus.DEAD and decision.consecutive_failures == 2
    assert status((0, "permanent"), (21, "suspect")) == LinkStatus.SUSPECT
    assert status((0, "permanent"), (10, "suspect"), (12, "permanent")) == LinkStatus.FAILING


def test_checks_after_now_are_ignored_and_order_does_not_matter() -> None:
    checks = history((21, "permanent"), (0, "permanent"))
    assert status_from_history(checks, now=NOW).status == LinkStatus.DEAD
    as_of = status_from_history(checks, now=T0 + timedelta(hours=1))
    assert as_of.status == LinkStatus.FAILING


def test_orm_check_rows_satisfy_check_facts() -> None:
    rows = [
        Check(link_id=1, checked_at=T0, outcome="permanent"),
        Check(link_id=1, checked_at=T0 + timedelta(hours=25), outcome="permanent"),
    ]
    assert status_from_history(rows, now=NOW).status == LinkStatus.DEAD


def test_naive_timestamps_are_utc() -> None:
    naive = [CheckRecord(datetime(2024, 3, 1), "permanent")]
    assert status_from_history(naive, now=NOW).status == LinkStatus.FAILING


outcomes = st.sampled_from([k.value for k in OutcomeKind])


@given(
    steps=st.lists(st.tuples(st.floats(0, 24 * 30), outcomes), max_size=12),
    dead_after_checks=st.integers(1, 5),
    dead_after_hours=st.floats(0, 72),
    transient_days=st.floats(0, 14),
)
def test_never_dead_with_fewer_failures_than_the_threshold(
    steps: list[tuple[float, str]],
    dead_after_checks: int,
    dead_after_hours: float,
    transient_days: float,
) -> None:
    checks = history(*steps)
    decision = status_from_history(
        checks,
        now=NOW,
        dead_after_checks=dead_after_checks,
        dead_after_hours=dead_after_hours,
        transient_dead_after_days=transient_days,
    )
    ordered = sorted(checks, key=lambda c: c.checked_at)
    if decision.status == LinkStatus.DEAD:
        assert decision.consecutive_failures >= dead_after_checks
        assert ordered[-1].outcome in ("permanent", "transient")
    if ordered and ordered[-1].outcome == "ok":
        assert decision.status == LinkStatus.OK and decision.consecutive_failures == 0
    if not ordered:
        assert decision.status == LinkStatus.UNCHECKED
    failures = sum(c.outcome in ("permanent", "transient") for c in checks)
    assert decision.consecutive_failures <= failures
