"""The letter YAML proposed from a scan, for a person to check (pure).

The body is exactly the format ``netprov request submit`` takes (``netprov.domain.letters``);
a comment header names the scan, each field's confidence and place, and the fields not read
(left empty, so ``submit`` refuses them until a person fills them in).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from netprov.scan.fields import FIELDS, Field, unread

#: Below this confidence a field is marked "CHECK" in the header.
REVIEW_BELOW = 0.75


@dataclasses.dataclass(frozen=True)
class Proposal:
    source: str
    sha256: str
    pages: int
    words: int
    seconds: float
    fields: dict[str, Field]
    notes: tuple[str, ...] = ()

    @property
    def unread(self) -> list[str]:
        return unread(self.fields)

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "sha256": self.sha256,
            "pages": self.pages,
            "unread": self.unread,
            "fields": {
                n: {
                    "value": _plain(f.value),
                    "confidence": f.confidence,
                    "page": f.page,
                    "box": list(f.box) if f.box else None,
                }
                for n, f in self.fields.items()
            },
            "notes": list(self.notes),
        }


def _plain(v: object) -> object:
    return v.isoformat() if isinstance(v, dt.date) else v


def _q(v: object) -> str:
    """A YAML scalar: dates bare (YAML dates), numbers bare, text double-quoted (JSON is YAML)."""
    if v is None or v == "":
        return '""' if v == "" else "null"
    if isinstance(v, dt.date) or (isinstance(v, int) and not isinstance(v, bool)):
        return str(_plain(v))
    return json.dumps(str(v), ensure_ascii=False)


def _header(p: Proposal) -> list[str]:
    lines = [
        f"# Proposed by `netprov request scan` from {p.source}",
        f"# (sha256 {p.sha256}, {p.pages} page(s), {p.words} words read, {p.seconds:.1f} s).",
        "# Check every value against the letter, correct it, then:",
        "#   netprov request submit THIS.yaml --scan THE-SCAN",
        "# field            confidence  page  box (left,top,right,bottom px)",
    ]
    for name in FIELDS:
        f = p.fields[name]
        if f.value in (None, ""):
            lines.append(f"#   {name:16s} NOT READ")
            continue
        mark = "  CHECK" if f.confidence < REVIEW_BELOW else ""
        box = ",".join(str(c) for c in f.box) if f.box else "-"
        lines.append(f"#   {name:16s} {f.confidence:4.2f}        {f.page or '-':<4}  {box}{mark}")
    if p.unread:
        lines.append("# NOT READ (fill in): " + ", ".join(p.unread))
    lines.extend(f"# note: {n}" for n in p.notes)
    return lines


def to_yaml(p: Proposal) -> str:
    """The proposal as letter YAML (the format of ``tests/data/letter-intranet.yaml``)."""

    def v(name: str) -> str:
        return _q(p.fields[name].value if p.fields[name].value is not None else "")

    def n(name: str) -> str:
        return _q(p.fields[name].value)

    body = [
        f"letter: {{number: {v('letter.number')}, date: {v('letter.date')}, subject: {v('letter.subject')}}}",
        f"opd: {v('opd')}",
        f"service: {v('service')}",
        f"bandwidth_mbps: {n('bandwidth_mbps')}",
        f"hosts: {n('hosts')}",
        f"purpose: {v('purpose')}",
        f"site: {{name: {v('site.name')}, address: {v('site.address')}}}",
        f"contact: {{name: {v('contact.name')}, phone: {v('contact.phone')}, email: {v('contact.email')}}}",
    ]
    return "\n".join([*_header(p), *body]) + "\n"
