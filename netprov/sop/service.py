"""The SOP workflow: who may do what, when, and the immutable trail it leaves.

Every public method checks the actor's role and the request's state (``netprov.domain.sop``),
produces the step's papers (through the ``Papers`` port), then appends one event. If anything
fails before the event is appended, nothing is recorded and produced files are removed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from netprov.domain.letters import CompletenessForm, Letter
from netprov.domain.resources import Feasibility
from netprov.domain.sop import TRANSITIONS, Action, Role, State, close_target, refusal
from netprov.domain.text import check_option
from netprov.domain.users import Directory, User, load_directory
from netprov.errors import InputError, NotFoundError, PermissionDenied, WorkflowError
from netprov.settings import Settings
from netprov.sop.intake import check_received, check_request_id, discard_evidence, store_evidence
from netprov.sop.record import RequestRecord, build_record
from netprov.store.db import Store, StoredEvent

if TYPE_CHECKING:
    from netprov.sop.runs import RunJournal

Clock = Callable[[], dt.datetime]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Papers(Protocol):
    """Produces a step's official documents (see ``netprov.documents``)."""

    def produce(self, kind: str, record: RequestRecord, extra: dict[str, Any]) -> list[dict[str, Any]]:
        """Render and store; return one dict per file set (kind, version, paths, sha256)."""

    def discard(self, produced: list[dict[str, Any]]) -> None:
        """Remove files produced for an event that was then not recorded."""


class NoPapers:
    """Used when documents are switched off (tests of pure workflow)."""

    def produce(self, kind: str, record: RequestRecord, extra: dict[str, Any]) -> list[dict[str, Any]]:
        return []

    def discard(self, produced: list[dict[str, Any]]) -> None:
        return None


class RequestService:
    """The register as the SOP sees it."""

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

    @classmethod
    def from_settings(
        cls, settings: Settings, *, papers: Papers | None = None, clock: Clock = _now
    ) -> RequestService:
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

    def _guard(self, action: Action, record: RequestRecord | None, user: User) -> None:
        why = refusal(action, record.state if record else None, user.role)
        if why is None:
            return
        if user.role not in TRANSITIONS[action].roles:
            raise PermissionDenied(f"{user.username} may not {action.value}: {why}")
        rid = record.id if record else "the request"
        raise WorkflowError(f"{rid}: {why}")

    def _append(
        self,
        record: RequestRecord,
        action: Action,
        user: User,
        note: str,
        outputs: dict[str, Any],
        state: State | None = None,
        step: int | None = None,
    ) -> StoredEvent:
        t = TRANSITIONS.get(action)
        return self.store.append_event(
            request_id=record.id,
            expected_seq=len(record.events) + 1,
            step=step if step is not None else (t.step if t else record.due_step or 0),
            action=action.value,
            state=(state or (t.target if t else record.state)).value,
            actor=user.username,
            role=user.role.value,
            at=self.clock(),
            note=note,
            outputs=outputs,
        )

    def _transition(
        self,
        request_id: str,
        action: Action,
        actor: str,
        note: str = "",
        outputs: dict[str, Any] | None = None,
        paper: str | None = None,
        paper_extra: dict[str, Any] | None = None,
        on_failure: Callable[[], None] | None = None,
    ) -> RequestRecord:
        outputs = dict(outputs or {})
        produced: list[dict[str, Any]] = []
        try:  # every check first; on any failure, what was produced (or stored) is removed
            check_request_id(request_id, self.settings.id_prefix)
            note = check_option(note, "--reason" if action is Action.REJECT else "--note")
            user = self._actor(actor)
            record = self.get(request_id)
            self._guard(action, record, user)
            if paper:
                extra = {
                    **(paper_extra or {}),
                    "action": action.value,
                    "actor": user.username,
                    "note": note,
                    "outputs": outputs,
                }
                produced = self.papers.produce(paper, record, extra)
                if produced:
                    outputs["documents"] = produced
            self._append(record, action, user, note, outputs)
        except Exception:
            self.papers.discard(produced)
            if on_failure is not None:
                on_failure()
            raise
        return self.get(request_id)

    # --- the steps -------------------------------------------------------------------------
    def submit(
        self, letter: Letter, actor: str | None = None, received_at: dt.datetime | None = None, note: str = ""
    ) -> RequestRecord:
        """Step 1: register an incoming letter; returns the new request."""
        if actor:
            user = self._actor(actor)
        else:
            user = User(username=f"opd:{letter.opd}", role=Role.OPD, name=letter.opd)
        self._guard(Action.SUBMIT, None, user)
        note = check_option(note, "--note")
        now = self.clock()
        received = received_at or now
        check_received(received, now)
        letter_data = letter.model_dump(mode="json")
        req = self.store.insert_request(
            prefix=self.settings.id_prefix,
            year=now.year,
            opd=letter.opd,
            service=letter.service,
            letter=letter_data,
            received_at=received,
            registered_at=now,
        )
        letter_sha = hashlib.sha256(req.letter_json.encode("utf-8")).hexdigest()
        record = self.get(req.id)
        self._append(
            record,
            Action.SUBMIT,
            user,
            note or letter.letter.subject,
            {
                "letter_number": letter.letter.number,
                "letter_sha256": letter_sha,
                "received_at": received.isoformat(),
            },
        )
        return self.get(req.id)

    def dispose(self, request_id: str, actor: str, to: str, note: str = "") -> RequestRecord:
        """Step 2: the head of agency disposes the letter to the head of division."""
        target = self._target(to)
        if target.role is not Role.KABID:
            raise InputError([f"--to: {to} has role {target.role.value}; step 2 disposes to a kabid"])
        return self._transition(request_id, Action.DISPOSE, actor, note, {"disposed_to": target.username})

    def assign(self, request_id: str, actor: str, to: str, note: str = "") -> RequestRecord:
        """Step 3: the head of division assigns data-center staff."""
        target = self._target(to)
        if target.role is not Role.STAFF:
            raise InputError([f"--to: {to} has role {target.role.value}; step 3 assigns staff"])
        return self._transition(request_id, Action.ASSIGN, actor, note, {"assigned_to": target.username})

    def check(self, request_id: str, actor: str, feasibility: Feasibility, note: str = "") -> RequestRecord:
        """Step 4: record the inspection (from NetBox or manual findings) and its report."""
        return self._transition(
            request_id,
            Action.CHECK,
            actor,
            note,
            {"feasibility": feasibility.model_dump(mode="json")},
            paper="laporan-pemeriksaan",
        )

    def reject(self, request_id: str, actor: str, reason: str) -> RequestRecord:
        """Step 5: reject, report to the section head, draft the reply letter; then close."""
        reason = check_option(reason, "--reason", required=True)
        record = self.get(request_id)
        reasons = [reason] + [
            r for r in (record.feasibility.reasons if record.feasibility else []) if r != reason
        ]
        kasi = [u.username for u in self.users.with_role(Role.KASI)]
        self._transition(
            request_id,
            Action.REJECT,
            actor,
            reason,
            {"reasons": reasons, "reported_to": kasi},
            paper="surat-balasan",
            paper_extra={"reasons": reasons},
        )
        return self.close(request_id, actor, note="Ditutup: permohonan ditolak")

    def accept(self, request_id: str, actor: str, note: str = "") -> RequestRecord:
        """Step 6a: accept; issue the completeness form to the department."""
        record = self.get(request_id)
        feas = record.feasibility
        if record.state is State.CHECKED and feas is not None and not feas.feasible:
            raise WorkflowError(
                f"{request_id}: cannot accept: the step-4 check found it not feasible ("
                + "; ".join(feas.reasons)
                + "); reject it or check again"
            )
        return self._transition(request_id, Action.ACCEPT, actor, note, {}, paper="formulir-kelengkapan")

    def fill_form(self, request_id: str, actor: str, form: CompletenessForm, note: str = "") -> RequestRecord:
        """Step 6b: the department's filled completeness form, validated."""
        check_request_id(request_id, self.settings.id_prefix)
        if form.request != request_id:
            raise InputError([f"request: the form is for {form.request}, not {request_id}"], source="form")
        return self._transition(
            request_id,
            Action.FORM,
            actor,
            note or "Formulir kelengkapan diterima",
            {"form": form.model_dump(mode="json")},
        )

    def provision_manual(self, request_id: str, actor: str, evidence: Path, note: str = "") -> RequestRecord:
        """Step 7 done by hand (the SOP allows manual recording): record the evidence file.

        Id, note, user, role and state are checked before the evidence is read or copied.
        """
        note = check_option(note, "--note")
        user = self._actor(actor)
        self._guard(Action.PROVISION, self.get(request_id), user)
        stored = store_evidence(self.settings.evidence_dir, request_id, evidence)
        return self._transition(
            request_id,
            Action.PROVISION,
            actor,
            note or "Koneksi dibuat secara manual",
            {"mode": "manual", "evidence": stored},
            on_failure=lambda: discard_evidence(stored),
        )

    def record_provisioned(
        self, request_id: str, actor: str, outputs: dict[str, Any], note: str = ""
    ) -> RequestRecord:
        """Step 7 done by the pipeline: allocation, diffs, verification, monitoring."""
        return self._transition(
            request_id,
            Action.PROVISION,
            actor,
            note or "Koneksi dibuat otomatis (netprov provision)",
            {"mode": "pipeline", **outputs},
        )

    def report(self, request_id: str, actor: str, note: str = "") -> RequestRecord:
        """Step 8: the Berita Acara and work report."""
        return self._transition(
            request_id,
            Action.REPORT,
            actor,
            note or "Berita Acara Pekerjaan dibuat",
            {},
            paper="berita-acara",
        )

    def forward(self, request_id: str, actor: str, note: str = "") -> RequestRecord:
        """Step 9: the head of division reports to the head of agency."""
        return self._transition(
            request_id, Action.FORWARD, actor, note or "Dilaporkan kepada Kepala Dinas", {}
        )

    def review(self, request_id: str, actor: str, approve: bool, note: str = "") -> RequestRecord:
        """Step 10: approve (then step 11, done) or return to staff with a note."""
        if approve:
            self._transition(request_id, Action.REVIEW, actor, note or "Disetujui", {})
            return self.close(request_id, actor, note="Selesai")
        if not note.strip():
            raise InputError(["--note: returning a request needs a note saying what to fix"])
        return self._transition(request_id, Action.RETURN, actor, note, {"returned": True})

    def close(self, request_id: str, actor: str, note: str = "") -> RequestRecord:
        user = self._actor(actor)
        record = self.get(request_id)
        self._guard(Action.CLOSE, record, user)
        self._append(record, Action.CLOSE, user, note, {}, state=close_target(record.state))
        return self.get(request_id)

    def annotate(
        self, request_id: str, actor: str, action: str, note: str, outputs: dict[str, Any] | None = None
    ) -> RequestRecord:
        """An audit event that changes no state (monitoring repairs, pipeline failures, ...)."""
        if action in {a.value for a in Action}:
            raise WorkflowError(f"{action!r} is an SOP step, not an annotation")
        user = self._actor(actor)
        record = self.get(request_id)
        self.store.append_event(
            request_id=request_id,
            expected_seq=len(record.events) + 1,
            step=record.due_step or 11,
            action=action,
            state=record.state.value,
            actor=user.username,
            role=user.role.value,
            at=self.clock(),
            note=note,
            outputs=outputs or {},
        )
        return self.get(request_id)
