"""The provisioning journal: one row per stage phase (begin/done/failed ...) of a run."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select

from netprov.errors import StaleRun
from netprov.store.engine import StoreBase
from netprov.store.models import JournalRow, LockRow
from netprov.store.records import JournalEntry, canonical, utc


class JournalStore(StoreBase):
    """The journal table of the register."""

    def journal(
        self,
        request_id: str,
        run_id: str,
        stage: str,
        phase: str,
        data: dict[str, Any] | None = None,
        *,
        token: str | None = None,
    ) -> None:
        """Record that ``stage`` of run ``run_id`` reached ``phase`` (now, with ``data``).

        ``token``: only while that token holds the request's lock, in the same transaction
        (``StaleRun`` otherwise): a hung worker's run, taken over by another, writes no more.
        """
        with self.session() as s:
            if token is not None:
                lock = s.scalars(
                    select(LockRow).where(LockRow.request_id == request_id).with_for_update()
                ).first()
                if lock is None or lock.token != token:
                    raise StaleRun(
                        f"run {run_id} of {request_id} no longer holds its lock (taken over or "
                        f"released); its {stage}/{phase} is not written"
                    )
            s.add(
                JournalRow(
                    request_id=request_id,
                    run_id=run_id,
                    stage=stage,
                    phase=phase,
                    at=dt.datetime.now(dt.UTC),
                    data_json=canonical(data or {}),
                )
            )

    def journal_entries(self, request_id: str) -> list[JournalEntry]:
        """Every journal row of a request, in the order written."""
        with self.session() as s:
            rows = s.scalars(
                select(JournalRow).where(JournalRow.request_id == request_id).order_by(JournalRow.id)
            )
            return [
                JournalEntry(r.request_id, r.run_id, r.stage, r.phase, utc(r.at), json.loads(r.data_json))
                for r in rows
            ]
