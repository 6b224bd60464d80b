"""The letter form pre-filled from a scan (pure): one row per field with its proposed value,
how sure the reader was, and whether a person must look again ("periksa" / "CHECK")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netprov.scan.proposal import REVIEW_BELOW

#: (form field, Indonesian label, input kind), in the order of the submit page.
LETTER_FORM: tuple[tuple[str, str, str], ...] = (
    ("letter.number", "Nomor surat", "text"),
    ("letter.date", "Tanggal surat", "date"),
    ("letter.subject", "Perihal", "text"),
    ("opd", "OPD", "text"),
    ("service", "Layanan", "select"),
    ("bandwidth_mbps", "Bandwidth (Mbps)", "text"),
    ("hosts", "Jumlah host", "text"),
    ("purpose", "Peruntukan", "textarea"),
    ("site.name", "Nama lokasi", "text"),
    ("site.address", "Alamat lokasi", "text"),
    ("contact.name", "Kontak", "text"),
    ("contact.phone", "Telp. kontak", "text"),
    ("contact.email", "Email kontak", "text"),
)

WORDS: dict[str, tuple[str, str]] = {
    "scan_title": ("Surat dari pindaian", "Letter from a scan"),
    "scan_upload": (
        "Pindaian surat (PDF, JPEG atau PNG, maks. 10 MB)",
        "Scanned letter (PDF, JPEG or PNG, 10 MB at most)",
    ),
    "scan_read": ("Baca pindaian", "Read the scan"),
    "scan_intro": (
        "netprov membaca surat dan mengusulkan isinya; periksa setiap kolom terhadap surat, "
        "perbaiki, lalu kirim.",
        "netprov reads the letter and proposes its fields; check each against the letter, "
        "correct it, then submit.",
    ),
    "scan_check": ("periksa", "CHECK"),
    "scan_not_read": ("tidak terbaca: isi", "not read: fill in"),
    "scan_unread": ("Tidak terbaca (isi sendiri)", "Not read (fill in)"),
    "scan_read_from": ("Dibaca dari", "Read from"),
    "scan_submit": ("Daftarkan surat ini", "Register this letter"),
    "scan_own_opd": ("OPD Anda", "your department"),
    "scan_preview": ("Pindaian", "The scan"),
    "scan_other_opd": (
        "Surat ini menyebut {opd}; surat Anda didaftarkan atas nama OPD Anda.",
        "The letter names {opd}; yours is registered under your own department.",
    ),
}


@dataclass(frozen=True)
class Row:
    name: str
    label: str
    kind: str
    value: str
    confidence: float | None  # None: not read
    readonly: bool = False

    @property
    def unread(self) -> bool:
        return self.confidence is None

    @property
    def check(self) -> bool:
        return not self.readonly and self.confidence is not None and self.confidence < REVIEW_BELOW

    @property
    def percent(self) -> str:
        return "" if self.confidence is None else f"{self.confidence * 100:.0f}%"


def _shown(value: object) -> str:
    return "" if value is None else str(value)


def rows(
    proposal: dict[str, Any], values: dict[str, str] | None = None, own_opd: str | None = None
) -> list[Row]:
    """The form's rows from a proposal's JSON (:meth:`Proposal.as_json`); ``values`` (what the
    person sent back) win over the proposal; a department's ``own_opd`` is fixed.

    >>> p = {"fields": {"hosts": {"value": 20, "confidence": 0.93}, "opd": {"value": None}}}
    >>> [(r.name, r.value, r.percent, r.check, r.unread) for r in rows(p)][5:7]
    [('bandwidth_mbps', '', '', False, True), ('hosts', '20', '93%', False, False)]
    >>> [(r.value, r.readonly) for r in rows(p, own_opd="Dinas Pendidikan") if r.name == "opd"]
    [('Dinas Pendidikan', True)]
    """
    raw = proposal.get("fields")
    fields: dict[str, Any] = raw if isinstance(raw, dict) else {}
    out = []
    for name, label, kind in LETTER_FORM:
        got = fields.get(name)
        f: dict[str, Any] = got if isinstance(got, dict) else {}
        value, conf = f.get("value"), f.get("confidence")
        sure = float(conf) if value not in (None, "") and isinstance(conf, int | float) else None
        shown = values[name] if values is not None and name in values else _shown(value)
        fixed = own_opd is not None and name == "opd"
        out.append(Row(name, label, kind, own_opd if fixed and own_opd else shown, sure, fixed))
    return out


def named_opd(proposal: dict[str, Any]) -> str | None:
    """The department the scan names, if it was read."""
    fields = proposal.get("fields")
    f = fields.get("opd") if isinstance(fields, dict) else None
    value = f.get("value") if isinstance(f, dict) else None
    return value if isinstance(value, str) and value else None
