"""The provisioning journal: one row per stage phase (begin/done/failed ...) of a run."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select

from netprov.store.engine import StoreBase
from netprov.store.models import JournalRow
from netprov.store.records import JournalEntry, canonical, utc


class JournalStore(StoreBase):
    """The journal table of the register."""

    def journal(
        self, request_id: str, run_id: str, stage: str, phase: str, data: dict[str, Any] | None = None
    ) -> None:
        """Record that ``stage`` of run ``run_id`` reached ``phase`` (now, with ``data``)."""
        with self.session() as s:
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
