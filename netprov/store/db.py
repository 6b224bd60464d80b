"""The register's storage: open (migrating to head), append, read. No SOP rules here.

The parts live in their own modules (engine, records, requests, events, journal, locks,
agenda);
this module composes :class:`Store` and re-exports the names callers import from it.
"""

from __future__ import annotations

from netprov.store.accounts import AccountStore
from netprov.store.agenda import AgendaEntry, AgendaStore
from netprov.store.engine import (
    HEAD_REVISION,
    MIGRATION_LOCK_KEY,
    MIGRATIONS,
    StoreBase,
    _ensure_wal,
    _sqlite_immediate,
)
from netprov.store.events import EventStore
from netprov.store.identity import IdentityStore
from netprov.store.journal import JournalStore
from netprov.store.locks import LockStore
from netprov.store.outbox import OutboxStore
from netprov.store.records import (
    GENESIS,
    JournalEntry,
    StoredEvent,
    StoredRequest,
    canonical,
    event_hash,
    utc,
    verify_chain,
)
from netprov.store.records import event_from_row as _evt
from netprov.store.records import request_from_row as _req
from netprov.store.requests import RequestStore

__all__ = [
    "GENESIS",
    "HEAD_REVISION",
    "MIGRATIONS",
    "MIGRATION_LOCK_KEY",
    "AgendaEntry",
    "JournalEntry",
    "Store",
    "StoreBase",
    "StoredEvent",
    "StoredRequest",
    "_ensure_wal",
    "_evt",
    "_req",
    "_sqlite_immediate",
    "canonical",
    "event_hash",
    "utc",
    "verify_chain",
]


class Store(
    RequestStore, EventStore, JournalStore, LockStore, AgendaStore, IdentityStore, OutboxStore, AccountStore
):
    """Append-only register storage on SQLite (default) or PostgreSQL (by URL)."""
