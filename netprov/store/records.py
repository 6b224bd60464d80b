"""The register's records as frozen values, their canonical JSON and the events' hash chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # SQLAlchemy is not imported to read these values (netprov.store.readonly)
    from netprov.store.models import EventRow, RequestRow

GENESIS = "0" * 64


def utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC datetime (SQLite hands back naive values that were stored as UTC).

    >>> utc(dt.datetime(2026, 1, 5, 8, 0)).isoformat()
    '2026-01-05T08:00:00+00:00'
    >>> utc(dt.datetime(2026, 1, 5, 15, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))).isoformat()
    '2026-01-05T08:00:00+00:00'
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def canonical(obj: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept, anything else as ``str``.

    >>> canonical({"b": 1, "a": ["é", 2]})
    '{"a":["é",2],"b":1}'
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 of the previous hash followed by the canonical JSON of the event's fields.

    >>> len(event_hash(GENESIS, {"seq": 1}))
    64
    >>> event_hash(GENESIS, {"seq": 1}) == event_hash(GENESIS, {"seq": 2})
    False
    """
    return hashlib.sha256((prev_hash + canonical(fields)).encode("utf-8")).hexdigest()


def letter_hash(letter_json: str) -> str:
    """The hash the first event of a request follows: SHA-256 of the letter's canonical JSON."""
    return hashlib.sha256(letter_json.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredRequest:
    id: str
    year: int
    seq: int
    opd: str
    service: str
    letter: dict[str, Any]
    letter_json: str
    received_at: dt.datetime
    registered_at: dt.datetime


@dataclass(frozen=True)
class StoredEvent:
    request_id: str
    seq: int
    step: int
    action: str
    state: str
    actor: str
    role: str
    at: dt.datetime
    note: str
    outputs: dict[str, Any]
    prev_hash: str
    hash: str

    def hashed_fields(self) -> dict[str, Any]:
        """What the event's hash covers: everything but the hashes themselves."""
        return {
            "request_id": self.request_id,
            "seq": self.seq,
            "step": self.step,
            "action": self.action,
            "state": self.state,
            "actor": self.actor,
            "role": self.role,
            "at": utc(self.at).isoformat(),
            "note": self.note,
            "outputs": self.outputs,
        }


@dataclass(frozen=True)
class JournalEntry:
    request_id: str
    run_id: str
    stage: str
    phase: str
    at: dt.datetime
    data: dict[str, Any]


def request_from_row(row: RequestRow) -> StoredRequest:
    """The frozen value of a request row."""
    return StoredRequest(
        row.id,
        row.year,
        row.seq,
        row.opd,
        row.service,
        json.loads(row.letter_json),
        row.letter_json,
        utc(row.received_at),
        utc(row.registered_at),
    )


def event_from_row(r: EventRow) -> StoredEvent:
    """The frozen value of an event row."""
    return StoredEvent(
        r.request_id,
        r.seq,
        r.step,
        r.action,
        r.state,
        r.actor,
        r.role,
        utc(r.at),
        r.note,
        json.loads(r.outputs_json),
        r.prev_hash,
        r.hash,
    )


def verify_chain(request: StoredRequest, events: list[StoredEvent]) -> list[str]:
    """Problems with the hash chain of one request ([] when intact)."""
    problems = []
    prev = letter_hash(request.letter_json)
    for i, e in enumerate(events, start=1):
        if e.seq != i:
            problems.append(f"event {i} is missing (found {e.seq})")
        if e.prev_hash != prev:
            problems.append(f"event {e.seq} does not follow event {e.seq - 1}")
        if event_hash(e.prev_hash, e.hashed_fields()) != e.hash:
            problems.append(f"event {e.seq} was altered (hash mismatch)")
        prev = e.hash
    return problems
