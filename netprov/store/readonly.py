"""Reading the whole register without SQLAlchemy: the stdlib ``sqlite3`` for ``sqlite:`` URLs.

``netprov request list`` and ``sla`` only read. Importing SQLAlchemy costs more than the rest of
such a command, so for a SQLite register already at the newest schema this module reads the
``requests`` and ``events`` tables directly (read-only, in one transaction) into the same frozen
values the store returns. Anything else (a PostgreSQL URL, a register with an older schema that
the store would migrate first, a database sqlite3 cannot open read-only) goes through
:class:`netprov.store.db.Store`, exactly as before. A register that does not exist yet reads as
empty and is not created.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from netprov.store.records import StoredEvent, StoredRequest, utc

VERSIONS = Path(__file__).parent / "migrations" / "versions"
_REVISION = re.compile(r"^revision\b[^=\n]*=\s*[\"']([\w-]+)[\"']", re.MULTILINE)
_DOWN_LINE = re.compile(r"^down_revision\b[^=\n]*=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"[\"']([\w-]+)[\"']")

_REQUESTS_SQL = (
    "SELECT id, year, seq, opd, service, letter_json, received_at, registered_at "
    "FROM requests ORDER BY year, seq"
)
_EVENTS_SQL = (
    "SELECT request_id, seq, step, action, state, actor, role, at, note, outputs_json, prev_hash, hash "
    "FROM events ORDER BY request_id, seq"
)


@dataclass(frozen=True)
class Snapshot:
    """Every request (by year and number) and the events of each (by request id, in order)."""

    requests: list[StoredRequest] = field(default_factory=list)
    events: dict[str, list[StoredEvent]] = field(default_factory=dict)


def newest_revision(versions: Path = VERSIONS) -> str:
    """The head of the migration chain: the ``revision`` no migration names as ``down_revision``.

    Read from the scripts' text (Alembic is not imported); "" when there is not exactly one head.
    """
    revisions, downs = set(), set()
    for script in versions.glob("*.py"):
        text = script.read_text(encoding="utf-8")
        if (rev := _REVISION.search(text)) is not None:
            revisions.add(rev.group(1))
            for line in _DOWN_LINE.findall(text):
                downs.update(_QUOTED.findall(line))
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 else ""


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///FILE`` URL; None for other URLs (memory, PostgreSQL, options)."""
    if not url.startswith("sqlite:///") or "?" in url:
        return None
    path = url.removeprefix("sqlite:///")
    return Path(path) if path and path != ":memory:" else None


def _when(value: str | dt.datetime) -> dt.datetime:
    """A stored time as aware UTC (SQLAlchemy writes SQLite times as naive UTC text)."""
    return utc(value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value))


def _request(r: tuple[Any, ...]) -> StoredRequest:
    rid, year, seq, opd, service, letter_json, received_at, registered_at = r
    letter = json.loads(letter_json)
    return StoredRequest(
        rid, year, seq, opd, service, letter, letter_json, _when(received_at), _when(registered_at)
    )


def _event(r: tuple[Any, ...]) -> StoredEvent:
    rid, seq, step, action, state, actor, role, at, note, outputs_json, prev_hash, hash_ = r
    outputs = json.loads(outputs_json)
    return StoredEvent(rid, seq, step, action, state, actor, role, _when(at), note, outputs, prev_hash, hash_)


def _read_sqlite(path: Path) -> Snapshot | None:
    """The register read with sqlite3, or None when it is not at the newest schema."""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN")  # one read transaction: requests and events of the same moment
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"alembic_version", "requests", "events"} <= tables:
            return None
        if conn.execute("SELECT version_num FROM alembic_version").fetchone() != (newest_revision(),):
            return None
        requests = [_request(r) for r in conn.execute(_REQUESTS_SQL)]
        events: dict[str, list[StoredEvent]] = {}
        for row in conn.execute(_EVENTS_SQL):
            event = _event(row)
            events.setdefault(event.request_id, []).append(event)
        conn.execute("COMMIT")
        return Snapshot(requests, events)
    finally:
        conn.close()


def read_register(url: str) -> Snapshot:
    """Every request and event of the register at ``url`` (see the module docstring)."""
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():
            return Snapshot()
        try:
            snapshot = _read_sqlite(path)
        except sqlite3.Error:
            snapshot = None  # e.g. a WAL database in a read-only folder: the store says why
        if snapshot is not None:
            return snapshot
    return read_with_store(url)


def read_with_store(url: str) -> Snapshot:
    """The same values through the SQLAlchemy store (which migrates the schema first)."""
    from netprov.store.db import Store

    store = Store(url)
    try:
        events = store.all_events()
        return Snapshot(store.list_requests(), events)
    finally:
        store.engine.dispose()
