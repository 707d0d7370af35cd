"""catalog.datetimes.parse_datetime: the dates of feeds, sitemaps and listing cards, read by
the same parser as pages' (``parse_dated``), in the offset written."""

from __future__ import annotations

from datetime import UTC, datetime

from catalog.datetimes import parse_dated, parse_datetime


def test_w3c_and_rfc_2822_keep_their_offset() -> None:
    assert str(parse_datetime("2024-05-01T10:00:00+02:00")) == "2024-05-01 10:00:00+02:00"
    assert str(parse_datetime("Tue, 03 Mar 2020 23:30:00 -0500")) == "2020-03-03 23:30:00-05:00"
    assert parse_datetime("2024-05-01T10:00:00Z") == datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_a_time_without_a_zone_is_utc_and_a_day_is_its_midnight() -> None:
    # W3C: a feed's time without a zone is UTC (a page's is not known: parse_dated keeps
    # only its day)
    assert parse_datetime("2024-05-01T10:00") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert parse_datetime("2024-05-01") == datetime(2024, 5, 1, tzinfo=UTC)
    assert parse_dated("2024-05-01T10:00") == (
        datetime(2024, 5, 1).date(),
        datetime(2024, 5, 1, tzinfo=UTC),
    )


def test_other_notations_unless_switched_off() -> None:
    assert parse_datetime("3 March 2020") == datetime(2020, 3, 3, tzinfo=UTC)
    assert parse_datetime("3 March 2020", notations=False) is None
    for nothing in (None, "", "  ", "yesterday", "Jan 2"):
        assert parse_datetime(nothing) is None, nothing


def test_numeric_days_year_first_compact_or_day_first() -> None:
    for text in ("20210304", "20210304T101112", "2021/3/4", "2021.03.04", "4.3.2021", "04-03-2021"):
        found = parse_dated(text)
        assert found is not None and str(found[0]) == "2021-03-04", text
    assert parse_dated("31.02.2021") is None  # no such day
    assert parse_dated("19991399") is None
