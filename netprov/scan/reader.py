"""Read a scanned letter into a :class:`Proposal`: file checks, words, fields, bad-scan refusals."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Protocol

from netprov.errors import InputError
from netprov.inputs import source_name
from netprov.scan.fields import Known, extract
from netprov.scan.ocr import Ocr
from netprov.scan.pages import check_scan, read_words
from netprov.scan.proposal import Proposal
from netprov.scan.words import Word

#: Fewer words than this on the pages read: nothing a letter could be.
MIN_WORDS = 12
#: Mean word confidence (0-100) below which the pages are called unreadable.
MIN_MEAN_CONF = 45.0
#: Of these, at least two must be read for the page to count as a request letter.
_LETTER_MARKS = ("letter.number", "letter.date", "letter.subject", "contact.name", "site.address")


class Directory(Protocol):
    """Names the register knows (the NetBox adapter: tenants and sites)."""

    def tenant_names(self) -> list[str]: ...

    def site_names(self) -> list[str]: ...


def _refuse(path: Path, problem: str) -> InputError:
    return InputError([problem], source=source_name("scan", path))


def check_readable(path: Path, words: list[Word]) -> None:
    """Refuse pages with (almost) no text or text read with little confidence."""
    if len(words) < MIN_WORDS:
        raise _refuse(path, f"has no readable text ({len(words)} words): blank, or not a letter")
    mean = sum(w.conf for w in words) / len(words)
    if mean < MIN_MEAN_CONF:
        raise _refuse(path, f"is unreadable (mean OCR confidence {mean:.0f}%): scan it again, sharper")


def read_letter(path: Path, ocr: Ocr, known: Known = Known()) -> Proposal:
    """The fields proposed from the scan at ``path``; InputError (one sentence) for a bad scan."""
    t0 = time.monotonic()
    scan = check_scan(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    words = read_words(scan, ocr)
    check_readable(path, words)
    fields = extract(words, known)
    marks = [n for n in _LETTER_MARKS if fields[n].value not in (None, "")]
    if len(marks) < 2:
        raise _refuse(path, "does not look like a request letter (no Nomor, Perihal, date or contact found)")
    notes = []
    if not known.opds:
        notes.append("department and site not matched against NetBox (not configured or not reachable)")
    return Proposal(
        source=str(path),
        sha256=digest,
        pages=scan.pages,
        words=len(words),
        seconds=time.monotonic() - t0,
        fields=fields,
        notes=tuple(notes),
    )
