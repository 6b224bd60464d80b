"""The register's pipeline journal and provisioning locks, as the saga engine's port.

The pipeline talks to the register through this adapter (``RequestService.runs``), never to the
store: :class:`RunJournal` satisfies ``netprov.pipeline.saga.SagaPort``.
"""

from __future__ import annotations

from typing import Any

from netprov.store.db import JournalEntry, Store

REMEDIATE_PREFIX = "remediate-"
"""Run ids of ``netprov drift --remediate`` runs: the same journal and lock, never a provisioning run."""


class RunJournal:
    """Journal entries and locks of provisioning runs, kept in the register's database.

    ``remediation``: the view of drift remediation runs (run ids starting with
    :data:`REMEDIATE_PREFIX`) instead; each view sees only its own runs, so a remediation is
    never taken for the request's provisioning run (nor undone in its place). Both share the
    request's lock.
    """

    def __init__(self, store: Store, *, remediation: bool = False) -> None:
        self._store = store
        self._remediation = remediation

    def journal(
        self, subject_id: str, run_id: str, stage: str, phase: str, data: dict[str, Any] | None = None
    ) -> None:
        """Append one entry for request ``subject_id``."""
        self._store.journal(subject_id, run_id, stage, phase, data)

    def journal_if_held(
        self,
        token: str,
        subject_id: str,
        run_id: str,
        stage: str,
        phase: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Append one entry only while ``token`` holds the request's lock (else ``StaleRun``)."""
        self._store.journal(subject_id, run_id, stage, phase, data, token=token)

    def holds_lock(self, subject_id: str, token: str) -> bool:
        """Whether ``token`` still holds the request's lock."""
        return self._store.holds_lock(subject_id, token)

    def entries(self, subject_id: str) -> list[JournalEntry]:
        """Every journal entry of the request's runs of this view, oldest first."""
        return [
            e
            for e in self._store.journal_entries(subject_id)
            if e.run_id.startswith(REMEDIATE_PREFIX) is self._remediation
        ]

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
