"""Wording for official papers: sentences, Indonesian labels for pipeline records, diffs as
lists of added and removed lines. Pure.

The pipeline records its checks in English (``ping dist1 → 10.0.0.1``); an Indonesian paper
shows them in Indonesian, and a device's configuration diff goes to an attachment as the lines
added and removed, without frr-reload's English section headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CHECK_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^ping (\S+) from (\S+) → (\S+)$"), r"Uji ping dari \1 (sumber \2) ke \3"),
    (re.compile(r"^ping (\S+) → (\S+)$"), r"Uji ping dari \1 ke \2"),
    (re.compile(r"^(\S+) (\S+) has (\S+)$"), r"Alamat \3 terpasang pada \1 \2"),
    (re.compile(r"^(\S+) has route (\S+) \((\S+)\)$"), r"Rute \2 (\3) tersedia di \1"),
    (re.compile(r"^(\S+) learned (\S+) by BGP$"), r"\1 menerima prefiks \2 melalui BGP"),
)
_DETAIL_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\breplies\b"), "balasan"),
    (re.compile(r"\bno route\b"), "tidak ada rute"),
    (re.compile(r"\bno address\b"), "tidak ada alamat"),
    (re.compile(r"\bvia\b"), "melalui"),
    (re.compile(r"^ok$", re.IGNORECASE), "berhasil"),
)
STATUS_WORDS = {
    "ok": "berhasil",
    "up": "aktif (up)",
    "down": "tidak aktif (down)",
    "registered": "terdaftar",
    "no data": "belum ada data",
    "failed": "gagal",
}
BACKEND_NAMES = {"zabbix": "Zabbix", "prometheus": "Prometheus"}
_FRR_HEADINGS = ("lines to delete", "lines to add")


def kalimat(text: str) -> str:
    """``text`` as one sentence: first letter a capital, ending with a full stop.

    >>> kalimat("prefiks tidak tersedia")
    'Prefiks tidak tersedia.'
    >>> kalimat("  Sisa kapasitas 100 Mbps;  ")
    'Sisa kapasitas 100 Mbps.'
    >>> kalimat("Selesai!")
    'Selesai!'
    >>> kalimat("")
    ''
    """
    text = " ".join(text.split()).rstrip(";:,")
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def reason_sentences(reasons: list[str]) -> list[str]:
    """Each reason a sentence; a staff reason that joins several (``a: b; c``) is split so no
    sentence ends in ":" before a lower-case one, a lead-in about the request itself
    ("Permohonan belum dapat dipenuhi: ...", said by the letter already) is left out, and
    repeats are dropped.

    >>> reason_sentences(["Permohonan belum dapat dipenuhi: pool X tidak punya /23 bebas; sisa 100 Mbps",
    ...                   "pool X tidak punya /23 bebas"])
    ['Pool X tidak punya /23 bebas.', 'Sisa 100 Mbps.']
    """
    out: list[str] = []
    for reason in reasons:
        head, sep, rest = reason.partition(": ")
        lead_in = sep and rest.strip() and head.strip().lower().startswith("permohonan")
        parts = rest.split(";") if lead_in else reason.split(";")
        for part in parts:
            s = kalimat(part)
            if s and s.lower() not in {o.lower() for o in out}:
                out.append(s)
    return out


def check_label_id(label: str) -> str:
    """A pipeline check label in Indonesian (unknown forms are kept as they are).

    >>> check_label_id("ping core-dc1 from lo → 10.100.0.1")
    'Uji ping dari core-dc1 (sumber lo) ke 10.100.0.1'
    >>> check_label_id("dist1 has route 10.100.0.0/27 (static)")
    'Rute 10.100.0.0/27 (static) tersedia di dist1'
    """
    for pattern, repl in _CHECK_PATTERNS:
        if pattern.match(label):
            return pattern.sub(repl, label)
    return label


def detail_id(detail: str) -> str:
    """A check's detail with its English words in Indonesian.

    >>> detail_id("5/5 replies, rtt 0.12 ms")
    '5/5 balasan, rtt 0.12 ms'
    """
    for pattern, repl in _DETAIL_WORDS:
        detail = pattern.sub(repl, detail)
    return detail


def status_id(status: str) -> str:
    """A monitoring status in Indonesian: ``up`` → ``aktif (up)``."""
    return STATUS_WORDS.get(status.strip().lower(), status)


@dataclass(frozen=True)
class DiffSummary:
    """One device's configuration change, as lines added and removed."""

    added: list[str]
    removed: list[str]

    @property
    def empty(self) -> bool:
        return not self.added and not self.removed


def summarize_diff(text: str) -> DiffSummary:
    """Lines added and removed in a unified diff or frr-reload's "Lines To Delete/Add" output;
    headings, hunk markers and context lines are left out.

    >>> frr = "Lines To Delete\\n===\\nno ip route 1.0.0.0/8 x\\nLines To Add\\n===\\nip route 2.0.0.0/8 y"
    >>> summarize_diff(frr)
    DiffSummary(added=['ip route 2.0.0.0/8 y'], removed=['no ip route 1.0.0.0/8 x'])
    >>> summarize_diff("--- a\\n+++ b\\n@@ -1 +1 @@\\n-old\\n+new\\n same\\n")
    DiffSummary(added=['new'], removed=['old'])
    """
    added: list[str] = []
    removed: list[str] = []
    section: list[str] | None = None
    for line in text.splitlines():
        low = line.strip().lower()
        if low in _FRR_HEADINGS:
            section = removed if low.endswith("delete") else added
        elif not low or set(low) == {"="} or line.startswith(("+++", "---", "@@")):
            continue
        elif line.startswith("+"):
            added.append(line[1:])
        elif line.startswith("-"):
            removed.append(line[1:])
        elif section is not None:
            section.append(line)
    return DiffSummary(added=added, removed=removed)
