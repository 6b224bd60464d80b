"""Proposed letter fields from OCR words (pure): each a value, a confidence, a page and a box.

Every rule reads the text the words make (lines joined by newlines), finds a label
("Nomor", "Perihal", "Alamat") or a phrase of the body ("beralamat di", "menghubungi") and maps
the value's characters back to the words, so a field knows where it was read and how sure
the reader was. What no rule finds stays empty (``value`` None) and is named by
:func:`unread`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Collection, Sequence

from netprov.scan import idtext
from netprov.scan.match import best_name
from netprov.scan.words import Box, Text, Word, build_text, union

Value = str | int | dt.date | None

#: The fields proposed, named as in the letter YAML.
FIELDS = (
    "letter.number", "letter.date", "letter.subject", "opd", "service", "bandwidth_mbps", "hosts",
    "purpose", "site.name", "site.address", "contact.name", "contact.phone", "contact.email",
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    value: Value = None
    confidence: float = 0.0
    page: int | None = None
    box: Box | None = None


@dataclasses.dataclass(frozen=True)
class Known:
    """What the register knows: department (tenant) and site names, services."""

    opds: Collection[str] = ()
    sites: Collection[str] = ()
    services: Collection[str] = dataclasses.field(default_factory=lambda: _playbook_services())


def _playbook_services() -> frozenset[str]:
    from netprov.domain.services import known_services

    return known_services()


def _at(name: str, value: Value, words: Sequence[Word], factor: float = 1.0) -> Field:
    if not words or value in (None, ""):
        return Field(name)
    conf = sum(w.conf for w in words) / len(words) / 100 * factor
    page = words[0].page
    return Field(name, value, round(min(conf, 1.0), 2), page, union([w.box for w in words if w.page == page]))


def _span(t: Text, m: re.Match[str], name: str, value: Value, group: int = 1, factor: float = 1.0) -> Field:
    return _at(name, value, t.covered(m.start(group), m.end(group)), factor)


def _first(t: Text, patterns: Sequence[str], flags: int = 0, start: int = 0) -> re.Match[str] | None:
    for p in patterns:
        m = re.compile(p, flags | re.MULTILINE).search(t.text, start)
        if m:
            return m
    return None


def label(names: str, value: str) -> str:
    """A "Label : value" line; OCR reads the colon as ``;``, ``|``, ``!`` or ``1``, or drops it."""
    return rf"^\W*(?:{names})\b[ \t]*(?:[:;|!]|1(?=\s))?[ \t]*({value})"


def _clean(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip(" :;,.-—–_|")


_LETTER_DATE = (r"(?:Batam|Tanggal|Tgl)\W{0,3}\s*", r"")


def letter_date(t: Text) -> Field:
    dates = idtext.find_dates(t.text)
    for prefix in _LETTER_DATE:
        for d, a, b in dates:
            if not prefix or re.search(prefix + r"$", t.text[max(0, a - 15) : a]):
                return _at("letter.date", d, t.covered(a, b), 1.0 if prefix else 0.8)
    return Field("letter.date")


def number(t: Text, month: int | None) -> Field:
    m = _first(t, [r"\b(?:N[o0]m[o0]r|Nornor|N[o0]\.)\s*[:;.]?\s*([0-9OIl][\w./\-|!]{4,})"])
    if not m:
        return Field("letter.number")
    value, factor = idtext.fix_number(m.group(1), month)
    return _span(t, m, "letter.number", value, factor=factor)


def subject(t: Text) -> Field:
    m = _first(t, [label("Perihal|Perihai|Hal", r"[^\n]{4,}")])
    return _span(t, m, "letter.subject", _clean(m.group(1))) if m else Field("letter.subject")


def service(t: Text, services: Collection[str], subject_field: Field) -> Field:
    words = [w for w in t.words if w.text.strip(".,:;()").casefold() in services]
    if not words:
        return Field("service")
    if isinstance(subject_field.value, str):
        in_subject = [w for w in words if w.page == subject_field.page and _inside(w.box, subject_field.box)]
        if in_subject:
            return _at("service", in_subject[0].text.strip(".,:;()").casefold(), in_subject[:1])
    counts = {s: sum(1 for w in words if w.text.strip(".,:;()").casefold() == s) for s in services}
    top = max(counts, key=lambda s: counts[s])
    return _at("service", top, [w for w in words if w.text.strip(".,:;()").casefold() == top][:1], 0.8)


def _inside(box: Box, outer: Box | None) -> bool:
    return outer is not None and outer[1] - 2 <= box[1] and box[3] <= outer[3] + 2


def amount(t: Text, unit: str, name: str, scale: dict[str, int] | None = None) -> Field:
    """A number just before ``unit`` (a regex), in digits ("50 Mbps") or in words ("lima puluh megabit")."""
    for m in re.finditer(rf"(?i)(?<!\w)({unit})", t.text):
        before = t.text[max(0, m.start() - 80) : m.start()]
        mult = next((v for k, v in (scale or {}).items() if m.group(1).casefold().startswith(k)), 1)
        d = re.search(r"(\d+)\s*(?:\([^)]{0,40}\)\s*)?$", before)
        if d:
            a = m.start() - len(before) + d.start(1)
            return _at(name, int(d.group(1)) * mult, t.covered(a, a + len(d.group(1))))
        tokens = list(re.finditer(r"\S+", before))
        taken: list[str] = []
        for tok in reversed(tokens):
            w = idtext.number_word(tok.group(0))
            if w is None:
                break
            taken.insert(0, w)
        value = idtext.words_value(taken)
        if value:
            a = m.start() - len(before) + tokens[len(tokens) - len(taken)].start()
            return _at(name, value * mult, t.covered(a, m.start()), 0.9)
    return Field(name)


def bandwidth(t: Text) -> Field:
    unit = r"Mbps|Mb/s|Mbit|mega\w*|Gbps|giga\w*"
    return amount(t, unit, "bandwidth_mbps", {"g": 1000})


def hosts(t: Text) -> Field:
    m = _first(t, [label(r"(?i:Jumlah\s+(?:host|perangkat|komputer|klien)\w*)", r"\d+")])
    if m:
        return _span(t, m, "hosts", int(m.group(1)))
    return amount(t, r"host|titik|perangkat|komputer|klien|pengguna", "hosts")


def named(t: Text, name: str, names: Collection[str], fallbacks: Sequence[str], head: bool = False) -> Field:
    """A name known to the register (fuzzy), else what a label or phrase says (less sure).

    ``head``: look in the letterhead first (the words before "Nomor"; the addressee, another
    department, comes after it).
    """
    hit = None
    if names and head:
        m = re.search(r"\bN[o0]m[o0]r\b", t.text)
        if m:
            hit = best_name(t, names, stop=len(t.covered(0, m.start())))
    if names and hit is None:
        hit = best_name(t, names)
    if hit is not None:
        return _at(name, hit.name, t.words[hit.first : hit.last], hit.ratio)
    m = _first(t, fallbacks)
    if m is None:
        return Field(name)
    value = _clean(m.group(1))
    return _span(t, m, name, value.title() if value.isupper() else value, factor=0.6)


_OPD_FALLBACK = (r"PEMERINTAH\s+KOTA\s+\w+\s*\n([^\n]{4,60})\n",)
_SITE_FALLBACK = (
    label("Lokasi|Tempat", r"[^\n,]{4,80}"),
    r"\bdi\s+((?:UPT|Kantor|Puskesmas|Sekolah|Gedung|Balai|Rumah)\b[^\n,.]*?)(?=\s+yang\b|,|\.|\n)",
)


_ADDRESS = (
    label("Alamat", r"[^\n]{4,120}"),
    r"beralamat\s+di\s+(J\S*\s.{2,80}?No\.?\s*\d+[A-Za-z]?)",
)


def address(t: Text) -> Field:
    m = _first(t, _ADDRESS)
    if not m:
        return Field("site.address")
    value = re.sub(r"^J[Il1|L!]?\.?\s*", "Jl. ", _clean(m.group(1)))
    value = re.sub(r"\bN[o0]\s*\.?\s*(\d)", r"No. \1", value)
    return _span(t, m, "site.address", value)


_CONTACT = r"(?:menghubungi|Narahubung|Kontak|Contact\s+person|PIC)\b[^\n:]{0,12}?[:;]?\s*"
_TITLE = r"(?:(?:Sdr|Sdri|Bapak|Bpk|Ibu)\.?\s+)?"
_NAME = r"([A-Z][a-zA-Z']+(?:[ ][A-Z][a-zA-Z']+){0,3})"


def contact(t: Text) -> tuple[Field, int]:
    m = _first(t, [_CONTACT + _TITLE + _NAME])
    if not m:
        return Field("contact.name"), len(t.text) // 2
    return _span(t, m, "contact.name", m.group(1).strip()), m.start()


_PHONE = re.compile(
    r"(?i)\b(?:telepon|telp|tel|HP|WA|ponsel)\b\.?[^\d+“\"]{0,12}?(?:[:;|!1][ \t]+)?"
    r"((?-i:[+“\"t#*])?[\dOoIlGb|]{1,4}[\d \n\-().OoIl]{6,20}\d)"
)


def phone(t: Text, start: int) -> Field:
    m = _PHONE.search(t.text, start)
    if not m:
        return Field("contact.phone")
    raw = m.group(1)
    raw = "+" + raw[1:] if raw[0] in '“"t#*' else raw
    raw = idtext.fix_digits(raw).replace("(", "").replace(")", "")
    raw = re.sub(r"^[1lI|:;]\s+(?=[+0-9])", "", re.sub(r"\s+", " ", raw).strip())
    digits = re.sub(r"\D", "", raw)
    factor = 1.0
    if digits.startswith("62") and not raw.startswith("+"):
        raw, factor = "+" + raw, 0.8
    elif digits.startswith("462") or digits.startswith("862"):
        raw, factor = "+" + raw[1:], 0.7
    return _span(t, m, "contact.phone", raw, factor=factor)


def email(t: Text, start: int) -> Field:
    pat = r"([\w.+-]+)\s?[@©®]\s?([\w-]+(?:\.[\w-]+)+)"
    found = list(re.finditer(pat, t.text))
    m = next((x for x in found if x.start() >= start), found[-1] if found else None)
    if not m:
        return Field("contact.email")
    domain = re.sub(r"\s", "", m.group(2))
    value = f"{m.group(1)}@{domain}".casefold().rstrip(".")
    return _at("contact.email", value, t.covered(m.start(), m.end()))


def purpose(t: Text) -> Field:
    m = _first(
        t,
        [
            label("Keperluan|Tujuan", r"[^\n]{4,200}"),
            r"digunakan\s+untuk\s+(.{4,200}?)\.(?:\s|$)",
        ],
        re.DOTALL,
    )
    if not m:
        return Field("purpose")
    value = _clean(m.group(1))
    return _span(t, m, "purpose", value[:1].upper() + value[1:])


def extract(words: Sequence[Word], known: Known | None = None) -> dict[str, Field]:
    """Every field of :data:`FIELDS` proposed from ``words`` (unread ones empty)."""
    known = known or Known()
    t = build_text(words)
    date = letter_date(t)
    month = date.value.month if isinstance(date.value, dt.date) else None
    subj = subject(t)
    who, where = contact(t)
    found = [
        number(t, month), date, subj,
        named(t, "opd", known.opds, _OPD_FALLBACK, head=True), service(t, known.services, subj),
        bandwidth(t), hosts(t), purpose(t),
        named(t, "site.name", known.sites, _SITE_FALLBACK), address(t),
        who, phone(t, where), email(t, where),
    ]  # fmt: skip
    return {f.name: f for f in found}


def unread(fields: dict[str, Field]) -> list[str]:
    """The fields nothing was read for, in :data:`FIELDS` order."""
    return [n for n in FIELDS if fields.get(n, Field(n)).value in (None, "")]
