"""What the register checks about user input before it uses it: ids, times, evidence files.

Nothing here writes before every check passed; every path built from user input is confined
to its folder in the data directory (``resolve`` + ``is_relative_to``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

from netprov.domain.text import shown
from netprov.errors import ConfigError, InputError
from netprov.inputs import EVIDENCE_LIMIT, check_regular, copy_input

_PREFIX_RE = re.compile(r"^[A-Z]{2,8}\Z")
#: The earliest moment a letter can have been received.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
#: UTC offsets that exist on Earth (Indonesia itself uses +07:00 to +09:00).
MIN_OFFSET, MAX_OFFSET = dt.timedelta(hours=-12), dt.timedelta(hours=14)


def check_request_id(request_id: str, prefix: str) -> str:
    """``request_id`` when it is ``PREFIX-YYYY-NNNN``; InputError (the id echoed cut) otherwise.

    >>> check_request_id("PJB-2026-0001", "PJB")
    'PJB-2026-0001'
    >>> check_request_id("../../x", "PJB")
    Traceback (most recent call last):
    netprov.errors.InputError: request id is invalid: '../../x' is not a request id such as 'PJB-2026-0001'
    """
    if not _PREFIX_RE.fullmatch(prefix):
        raise ConfigError(f"NETPROV_ID_PREFIX: {shown(prefix)} must be 2 to 8 capital letters A-Z")
    if not isinstance(request_id, str) or not re.fullmatch(rf"{prefix}-[0-9]{{4}}-[0-9]{{4,6}}", request_id):
        raise InputError(
            [f"{shown(request_id)} is not a request id such as '{prefix}-2026-0001'"], source="request id"
        )
    return request_id


def confined(base: Path, *parts: str) -> Path:
    """``base/parts...``, refused (InputError) unless it stays inside ``base``."""
    root = base.resolve()
    path = root.joinpath(*parts).resolve()
    if not path.is_relative_to(root) or path == root:
        raise InputError([f"{shown('/'.join(parts))} would leave the data directory"], source="path")
    return path


def check_received(received: dt.datetime, now: dt.datetime, field: str = "received_at") -> None:
    """A time a letter can have arrived: an offset that exists, from 2000 on, not in the future."""
    offset = received.utcoffset()
    if offset is None:
        raise InputError([f"{field}: needs a UTC offset, e.g. 2026-08-14T16:00+07:00"], "options")
    if not MIN_OFFSET <= offset <= MAX_OFFSET:
        shown_offset = received.isoformat()[-6:]
        raise InputError([f"{field}: the offset {shown_offset} is outside -12:00..+14:00"], "options")
    if received.year < EARLIEST.year:  # compared by year first: no overflow near year 1
        raise InputError([f"{field}: is before 2000-01-01"], "options")
    if received.year > now.year + 1 or received > now + dt.timedelta(minutes=5):
        raise InputError([f"{field}: is in the future"], "options")


def check_letter_received(received: dt.datetime, letter_date: dt.date, field: str = "--received-at") -> None:
    """A letter cannot arrive before the date written on it."""
    if received.date() < letter_date:
        raise InputError(
            [f"{field}: {received:%Y-%m-%d} is before the letter's own date ({letter_date})"], "options"
        )


#: How far ahead a preferred installation date may be.
MAX_AHEAD = dt.timedelta(days=731)


def check_preferred(preferred: dt.date, received: dt.date, today: dt.date) -> None:
    """A preferred date not before the request arrived and at most two years ahead."""
    field = "schedule.preferred_date"
    if preferred < received:
        raise InputError(
            [f"{field}: {preferred} is in the past (before the request arrived, {received})"], "form"
        )
    if preferred > today + MAX_AHEAD:
        raise InputError([f"{field}: {preferred} is more than two years ahead"], "form")


def store_evidence(
    evidence_dir: Path, request_id: str, evidence: Path, what: str = "--evidence"
) -> dict[str, Any]:
    """Copy an evidence file (regular, at most :data:`EVIDENCE_LIMIT`) into the request's folder.

    The file is checked before the folder is made; on failure nothing is left behind.
    """
    check_regular(evidence, what, EVIDENCE_LIMIT)
    folder = confined(evidence_dir, request_id)
    made = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".incoming-{os.getpid()}"
    try:
        digest, size = copy_input(evidence, what, tmp, EVIDENCE_LIMIT)
        name = evidence.name
        safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)[:80]
        path = confined(folder, f"{digest[:12]}-{safe or 'evidence'}")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        if made:
            folder.rmdir()
        raise
    return {"file": str(path), "name": name[:200], "sha256": digest, "bytes": size}


def discard_evidence(stored: dict[str, Any]) -> None:
    """Remove a stored evidence file (its event was not recorded) and its folder if now empty."""
    path = Path(stored["file"])
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()
