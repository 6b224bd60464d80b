"""The mail outbox: rows queued with a step (or by ``notify`` for reminders), claimed atomically,
then marked sent in the same transaction that appends the ``mail`` event to the trail.

No SOP rules here (who gets what is :mod:`netprov.mail.compose`); only the storage and the claim.
A claim is a lease: a process that dies after claiming leaves the row to be claimed again once
the lease ends, so a mail is sent at least once and, while its claim holds, by one process only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from netprov.errors import ConcurrencyError
from netprov.store.engine import StoreBase
from netprov.store.models import EventRow, OutboxRow, RequestRow
from netprov.store.records import StoredEvent, canonical, event_hash, letter_hash, utc


@dataclass(frozen=True)
class MailDraft:
    """One mail to queue. ``attachments``: stored documents ``{kind, version, name, path, sha256}``."""

    kind: str
    dedup_key: str
    step: int
    recipient: str
    address: str
    subject: str
    body: str
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    request_id: str
    event_seq: int
    step: int
    kind: str
    dedup_key: str
    recipient: str
    address: str
    subject: str
    body: str
    attachments: list[dict[str, Any]]
    status: str
    attempts: int
    last_error: str
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None


def _entry(r: OutboxRow) -> OutboxEntry:
    return OutboxEntry(
        r.id,
        r.request_id,
        r.event_seq,
        r.step,
        r.kind,
        r.dedup_key,
        r.recipient,
        r.address,
        r.subject,
        r.body,
        json.loads(r.attachments_json),
        r.status,
        r.attempts,
        r.last_error,
        utc(r.created_at),
        utc(r.next_attempt_at),
        utc(r.sent_at) if r.sent_at else None,
    )


def outbox_row(request_id: str, event_seq: int, draft: MailDraft, now: dt.datetime) -> OutboxRow:
    """The row for ``draft`` (added by the caller to its own transaction)."""
    return OutboxRow(
        request_id=request_id,
        event_seq=event_seq,
        step=draft.step,
        kind=draft.kind,
        dedup_key=draft.dedup_key,
        recipient=draft.recipient,
        address=draft.address,
        subject=draft.subject,
        body=draft.body,
        attachments_json=canonical(draft.attachments),
        status="queued",
        attempts=0,
        last_error="",
        created_at=utc(now),
        next_attempt_at=utc(now),
    )


def _append_annotation(s: Session, request_id: str, fields: dict[str, Any]) -> StoredEvent:
    """Append an annotation as the request's next event (its state: the last event's)."""
    last = s.scalars(
        select(EventRow).where(EventRow.request_id == request_id).order_by(EventRow.seq.desc()).limit(1)
    ).first()
    if last is None:
        req = s.get(RequestRow, request_id)
        prev, seq, state = letter_hash(req.letter_json if req else ""), 1, "received"
    else:
        prev, seq, state = last.hash, last.seq + 1, last.state
    unsigned = StoredEvent(
        request_id,
        seq,
        int(fields["step"]),
        str(fields["action"]),
        state,
        str(fields["actor"]),
        str(fields["role"]),
        utc(fields["at"]),
        str(fields["note"]),
        json.loads(canonical(fields["outputs"])),
        prev,
        "",
    )
    event = dataclasses.replace(unsigned, hash=event_hash(prev, unsigned.hashed_fields()))
    s.add(
        EventRow(
            request_id=request_id,
            seq=seq,
            step=event.step,
            action=event.action,
            state=state,
            actor=event.actor,
            role=event.role,
            at=event.at,
            note=event.note,
            outputs_json=canonical(event.outputs),
            prev_hash=prev,
            hash=event.hash,
        )
    )
    return event


class OutboxStore(StoreBase):
    """The ``mail_outbox`` table of the register."""

    def queue_mail(self, request_id: str, event_seq: int, draft: MailDraft, now: dt.datetime) -> bool:
        """Queue one mail on its own; False when its ``dedup_key`` is queued already."""
        try:
            with self.session() as s:
                s.add(outbox_row(request_id, event_seq, draft, now))
        except IntegrityError:
            return False
        return True

    def has_mail(self, dedup_key: str) -> bool:
        with self.session() as s:
            return s.scalar(select(OutboxRow.id).where(OutboxRow.dedup_key == dedup_key)) is not None

    def outbox(self, request_id: str | None = None, status: str | None = None) -> list[OutboxEntry]:
        """The outbox's rows (of one request, in one status), oldest first."""
        q = select(OutboxRow).order_by(OutboxRow.id)
        if request_id is not None:
            q = q.where(OutboxRow.request_id == request_id)
        if status is not None:
            q = q.where(OutboxRow.status == status)
        with self.session() as s:
            return [_entry(r) for r in s.scalars(q)]

    def due_mail(self, now: dt.datetime, limit: int = 200) -> list[OutboxEntry]:
        """Queued mail whose next attempt is due and that nobody holds a live claim on."""
        t = utc(now)
        q = (
            select(OutboxRow)
            .where(OutboxRow.status == "queued", OutboxRow.next_attempt_at <= t)
            .where(or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < t))
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        with self.session() as s:
            return [_entry(r) for r in s.scalars(q)]

    def claim_mail(self, mail_id: int, token: str, now: dt.datetime, lease: dt.timedelta) -> bool:
        """Take the row for ``lease`` (one UPDATE: of two claimers, exactly one gets it)."""
        t = utc(now)
        with self.session() as s:
            res = s.execute(
                update(OutboxRow)
                .where(OutboxRow.id == mail_id, OutboxRow.status == "queued", OutboxRow.next_attempt_at <= t)
                .where(or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < t))
                .values(claim_token=token, claimed_until=t + lease)
            )
            return bool(getattr(res, "rowcount", 0) == 1)

    def mail_sent(self, mail_id: int, token: str, now: dt.datetime, event: dict[str, Any]) -> StoredEvent:
        """Mark the claimed row sent and append its ``mail`` event, in one transaction."""
        for _ in range(20):
            try:
                with self.session() as s:
                    row = s.get(OutboxRow, mail_id)
                    if row is None or row.claim_token != token:
                        raise ConcurrencyError(f"mail {mail_id}: the claim was lost before it was recorded")
                    recorded = _append_annotation(s, row.request_id, {**event, "step": row.step})
                    row.status, row.sent_at = "sent", utc(now)
                    row.attempts += 1
                    row.claim_token, row.claimed_until = None, None
                return recorded
            except IntegrityError:  # another event took the seq (PostgreSQL): read the head again
                continue
        raise ConcurrencyError(
            f"mail {mail_id}: the trail kept changing; it stays claimed until its lease ends"
        )

    def mail_failed(
        self, mail_id: int, token: str, error: str, retry_at: dt.datetime, give_up: bool = False
    ) -> None:
        """Release the claim after a failed attempt: retry at ``retry_at`` (or ``failed`` for good)."""
        with self.session() as s:
            row = s.get(OutboxRow, mail_id)
            if row is None or row.claim_token != token:
                return
            row.attempts += 1
            row.last_error = error[:500]
            row.next_attempt_at = utc(retry_at)
            row.status = "failed" if give_up else "queued"
            row.claim_token, row.claimed_until = None, None


def add_mails(
    s: Session, request_id: str, event_seq: int, mails: Sequence[MailDraft], now: dt.datetime
) -> None:
    """Queue ``mails`` in the caller's transaction (the step's own)."""
    for draft in mails:
        s.add(outbox_row(request_id, event_seq, draft, now))
