"""Read a scanned letter into a :class:`Proposal`: file checks, words, fields, bad-scan refusals."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import tempfile
import time
from pathlib import Path
from typing import Protocol

from netprov.errors import InputError
from netprov.inputs import source_name
from netprov.scan.fields import Field, Known, extract, phone
from netprov.scan.ocr import Ocr
from netprov.scan.pages import check_scan, crop_line, read_words
from netprov.scan.proposal import Proposal
from netprov.scan.words import Word, build_text

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


def reread_phone(f: Field, images: dict[int, Path], ocr: Ocr, work: Path) -> Field:
    """The phone number read again from its line alone (page segmentation reads digits of a
    long line less well: 8368 as 3368); kept when it has as many digits as the first reading
    and Tesseract is surer of it."""
    if not isinstance(f.value, str) or f.page not in images or f.box is None:
        return f
    line = ocr.read(crop_line(images[f.page], f.box, work / "phone.png"), f.page, line=True)
    label = Word("Telepon", 100.0, f.page, 0, f.box)
    again = phone(build_text([label, *(dataclasses.replace(w, line=0) for w in line)]), 0).value
    digits = [re.sub(r"\D", "", str(v)) for v in (f.value, again)]
    sure = sum(w.conf for w in line) / len(line) / 100 if line else 0.0
    if again is None or len(digits[0]) != len(digits[1]) or sure <= f.confidence:
        return f
    return dataclasses.replace(f, value=again)


def read_letter(path: Path, ocr: Ocr, known: Known | None = None) -> Proposal:
    """The fields proposed from the scan at ``path``; InputError (one sentence) for a bad scan."""
    t0 = time.monotonic()
    known = known or Known()
    scan = check_scan(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with tempfile.TemporaryDirectory(prefix="netprov-scan-") as tmp:
        words, images = read_words(scan, ocr, Path(tmp))
        check_readable(path, words)
        fields = extract(words, known)
        fields["contact.phone"] = reread_phone(fields["contact.phone"], images, ocr, Path(tmp))
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
