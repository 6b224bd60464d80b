"""Build a :class:`DocumentContext` from a register record (duck-typed: no import of the
SOP service, which sits above the documents adapter).

The SOP service renders a step's paper *before* appending the step's event, so what the step
is about to record comes in ``extra`` (``action``, ``actor``, ``outputs``, ``reasons``):
the record holds everything before it.

Step 7 outputs read for the Berita Acara (from the latest ``provision`` event):

- ``mode: manual`` with ``evidence: {name, sha256, ...}``;
- ``mode: pipeline`` with any of ``allocation`` (an Allocation dump), ``devices``
  (``[{name, platform, diff, committed_at}]``), ``verification`` (``[{check, ok, detail}]``),
  ``monitoring`` (``[{backend, id, status}]``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pydantic import ValidationError

from netprov.documents.context import (
    DeviceChange,
    DocumentContext,
    ManualEvidence,
    MonitoringRegistration,
    ProvisioningEvidence,
    TimelineEntry,
    VerificationResult,
)
from netprov.documents.people import people_by_role, person_for
from netprov.domain.letters import CompletenessForm, Letter
from netprov.domain.resources import Allocation, Feasibility
from netprov.domain.sop import TRANSITIONS, Action, Role
from netprov.domain.users import Directory


class EventLike(Protocol):
    @property
    def step(self) -> int: ...
    @property
    def action(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def at(self) -> dt.datetime: ...
    @property
    def note(self) -> str: ...
    @property
    def outputs(self) -> dict[str, Any]: ...


class RecordLike(Protocol):
    """What ``netprov.sop.record.RequestRecord`` offers."""

    @property
    def id(self) -> str: ...
    @property
    def letter(self) -> Letter: ...
    @property
    def form(self) -> CompletenessForm | None: ...
    @property
    def feasibility(self) -> Feasibility | None: ...
    @property
    def allocation(self) -> Allocation | None: ...
    @property
    def events(self) -> Sequence[Any]: ...


def _items(raw: Any, model: type[Any], what: str, unreadable: list[str]) -> list[Any]:
    """Valid records of one step-7 output; a malformed one is noted, never fatal (a paper
    that cannot be produced would block the SOP step)."""
    if not raw:
        return []
    if not isinstance(raw, list):
        unreadable.append(what)
        return []
    out = []
    for i, item in enumerate(raw):
        try:
            out.append(model.model_validate(item))
        except ValidationError:
            unreadable.append(f"{what}[{i}]")
    return out


def evidence_from_outputs(outputs: Mapping[str, Any]) -> ProvisioningEvidence:
    """The step-7 evidence in a ``provision`` event's outputs."""
    unreadable: list[str] = []
    manual = None
    ev = outputs.get("evidence")
    if outputs.get("mode") == "manual" and isinstance(ev, Mapping):
        try:
            manual = ManualEvidence(
                file_name=str(ev.get("name") or ev.get("file") or "?"), sha256=str(ev.get("sha256", ""))
            )
        except ValidationError:
            unreadable.append("evidence")
    return ProvisioningEvidence(
        devices=_items(outputs.get("devices"), DeviceChange, "devices", unreadable),
        verification=_items(outputs.get("verification"), VerificationResult, "verification", unreadable),
        monitoring=_items(outputs.get("monitoring"), MonitoringRegistration, "monitoring", unreadable),
        manual=manual,
        unreadable=unreadable,
        **_change(outputs, unreadable),
    )


def _change(outputs: Mapping[str, Any], unreadable: list[str]) -> dict[str, Any]:
    """What a change's step 7 removed or changed (a decommission, a bandwidth change)."""
    try:
        removed = {str(d): [str(x) for x in v] for d, v in dict(outputs.get("removed") or {}).items()}
        released = [str(x) for x in outputs.get("released") or []]
        bandwidth = {str(k): int(v) for k, v in dict(outputs.get("bandwidth") or {}).items()}
    except (TypeError, ValueError):
        unreadable.append("change")
        return {}
    return {"removed": removed, "released": released, "bandwidth": bandwidth}


def _timeline(events: Sequence[Any], directory: Directory | None) -> list[TimelineEntry]:
    out = []
    for e in events:
        try:
            role = Role(e.role)
        except ValueError:
            continue
        user = directory.find(e.actor) if directory is not None else None
        out.append(
            TimelineEntry(
                step=e.step,
                action=e.action,
                actor=e.actor,
                actor_name=user.name if user else None,
                role=role,
                at=e.at if e.at.tzinfo else e.at.replace(tzinfo=dt.UTC),
                note=e.note or None,
            )
        )
    return out


def _step_of(action: str, default: int) -> int:
    try:
        return TRANSITIONS[Action(action)].step
    except (ValueError, KeyError):
        return default


def pending_entry(
    extra: Mapping[str, Any], directory: Directory | None, at: dt.datetime, step: int
) -> TimelineEntry | None:
    """The event the current step is about to record (its actor signs the paper), or None
    when ``extra`` names no actor or the actor is not in the users file."""
    actor, action = extra.get("actor"), extra.get("action")
    if not isinstance(actor, str) or not isinstance(action, str) or directory is None:
        return None
    user = directory.find(actor)
    if user is None:
        return None
    note = extra.get("note")
    return TimelineEntry(
        step=_step_of(action, step),
        action=action,
        actor=actor,
        actor_name=user.name,
        role=user.role,
        at=at if at.tzinfo else at.replace(tzinfo=dt.UTC),
        note=note if isinstance(note, str) and note else None,
    )


def context_from_record(
    record: RecordLike,
    directory: Directory | None,
    extra: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
    step: int = 0,
) -> DocumentContext:
    """Everything the register knows about a request, plus what the current step brings.

    ``step`` is the step of the paper being produced: the actor named in ``extra`` (the one
    doing this step now) is its signer, and enters the timeline as the step's latest event.
    """
    extra = extra or {}
    now = now or dt.datetime.now(dt.UTC)
    outputs: Mapping[str, Any] = extra.get("outputs") or {}
    feasibility = record.feasibility
    if outputs.get("feasibility"):
        feasibility = Feasibility.model_validate(outputs["feasibility"])
    form = record.form
    if outputs.get("form"):
        form = CompletenessForm.model_validate(outputs["form"])
    allocation = record.allocation
    if outputs.get("allocation"):
        allocation = Allocation.model_validate(outputs["allocation"])
    provision = [e for e in record.events if e.action == "provision"]
    evidence = evidence_from_outputs(provision[-1].outputs) if provision else None
    reasons = list(extra.get("reasons") or [])
    if not reasons:
        for e in reversed(record.events):
            if e.outputs.get("reasons"):
                reasons = [str(r) for r in e.outputs["reasons"]]
                break
    timeline = _timeline(record.events, directory)
    numbers = {
        str(d["kind"]): str(d["letter_number"])
        for e in record.events
        for d in (e.outputs.get("documents") or [])
        if isinstance(d, Mapping) and d.get("kind") and d.get("letter_number")
    }
    pending = pending_entry(extra, directory, now, step)
    if pending is not None:
        last = timeline[-1] if timeline else None
        same = (pending.action, pending.actor, pending.at)
        if last is not None and (last.action, last.actor, last.at) == same:
            pending = last  # the step's own event is in the record already (sop.issue.pending_record)
        else:
            timeline.append(pending)
    return DocumentContext(
        request_id=record.id,
        seq=int(extra.get("agenda_seq") or 0),
        numbers=numbers,
        letter=record.letter,
        form=form,
        feasibility=feasibility,
        allocation=allocation,
        rejection_reasons=reasons,
        timeline=timeline,
        people=people_by_role(directory, timeline, opd=record.letter.opd),
        doer=person_for(pending, directory) if pending is not None else None,
        doer_role=pending.role if pending is not None else None,
        evidence=evidence,
        generated_at=now,
    )
