"""Dates and numbers as an Indonesian official document writes them. Pure.

>>> import datetime as dt
>>> tanggal(dt.date(2026, 11, 29))
'29 November 2026'
>>> hari(dt.date(2026, 11, 29))
'Minggu'
>>> roman(11)
'XI'
>>> terbilang(2026)
'dua ribu dua puluh enam'
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from netprov.domain.id_names import BULAN, HARI
from netprov.errors import ConfigError

_ROMAN = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)
# Indonesian time zones by IANA name; anything else shows the zone's own abbreviation.
_ZONE_ABBR = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def roman(n: int) -> str:
    """Roman numeral of ``n`` (1..3999), as used for the month in letter numbers."""
    if not 1 <= n <= 3999:
        raise ValueError("roman numerals cover 1..3999")
    out = []
    for value, sym in _ROMAN:
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


def tanggal(d: dt.date) -> str:
    """``29 November 2026``."""
    return f"{d.day} {BULAN[d.month - 1]} {d.year}"


def hari(d: dt.date) -> str:
    """Weekday name: ``Senin`` .. ``Minggu``."""
    return HARI[d.weekday()]


def hari_tanggal(d: dt.date) -> str:
    """``Minggu, 29 November 2026``."""
    return f"{hari(d)}, {tanggal(d)}"


def terbilang(n: int) -> str:
    """A non-negative whole number in Indonesian words (``terbilang``), from num2words.

    >>> terbilang(100)
    'seratus'
    >>> terbilang(11)
    'sebelas'
    """
    if n < 0:
        raise ValueError("terbilang takes a non-negative number")
    from num2words import num2words

    return str(num2words(n, lang="id"))


def angka_terbilang(n: int) -> str:
    """A number with its words, as official papers write amounts: ``100 (seratus)``.

    >>> angka_terbilang(50)
    '50 (lima puluh)'
    """
    return f"{n} ({terbilang(n)})"


def zone(name: str) -> ZoneInfo:
    """The configured time zone (setting ``timezone``)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"setting timezone: unknown time zone {name!r}") from exc


def local(at: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """``at`` in ``tz``; a naive datetime is taken as UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(tz)


def zone_abbr(tz: ZoneInfo, at: dt.datetime) -> str:
    return _ZONE_ABBR.get(tz.key) or at.astimezone(tz).tzname() or tz.key


def waktu(at: dt.datetime, tz: ZoneInfo) -> str:
    """``29 November 2026 14.43 WIB`` (Indonesian uses a dot between hours and minutes).

    >>> waktu(dt.datetime(2026, 11, 29, 7, 43, tzinfo=dt.UTC), zone("Asia/Jakarta"))
    '29 November 2026 14.43 WIB'
    """
    loc = local(at, tz)
    return f"{tanggal(loc.date())} {loc.hour:02d}.{loc.minute:02d} {zone_abbr(tz, loc)}"
