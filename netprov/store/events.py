"""The events of each request: an append-only, hash-chained log with optimistic concurrency."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from netprov.errors import ConcurrencyError, NotFoundError
from netprov.store.engine import StoreBase
from netprov.store.models import EventRow, RequestRow

if TYPE_CHECKING:
    from netprov.store.outbox import MailDraft
from netprov.store.records import StoredEvent, canonical, event_from_row, event_hash, letter_hash, utc


def _chain_head(s: Session, request_id: str, expected_seq: int) -> str:
    """The hash event ``expected_seq`` follows; ConcurrencyError if it is not the next one."""
    last = s.scalars(
        select(EventRow).where(EventRow.request_id == request_id).order_by(EventRow.seq.desc()).limit(1)
    ).first()
    current = last.seq if last else 0
    if current + 1 != expected_seq:
        raise ConcurrencyError(
            f"{request_id} changed meanwhile (event {current} exists): look again and retry"
        )
    if last is not None:
        return last.hash
    req = s.get(RequestRow, request_id)
    if req is None:
        raise NotFoundError(f"no request {request_id!r} in the register")
    return letter_hash(req.letter_json)


def _row(event: StoredEvent) -> EventRow:
    return EventRow(
        request_id=event.request_id,
        seq=event.seq,
        step=event.step,
        action=event.action,
        state=event.state,
        actor=event.actor,
        role=event.role,
        at=event.at,
        note=event.note,
        outputs_json=canonical(event.outputs),
        prev_hash=event.prev_hash,
        hash=event.hash,
    )


class EventStore(StoreBase):
    """The events table of the register."""

    def append_event(
        self,
        *,
        request_id: str,
        expected_seq: int,
        step: int,
        action: str,
        state: str,
        actor: str,
        role: str,
        at: dt.datetime,
        note: str,
        outputs: dict[str, Any],
        mails: Sequence[MailDraft] = (),
    ) -> StoredEvent:
        """Append event number ``expected_seq``; ConcurrencyError if someone appended first.

        ``mails`` are queued in the outbox in the same transaction: a step that lands has its
        mail queued, a step that fails queues none.
        """
        outputs = json.loads(canonical(outputs))
        try:
            with self.session() as s:
                prev = _chain_head(s, request_id, expected_seq)
                unsigned = StoredEvent(
                    request_id,
                    expected_seq,
                    step,
                    action,
                    state,
                    actor,
                    role,
                    utc(at),
                    note,
                    outputs,
                    prev,
                    "",
                )
                event = dataclasses.replace(unsigned, hash=event_hash(prev, unsigned.hashed_fields()))
                s.add(_row(event))
                if mails:
                    from netprov.store.outbox import add_mails

                    s.flush()  # the event first: the outbox rows refer to its request
                    add_mails(s, request_id, expected_seq, mails, utc(at))
        except IntegrityError as exc:
            raise ConcurrencyError(f"{request_id} changed meanwhile: look again and retry") from exc
        return event

    def events(self, request_id: str) -> list[StoredEvent]:
        """The events of one request, in order."""
        with self.session() as s:
            rows = s.scalars(select(EventRow).where(EventRow.request_id == request_id).order_by(EventRow.seq))
            return [event_from_row(r) for r in rows]

    def all_events(self) -> dict[str, list[StoredEvent]]:
        """The events of every request, by request id, in order."""
        out: dict[str, list[StoredEvent]] = {}
        with self.session() as s:
            for r in s.scalars(select(EventRow).order_by(EventRow.request_id, EventRow.seq)):
                out.setdefault(r.request_id, []).append(event_from_row(r))
        return out
