"""The agenda (register of outgoing letters): numbers per paper kind and year, given once.

Numbers run 1, 2, 3 ... per ``(kind, year)``, in the order they are issued, and are never
reused: the unique constraint ``(kind, year, seq)`` refuses a second holder, and a writer that
loses a race takes the next free number. A number issued for a paper whose step then failed
stays in the agenda (with its request), unused: it is not given to another paper.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from netprov.errors import ConcurrencyError
from netprov.store.engine import StoreBase
from netprov.store.models import AgendaRow
from netprov.store.records import utc

ATTEMPTS = 50


@dataclass(frozen=True)
class AgendaEntry:
    """One issued number: ``seq`` of ``kind`` in ``year``, for ``request_id``."""

    kind: str
    year: int
    seq: int
    request_id: str
    issued_at: dt.datetime


class AgendaStore(StoreBase):
    """The agenda table of the register."""

    def issue_number(self, kind: str, year: int, request_id: str, issued_at: dt.datetime) -> AgendaEntry:
        """The next number of ``kind`` in ``year``, recorded for ``request_id`` (safe across processes)."""
        for attempt in range(ATTEMPTS):
            try:
                with self.session() as s:
                    last = s.scalar(
                        select(func.max(AgendaRow.seq)).where(AgendaRow.kind == kind, AgendaRow.year == year)
                    )
                    seq = (last or 0) + 1
                    s.add(
                        AgendaRow(
                            kind=kind, year=year, seq=seq, request_id=request_id, issued_at=utc(issued_at)
                        )
                    )
                return AgendaEntry(kind, year, seq, request_id, utc(issued_at))
            except (IntegrityError, OperationalError):
                time.sleep(0.01 * (attempt + 1))
        raise ConcurrencyError(f"could not issue a {kind} number: the register is too busy")

    def agenda(self, kind: str | None = None, year: int | None = None) -> list[AgendaEntry]:
        """Issued numbers, by kind, year and number (optionally of one kind and/or year)."""
        query = select(AgendaRow).order_by(AgendaRow.kind, AgendaRow.year, AgendaRow.seq)
        if kind is not None:
            query = query.where(AgendaRow.kind == kind)
        if year is not None:
            query = query.where(AgendaRow.year == year)
        with self.session() as s:
            return [
                AgendaEntry(r.kind, r.year, r.seq, r.request_id, utc(r.issued_at)) for r in s.scalars(query)
            ]
