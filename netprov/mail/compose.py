"""Who gets which mail when a step lands or nears its deadline, and what it says. Pure.

The recipient of a step's mail is whoever's turn it now is (the SOP's next role, narrowed to
the kabid the letter was disposed to and the staff assigned, as ``request list --mine`` does),
never the person who just acted. The kasi hears of a rejection; the department (the letter's
contact) hears when step 6 issues the completeness form (attached, with the page to fill it in),
and when its request is closed after a rejection (the signed reply letter attached) or done
(the Berita Acara attached). Text is Indonesian first, with an English line.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from netprov.domain.assignment import REASSIGN
from netprov.domain.id_names import BULAN, HARI
from netprov.domain.sop import NEXT_ROLE, STEPS, TERMINAL, Action, Role, State
from netprov.domain.users import Directory, User
from netprov.sop.record import TRANSITION_ACTIONS, RequestRecord
from netprov.store.outbox import MailDraft

#: States the same command closes at once (review --approve, sign-reply): no "your turn" mail.
_PASSING = frozenset({State.REVIEWED, State.REPLY_SIGNED})
#: The events that queue mail: the SOP's transitions and a reassignment.
MAILING_ACTIONS = frozenset(TRANSITION_ACTIONS | {REASSIGN})
_ASSIGNEE_KEY = {Role.KABID: "disposed_to", Role.STAFF: "assigned_to"}
_TURN_TITLE = {
    State.CHECKED: ("keputusan: tolak (langkah 5) atau terima (langkah 6)", "decision: reject or accept"),
    State.REJECTED: ("tanda tangan surat balasan penolakan", "sign the reply letter"),
}


def when_id(at: dt.datetime, tz: str) -> str:
    """``Selasa, 25 November 2026 09.00 WIB``.

    >>> when_id(dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC), "Asia/Jakarta")
    'Rabu, 25 November 2026 09.00 WIB'
    """
    from zoneinfo import ZoneInfo

    loc = at.astimezone(ZoneInfo(tz))
    abbr = "WIB" if tz == "Asia/Jakarta" else (loc.tzname() or tz)
    return f"{HARI[loc.weekday()]}, {loc.day} {BULAN[loc.month - 1]} {loc.year} {loc:%H.%M} {abbr}"


def next_people(record: RequestRecord, users: Directory) -> list[User]:
    """Whose turn the request's current step is (role, and the person the SOP names)."""
    role = NEXT_ROLE.get(record.state)
    if role is None or record.state in TERMINAL:
        return []
    key = _ASSIGNEE_KEY.get(role)
    named = record._latest_output(key) if key else None
    if named:
        person = users.find(str(named))
        return [person] if person is not None and person.role is role else []
    return users.with_role(role)


def link(web_url: str, request_id: str) -> str:
    """>>> link("http://127.0.0.1:8080/", "PJB-2026-0001")
    'http://127.0.0.1:8080/requests/PJB-2026-0001'
    """
    return f"{web_url.rstrip('/')}/requests/{request_id}"


def latest_pdf(record: RequestRecord, kind: str) -> list[dict[str, Any]]:
    """The newest recorded version of paper ``kind`` as an attachment reference ([] if none)."""
    found = [d for d in record.documents if d.get("kind") == kind and (d.get("files") or {}).get("pdf")]
    if not found:
        return []
    doc = max(found, key=lambda d: int(d.get("version") or 0))
    pdf = doc["files"]["pdf"]
    return [
        {
            "kind": kind,
            "version": doc.get("version"),
            "filename": f"{record.id}-{kind}-v{doc.get('version')}.pdf",
            "path": pdf["path"],
            "name": pdf["name"],
            "sha256": pdf["sha256"],
        }
    ]


def _about(record: RequestRecord) -> str:
    letter = record.letter
    return (
        f"{record.id} dari {letter.opd} ({letter.service}, {letter.bandwidth_mbps} Mbps, {letter.site.name})"
    )


def _turn(record: RequestRecord, user: User, url: str, kind: str, seq: int) -> MailDraft:
    step = record.due_step or 11
    title_id, title_en = _TURN_TITLE.get(record.state, (STEPS[step].title_id, STEPS[step].title))
    due = when_id(record.due_at, record.timezone) if record.due_at else "-"
    due_en = f"{record.due_at:%Y-%m-%d %H:%M} UTC" if record.due_at else "-"
    lead = {
        "turn": ("Permohonan menunggu tindakan Anda", "waits on you"),
        "due-soon": ("PENGINGAT: batas waktu langkah ini segera berakhir", "is due soon"),
        "overdue": ("TERLAMBAT: batas waktu langkah ini sudah lewat", "is overdue"),
    }[kind]
    subject = (
        f"[netprov] {record.id}: "
        + {
            "turn": f"menunggu Anda - langkah {step}",
            "due-soon": f"pengingat - langkah {step} segera jatuh tempo",
            "overdue": f"terlambat - langkah {step} lewat batas waktu",
        }[kind]
    )
    body = (
        f"Yth. {user.name},\n\n{lead[0]}.\n\n"
        f"Permohonan: {_about(record)}\n"
        f"Langkah {step}: {title_id}\n"
        f"Batas waktu: {due}\n"
        f"Buka: {url}\n\n"
        f"(English) Request {record.id} {lead[1]}: step {step}, {title_en}; due {due_en}. Open: {url}\n"
    )
    attach = latest_pdf(record, "surat-balasan") if record.state is State.REJECTED else []
    return MailDraft(
        kind, f"{record.id}:{seq}:{kind}:{user.username}", step, user.username, user.email or "",
        subject, body, attach,
    )  # fmt: skip


def _rejection_report(record: RequestRecord, user: User, url: str, seq: int) -> MailDraft:
    reasons = "; ".join(record.events[-1].outputs.get("reasons") or []) or "-"
    body = (
        f"Yth. {user.name},\n\nLaporan penolakan: permohonan {_about(record)} ditolak pada langkah 5.\n"
        f"Alasan: {reasons}\nBuka: {url}\n\n"
        f"(English) Request {record.id} was rejected at step 5. Reasons: {reasons}. Open: {url}\n"
    )
    return MailDraft(
        "rejection-report", f"{record.id}:{seq}:rejection-report:{user.username}", 5, user.username,
        user.email or "", f"[netprov] {record.id}: laporan penolakan", body,
    )  # fmt: skip


def _to_opd(record: RequestRecord, seq: int) -> MailDraft:
    """To the letter's contact: closed after a rejection (the signed reply) or done (the BA)."""
    contact = record.letter.contact
    if record.state is State.CLOSED:
        kind, paper = "rejected", "surat-balasan"
        text = "tidak dapat kami penuhi; surat balasan terlampir"
        en = "could not be granted; the reply letter is attached"
    else:
        kind, paper = "done", "berita-acara"
        text = "telah selesai dikerjakan; Berita Acara terlampir"
        en = "is done; the Berita Acara is attached"
    attach = latest_pdf(record, paper)
    ref = record.letter.letter
    body = (
        f"Yth. {contact.name} ({record.letter.opd}),\n\n"
        f"Permohonan jaringan Anda (surat {ref.number}, terdaftar sebagai {record.id}) {text}.\n"
        + ("" if attach else "(Dokumen belum tersedia dalam register.)\n")
        + f"\n(English) Your network request {record.id} (letter {ref.number}) {en}.\n"
    )
    subject = f"[netprov] {record.id}: permohonan " + ("ditolak" if kind == "rejected" else "selesai")
    return MailDraft(
        kind, f"{record.id}:{seq}:{kind}:opd", 11, "opd", str(contact.email), subject, body, attach
    )


def _form_to_opd(record: RequestRecord, url: str, seq: int) -> MailDraft:
    """To the letter's contact when step 6 issues the completeness form: the form attached and
    the page where the department fills it in."""
    contact, ref = record.letter.contact, record.letter.letter
    attach = latest_pdf(record, "formulir-kelengkapan")
    body = (
        f"Yth. {contact.name} ({record.letter.opd}),\n\n"
        f"Permohonan jaringan Anda (surat {ref.number}, terdaftar sebagai {record.id}) kami terima.\n"
        "Mohon lengkapi Formulir Isian Kelengkapan "
        + ("terlampir, " if attach else "")
        + f"atau isi langsung di: {url}\n\n"
        f"(English) Your network request {record.id} (letter {ref.number}) is accepted; please fill "
        f"in the completeness form{' (attached)' if attach else ''} or online at {url}\n"
    )
    subject = f"[netprov] {record.id}: formulir kelengkapan"
    return MailDraft(
        "form", f"{record.id}:{seq}:form:opd", 6, "opd", str(contact.email), subject, body, attach
    )


def step_mails(record: RequestRecord, actor: str, users: Directory, web_url: str) -> list[MailDraft]:
    """The mail to queue with the event that just landed: ``record`` already holds it last."""
    event = record.events[-1]
    if event.action not in MAILING_ACTIONS:
        return []  # annotations (monitor, drift, mail, ...) tell nobody
    url = link(web_url, record.id)
    out: list[MailDraft] = []
    if record.state in TERMINAL:
        out.append(_to_opd(record, event.seq))
    elif record.state not in _PASSING:
        out += [
            _turn(record, u, url, "turn", event.seq)
            for u in next_people(record, users)
            if u.username != actor
        ]
    if event.action == Action.ACCEPT.value and record.state is State.FORM_REQUESTED:
        out.append(_form_to_opd(record, url, event.seq))
    if event.action == Action.REJECT.value:
        out += [_rejection_report(record, u, url, event.seq) for u in users.with_role(Role.KASI)]
    return [m for m in out if m.address]


def reminder_mails(record: RequestRecord, kind: str, users: Directory, web_url: str) -> list[MailDraft]:
    """``due-soon`` / ``overdue`` reminders of the current step (keyed by the event it entered with)."""
    if record.state in TERMINAL or record.state in _PASSING or record.due_at is None:
        return []
    entered = [e.seq for e in record.events if e.action in TRANSITION_ACTIONS]
    seq = entered[-1] if entered else 1
    url = link(web_url, record.id)
    return [_turn(record, u, url, kind, seq) for u in next_people(record, users) if u.email]
