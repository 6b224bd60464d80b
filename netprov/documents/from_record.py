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
from netprov.documents.people import people_by_role
from netprov.domain.letters import CompletenessForm, Letter
from netprov.domain.resources import Allocation, Feasibility
from netprov.domain.sop import Role
from netprov.domain.users import Directory
from netprov.errors import DocumentError


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


def _items(raw: Any, model: type[Any], what: str) -> list[Any]:
    if not raw:
        return []
    if not isinstance(raw, list):
        raise DocumentError(f"step 7 output {what} must be a list")
    try:
        return [model.model_validate(item) for item in raw]
    except ValidationError as exc:
        raise DocumentError(f"step 7 output {what} is malformed: {exc.errors()[0]['msg']}") from exc


def evidence_from_outputs(outputs: Mapping[str, Any]) -> ProvisioningEvidence:
    """The step-7 evidence in a ``provision`` event's outputs."""
    manual = None
    ev = outputs.get("evidence")
    if outputs.get("mode") == "manual" and isinstance(ev, Mapping):
        manual = ManualEvidence(file_name=str(ev.get("name") or ev.get("file") or "?"),
                                sha256=str(ev.get("sha256", "")),
                                note=str(outputs.get("note")) if outputs.get("note") else None)
    return ProvisioningEvidence(
        devices=_items(outputs.get("devices"), DeviceChange, "devices"),
        verification=_items(outputs.get("verification"), VerificationResult, "verification"),
        monitoring=_items(outputs.get("monitoring"), MonitoringRegistration, "monitoring"),
        manual=manual,
    )


def _timeline(events: Sequence[Any], directory: Directory | None) -> list[TimelineEntry]:
    out = []
    for e in events:
        try:
            role = Role(e.role)
        except ValueError:
            continue
        user = directory.find(e.actor) if directory is not None else None
        out.append(TimelineEntry(step=e.step, action=e.action, actor=e.actor,
                                 actor_name=user.name if user else None, role=role,
                                 at=e.at if e.at.tzinfo else e.at.replace(tzinfo=dt.UTC),
                                 note=e.note or None))
    return out


def context_from_record(record: RecordLike, directory: Directory | None,
                        extra: Mapping[str, Any] | None = None,
                        now: dt.datetime | None = None) -> DocumentContext:
    """Everything the register knows about a request, plus what the current step brings."""
    extra = extra or {}
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
    return DocumentContext(
        request_id=record.id, letter=record.letter, form=form, feasibility=feasibility,
        allocation=allocation, rejection_reasons=reasons, timeline=timeline,
        people=people_by_role(directory, timeline, opd=record.letter.opd), evidence=evidence,
        generated_at=now or dt.datetime.now(dt.UTC),
    )
