"""``netprov notify``: queue due reminders, then send the outbox, each mail recorded in its trail.

A mail is claimed (one UPDATE, a lease) before it is sent, so two ``notify`` runs never send
one mail twice; a mail server that is down leaves the mail queued with a later next attempt
(exponential backoff, 1 minute doubling to 1 hour), and after ``mail_max_attempts`` it is
marked ``failed``. ``dry_run`` reads only: it lists what would be queued and sent.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netprov.domain.clock import working_time_between
from netprov.errors import MailError, NetprovError
from netprov.mail.compose import reminder_mails
from netprov.sop.base import MAIL_ACTION
from netprov.store.outbox import MailDraft, OutboxEntry

if TYPE_CHECKING:
    from netprov.sop.base import ServiceBase

log = logging.getLogger(__name__)
#: A step is nearing its deadline when at most this much working time is left.
DUE_SOON = dt.timedelta(hours=2)
#: How long a claim holds a mail for the process that claimed it.
LEASE = dt.timedelta(minutes=10)
MAIL_ACTOR, MAIL_ROLE = "netprov:mail", "system"


@dataclass
class NotifyResult:
    reminders: list[dict[str, Any]] = field(default_factory=list)  # queued (or, dry run, would be)
    sent: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)  # dry run: would be sent now
    waiting: list[dict[str, Any]] = field(default_factory=list)  # dry run: queued, retried later
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "reminders": self.reminders,
            "sent": self.sent,
            "failed": self.failed,
            "pending": self.pending,
            "waiting": self.waiting,
        }


def _draft_json(request_id: str, d: MailDraft) -> dict[str, Any]:
    return {
        "request": request_id,
        "kind": d.kind,
        "to": d.recipient,
        "address": d.address,
        "subject": d.subject,
    }


def _entry_json(e: OutboxEntry, **more: Any) -> dict[str, Any]:
    return {
        "id": e.id,
        "request": e.request_id,
        "kind": e.kind,
        "to": e.recipient,
        "address": e.address,
        "subject": e.subject,
        "attachments": [str(a.get("filename")) for a in e.attachments],
        "attempts": e.attempts,
        "error": e.last_error,
        **more,
    }


def reminder_kind(due_at: dt.datetime, now: dt.datetime, tz: str) -> str | None:
    """``overdue`` once the deadline passed, ``due-soon`` within two working hours of it."""
    if now > due_at:
        return "overdue"
    if working_time_between(now, due_at, tz) <= DUE_SOON:
        return "due-soon"
    return None


def due_reminders(svc: ServiceBase, now: dt.datetime) -> list[tuple[str, int, MailDraft]]:
    """Reminders due now and not queued before: (request id, step event seq, draft)."""
    out = []
    for rec in svc.find():
        if rec.due_at is None:
            continue
        kind = reminder_kind(rec.due_at, now, svc.settings.timezone)
        if kind is None:
            continue
        for d in reminder_mails(rec, kind, svc.users, svc.settings.web_url):
            if not svc.store.has_mail(d.dedup_key):
                out.append((rec.id, int(d.dedup_key.split(":")[1]), d))
    return out


def backoff(attempts: int, first: int = 60) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed try: ``first`` seconds, doubling, at most 1 h.

    >>> [int(backoff(n).total_seconds()) for n in (1, 2, 3, 8)]
    [60, 120, 240, 3600]
    """
    return dt.timedelta(seconds=min(first * 2 ** max(attempts - 1, 0), 3600))


def _trail_event(e: OutboxEntry, now: dt.datetime, message_id: str) -> dict[str, Any]:
    return {
        "action": MAIL_ACTION,
        "actor": MAIL_ACTOR,
        "role": MAIL_ROLE,
        "at": now,
        "note": f"Surel terkirim ({e.kind}) kepada {e.recipient} <{e.address}>: {e.subject}",
        "outputs": {
            "mail": {
                "outbox_id": e.id,
                "kind": e.kind,
                "to": e.recipient,
                "address": e.address,
                "subject": e.subject,
                "message_id": message_id,
                "about_event": e.event_seq,
                "attachments": [
                    {"filename": a.get("filename"), "sha256": a.get("sha256")} for a in e.attachments
                ],
            }
        },
    }


def _failed(svc: ServiceBase, e: OutboxEntry, token: str, now: dt.datetime, exc: MailError) -> dict[str, Any]:
    """Release the claim with the next attempt later (or give up after the last one)."""
    give_up = e.attempts + 1 >= svc.settings.mail_max_attempts
    svc.store.mail_failed(
        e.id, token, str(exc), now + backoff(e.attempts + 1, svc.settings.mail_retry_seconds), give_up
    )
    return _entry_json(e, error=str(exc), gave_up=give_up)


def send_queued(
    svc: ServiceBase, now: dt.datetime, request_id: str | None = None, timeout: float | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Claim and send the due mail (of one request, or all); (sent, failed)."""
    from netprov.mail.smtp import SmtpMailer, build_message

    store, settings = svc.store, svc.settings
    due = [e for e in store.due_mail(now) if request_id is None or e.request_id == request_id]
    sent: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    if not due:
        return sent, failed
    token = secrets.token_hex(16)
    mailer: SmtpMailer | None = None
    try:
        for e in due:
            if not store.claim_mail(e.id, token, now, LEASE):
                continue  # another notify took it
            try:
                msg = build_message(e, settings)  # a paper missing or changed: this mail waits
            except MailError as exc:
                failed.append(_failed(svc, e, token, now, exc))
                continue
            try:
                if mailer is None:
                    mailer = SmtpMailer(settings, timeout).__enter__()
                mailer.send(msg)
            except MailError as exc:
                failed.append(_failed(svc, e, token, now, exc))
                if mailer is None:
                    break  # the server is not there: the rest waits for the next run
                continue
            store.mail_sent(e.id, token, now, _trail_event(e, now, str(msg["Message-ID"])))
            sent.append(_entry_json(e, message_id=str(msg["Message-ID"])))
    finally:
        if mailer is not None:
            mailer.__exit__(None, None, None)
    return sent, failed


def notify(svc: ServiceBase, dry_run: bool = False) -> NotifyResult:
    """Queue the due reminders and send what is queued (``dry_run``: only say what would go)."""
    now = svc.clock()
    result = NotifyResult(dry_run=dry_run)
    for rid, seq, draft in due_reminders(svc, now):
        if dry_run or svc.store.queue_mail(rid, seq, draft, now):
            result.reminders.append(_draft_json(rid, draft))
    if dry_run:
        due = svc.store.due_mail(now)
        result.pending = [_entry_json(e) for e in due]
        ids = {e.id for e in due}
        result.waiting = [
            _entry_json(e, next_attempt_at=e.next_attempt_at.isoformat())
            for e in svc.store.outbox(status="queued")
            if e.id not in ids
        ]
        return result
    result.sent, result.failed = send_queued(svc, now)
    return result


def send_after_step(svc: ServiceBase, request_id: str) -> None:
    """Best effort, right after a step: send that request's queued mail now. A server that is
    down (or any mail problem) is logged and leaves the mail queued for ``notify``."""
    if not svc.settings.smtp_host:
        return
    try:
        send_queued(svc, svc.clock(), request_id, timeout=min(svc.settings.smtp_timeout, 5.0))
    except NetprovError as exc:
        log.warning("mail for %s stays queued: %s", request_id, exc)
