"""The checks before a step is recorded: role, state, and (steps 4-8) the assigned staff.

The rules are pure (``netprov.domain.sop``, ``netprov.domain.assignment``); this module turns
a refusal into the error the CLI shows: :class:`PermissionDenied` for who may not act,
:class:`WorkflowError` for a request that is not in the right state.
"""

from __future__ import annotations

from netprov.domain.assignment import assignment_refusal, reassign_refusal
from netprov.domain.sop import TRANSITIONS, Action, Role, refusal
from netprov.domain.users import User
from netprov.errors import InputError, PermissionDenied, WorkflowError
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


def reassign_guard(record: RequestRecord, user: User, target: User | None) -> None:
    """Raise unless ``user`` may hand ``record`` to ``target`` now (None: to some other staff,
    as a page asks before it shows the form)."""
    if user.role is not Role.KABID:
        raise PermissionDenied(
            f"{user.username} may not reassign: reassigning is done by kabid, "
            f"not by a user with role {user.role.value}"
        )
    if target is not None and target.role is not Role.STAFF:
        role = target.role.value
        raise InputError([f"--to: {target.username} has role {role}; only staff can be assigned"])
    why = reassign_refusal(record.state, record.assigned_to, target.username if target else "")
    if why is not None:
        raise WorkflowError(f"{record.id}: {why}")
