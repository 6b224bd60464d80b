"""Indonesian letter text as OCR gives it: numbers written in words, dates, roman months (pure)."""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import re

BULAN = tuple(
    [
        "januari",
        "februari",
        "maret",
        "april",
        "mei",
        "juni",
        "juli",
        "agustus",
        "september",
        "oktober",
        "november",
        "desember",
    ]
)
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
_UNITS = {
    "nol": 0, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
    "delapan": 8, "sembilan": 9, "sepuluh": 10, "sebelas": 11, "seratus": 100, "seribu": 1000,
}  # fmt: skip
_SCALES = {"belas": 10, "puluh": 10, "ratus": 100, "ribu": 1000}
NUMBER_WORDS = (*_UNITS, *_SCALES)


def number_word(token: str) -> str | None:
    """The Indonesian number word ``token`` was meant to be (OCR typos allowed), or None."""
    t = token.casefold().strip(".,;:()")
    if len(t) < 3:
        return None
    if t in _UNITS or t in _SCALES:
        return t
    close = difflib.get_close_matches(t, NUMBER_WORDS, n=1, cutoff=0.75)
    return close[0] if close else None


def words_value(words: list[str]) -> int | None:
    """The number ``words`` spell (``["lima", "puluh"]`` -> 50), None when they spell none.

    >>> words_value("dua ratus lima puluh".split()), words_value(["tiga", "belas"]), words_value([])
    (250, 13, None)
    """
    total, current = 0, 0
    seen = False
    for w in words:
        if w in _UNITS:
            value = _UNITS[w]
            if value >= 100:
                total, current = total + current + value, 0
            else:
                current += value
        elif w == "belas":
            current = (current or 1) + 10 if current < 10 else current
        elif w in ("puluh", "ratus"):
            current = (current or 1) * _SCALES[w]
            if w == "ratus":
                total, current = total + current, 0
        elif w == "ribu":
            total, current = (total + current or 1) * 1000, 0
        else:
            return None
        seen = True
    return total + current if seen else None


def month_number(token: str) -> int | None:
    """1-12 for an Indonesian month name (OCR typos allowed)."""
    close = difflib.get_close_matches(token.casefold(), BULAN, n=1, cutoff=0.7)
    return BULAN.index(close[0]) + 1 if close else None


_WRITTEN = re.compile(r"\b(\d{1,2})\s+([A-Za-z]{3,10})\s+((?:19|20)\d{2})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*((?:19|20)\d{2})\b")


def find_dates(text: str) -> list[tuple[dt.date, int, int]]:
    """Every date written "20 November 2026" or "20-11-2026" in ``text``: (date, start, end)."""
    out: list[tuple[dt.date, int, int]] = []
    for m in _WRITTEN.finditer(text):
        month = month_number(m.group(2))
        if month is not None:
            _add(out, int(m.group(3)), month, int(m.group(1)), m)
    for m in _NUMERIC.finditer(text):
        _add(out, int(m.group(3)), int(m.group(2)), int(m.group(1)), m)
    return sorted(out, key=lambda d: d[1])


def _add(out: list[tuple[dt.date, int, int]], y: int, mo: int, d: int, m: re.Match[str]) -> None:
    with contextlib.suppress(ValueError):
        out.append((dt.date(y, mo, d), m.start(), m.end()))


def roman_month(month: int) -> str:
    return ROMAN[month - 1]


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance.

    >>> edit_distance("X1", "XI"), edit_distance("XIV", "XI")
    (1, 1)
    """
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


_DIGIT_FIX = str.maketrans("OoDQlI|iSsBGbZz", "000011115586622")


def fix_digits(part: str) -> str:
    """``part`` with letters OCR reads for digits turned into those digits (a mostly-digit part)."""
    return part.translate(_DIGIT_FIX)


_TAIL = re.compile(
    r"^(?P<head>.*?[A-Z]{2,})[/!|]{1,2}(?P<roman>[IVXl1|!]{1,4})[/!|V]?(?P<year>(?:19|20)\d{2})$"
)
_AS_I = str.maketrans("l1|!", "IIII")


def fix_number(raw: str, month: int | None) -> tuple[str, float]:
    """A letter number rebuilt from its ``/`` parts, and how much of it needed repair (1.0: none).

    Digit parts lose OCR's letter-for-digit slips; the roman month part (before the year)
    must be the letter's month when only one edit away (``X1`` -> ``XI``); slashes read as
    ``!`` or ``V`` around it are put back.

    >>> fix_number("005/123/DISDIK/X1/2026", 11)
    ('005/123/DISDIK/XI/2026', 0.8)
    >>> fix_number("033/130/DINKES!!I1/2026", 3)
    ('033/130/DINKES/III/2026', 0.8)
    >>> fix_number("011/379/BAPPEDA!/!I/2026", 2)
    ('011/379/BAPPEDA/II/2026', 0.8)
    >>> fix_number("033/130/DINKES!/111/2026", 3)
    ('033/130/DINKES/III/2026', 0.8)
    >>> fix_number("049/139/DISHUBIV/2026", 5)
    ('049/139/DISHUB/V/2026', 0.7)
    >>> fix_number("027/45/BAPPEDA/2026", None)
    ('027/45/BAPPEDA/2026', 1.0)
    """
    raw = raw.strip(".,;:")
    factor = 1.0
    m = _TAIL.match(raw)
    if m:
        roman = m.group("roman").translate(_AS_I)
        want = roman_month(month) if month is not None else None
        if want is not None and roman != want and edit_distance(roman, want) <= 1:
            roman = want
        rebuilt = f"{m.group('head')}/{roman}/{m.group('year')}"
        if rebuilt != raw:
            factor = 0.8
        if roman not in ROMAN:
            factor = 0.5
        raw = rebuilt
    elif month is not None:  # the slash before the month lost or read as I: DISHUBIV/2026
        want = roman_month(month)
        g = re.match(rf"^(.*?[A-Z]{{2,}}?)[/!|Il]?{want}[/!|]?((?:19|20)\d{{2}})$", raw)
        if g:
            raw, factor = f"{g.group(1)}/{want}/{g.group(2)}", 0.7
    parts = raw.split("/")
    for i, p in enumerate(parts):
        fixed = fix_digits(p)
        if fixed != p and fixed.isdigit() and any(c.isdigit() for c in p):
            parts[i], factor = fixed, min(factor, 0.8)
    if len(parts) < 3:
        factor = min(factor, 0.5)
    return "/".join(parts), factor
