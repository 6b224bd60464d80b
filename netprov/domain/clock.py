"""The SOP's service standard: one working day per step.

Working days are Monday to Friday that are not Indonesian national holidays nor government
collective leave days (*cuti bersama*), from the ``holidays`` package. Day boundaries are
local time of the agency (WIB, Asia/Jakarta, by default).

Rule: a step becomes due when the request enters the state that waits for it. Its clock
starts then, or at 00:00 of the next working day when that moment is not in a working day.
The deadline is the same local time on the next working day after the start.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Jakarta"


@lru_cache(maxsize=64)
def _holidays_for(year: int) -> dict[dt.date, str]:
    from netprov.domain import holiday_table  # the package itself only when the table cannot answer

    table = holiday_table.stored(year)
    return table if table is not None else holiday_table.computed(year)


def holiday_name(day: dt.date) -> str | None:
    """The holiday's name when ``day`` is an Indonesian holiday or collective leave, else None.

    >>> holiday_name(dt.date(2026, 8, 17))
    'Hari Kemerdekaan Republik Indonesia'
    >>> holiday_name(dt.date(2026, 8, 18)) is None
    True
    """
    return _holidays_for(day.year).get(day)


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not a holiday.

    >>> is_working_day(dt.date(2026, 8, 14)), is_working_day(dt.date(2026, 8, 15))  # Fri, Sat
    (True, False)
    >>> is_working_day(dt.date(2026, 8, 17))  # a Monday, Independence Day
    False
    """
    return day.weekday() < 5 and holiday_name(day) is None


def next_working_day(day: dt.date) -> dt.date:
    """The first working day strictly after ``day``.

    >>> next_working_day(dt.date(2026, 8, 14))  # Friday -> weekend, Monday 17 August (holiday)
    datetime.date(2026, 8, 18)
    """
    d = day + dt.timedelta(days=1)
    while not is_working_day(d):
        d += dt.timedelta(days=1)
    return d


def add_working_days(start: dt.datetime, days: int = 1, tz: str = DEFAULT_TZ) -> dt.datetime:
    """Deadline ``days`` working days after ``start`` (aware), per the module rule. UTC result.

    A letter on Friday 14 August 2026 at 16:00 WIB skips the weekend and Independence Day
    (Monday 17 August): due Tuesday at the same local time.

    >>> friday = dt.datetime.fromisoformat("2026-08-14T16:00+07:00")
    >>> add_working_days(friday).astimezone(ZoneInfo(DEFAULT_TZ)).isoformat()
    '2026-08-18T16:00:00+07:00'
    >>> add_working_days(friday)
    datetime.datetime(2026, 8, 18, 9, 0, tzinfo=datetime.timezone.utc)

    On a day off the clock starts at 00:00 of the next working day (Tuesday), so a Saturday
    letter is due at 00:00 on Wednesday:

    >>> add_working_days(dt.datetime.fromisoformat("2026-08-15T10:00+07:00")).isoformat()
    '2026-08-18T17:00:00+00:00'
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    if not is_working_day(local.date()):
        local = dt.datetime.combine(next_working_day(local.date()), dt.time(0, 0), tzinfo=zone)
    day = local.date()
    for _ in range(days):
        day = next_working_day(day)
    due = dt.datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=zone)
    return due.astimezone(dt.UTC)


def working_days_late(due: dt.datetime, now: dt.datetime, tz: str = DEFAULT_TZ) -> int:
    """How many working days past ``due`` it is at ``now`` (0 when not late).

    >>> due = dt.datetime.fromisoformat("2026-08-18T16:00+07:00")
    >>> working_days_late(due, due - dt.timedelta(hours=1))
    0
    >>> working_days_late(due, due + dt.timedelta(hours=1))  # late the same day counts as one
    1
    >>> working_days_late(due, dt.datetime.fromisoformat("2026-08-20T09:00+07:00"))
    2
    """
    if now <= due:
        return 0
    zone = ZoneInfo(tz)
    d, end = due.astimezone(zone).date(), now.astimezone(zone).date()
    late = 0
    while d < end:
        d += dt.timedelta(days=1)
        if is_working_day(d):
            late += 1
    return max(late, 1)


def working_time_between(start: dt.datetime, end: dt.datetime, tz: str = DEFAULT_TZ) -> dt.timedelta:
    """The part of ``start``..``end`` that falls on working days (local time); zero if end <= start.

    Reminders use it: a step is *nearing* its deadline when at most two working hours are left.

    >>> fri = dt.datetime.fromisoformat("2026-08-14T15:00+07:00")
    >>> working_time_between(fri, fri + dt.timedelta(hours=2))
    datetime.timedelta(seconds=7200)
    >>> tue = dt.datetime.fromisoformat("2026-08-18T01:00+07:00")  # over the weekend and the 17th
    >>> working_time_between(fri, tue)
    datetime.timedelta(seconds=36000)
    """
    zone = ZoneInfo(tz)
    total = dt.timedelta(0)
    cur = start.astimezone(zone)
    stop = end.astimezone(zone)
    while cur < stop:
        midnight = dt.datetime.combine(cur.date() + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        upto = min(midnight, stop)
        if is_working_day(cur.date()):
            total += upto - cur
        cur = upto
    return total
