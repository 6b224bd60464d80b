"""What a page shows a viewer: which requests they may see, the actions open to them now, the
dashboard's counts. The step rules are the service's own guard (``netprov.sop.guards``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from netprov.cli.request_views import waits_on
from netprov.domain.sop import Action, Role, State
from netprov.domain.users import User
from netprov.errors import PermissionDenied, WorkflowError
from netprov.sop.guards import guard, reassign_guard
from netprov.sop.record import TRANSITION_ACTIONS, RequestRecord

#: The web's step actions: form name -> the SOP action the service's guard checks.
STEP_ACTIONS: dict[str, Action] = {
    "dispose": Action.DISPOSE,
    "assign": Action.ASSIGN,
    "check": Action.CHECK,
    "reject": Action.REJECT,
    "sign-reply": Action.SIGN_REPLY,
    "accept": Action.ACCEPT,
    "form": Action.FORM,
    "provision": Action.PROVISION,
    "report": Action.REPORT,
    "forward": Action.FORWARD,
    "review": Action.REVIEW,
    "return": Action.RETURN,
}
#: The annotation a department's web form leaves (the staff then records it as step 6b).
OPD_FORM = "opd-form"
#: A kabid hands the staff's steps to other staff (step 3 again; ``RequestService.reassign``).
REASSIGN = "reassign"


def may(action: Action, record: RequestRecord, user: User) -> bool:
    """Whether the service would let ``user`` do ``action`` on ``record`` now."""
    try:
        guard(action, record, user)
    except (PermissionDenied, WorkflowError):
        return False
    return True


def may_reassign(record: RequestRecord, user: User) -> bool:
    """Whether the service would let ``user`` hand ``record`` to some other staff now."""
    try:
        reassign_guard(record, user, None)
    except (PermissionDenied, WorkflowError):
        return False
    return True


def may_fill_opd_form(record: RequestRecord, user: User) -> bool:
    return user.role is Role.OPD and record.state is State.FORM_REQUESTED and visible(record, user)


def open_actions(record: RequestRecord, user: User) -> list[str]:
    """The step actions ``user`` may take on ``record`` now, in SOP order."""
    names = [name for name, action in STEP_ACTIONS.items() if may(action, record, user)]
    if may_fill_opd_form(record, user):
        names.append(OPD_FORM)
    if may_reassign(record, user):
        names.append(REASSIGN)
    return names


def visible(record: RequestRecord, user: User) -> bool:
    """A department sees its own requests; the agency's people see all."""
    return user.role is not Role.OPD or record.request.opd == (user.opd or user.name)


def mine(records: list[RequestRecord], user: User) -> list[RequestRecord]:
    """ "Tugas saya": the requests whose current step waits on ``user``, oldest due first."""
    out = [r for r in records if visible(r, user) and (waits_on(r, user) or may_fill_opd_form(r, user))]
    return sorted(out, key=lambda r: r.due_at or r.now)


@dataclass(frozen=True)
class Filters:
    state: str = ""
    opd: str = ""
    service: str = ""
    overdue: bool = False

    def keep(self, r: RequestRecord) -> bool:
        return (
            (not self.state or r.state.value == self.state)
            and (not self.opd or r.request.opd == self.opd)
            and (not self.service or r.request.service == self.service)
            and (not self.overdue or r.overdue)
        )


def opd_draft(record: RequestRecord) -> dict[str, Any] | None:
    """The department's latest web form (an ``opd-form`` annotation), if any."""
    for e in reversed(record.events):
        if e.action == OPD_FORM:
            form = e.outputs.get("form")
            return form if isinstance(form, dict) else None
    return None


def dashboard(records: list[RequestRecord], now: dt.datetime, tz: str) -> dict[str, Any]:
    """Requests per state, SLA kept per step this month (local month), the overdue list."""
    zone = ZoneInfo(tz)
    month = now.astimezone(zone).strftime("%Y-%m")
    per_state = Counter(r.state.value for r in records)
    kept: dict[int, list[int]] = {}
    for r in records:
        for t in r.timeline:
            if t.action not in TRANSITION_ACTIONS or t.action in ("submit", "close"):
                continue
            if t.at.astimezone(zone).strftime("%Y-%m") != month:
                continue
            counts = kept.setdefault(t.step, [0, 0])
            counts[0] += t.on_time
            counts[1] += 1
    overdue = sorted((r for r in records if r.overdue), key=lambda r: r.due_at or now)
    return {
        "per_state": [(s.value, per_state.get(s.value, 0)) for s in State],
        "sla": sorted((step, on, total) for step, (on, total) in kept.items()),
        "overdue": overdue,
        "month": month,
    }
