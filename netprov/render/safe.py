"""Free text from letters and forms made safe for device configs; exact names validated.

Two kinds of string may reach a rendered config:

* **safe text** (:func:`safe_text`): descriptions and comments built from what a department
  wrote. It is reduced to printable ASCII from a small allow-list (letters, digits, space and
  ``. , _ / : ( ) @ + -``), on one line, length-bounded, never starting with a config
  keyword. No value from a letter or form can therefore end a line, start a comment, open a
  block, quote, interpolate or negate a command on any supported platform.
* **names** (:func:`check_name`): device, interface and VLAN names that must be exact. They
  are validated against a regular expression and rejected (never "cleaned") when they do
  not match.

:func:`is_safe_output` is the last gate: the template environment calls it on every string
a template prints (see :mod:`netprov.render.env`).
"""

from __future__ import annotations

import re
import unicodedata

from netprov.errors import RenderError

#: Characters safe text may contain (besides ASCII letters and digits).
SAFE_PUNCTUATION = " .,_/:()@+-"
_SAFE_RE = re.compile(r"[A-Za-z0-9 .,_/:()@+\-]*")
_NOT_SAFE_CHAR = re.compile(r"[^A-Za-z0-9 .,_/:()@+\-]")
_SPACES = re.compile(r"\s+")

DEFAULT_MAX_LENGTH = 60
MAX_OUTPUT_LENGTH = 255

#: Words that must never start a description (they are commands on some platform).
KEYWORDS = frozenset(
    {
        "no",
        "end",
        "exit",
        "quit",
        "do",
        "default",
        "set",
        "delete",
        "deactivate",
        "add",
        "remove",
        "rollback",
        "commit",
        "interface",
        "router",
        "ip",
        "ipv6",
        "write",
        "reload",
        "shutdown",
        "conf",
        "configure",
        "terminal",
        "line",
        "username",
        "enable",
        "protocol",
        "filter",
        "import",
        "export",
        "include",
        "system",
        "run",
        "exec",
        "top",
        "up",
    }
)

# Latin look-alikes in other scripts (a homoglyph becomes the letter it imitates).
_HOMOGLYPHS = str.maketrans(
    {
        "А": "A",
        "В": "B",
        "Е": "E",
        "К": "K",
        "М": "M",
        "Н": "H",
        "О": "O",
        "Р": "P",
        "С": "C",
        "Т": "T",
        "Х": "X",
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "Ι": "I",
        "Α": "A",
        "Β": "B",
        "Ε": "E",
        "Ζ": "Z",
        "Η": "H",
        "Κ": "K",
        "Μ": "M",
        "Ν": "N",
        "Ο": "O",
        "Ρ": "P",
        "Τ": "T",
        "Υ": "Y",
        "Χ": "X",
        "ο": "o",
        "ν": "v",
        "ı": "i",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00b7": ".",
        "\u2018": " ",
        "\u2019": " ",
        "\u201c": " ",
        "\u201d": " ",
    }
)

# Names that must be exact: rejected when they don't match, never cleaned.
NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9._/:-]{0,63}")
VLAN_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
SLUG_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
REQUEST_ID_RE = re.compile(r"[A-Z]{2,8}-\d{4}-\d{4}")


def _to_ascii(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)  # fullwidth, ligatures, compatibility forms
    out: list[str] = []
    for ch in text.translate(_HOMOGLYPHS):
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Cs", "Co", "Cn"):  # zero-width, bidi overrides, surrogates, unassigned
            continue
        if cat.startswith(("C", "Z")):  # controls (NUL, CR, LF, TAB...) and separators
            out.append(" ")
            continue
        if ord(ch) < 128:
            out.append(ch)
            continue
        # é -> e: decompose and keep the ASCII base letter, drop everything else
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if ord(c) < 128 and c.isprintable())
        out.append(base or " ")
    return "".join(out)


def _strip_keywords(text: str) -> str:
    words = text.split(" ")
    while words and words[0].lower().strip(".,_/:()@+-") in KEYWORDS:
        words.pop(0)
    return " ".join(words)


def safe_text(value: object, max_length: int = DEFAULT_MAX_LENGTH, fallback: str = "-") -> str:
    """Reduce free text to a one-line description safe on every supported platform.

    Transliterates to ASCII (NFKC, accents and homoglyphs folded), drops format and control
    characters, replaces every character outside the allow-list by a space, collapses
    whitespace, removes leading config keywords and truncates to ``max_length``.

    >>> safe_text("Dinas Pendidikan\\n end\\n no router ospf; !")
    'Dinas Pendidikan end no router ospf'
    >>> safe_text("no Dinas Kesehatan")
    'Dinas Kesehatan'
    >>> safe_text("Kantor Kécamatan Sekupang — lantai 2")
    'Kantor Kecamatan Sekupang - lantai 2'
    >>> safe_text("end")
    '-'
    """
    if max_length < 1:
        raise ValueError("max_length must be positive")
    text = _to_ascii(str(value))
    text = _NOT_SAFE_CHAR.sub(" ", text)
    text = _SPACES.sub(" ", text).strip(" ")
    text = _strip_keywords(text)
    if len(text) > max_length:
        cut = text[: max_length + 1]
        # end on a whole word when that keeps at least half of the room
        text = cut.rsplit(" ", 1)[0] if cut.rfind(" ") >= max_length // 2 else cut[:max_length]
        text = text[:max_length].strip(" ")
    # a description never ends in something a parser could read as a continuation
    text = text.rstrip(" ,:/+-")
    return text or fallback


def is_safe_output(value: str) -> bool:
    """Whether a string may be printed into a config (the environment's last gate).

    >>> is_safe_output("Dinas Pendidikan (UPT Batam Kota)")
    True
    >>> is_safe_output("desc ok\\n no shutdown"), is_safe_output("x" * 256)
    (False, False)
    """
    return len(value) <= MAX_OUTPUT_LENGTH and _SAFE_RE.fullmatch(value) is not None


def check_name(value: str, field: str, pattern: re.Pattern[str] = NAME_RE) -> str:
    """Return ``value`` if it is an exact, safe name; raise RenderError naming ``field``.

    >>> check_name("GigabitEthernet0/1", "interface")
    'GigabitEthernet0/1'
    >>> check_name("eth0; reboot", "interface")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    netprov.errors.RenderError: interface 'eth0; reboot' is not a valid name (must match ...)
    """
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise RenderError(f"{field} {value!r:.80} is not a valid name (must match {pattern.pattern})")
    return value
