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

from netprov.errors import ConfigError

BULAN = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")

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
_SATUAN = (
    "nol",
    "satu",
    "dua",
    "tiga",
    "empat",
    "lima",
    "enam",
    "tujuh",
    "delapan",
    "sembilan",
    "sepuluh",
    "sebelas",
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
    """A non-negative whole number in Indonesian words (``terbilang``)."""
    if n < 0:
        raise ValueError("terbilang takes a non-negative number")
    if n < 12:
        return _SATUAN[n]
    if n < 20:
        return f"{_SATUAN[n - 10]} belas"
    if n < 100:
        rest = n % 10
        return f"{_SATUAN[n // 10]} puluh" + (f" {_SATUAN[rest]}" if rest else "")
    for unit, word, single in (
        (10**9, "miliar", None),
        (10**6, "juta", None),
        (1000, "ribu", "seribu"),
        (100, "ratus", "seratus"),
    ):
        if n >= unit:
            head, rest = divmod(n, unit)
            text = single if head == 1 and single else f"{terbilang(head)} {word}"
            return text + (f" {terbilang(rest)}" if rest else "")
    raise AssertionError("unreachable")


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
