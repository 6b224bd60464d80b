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
from netprov.documents.dates import hari, local, tanggal, terbilang, waktu, zone
from netprov.documents.numbering import letter_number
from netprov.documents.people import title_of
from netprov.domain.sop import STEPS, Role
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
}
_MIME = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}


@dataclass(frozen=True)
class Signer:
    role: str
    title: str
    name: str | None
    nip: str | None


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


def signers(ctx: DocumentContext) -> dict[str, Signer]:
    """One signer per role, by role value (``staff``, ``kasi``, ``kabid``, ``kadis``, ``opd``)."""
    out: dict[str, Signer] = {}
    for role in Role:
        person: Person | None = ctx.people.get(role)
        title = title_of(role, person)
        if role is Role.OPD and (person is None or not person.title):
            title = f"Kepala {ctx.letter.opd}"
        out[role.value] = Signer(
            role=role.value,
            title=title,
            name=person.name if person else None,
            nip=person.nip if person else None,
        )
    return out


def timeline_rows(ctx: DocumentContext, settings: Settings) -> list[dict[str, str]]:
    tz = zone(settings.timezone)
    return [
        {
            "step": str(e.step),
            "step_title": STEPS[e.step].title_id if e.step in STEPS else "",
            "action": ACTION_LABELS.get(e.action, e.action),
            "actor": e.actor_name or e.actor.removeprefix("opd:"),
            "role": e.role.value,
            "at": waktu(e.at, tz),
            "note": e.note or "",
        }
        for e in sorted(ctx.timeline, key=lambda e: e.at)
    ]


def diff_lines(text: str) -> list[tuple[str, str]]:
    """Config diff lines with a class: ``add``, ``del``, ``hdr`` or ``""``.

    Understands unified diffs (``+``/``-``) and frr-reload's "Lines To Delete" / "Lines To
    Add" sections.
    """
    out: list[tuple[str, str]] = []
    section = ""
    for line in text.splitlines():
        low = line.strip().lower()
        if low in ("lines to delete", "lines to add"):
            section = "del" if low.endswith("delete") else "add"
            out.append(("hdr", line))
        elif (low and set(low) == {"="}) or line.startswith(("+++", "---", "@@")):
            out.append(("hdr", line))
        elif line.startswith("+"):
            out.append(("add", line))
        elif line.startswith("-"):
            out.append(("del", line))
        else:
            out.append((section, line))
    return out


def step_dates(ctx: DocumentContext, settings: Settings) -> dict[int, str]:
    """The date each step was (last) done, in Indonesian: ``{2: "24 November 2026"}``."""
    tz = zone(settings.timezone)
    out: dict[int, str] = {}
    for e in sorted(ctx.timeline, key=lambda e: e.at):
        out[e.step] = tanggal(local(e.at, tz).date())
    return out


def template_vars(kind: DocumentKind, ctx: DocumentContext, settings: Settings) -> dict[str, Any]:
    """Everything a document template may use."""
    tz = zone(settings.timezone)
    return {
        "ctx": ctx,
        "doc": doc_view(kind, ctx, settings),
        "agency": agency(settings),
        "sign": signers(ctx),
        "timeline": timeline_rows(ctx, settings),
        "step_dates": step_dates(ctx, settings),
        "diff_lines": diff_lines,
        "service_label": SERVICE_LABELS.get(ctx.letter.service, ctx.letter.service),
        "check_labels": CHECK_LABELS,
        "accepted": ctx.accepted,
        "MISSING": MISSING,
        "generated": waktu(ctx.generated_at, tz),
        "tz": tz,
    }
