"""The reading half of the SOP service and what its steps share: users, checks, events.

:class:`netprov.sop.service.RequestService` adds the steps themselves.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

from netprov.domain.sop import TRANSITIONS, Action, State
from netprov.domain.users import Directory, User, load_directory
from netprov.errors import ConcurrencyError, InputError, NotFoundError
from netprov.settings import Settings
from netprov.sop.guards import guard
from netprov.sop.intake import check_request_id
from netprov.sop.ports import Clock, NoPapers, Papers, now_utc
from netprov.sop.record import RequestRecord, build_record
from netprov.store.db import Store, StoredEvent

if TYPE_CHECKING:
    from netprov.sop.runs import RunJournal
    from netprov.store.outbox import MailDraft

_now = now_utc
MAIL_ACTION = "mail"  # the trail event of a mail sent (netprov.mail.notify)
log = logging.getLogger(__name__)


class ServiceBase:
    """The register as the SOP sees it: reading, the checks, and building events."""

    def __init__(
        self,
        store: Store,
        users: Directory,
        settings: Settings,
        papers: Papers | None = None,
        clock: Clock = _now,
    ) -> None:
        self.store = store
        self.users = users
        self.settings = settings
        self.papers: Papers = papers if papers is not None else NoPapers()
        self.clock = clock
        # called with the request id after a step that queued mail has landed (best-effort send);
        # whatever it raises is logged, never the step's error
        self.after_step: Callable[[str], None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, papers: Papers | None = None, clock: Clock = _now) -> Self:
        store = Store(settings.effective_database_url)
        users = load_directory(settings.users_file)
        if papers is None:
            from netprov.documents.papers import RegisterPapers

            papers = RegisterPapers(settings, users, clock)
        return cls(store, users, settings, papers, clock)

    @property
    def runs(self) -> RunJournal:
        """The pipeline's journal and locks (the saga engine's port over this register)."""
        from netprov.sop.runs import RunJournal

        return RunJournal(self.store)

    @property
    def remediation_runs(self) -> RunJournal:
        """The journal view of ``drift --remediate`` runs (the same lock as :attr:`runs`)."""
        from netprov.sop.runs import RunJournal

        return RunJournal(self.store, remediation=True)

    # --- reading --------------------------------------------------------------------------
    def get(self, request_id: str) -> RequestRecord:
        request = self.store.get_request(check_request_id(request_id, self.settings.id_prefix))
        return build_record(request, self.store.events(request_id), self.settings.timezone, self.clock())

    def find(self, state: State | None = None, overdue: bool = False) -> list[RequestRecord]:
        events = self.store.all_events()
        now = self.clock()
        out = []
        for req in self.store.list_requests():
            rec = build_record(req, events.get(req.id, []), self.settings.timezone, now)
            if state is not None and rec.state is not state:
                continue
            if overdue and not rec.overdue:
                continue
            out.append(rec)
        return out

    def sla(self) -> list[RequestRecord]:
        """Requests whose due step is past its deadline, oldest deadline first."""
        late = self.find(overdue=True)
        return sorted(late, key=lambda r: r.due_at or r.now)

    # --- guards ----------------------------------------------------------------------------
    def _actor(self, username: str) -> User:
        return self.users.get(username)

    def _target(self, username: str) -> User:
        """The user named by ``--to``; InputError naming the option when unknown."""
        try:
            return self.users.get(username)
        except NotFoundError as exc:
            raise InputError([f"--to: {exc}"], source="options") from None

    def ensure_may(self, action: Action, request_id: str, actor: str) -> RequestRecord:
        """The request, when ``actor`` may do ``action`` on it now (role, state, assignment);
        the error the step itself would raise otherwise. For callers that do slow or remote work
        before recording the step (NetBox check, provisioning)."""
        check_request_id(request_id, self.settings.id_prefix)
        user = self._actor(actor)
        record = self.get(request_id)
        guard(action, record, user)
        return record

    def _event(
        self,
        record: RequestRecord,
        action: Action | str,
        user: User,
        note: str,
        outputs: dict[str, Any],
        state: State | None = None,
        step: int | None = None,
    ) -> StoredEvent:
        """The next event of ``record`` (not yet appended: no hashes)."""
        t = TRANSITIONS.get(Action(action)) if action in TRANSITIONS else None
        return StoredEvent(
            request_id=record.id,
            seq=len(record.events) + 1,
            step=step if step is not None else (t.step if t else record.due_step or 0),
            action=str(action),
            state=(state or (t.target if t else record.state)).value,
            actor=user.username,
            role=user.role.value,
            at=self.clock(),
            note=note,
            outputs=outputs,
            prev_hash="",
            hash="",
        )

    def _mails_for(self, event: StoredEvent) -> list[MailDraft]:
        """The mail the event queues (to whoever's turn it now is): composed on the request as
        it will read once the event has landed."""
        from netprov.mail.compose import MAILING_ACTIONS, step_mails

        if event.action not in MAILING_ACTIONS:
            return []  # annotations tell nobody (and the clock is not read again)
        request = self.store.get_request(event.request_id)
        events = [*self.store.events(event.request_id), event]
        after = build_record(request, events, self.settings.timezone, event.at)
        return step_mails(after, event.actor, self.users, self.settings.web_url)

    def _append(self, event: StoredEvent) -> StoredEvent:
        """Append the event and queue its mail, in one transaction (then the best-effort send).

        A ``mail`` event that ``notify`` recorded meanwhile changes nothing the step decided on
        (no state, no assignment): the step then takes the next number instead of failing.
        """
        for _ in range(10):
            mails = self._mails_for(event)
            try:
                stored = self._append_with(event, mails)
                break
            except ConcurrencyError:
                current = self.store.events(event.request_id)
                newer = current[event.seq - 1 :]
                if len(current) < event.seq or any(e.action != MAIL_ACTION for e in newer):
                    raise
                event = dataclasses.replace(event, seq=len(current) + 1)
        else:
            raise ConcurrencyError(f"{event.request_id} kept changing meanwhile: look again and retry")
        if mails and self.after_step is not None:
            try:
                self.after_step(event.request_id)
            except Exception as exc:  # the step has landed: a mail problem must not undo or hide it
                log.warning("mail for %s stays queued: %s", event.request_id, type(exc).__name__)
        return stored

    def _append_with(self, event: StoredEvent, mails: list[MailDraft]) -> StoredEvent:
        return self.store.append_event(
            request_id=event.request_id,
            expected_seq=event.seq,
            step=event.step,
            action=event.action,
            state=event.state,
            actor=event.actor,
            role=event.role,
            at=event.at,
            note=event.note,
            outputs=event.outputs,
            mails=mails,
        )
