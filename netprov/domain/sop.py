"""The SOP "Permohonan Jaringan Baru" (03/SOP/Kominfo-PE/10/2018 rev. 02) as data and rules.

Pure: no I/O. The workflow service (``netprov.sop``) applies these rules and records events.

A request's *state* names the last step completed; the *due step* is the step the state
waits for. Each step has a service standard of one working day, counted from the moment the
request entered the state that waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    KADIS = "kadis"  # Kepala Dinas Komunikasi dan Informatika (head of agency)
    KABID = "kabid"  # Kepala Bidang Penyelenggaraan e-Government (head of division)
    KASI = "kasi"  # Kepala Seksi (section head; receives rejection reports)
    STAFF = "staff"  # Staf / Tim Data Center
    OPD = "opd"  # the requesting department


ROLE_TITLES: dict[Role, str] = {
    Role.KADIS: "Kepala Dinas Komunikasi dan Informatika",
    Role.KABID: "Kepala Bidang Penyelenggaraan e-Government",
    Role.KASI: "Kepala Seksi",
    Role.STAFF: "Staf / Tim Data Center",
    Role.OPD: "Kepala OPD Pemohon",
}


class State(StrEnum):
    RECEIVED = "received"  # step 1 done: letter registered
    DISPOSED = "disposed"  # step 2 done
    ASSIGNED = "assigned"  # step 3 done
    CHECKED = "checked"  # step 4 done: inspection report
    REJECTED = "rejected"  # step 5: reply letter drafted by staff, waiting for the kadis
    REPLY_SIGNED = "reply_signed"  # step 5 done: the kadis signed the reply letter
    FORM_REQUESTED = "form_requested"  # step 6a: completeness form sent to the OPD
    FORM_COMPLETE = "form_complete"  # step 6b: filled form returned
    PROVISIONED = "provisioned"  # step 7 done: connection built, IP assigned, monitored
    REPORTED = "reported"  # step 8 done: Berita Acara
    FORWARDED = "forwarded"  # step 9 done
    REVIEWED = "reviewed"  # step 10 done
    DONE = "done"  # step 11: finished
    CLOSED = "closed"  # step 11 after a rejection


TERMINAL = frozenset({State.DONE, State.CLOSED})


class Action(StrEnum):
    SUBMIT = "submit"
    DISPOSE = "dispose"
    ASSIGN = "assign"
    CHECK = "check"
    REJECT = "reject"
    SIGN_REPLY = "sign-reply"
    ACCEPT = "accept"
    FORM = "form"
    PROVISION = "provision"
    REPORT = "report"
    FORWARD = "forward"
    REVIEW = "review"
    RETURN = "return"
    CLOSE = "close"


@dataclass(frozen=True)
class Step:
    number: int
    title: str  # English
    title_id: str  # Indonesian, as in the SOP
    output: str  # what the step produces


STEPS: dict[int, Step] = {
    1: Step(1, "Request letter received", "Surat permohonan masuk dari OPD", "Disposisi Dinas"),
    2: Step(
        2,
        "Disposition to head of division",
        "Kepala Dinas mendisposisikan surat ke Kepala Bidang",
        "Disposisi Dinas",
    ),
    3: Step(3, "Staff assigned", "Kepala Bidang menunjuk Staf / Tim Data Center", "Disposisi Dinas"),
    4: Step(
        4,
        "Specification, purpose, bandwidth and IP checked",
        "Pemeriksaan spesifikasi, peruntukan, ketersediaan bandwidth dan IP address",
        "Laporan Pemeriksaan",
    ),
    5: Step(
        5,
        "Rejected: report to section head, draft reply letter",
        "Ditolak: lapor ke Kasi dan draft surat balasan",
        "Draft Surat Balasan",
    ),
    6: Step(
        6, "Accepted: completeness form", "Diterima: formulir isian kelengkapan", "Dokumen Isian Kelengkapan"
    ),
    7: Step(
        7,
        "Connection built, IP assigned, added to monitoring",
        "Membuat koneksi, memberikan alamat IP, memasukkan ke sistem monitoring",
        "Dokumentasi",
    ),
    8: Step(8, "Berita Acara and work report", "Berita Acara dan laporan hasil pekerjaan", "Dokumentasi"),
    9: Step(
        9,
        "Head of division reports to head of agency",
        "Kepala Bidang menerima laporan untuk dilaporkan ke Kepala Dinas",
        "Dokumen",
    ),
    10: Step(10, "Head of agency reviews", "Kepala Dinas melakukan review", "Dokumen"),
    11: Step(11, "Done", "Selesai", "Dokumentasi"),
}


@dataclass(frozen=True)
class Transition:
    action: Action
    step: int
    sources: frozenset[State]
    target: State
    roles: frozenset[Role]


def _t(action: Action, step: int, sources: set[State], target: State, roles: set[Role]) -> Transition:
    return Transition(action, step, frozenset(sources), target, frozenset(roles))


TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in [
        _t(Action.SUBMIT, 1, set(), State.RECEIVED, set(Role)),
        _t(Action.DISPOSE, 2, {State.RECEIVED}, State.DISPOSED, {Role.KADIS}),
        _t(Action.ASSIGN, 3, {State.DISPOSED}, State.ASSIGNED, {Role.KABID}),
        _t(Action.CHECK, 4, {State.ASSIGNED, State.CHECKED}, State.CHECKED, {Role.STAFF}),
        _t(Action.REJECT, 5, {State.CHECKED}, State.REJECTED, {Role.STAFF}),
        _t(Action.SIGN_REPLY, 5, {State.REJECTED}, State.REPLY_SIGNED, {Role.KADIS}),
        _t(Action.ACCEPT, 6, {State.CHECKED}, State.FORM_REQUESTED, {Role.STAFF}),
        _t(Action.FORM, 6, {State.FORM_REQUESTED, State.FORM_COMPLETE}, State.FORM_COMPLETE, {Role.STAFF}),
        _t(Action.PROVISION, 7, {State.FORM_COMPLETE}, State.PROVISIONED, {Role.STAFF}),
        _t(Action.REPORT, 8, {State.PROVISIONED}, State.REPORTED, {Role.STAFF}),
        _t(Action.FORWARD, 9, {State.REPORTED}, State.FORWARDED, {Role.KABID}),
        _t(Action.REVIEW, 10, {State.FORWARDED}, State.REVIEWED, {Role.KADIS}),
        _t(Action.RETURN, 10, {State.FORWARDED}, State.PROVISIONED, {Role.KADIS}),
        _t(Action.CLOSE, 11, {State.REVIEWED, State.REPLY_SIGNED}, State.DONE, set(Role)),
    ]
}

# The step a request in each state is waiting for (its SLA clock runs for this step).
DUE_STEP: dict[State, int] = {
    State.RECEIVED: 2,
    State.DISPOSED: 3,
    State.ASSIGNED: 4,
    State.CHECKED: 5,  # or 6: the decision is due
    State.REJECTED: 5,  # the head of agency signs the reply letter
    State.REPLY_SIGNED: 11,
    State.FORM_REQUESTED: 6,
    State.FORM_COMPLETE: 7,
    State.PROVISIONED: 8,
    State.REPORTED: 9,
    State.FORWARDED: 10,
    State.REVIEWED: 11,
}

# Who acts next, per state (for `request list` and the SLA report).
NEXT_ROLE: dict[State, Role] = {
    State.RECEIVED: Role.KADIS,
    State.DISPOSED: Role.KABID,
    State.ASSIGNED: Role.STAFF,
    State.CHECKED: Role.STAFF,
    State.REJECTED: Role.KADIS,
    State.REPLY_SIGNED: Role.KADIS,
    State.FORM_REQUESTED: Role.STAFF,
    State.FORM_COMPLETE: Role.STAFF,
    State.PROVISIONED: Role.STAFF,
    State.REPORTED: Role.KABID,
    State.FORWARDED: Role.KADIS,
    State.REVIEWED: Role.KADIS,
}


def close_target(state: State) -> State:
    """Closing after a rejection (its reply letter signed) ends CLOSED; after a review, DONE."""
    return State.CLOSED if state in (State.REJECTED, State.REPLY_SIGNED) else State.DONE


def refusal(action: Action, state: State | None, role: Role) -> str | None:
    """Why ``role`` may not do ``action`` on a request in ``state``; None when allowed."""
    t = TRANSITIONS[action]
    if role not in t.roles:
        allowed = " or ".join(sorted(r.value for r in t.roles))
        return (
            f"{action.value} is step {t.step} and is done by {allowed}, not by a user with role {role.value}"
        )
    if action is Action.SUBMIT:
        return None
    if state is None:
        return "the request does not exist"
    if state in TERMINAL:
        return f"the request is {state.value}: nothing more can be done"
    if state not in t.sources:
        wanted = ", ".join(sorted(s.value for s in t.sources))
        return (
            f"cannot {action.value} a request that is {state.value} (step {t.step} needs it to be {wanted})"
        )
    return None
