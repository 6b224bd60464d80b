"""Issuing a step's paper: its agenda number first, then the paper rendered with it.

The paper is rendered from the record *as it will be* once the step is recorded: the step's
own event (not yet appended, its hash empty) is already in the record's events and timeline,
so a paper knows who did its step and when (e.g. the reply letter of a ``sign-reply`` step is
the signed one).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from netprov.sop.ports import Papers
from netprov.sop.record import RequestRecord, build_record
from netprov.store.db import Store, StoredEvent


def pending_record(record: RequestRecord, event: StoredEvent) -> RequestRecord:
    """``record`` with ``event`` (the step about to be recorded) appended."""
    return build_record(record.request, [*record.events, event], record.timezone, record.now)


def issue_paper(
    store: Store,
    papers: Papers,
    timezone: str,
    kind: str,
    record: RequestRecord,
    event: StoredEvent,
    extra: dict[str, Any],
) -> list[dict[str, Any]]:
    """Take the next agenda number of ``kind`` (the year of ``event.at`` in ``timezone``) and
    produce the paper with it; each produced document records its agenda entry."""
    issued_at = event.at
    year = issued_at.astimezone(ZoneInfo(timezone)).year
    entry = store.issue_number(kind, year, record.id, issued_at)
    extra = {**extra, "agenda_seq": entry.seq, "agenda_year": entry.year, "issued_at": issued_at}
    produced = papers.produce(kind, pending_record(record, event), extra)
    agenda = {"kind": kind, "year": entry.year, "seq": entry.seq}
    return [{**doc, "agenda": agenda} for doc in produced]


def local_date(at: dt.datetime, timezone: str) -> dt.date:
    """The calendar date of ``at`` in ``timezone``."""
    return at.astimezone(ZoneInfo(timezone)).date()
