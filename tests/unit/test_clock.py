"""The one-working-day service standard across weekends and Indonesian holidays."""

from __future__ import annotations

import datetime as dt

from netprov.domain.clock import add_working_days, holiday_name, is_working_day, working_days_late

WIB = dt.timezone(dt.timedelta(hours=7))


def due(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return add_working_days(dt.datetime(y, m, d, h, 0, tzinfo=WIB)).astimezone(WIB)


def test_ordinary_weekday() -> None:
    assert due(2026, 11, 24) == dt.datetime(2026, 11, 25, 10, 0, tzinfo=WIB)  # Tue -> Wed


def test_friday_skips_weekend() -> None:
    assert due(2026, 11, 27) == dt.datetime(2026, 11, 30, 10, 0, tzinfo=WIB)  # Fri -> Mon


def test_saturday_starts_monday_and_is_due_tuesday_midnight() -> None:
    assert due(2026, 11, 28) == dt.datetime(2026, 12, 1, 0, 0, tzinfo=WIB)


def test_friday_before_independence_day() -> None:
    # Mon 17 Aug 2026 is Independence Day: a Friday letter is due on Tuesday.
    assert holiday_name(dt.date(2026, 8, 17)) is not None
    assert due(2026, 8, 14, 16) == dt.datetime(2026, 8, 18, 16, 0, tzinfo=WIB)


def test_collective_leave_counts_as_holiday() -> None:
    # 24 Dec 2026 is cuti bersama, 25 Dec Christmas: Wednesday 23rd is due Monday 28th.
    assert not is_working_day(dt.date(2026, 12, 24))
    assert due(2026, 12, 23) == dt.datetime(2026, 12, 28, 10, 0, tzinfo=WIB)


def test_timezone_boundary_uses_local_day() -> None:
    # 23:30 UTC Friday is 06:30 WIB Saturday: the clock starts on Monday.
    start = dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC)
    assert add_working_days(start).astimezone(WIB) == dt.datetime(2026, 12, 1, 0, 0, tzinfo=WIB)


def test_lateness_in_working_days() -> None:
    d = dt.datetime(2026, 11, 27, 10, 0, tzinfo=WIB)  # Friday
    assert working_days_late(d, d) == 0
    assert working_days_late(d, dt.datetime(2026, 11, 27, 11, 0, tzinfo=WIB)) == 1
    assert working_days_late(d, dt.datetime(2026, 12, 1, 9, 0, tzinfo=WIB)) == 2  # Mon, Tue
