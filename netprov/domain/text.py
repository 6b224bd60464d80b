"""Text that is really text: what every free-text field from a user must pass.

Refused: control characters (NUL, BEL, ESC ...; only tab and newline in multi-line fields),
line and paragraph separators (U+2028/2029), bidirectional overrides, lone surrogates, and
text made only of invisible characters (spaces, zero-width spaces, a BOM), which counts as
empty. Invisible characters at either end are stripped.
"""

from __future__ import annotations

import unicodedata

#: Bidirectional embedding/override/isolate controls ("Trojan source").
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
#: Invisible characters that may sit inside text (joiners in names) but are no text alone.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u3164\u115f\u1160")


def _blank(ch: str) -> bool:
    """Stripped at either end: spaces and invisible format characters."""
    return ch.isspace() or ch in _INVISIBLE or unicodedata.category(ch) in {"Cf", "Zs"}


def _invisible(ch: str) -> bool:
    """Nothing to see: blank, or a combining mark (alone it marks nothing)."""
    return _blank(ch) or unicodedata.category(ch) in {"Mn", "Me"}


def shown(value: object, limit: int = 40) -> str:
    """A value as it may be echoed in an error: quoted, escaped, cut to ``limit`` characters.

    >>> shown("PJB-2026-0001")
    "'PJB-2026-0001'"
    >>> shown("x" * 100, 10)
    "'xxxxxxxxxx'… (100 characters)"
    >>> shown("a\\x1b[31m")
    "'a\\\\x1b[31m'"
    """
    text = str(value)
    out = repr(text[:limit]).encode("ascii", "backslashreplace").decode("ascii")
    if len(out) > 2 * limit + 2:  # escapes made it long: cut the escaped form too
        out = out[: 2 * limit] + "'"
    if len(text) > limit or len(out) > 2 * limit + 2:
        out += f"… ({len(text)} characters)"
    return out


def text_problem(value: str, max_length: int, multiline: bool = False) -> str | None:
    """Why ``value`` is not acceptable text (a phrase), or None.

    >>> text_problem("Dinas Pendidikan", 200) is None
    True
    >>> text_problem("\\u200b\\ufeff ", 200)
    'is empty (only invisible characters)'
    >>> text_problem("a\\x07b", 200)
    'contains a control character (U+0007)'
    >>> text_problem("x" * 201, 200)
    'is too long (201 characters, at most 200)'
    """
    if len(value) > max_length:
        return f"is too long ({len(value)} characters, at most {max_length})"
    allowed = "\n\t" if multiline else ""
    for ch in value:
        cat = unicodedata.category(ch)
        if (cat in {"Cc", "Cs", "Zl", "Zp"} and ch not in allowed) or ch in _BIDI:
            return f"contains a control character (U+{ord(ch):04X})"
        if cat == "Co" or ch in "\ufffe\uffff":
            return f"contains a character that is not text (U+{ord(ch):04X})"
    if value and all(_invisible(ch) for ch in value):
        return "is empty (only invisible characters)"
    return None


def clean_text(value: str, max_length: int, multiline: bool = False, required: bool = True) -> str:
    """``value`` with invisible characters stripped from both ends; ValueError saying why not.

    >>> clean_text("\\ufeff Dinas Pendidikan\\u200b ", 200)
    'Dinas Pendidikan'
    """
    why = text_problem(value, max_length, multiline)
    if why is not None:
        raise ValueError(why)
    start, end = 0, len(value)
    while start < end and _blank(value[start]):
        start += 1
    while end > start and _blank(value[end - 1]):
        end -= 1
    out = unicodedata.normalize("NFC", value[start:end])
    if required and not out:
        raise ValueError("is required and may not be empty")
    return out


def check_option(value: str, option: str, max_length: int = 2000, required: bool = False) -> str:
    """A free-text CLI option (``--note``, ``--reason``): cleaned, or InputError naming it."""
    from netprov.errors import InputError

    try:
        return clean_text(value, max_length, multiline=True, required=required)
    except ValueError as exc:
        raise InputError([f"{option}: {exc}"], source="options") from None
