"""Letter numbers in the agency's numbering scheme (setting ``letter_number_format``). Pure."""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

from netprov.documents.dates import roman
from netprov.errors import ConfigError

FIELDS = frozenset({"seq", "code", "kind", "roman_month", "year"})


def request_seq(request_id: str) -> int:
    """The sequence number in a request id: ``PJB-2026-0007`` -> 7.

    >>> request_seq("PJB-2026-0007")
    7
    """
    try:
        return int(request_id.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        raise ValueError(f"{request_id!r} is not a request id such as 'PJB-2026-0007'") from None


def letter_number(fmt: str, *, seq: int, code: str, kind: str, on: dt.date) -> str:
    """Format a letter number, e.g. ``007/Kominfo-PE/BA/XI/2026``.

    >>> letter_number("{seq:03d}/{code}/{kind}/{roman_month}/{year}", seq=7, code="Kominfo-PE",
    ...               kind="BA", on=dt.date(2026, 11, 29))
    '007/Kominfo-PE/BA/XI/2026'

    Raises:
        ConfigError: the format names an unknown field or is malformed.
    """
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(fmt) if f is not None}
    except ValueError as exc:
        raise ConfigError(f"setting letter_number_format {fmt!r} is malformed: {exc}") from exc
    unknown = {n.split(".")[0].split("[")[0] for n in names} - FIELDS
    if unknown:
        raise ConfigError(
            f"setting letter_number_format names unknown field(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(FIELDS))}"
        )
    values: dict[str, Any] = {
        "seq": seq,
        "code": code,
        "kind": kind,
        "roman_month": roman(on.month),
        "year": on.year,
    }
    try:
        return fmt.format(**values)
    except (ValueError, KeyError, IndexError, AttributeError) as exc:
        raise ConfigError(f"setting letter_number_format {fmt!r} cannot be applied: {exc}") from exc
