"""OCR words with their boxes, and the text built from them (pure)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

#: (left, top, right, bottom) in pixels of the page image.
Box = tuple[int, int, int, int]


@dataclasses.dataclass(frozen=True)
class Word:
    """One word as read: its text, how sure the reader was (0-100), page, line and box."""

    text: str
    conf: float
    page: int
    line: int
    box: Box


@dataclasses.dataclass(frozen=True)
class Text:
    """The words as one string: words joined by spaces, lines by newlines, with each word's span."""

    text: str
    spans: tuple[tuple[int, int], ...]
    words: tuple[Word, ...]

    def covered(self, start: int, end: int) -> list[Word]:
        """The words that overlap the characters ``start:end``."""
        return [w for (a, b), w in zip(self.spans, self.words, strict=True) if a < end and b > start]


def build_text(words: Sequence[Word]) -> Text:
    """Join ``words`` (in reading order) into a :class:`Text`.

    >>> t = build_text([Word("Nomor", 90, 1, 0, (0, 0, 5, 5)), Word(":", 90, 1, 0, (6, 0, 7, 5)),
    ...                 Word("Perihal", 80, 1, 1, (0, 9, 5, 14))])
    >>> t.text
    'Nomor :\\nPerihal'
    """
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    prev: tuple[int, int] | None = None
    for w in words:
        if prev is not None:
            parts.append("\n" if (w.page, w.line) != prev else " ")
            pos += 1
        spans.append((pos, pos + len(w.text)))
        parts.append(w.text)
        pos += len(w.text)
        prev = (w.page, w.line)
    return Text("".join(parts), tuple(spans), tuple(words))


def union(boxes: Sequence[Box]) -> Box:
    """The smallest box holding every box in ``boxes``."""
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def parse_tsv(tsv: str, page: int) -> list[Word]:
    """Words (level 5 rows with text) of Tesseract's TSV output for one page, in reading order."""
    words: list[Word] = []
    lines: dict[tuple[str, str, str], int] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        if not text:
            continue
        key = (cols[2], cols[3], cols[4])
        line = lines.setdefault(key, len(lines))
        left, top, width, height = (int(c) for c in cols[6:10])
        conf = max(0.0, float(cols[10]))
        words.append(Word(text, conf, page, line, (left, top, left + width, top + height)))
    return words


_WORD_RE = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
_PAGE_RE = re.compile(r"<page\b")


def parse_bbox_html(html: str, scale: float) -> list[Word]:
    """Words of ``pdftotext -bbox`` output (a born-digital PDF's text layer), boxes in pixels.

    Lines are words whose tops are within a few points of each other, on the same page.
    """
    import html as html_mod

    words: list[Word] = []
    for page_no, chunk in enumerate(_PAGE_RE.split(html)[1:], start=1):
        found = []
        for m in _WORD_RE.finditer(chunk):
            text = html_mod.unescape(m.group(5)).strip()
            if text:
                x0, y0, x1, y1 = (float(g) for g in m.groups()[:4])
                box = (round(x0 * scale), round(y0 * scale), round(x1 * scale), round(y1 * scale))
                found.append((y1, x0, text, box))
        found.sort()
        rows: list[list[tuple[float, str, Box]]] = []
        last = -100.0
        for y1, x0, text, box in found:
            if y1 - last > 3:
                rows.append([])
            last = y1
            rows[-1].append((x0, text, box))
        for line, row in enumerate(rows):
            words.extend(Word(text, 100.0, page_no, line, box) for _, text, box in sorted(row))
    return words
