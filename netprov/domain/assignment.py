"""Who may do steps 4-8: the staff assigned at step 3, or re-assigned later by a kabid. Pure.

Step 3 records ``assigned_to`` in the ``assign`` event; a kabid may hand the request to other
staff with a ``reassign`` event (step 3 again, recorded in the trail, the state unchanged).
Each of steps 4-8 (check, reject, accept, form, provision, report) is then done by whoever is
assigned at that moment, and by nobody else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from netprov.domain.sop import Action, State

#: The event a kabid records to hand a request to other staff (not a state transition).
REASSIGN = "reassign"
#: The steps only the assigned staff may do.
STAFF_ACTIONS = frozenset(
    {Action.CHECK, Action.REJECT, Action.ACCEPT, Action.FORM, Action.PROVISION, Action.REPORT}
)
#: The states in which the staff's work (steps 4-8) is under way, so it can be handed over.
REASSIGNABLE = frozenset(
    {State.ASSIGNED, State.CHECKED, State.FORM_REQUESTED, State.FORM_COMPLETE, State.PROVISIONED}
)
_ASSIGNING = frozenset({Action.ASSIGN.value, REASSIGN})


class EventLike(Protocol):
    @property
    def seq(self) -> int: ...
    @property
    def action(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def outputs(self) -> Mapping[str, Any]: ...


def assignment_refusal(action: Action, actor: str, assigned: str | None) -> str | None:
    """Why ``actor`` may not do ``action`` given who is ``assigned``; None when allowed.

    >>> assignment_refusal(Action.CHECK, "staff1", "staff2")
    'check (step 4-8) is for the assigned staff, staff2, not staff1 (a kabid may reassign it)'
    >>> assignment_refusal(Action.CHECK, "staff2", "staff2") is None
    True
    >>> assignment_refusal(Action.FORWARD, "kabid", "staff2") is None
    True
    """
    if action not in STAFF_ACTIONS or actor == assigned:
        return None
    if assigned is None:
        return f"{action.value} (step 4-8) needs staff assigned at step 3, and none is recorded"
    return (
        f"{action.value} (step 4-8) is for the assigned staff, {assigned}, not {actor} "
        "(a kabid may reassign it)"
    )


def reassign_refusal(state: State, current: str | None, to: str) -> str | None:
    """Why the request cannot be handed to ``to`` now; None when it can."""
    if state not in REASSIGNABLE:
        wanted = ", ".join(sorted(s.value for s in REASSIGNABLE))
        return f"cannot reassign a request that is {state.value} (the staff's steps need it {wanted})"
    if current == to:
        return f"{to} is already the assigned staff"
    return None


def assignment_violations(events: Iterable[EventLike]) -> list[str]:
    """Steps 4-8 done by someone other than the staff assigned at that moment, oldest first.

    Older registers may hold such events (the rule was not enforced then); ``audit`` shows them.
    """
    assigned: str | None = None
    problems = []
    staff_actions = {a.value for a in STAFF_ACTIONS}
    for e in events:
        if e.action in _ASSIGNING and e.outputs.get("assigned_to"):
            assigned = str(e.outputs["assigned_to"])
        elif e.action in staff_actions and e.actor != assigned:
            problems.append(f"event {e.seq} {e.action} by {e.actor}, but {assigned or 'nobody'} was assigned")
    return problems
