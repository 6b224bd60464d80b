"""The SOP workflow: who may do what, when, and the immutable trail it leaves.

Every public method checks the actor's role, the request's state (``netprov.domain.sop``) and,
for steps 4-8, that the actor is the assigned staff (``netprov.domain.assignment``); takes the
paper's agenda number and produces the step's paper (through the ``Papers`` port), then
appends one event. If anything
fails before the event is appended, nothing is recorded and produced files are removed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from netprov.domain.assignment import REASSIGN
from netprov.domain.letters import ChangeLetter, CompletenessForm, Letter
from netprov.domain.resources import Feasibility
from netprov.domain.sop import Action, Role, State, close_target
from netprov.domain.text import check_option
from netprov.domain.users import User
from netprov.errors import InputError, WorkflowError
from netprov.sop.base import ServiceBase
from netprov.sop.guards import guard, reassign_guard
from netprov.sop.intake import (
    check_letter_received,
    check_preferred,
    check_received,
    check_request_id,
    discard_evidence,
    store_evidence,
)
from netprov.sop.issue import issue_paper, local_date
from netprov.sop.ports import Clock, NoPapers, Papers
from netprov.sop.record import RequestRecord

__all__ = ["Clock", "NoPapers", "Papers", "RequestService"]


class RequestService(ServiceBase):
    """The register as the SOP sees it: one method per step."""

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
            guard(action, record, user)
            event = self._event(record, action, user, note, outputs)
            if paper:
                extra = {**(paper_extra or {}), "action": action.value, "actor": user.username, "note": note}
                extra["outputs"] = outputs
                produced = issue_paper(
                    self.store, self.papers, self.settings.timezone, paper, record, event, extra
                )
                if produced:
                    event = dataclasses.replace(event, outputs={**outputs, "documents": produced})
            self._append(event)
        except Exception:
            self.papers.discard(produced)
            if on_failure is not None:
                on_failure()
            raise
        return self.get(request_id)

    # --- the steps -------------------------------------------------------------------------
    def submit(
        self,
        letter: Letter | ChangeLetter,
        actor: str | None = None,
        received_at: dt.datetime | None = None,
        note: str = "",
        scan: Path | None = None,
    ) -> RequestRecord:
        """Step 1: register an incoming letter; returns the new request.

        Refused: a letter already registered (same number and department, naming its request),
        a received-at that cannot be, or one before the letter's own date; a change letter
        whose ``of`` cannot be changed (:mod:`netprov.sop.changes`); a ``scan`` that is not a
        PDF/PNG/JPEG within the limits. The scan is stored with the request's evidence, its
        sha256 in the step-1 event.
        """
        if scan is not None:
            from netprov.scan.pages import check_scan

            check_scan(scan)
        if isinstance(letter, ChangeLetter):
            from netprov.sop.changes import resolve_change, take_change_lock

            token = take_change_lock(self, letter.of, f"submit pid {os.getpid()}")
            try:
                return self._submit(resolve_change(self, letter), actor, received_at, note, scan)
            finally:
                self.runs.release_lock(f"change:{letter.of}", token)
        return self._submit(letter, actor, received_at, note, scan)

    def _submit(
        self,
        letter: Letter,
        actor: str | None,
        received_at: dt.datetime | None,
        note: str,
        scan: Path | None,
    ) -> RequestRecord:
        if actor:
            user = self._actor(actor)
        else:
            user = User(username=f"opd:{letter.opd}", role=Role.OPD, name=letter.opd)
        guard(Action.SUBMIT, None, user)
        note = check_option(note, "--note")
        now = self.clock()
        received = received_at or now
        field = "--received-at" if received_at is not None else "received_at (now)"
        check_received(received, now, field)
        local = received if received_at is not None else received.astimezone(ZoneInfo(self.settings.timezone))
        check_letter_received(local, letter.letter.date, field)
        req = self.store.insert_request(
            prefix=self.settings.id_prefix,
            year=now.year,
            opd=letter.opd,
            service=letter.service,
            letter=letter.model_dump(mode="json"),
            received_at=received,
            registered_at=now,
            letter_number=letter.letter.number,
        )
        letter_sha = hashlib.sha256(req.letter_json.encode("utf-8")).hexdigest()
        outputs: dict[str, Any] = {
            "letter_number": letter.letter.number,
            "letter_sha256": letter_sha,
            "received_at": received.isoformat(),
        }
        record = self.get(req.id)
        stored = None
        if scan is not None:
            stored = store_evidence(self.settings.evidence_dir, req.id, scan, "--scan")
            outputs["scan"] = stored
        try:
            self._append(self._event(record, Action.SUBMIT, user, note or letter.letter.subject, outputs))
        except Exception:
            if stored is not None:
                discard_evidence(stored)
            raise
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

    def reassign(self, request_id: str, actor: str, to: str, note: str = "") -> RequestRecord:
        """Step 3 again: a kabid hands the staff's steps (4-8) to other staff; the state stays."""
        check_request_id(request_id, self.settings.id_prefix)
        note = check_option(note, "--note")
        user = self._actor(actor)
        target = self._target(to)
        record = self.get(request_id)
        reassign_guard(record, user, target)  # the web's button asks the same guard
        outputs = {"assigned_to": target.username, "previous": record.assigned_to}
        note = note or f"Dialihkan dari {record.assigned_to} kepada {target.username}"
        self._append(self._event(record, REASSIGN, user, note, outputs, step=3))
        return self.get(request_id)

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

    def _reasons(self, record: RequestRecord, reason: str | None = None) -> list[str]:
        """The rejection's reasons: the staff's own first, then the step-4 check's."""
        if reason is None:
            rejected = record.event_for(Action.REJECT)
            return list(rejected.outputs.get("reasons") or []) if rejected else []
        found = record.feasibility.reasons if record.feasibility else []
        return [reason] + [r for r in found if r != reason]

    def reject(self, request_id: str, actor: str, reason: str) -> RequestRecord:
        """Step 5: reject, report to the section head, draft the reply letter (for the kadis)."""
        reason = check_option(reason, "--reason", required=True)
        reasons = self._reasons(self.get(request_id), reason)
        kasi = [u.username for u in self.users.with_role(Role.KASI)]
        return self._transition(
            request_id,
            Action.REJECT,
            actor,
            reason,
            {"reasons": reasons, "reported_to": kasi},
            paper="surat-balasan",
            paper_extra={"reasons": reasons},
        )

    def sign_reply(self, request_id: str, actor: str, note: str = "") -> RequestRecord:
        """Step 5 completed: the head of agency signs the reply letter (a new, signed version
        is issued with its own agenda number); then the request closes."""
        reasons = self._reasons(self.get(request_id))
        self._transition(
            request_id,
            Action.SIGN_REPLY,
            actor,
            note or "Surat balasan ditandatangani Kepala Dinas",
            {},
            paper="surat-balasan",
            paper_extra={"reasons": reasons},
        )
        return self.close(request_id, actor, note="Ditutup: permohonan ditolak, surat balasan dikirim")

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
        """Step 6b: the department's filled completeness form, validated (its preferred date
        not before the request arrived, at most two years ahead)."""
        check_request_id(request_id, self.settings.id_prefix)
        if form.request != request_id:
            raise InputError([f"request: the form is for {form.request}, not {request_id}"], source="form")
        received = local_date(self.get(request_id).request.received_at, self.settings.timezone)
        today = local_date(self.clock(), self.settings.timezone)
        check_preferred(form.schedule.preferred_date, received, today)
        return self._transition(
            request_id,
            Action.FORM,
            actor,
            note or "Formulir kelengkapan diterima",
            {"form": form.model_dump(mode="json")},
        )

    def provision_manual(self, request_id: str, actor: str, evidence: Path, note: str = "") -> RequestRecord:
        """Step 7 done by hand (the SOP allows manual recording): record the evidence file.

        Id, note, user, role, state and assignment are checked before the evidence is read.
        """
        note = check_option(note, "--note")
        self.ensure_may(Action.PROVISION, request_id, actor)
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
        guard(Action.CLOSE, record, user)
        self._append(self._event(record, Action.CLOSE, user, note, {}, state=close_target(record.state)))
        return self.get(request_id)

    def annotate(
        self, request_id: str, actor: str, action: str, note: str, outputs: dict[str, Any] | None = None
    ) -> RequestRecord:
        """An audit event that changes no state (monitoring repairs, pipeline failures, ...)."""
        if action in {a.value for a in Action} | {REASSIGN}:
            raise WorkflowError(f"{action!r} is an SOP step, not an annotation")
        user = self._actor(actor)
        record = self.get(request_id)
        self._append(self._event(record, action, user, note, outputs or {}, step=record.due_step or 11))
        return self.get(request_id)
