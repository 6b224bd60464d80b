"""The register's pipeline journal and provisioning locks, as the saga engine's port.

The pipeline talks to the register through this adapter (``RequestService.runs``), never to the
store: :class:`RunJournal` satisfies ``netprov.pipeline.saga.SagaPort``.
"""

from __future__ import annotations

from typing import Any

from netprov.store.db import JournalEntry, Store


class RunJournal:
    """Journal entries and locks of provisioning runs, kept in the register's database."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def journal(
        self, subject_id: str, run_id: str, stage: str, phase: str, data: dict[str, Any] | None = None
    ) -> None:
        """Append one entry for request ``subject_id``."""
        self._store.journal(subject_id, run_id, stage, phase, data)

    def entries(self, subject_id: str) -> list[JournalEntry]:
        """Every journal entry of the request, oldest first."""
        return self._store.journal_entries(subject_id)

    def acquire_lock(self, subject_id: str, holder: str) -> str:
        """Take the request's provisioning lock (``ConcurrencyError`` naming the holder if held)."""
        return self._store.acquire_lock(subject_id, holder)

    def release_lock(self, subject_id: str, token: str | None = None) -> None:
        """Drop the lock if ``token`` still holds it (``None``: whoever holds it)."""
        self._store.release_lock(subject_id, token)

    def lock_holder(self, subject_id: str) -> str | None:
        """``actor@host:pid`` of the lock's holder, if the request is locked."""
        held = self._store.lock_holder(subject_id)
        return held[0] if held else None
