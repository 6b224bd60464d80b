"""The view model: what templates see, computed from a context and the settings. Pure.

Templates stay dumb: every label, number, date and signer is decided here.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netprov.documents.context import DocumentContext, DocumentKind, Person
from netprov.documents.dates import angka_terbilang, hari, local, tanggal, terbilang, waktu, zone
from netprov.documents.numbering import letter_number
from netprov.documents.people import title_of
from netprov.documents.wording import (
    BACKEND_NAMES,
    check_label_id,
    detail_id,
    reason_sentences,
    status_id,
    summarize_diff,
)
from netprov.domain.sop import STEPS, Role
from netprov.domain.users import nip_spaced
from netprov.errors import ConfigError
from netprov.settings import Settings

MISSING = "belum tersedia"

CHECK_LABELS = {
    "opd": "Identitas OPD pemohon",
    "site": "Lokasi pemasangan",
    "specification": "Spesifikasi",
    "purpose": "Peruntukan",
    "prefix": "Ketersediaan alamat IP",
    "port": "Ketersediaan port",
    "vlan": "Ketersediaan VLAN",
    "bandwidth": "Ketersediaan bandwidth",
}
SERVICE_LABELS = {"intranet": "Jaringan Intranet Pemerintah Kota", "internet": "Akses Internet"}
ACTION_LABELS = {
    "submit": "Surat permohonan diterima",
    "dispose": "Disposisi ke Kepala Bidang",
    "assign": "Penunjukan Staf / Tim Data Center",
    "check": "Pemeriksaan kelayakan",
    "reject": "Permohonan ditolak",
    "accept": "Permohonan diterima, formulir dikirim",
    "form": "Formulir kelengkapan diterima",
    "provision": "Koneksi dibuat dan dimonitor",
    "report": "Berita Acara dibuat",
    "forward": "Dilaporkan ke Kepala Dinas",
    "review": "Direview Kepala Dinas",
    "return": "Dikembalikan untuk perbaikan",
    "close": "Selesai",
    "sign-reply": "Surat balasan ditandatangani Kepala Dinas",
}
ROLE_SHORT = {
    Role.KADIS: "Kepala Dinas",
    Role.KABID: "Kepala Bidang",
    Role.KASI: "Kepala Seksi",
    Role.STAFF: "Staf",
    Role.OPD: "OPD",
}
_MIME = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}


SIGN_REPLY = "sign-reply"  # the head of agency signed the reply letter: no longer a draft


@dataclass(frozen=True)
class Signer:
    role: str
    title: str
    name: str | None
    nip: str | None
    pangkat: str | None = None


@dataclass(frozen=True)
class Agency:
    government: str
    name: str
    region: str  # "Kota Batam"
    address: str
    contact: str
    city: str
    logo_data_uri: str | None


@dataclass(frozen=True)
class DocView:
    kind: DocumentKind
    title: str
    number: str
    date: str  # "29 November 2026"
    day: str  # "Minggu"
    date_words: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # other documents' numbers


def logo_data_uri(path: Path | None) -> str | None:
    """The logo file embedded as a data URI (the HTML needs no other file)."""
    if path is None:
        return None
    mime = _MIME.get(path.suffix.lower())
    if mime is None:
        raise ConfigError(f"setting agency_logo_file {path}: use a .png, .jpg, .gif or .svg file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"setting agency_logo_file {path}: cannot read: {exc.strerror}") from exc
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def agency(settings: Settings) -> Agency:
    gov = settings.agency_government
    region = gov.removeprefix("Pemerintah ").strip() if gov.startswith("Pemerintah ") else gov
    return Agency(
        government=gov,
        name=settings.agency_name,
        region=region,
        address=settings.agency_address,
        contact=settings.agency_contact,
        city=settings.agency_city,
        logo_data_uri=logo_data_uri(settings.agency_logo_file),
    )


def _step_date(ctx: DocumentContext, step: int, settings: Settings) -> dt.date:
    entry = ctx.actor_for(step)
    at = entry.at if entry is not None else ctx.generated_at
    return local(at, zone(settings.timezone)).date()


def number_for(kind: DocumentKind, ctx: DocumentContext, settings: Settings, on: dt.date) -> str:
    return letter_number(
        settings.letter_number_format, seq=ctx.seq, code=settings.agency_code, kind=kind.code, on=on
    )


def doc_view(kind: DocumentKind, ctx: DocumentContext, settings: Settings) -> DocView:
    on = local(ctx.generated_at, zone(settings.timezone)).date()
    refs = {  # from the register: the numbers its papers were issued with (MISSING: none yet)
        k.value: ctx.numbers.get(k.value, MISSING)
        if ctx.numbers is not None
        else number_for(k, ctx, settings, _step_date(ctx, k.step, settings))
        for k in DocumentKind
        if k is not kind
    }
    words = {
        "day": hari(on),
        "date": terbilang(on.day),
        "month": tanggal(on).split()[1],
        "year": terbilang(on.year),
        "numeric": on.strftime("%d-%m-%Y"),
    }
    return DocView(
        kind=kind,
        title=kind.label,
        number=number_for(kind, ctx, settings, on),
        date=tanggal(on),
        day=hari(on),
        date_words=words,
        refs=refs,
    )


def _signer(role: Role, person: Person | None, ctx: DocumentContext) -> Signer:
    title = title_of(role, person)
    if role is Role.OPD and (person is None or not person.title):
        title = f"Kepala {ctx.letter.opd}"
    return Signer(
        role=role.value,
        title=title,
        name=person.name if person else None,
        nip=nip_spaced(person.nip) if person and person.nip else None,
        pangkat=person.pangkat if person else None,
    )


def signers(ctx: DocumentContext) -> dict[str, Signer]:
    """One signer per role, by role value (``staff``, ``kasi``, ``kabid``, ``kadis``, ``opd``),
    and ``doer``: who did the step that produced the paper (it signs as the maker), else the
    staff signer."""
    out = {role.value: _signer(role, ctx.people.get(role), ctx) for role in Role}
    if ctx.doer is not None and ctx.doer_role is not None:
        out["doer"] = _signer(ctx.doer_role, ctx.doer, ctx)
    else:
        out["doer"] = out[Role.STAFF.value]
    return out


def timeline_rows(ctx: DocumentContext, settings: Settings) -> list[dict[str, str]]:
    tz = zone(settings.timezone)
    return [
        {
            "step": str(e.step),
            "step_title": STEPS[e.step].title_id if e.step in STEPS else "",
            "action": ACTION_LABELS.get(e.action, e.action),
            "actor": e.actor_name or e.actor.removeprefix("opd:"),
            "role": ROLE_SHORT[e.role],
            "at": waktu(e.at, tz),
            "note": e.note or "",
        }
        for e in sorted(ctx.timeline, key=lambda e: e.at)
    ]


def step_dates(ctx: DocumentContext, settings: Settings) -> dict[int, str]:
    """The date each step was (last) done, in Indonesian: ``{2: "24 November 2026"}``."""
    tz = zone(settings.timezone)
    out: dict[int, str] = {}
    for e in sorted(ctx.timeline, key=lambda e: e.at):
        out[e.step] = tanggal(local(e.at, tz).date())
    return out


def device_rows(ctx: DocumentContext) -> list[dict[str, Any]]:
    """The step-7 devices with their diffs as lines added and removed (for the lampiran).

    ``at`` is the time of the step-7 event (the register's clock, as every date on a paper),
    not the device's own commit clock; a device left unchanged has ``at`` None."""
    step7 = ctx.actor_for(7)
    rows: list[dict[str, Any]] = []
    for d in ctx.evidence.devices if ctx.evidence else []:
        summary = summarize_diff(d.diff)
        at = (step7.at if step7 is not None else d.committed_at) if d.committed_at else None
        rows.append({"device": d, "at": at, "added": summary.added, "removed": summary.removed})
    return rows


def verification_rows(ctx: DocumentContext) -> list[dict[str, Any]]:
    """The step-7 checks in Indonesian."""
    return [
        {"check": check_label_id(v.check), "ok": v.ok, "detail": detail_id(v.detail)}
        for v in (ctx.evidence.verification if ctx.evidence else [])
    ]


def monitoring_rows(ctx: DocumentContext) -> list[dict[str, Any]]:
    """The monitoring registrations in Indonesian."""
    return [
        {
            "backend": BACKEND_NAMES.get(r.backend, r.backend),
            "id": r.id,
            "status": status_id(r.status),
            "waited": r.waited_seconds,
            "detail": detail_id(r.detail),
        }
        for r in (ctx.evidence.monitoring if ctx.evidence else [])
    ]


def letter_vars(ctx: DocumentContext) -> dict[str, Any]:
    """What the reply letter needs besides the common variables."""
    feas_reasons = ctx.feasibility.reasons if ctx.feasibility else []
    kasi = ctx.people.get(Role.KASI)
    check = ctx.actor_for(4)
    return {
        "check_note": check.note if check is not None and check.action == "check" else None,
        "draft": not ctx.has_action(SIGN_REPLY),
        "reasons": reason_sentences(ctx.rejection_reasons or feas_reasons),
        "kasi_title": title_of(Role.KASI, kasi),
    }


def template_vars(kind: DocumentKind, ctx: DocumentContext, settings: Settings) -> dict[str, Any]:
    """Everything a document template may use."""
    tz = zone(settings.timezone)
    return {
        **letter_vars(ctx),
        "devices": device_rows(ctx),
        "verification": verification_rows(ctx),
        "monitoring": monitoring_rows(ctx),
        "bandwidth": angka_terbilang(ctx.letter.bandwidth_mbps) + " Mbps",
        "hosts": angka_terbilang(ctx.letter.hosts),
        "ctx": ctx,
        "doc": doc_view(kind, ctx, settings),
        "agency": agency(settings),
        "sign": signers(ctx),
        "timeline": timeline_rows(ctx, settings),
        "step_dates": step_dates(ctx, settings),
        "service_label": SERVICE_LABELS.get(ctx.letter.service, ctx.letter.service),
        "check_labels": CHECK_LABELS,
        "accepted": ctx.accepted,
        "MISSING": MISSING,
        "generated": waktu(ctx.generated_at, tz),
        "tz": tz,
    }
