"""The checks before a step is recorded: role, state, and (steps 4-8) the assigned staff.

The rules are pure (``netprov.domain.sop``, ``netprov.domain.assignment``); this module turns
a refusal into the error the CLI shows: :class:`PermissionDenied` for who may not act,
:class:`WorkflowError` for a request that is not in the right state.
"""

from __future__ import annotations

from netprov.domain.assignment import assignment_refusal
from netprov.domain.sop import TRANSITIONS, Action, refusal
from netprov.domain.users import User
from netprov.errors import PermissionDenied, WorkflowError
from netprov.sop.record import RequestRecord


def guard(action: Action, record: RequestRecord | None, user: User) -> None:
    """Raise unless ``user`` may do ``action`` on ``record`` now (None: a new request)."""
    why = refusal(action, record.state if record else None, user.role)
    if why is not None:
        if user.role not in TRANSITIONS[action].roles:
            raise PermissionDenied(f"{user.username} may not {action.value}: {why}")
        rid = record.id if record else "the request"
        raise WorkflowError(f"{rid}: {why}")
    if record is None:
        return
    why = assignment_refusal(action, user.username, record.assigned_to)
    if why is not None:
        raise PermissionDenied(f"{user.username} may not {action.value} {record.id}: {why}")
