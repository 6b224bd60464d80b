"""The SOP service's ``Papers`` port, implemented with this package.

``netprov.sop.service.RequestService`` calls ``produce(kind, record, extra)`` before it
appends a step's event and records the returned dicts in the event's ``documents`` output;
if the event is then not recorded it calls ``discard(produced)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from netprov.documents.context import DocumentKind
from netprov.documents.from_record import RecordLike, context_from_record
from netprov.documents.render import render_document
from netprov.documents.store import discard_documents
from netprov.domain.users import Directory
from netprov.settings import Settings


class RegisterPapers:
    """Render a step's paper from a register record; store it; hand back its event record."""

    def __init__(
        self, settings: Settings, users: Directory | None, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self.settings = settings
        self.users = users
        self.clock = clock

    def produce(self, kind: str, record: RecordLike, extra: dict[str, Any]) -> list[dict[str, Any]]:
        now = extra.get("issued_at") or (self.clock() if self.clock is not None else None)
        step = DocumentKind(kind).step if kind in {k.value for k in DocumentKind} else 0
        ctx = context_from_record(record, self.users, extra, now=now, step=step)
        return [render_document(kind, ctx, self.settings).to_event()]

    def discard(self, produced: list[dict[str, Any]]) -> None:
        discard_documents(produced)
