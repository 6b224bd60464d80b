"""Fuzzy matching of names known in NetBox (departments, sites) against OCR words (pure)."""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable

from netprov.scan.words import Text

_PUNCT = re.compile(r"[^\w]+")


@dataclasses.dataclass(frozen=True)
class NameMatch:
    name: str
    ratio: float
    first: int  # index of the first matching word in the Text
    last: int  # index after the last one


def _norm(s: str) -> str:
    return _PUNCT.sub(" ", s.casefold()).strip()


def best_name(
    text: Text, names: Iterable[str], cutoff: float = 0.84, stop: int | None = None
) -> NameMatch | None:
    """The known name that appears best in ``text`` (runs of as many words as the name has).

    Ties go to the earlier place (the letterhead, before the body).
    """
    tokens = [_norm(w.text) for w in text.words[:stop]]
    best: NameMatch | None = None
    for name in names:
        want = _norm(name)
        n = len(want.split())
        if not want:
            continue
        for size in {n, n + 1} - {0}:
            for i in range(len(tokens) - size + 1):
                got = " ".join(t for t in tokens[i : i + size] if t)
                if abs(len(got) - len(want)) > max(4, len(want) // 3):
                    continue
                ratio = difflib.SequenceMatcher(None, got, want).ratio()
                if ratio >= cutoff and (best is None or ratio > best.ratio + 1e-9):
                    best = NameMatch(name, ratio, i, i + size)
    return best
