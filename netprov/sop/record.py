"""A request as read back from the register: state, SLA, outputs, all derived from events."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netprov.domain.clock import add_working_days, working_days_late
from netprov.domain.sop import DUE_STEP, NEXT_ROLE, STEPS, TERMINAL, TRANSITIONS, Action, State
from netprov.store.records import StoredEvent, StoredRequest

if TYPE_CHECKING:  # pydantic models imported where used: `request list` does not need them
    from netprov.domain.letters import CompletenessForm, Letter
    from netprov.domain.resources import Allocation, Feasibility

TRANSITION_ACTIONS = {a.value for a in Action}


@dataclass(frozen=True)
class TimelineEntry:
    """One event with its step's service standard."""

    seq: int
    step: int
    action: str
    state: str
    actor: str
    role: str
    at: dt.datetime
    note: str
    due_at: dt.datetime | None
    late_days: int
    outputs: dict[str, Any]

    @property
    def on_time(self) -> bool:
        return self.late_days == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "step": self.step,
            "step_title": STEPS[self.step].title,
            "action": self.action,
            "state": self.state,
            "actor": self.actor,
            "role": self.role,
            "at": self.at.isoformat(),
            "note": self.note,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "on_time": self.on_time,
            "late_working_days": self.late_days,
            "outputs": self.outputs,
        }


@dataclass(frozen=True)
class RequestRecord:
    request: StoredRequest
    events: list[StoredEvent]
    timezone: str
    now: dt.datetime
    timeline: list[TimelineEntry] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.request.id

    @property
    def seq(self) -> int:
        return self.request.seq

    @property
    def letter(self) -> Letter:
        from netprov.domain.letters import Letter

        return Letter.model_validate(self.request.letter)

    @property
    def state(self) -> State:
        transitions = [e for e in self.events if e.action in TRANSITION_ACTIONS]
        return State(transitions[-1].state) if transitions else State.RECEIVED

    @property
    def entered_state_at(self) -> dt.datetime:
        transitions = [
            e for e in self.events if e.action in TRANSITION_ACTIONS and e.action != Action.SUBMIT.value
        ]
        return transitions[-1].at if transitions else self.request.received_at

    @property
    def due_step(self) -> int | None:
        return None if self.state in TERMINAL else DUE_STEP.get(self.state)

    @property
    def next_role(self) -> str | None:
        role = NEXT_ROLE.get(self.state)
        return role.value if role and self.state not in TERMINAL else None

    @property
    def due_at(self) -> dt.datetime | None:
        if self.due_step is None:
            return None
        return add_working_days(self.entered_state_at, 1, self.timezone)

    @property
    def overdue_days(self) -> int:
        due = self.due_at
        return working_days_late(due, self.now, self.timezone) if due else 0

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0

    def _latest_output(self, key: str) -> Any:
        for e in reversed(self.events):
            if key in e.outputs and e.outputs[key] is not None:
                return e.outputs[key]
        return None

    @property
    def feasibility(self) -> Feasibility | None:
        from netprov.domain.resources import Feasibility

        raw = self._latest_output("feasibility")
        return Feasibility.model_validate(raw) if raw else None

    @property
    def form(self) -> CompletenessForm | None:
        from netprov.domain.letters import CompletenessForm

        raw = self._latest_output("form")
        return CompletenessForm.model_validate(raw) if raw else None

    @property
    def allocation(self) -> Allocation | None:
        """The resources reserved for the request (None until step 7 reserved them)."""
        from netprov.domain.resources import Allocation

        for e in reversed(self.events):
            if "allocation" in e.outputs:
                raw = e.outputs["allocation"]
                return Allocation.model_validate(raw) if raw else None
        return None

    @property
    def assigned_to(self) -> str | None:
        value = self._latest_output("assigned_to")
        return str(value) if value else None

    @property
    def documents(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for e in self.events:
            for doc in e.outputs.get("documents", []) or []:
                out.append({**doc, "event_seq": e.seq, "step": e.step})
        return out

    def event_for(self, action: Action) -> StoredEvent | None:
        for e in reversed(self.events):
            if e.action == action.value:
                return e
        return None

    def summary_json(self) -> dict[str, Any]:
        letter = self.letter
        return {
            "id": self.id,
            "opd": letter.opd,
            "service": letter.service,
            "bandwidth_mbps": letter.bandwidth_mbps,
            "hosts": letter.hosts,
            "site": letter.site.name,
            "state": self.state.value,
            "due_step": self.due_step,
            "next_role": self.next_role,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "overdue": self.overdue,
            "overdue_working_days": self.overdue_days,
            "received_at": self.request.received_at.isoformat(),
            "kind": str(self.request.letter.get("kind") or "new-link"),
            "of": self.request.letter.get("of"),
        }

    def detail_json(self, changes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Everything about the request; ``changes``: the requests that change its link."""
        alloc = self.allocation
        feas = self.feasibility
        form = self.form
        return {
            **self.summary_json(),
            "letter": self.request.letter,
            "registered_at": self.request.registered_at.isoformat(),
            "assigned_to": self.assigned_to,
            "feasibility": feas.model_dump(mode="json") if feas else None,
            "form": form.model_dump(mode="json") if form else None,
            "allocation": alloc.model_dump(mode="json") if alloc else None,
            "documents": self.documents,
            "timeline": [t.to_json() for t in self.timeline],
            "changes": changes or [],
        }


def build_record(
    request: StoredRequest, events: list[StoredEvent], timezone: str, now: dt.datetime
) -> RequestRecord:
    """Derive the record, computing each transition's deadline and lateness."""
    timeline: list[TimelineEntry] = []
    entered = request.received_at
    for e in events:
        is_transition = e.action in TRANSITION_ACTIONS
        due: dt.datetime | None = None
        late = 0
        if is_transition:
            due = add_working_days(entered, 1, timezone)
            late = working_days_late(due, e.at, timezone)
            if e.action != Action.SUBMIT.value:
                entered = e.at
            # a close that follows in the same moment as review/reject is part of that step
        timeline.append(
            TimelineEntry(
                e.seq, e.step, e.action, e.state, e.actor, e.role, e.at, e.note, due, late, e.outputs
            )
        )
    return RequestRecord(request, events, timezone, now, timeline)


__all__ = ["TRANSITIONS", "RequestRecord", "TimelineEntry", "build_record"]
