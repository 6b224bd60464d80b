"""The inverse of one change, applied to a config that has changed since: pure text logic.

A run changed a device from ``snapshot`` to ``after``; another change then took it to
``current``. :func:`without_own_change` gives ``current`` minus the lines the run added plus the
lines it removed, leaving every other line (the other change's) where it is.

A line is known by its *path*: the lines that open the blocks it sits in (by indentation) and
its own text, so ``network 10.250.0.0/30 area 0`` under ``router ospf`` is one line whichever
other ``network`` lines surround it. Separators and block ends (``!``, ``exit``, ``}`` ...) and
comments are structure, not content: they never count as added or removed; a block end goes
with its block. This fits indented configs (FRR/IOS style, BIRD's braces). A value both runs
changed (the same line edited twice) cannot be undone without taking the other's edit too:
the other's stays, and this run's old line is put back beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CLOSERS = frozenset({"exit", "exit-address-family", "exit-vrf", "end", "}", "};", "quit"})


@dataclass(frozen=True)
class Line:
    """One config line: its text, its indentation and its path (block openers + itself)."""

    text: str
    indent: int
    path: tuple[str, ...]
    structural: bool


def _structural(stripped: str, comments: Sequence[str]) -> bool:
    return not stripped or stripped in CLOSERS or stripped.startswith(tuple(comments))


def parse(text: str, comments: Sequence[str] = ("!",)) -> list[Line]:
    """Every line of ``text`` with its path.

    >>> [ln.path for ln in parse("router ospf\\n network A\\nexit\\n") if not ln.structural]
    [('router ospf',), ('router ospf', 'network A')]
    """
    out: list[Line] = []
    stack: list[tuple[int, str]] = []  # (indent, opener) of the blocks around the next line
    for raw in text.splitlines():
        stripped = raw.strip()
        indent = len(raw) - len(raw.lstrip(" \t"))
        structural = _structural(stripped, comments)
        if structural:
            out.append(Line(raw, indent, (stripped,), True))
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = (*(s for _, s in stack), stripped)
        out.append(Line(raw, indent, path, False))
        stack.append((indent, stripped))
    return out


def _content(lines: list[Line]) -> dict[tuple[str, ...], Line]:
    return {ln.path: ln for ln in lines if not ln.structural}


def _drop(current: list[Line], added: set[tuple[str, ...]]) -> list[bool]:
    """Which current lines to keep: not added by the run, or an opener of a kept line."""
    keep = [ln.structural or ln.path not in added for ln in current]
    kept_paths = {ln.path for ln, k in zip(current, keep, strict=True) if k and not ln.structural}
    for i, ln in enumerate(current):
        if not keep[i] and any(p[: len(ln.path)] == ln.path and p != ln.path for p in kept_paths):
            keep[i] = True  # another change still has lines inside this block
    opener_kept: dict[int, bool] = {}
    for i, ln in enumerate(current):  # a block end goes with its block
        if not ln.structural:
            opener_kept[ln.indent] = keep[i]
            for deeper in [d for d in opener_kept if d > ln.indent]:
                del opener_kept[deeper]
        elif ln.path[0] in CLOSERS and opener_kept.get(ln.indent) is False:
            keep[i] = False
            del opener_kept[ln.indent]
    return keep


def _insert_at(lines: list[Line], parent: tuple[str, ...]) -> int:
    """Where a line under ``parent`` goes: after the last line inside that block."""
    at = -1
    for i, ln in enumerate(lines):
        if not ln.structural and ln.path[: len(parent)] == parent:
            at = i
    return at + 1 if at >= 0 else len(lines)


def _end(lines: list[Line]) -> int:
    """Where a top-level line goes: at the end, before a closing ``end``."""
    return len(lines) - 1 if lines and lines[-1].text.strip() == "end" else len(lines)


def without_own_change(snapshot: str, after: str, current: str, comments: Sequence[str] = ("!",)) -> str:
    """``current`` minus what ``snapshot`` → ``after`` added, plus what it removed.

    >>> snap = "interface eth2\\nexit\\nrouter ospf\\n network B area 0\\nexit\\n"
    >>> mine = snap.replace("eth2\\n", "eth2\\n ip address A\\n").replace(
    ...     " network B area 0\\n", " network B area 0\\n network A area 0\\n")
    >>> theirs = mine.replace(" network A area 0\\n", " network A area 0\\n network C area 0\\n")
    >>> print(without_own_change(snap, mine, theirs), end="")
    interface eth2
    exit
    router ospf
     network B area 0
     network C area 0
    exit
    """
    before, mine = _content(parse(snapshot, comments)), _content(parse(after, comments))
    added = set(mine) - set(before)
    removed = [before[p] for p in before if p not in mine]
    return without_lines(current, added, removed, comments)


def without_link(
    before: str, after: str, intended: str, current: str, comments: Sequence[str] = ("!",)
) -> tuple[str, list[tuple[str, ...]]]:
    """``current`` without a link's own lines (a decommission), and the paths taken off.

    The link's lines are those its push added (``before`` → ``after``) and those its intended
    config has now (a later bandwidth change's rate) that were not there ``before``; lines its
    push removed go back. An opener that still holds another link's lines stays.

    >>> before = "interface eth2\\nexit\\nrouter ospf\\n network B area 0\\nexit\\n"
    >>> after = before.replace("eth2\\n", "eth2\\n ip address A\\n bandwidth 50\\n").replace(
    ...     " network B area 0\\n", " network B area 0\\n network A area 0\\n")
    >>> now = after.replace("bandwidth 50", "bandwidth 100")
    >>> intended = "interface eth2\\n ip address A\\n bandwidth 100\\nrouter ospf\\n network A area 0\\n"
    >>> text, gone = without_link(before, after, intended, now)
    >>> text == before, len(gone)
    (True, 3)
    """
    had = set(_content(parse(before, comments)))
    mine = _content(parse(after, comments))
    added = (set(mine) | set(_content(parse(intended, comments)))) - had
    removed = [ln for p, ln in _content(parse(before, comments)).items() if p not in mine]
    present = set(_content(parse(current, comments)))
    return without_lines(current, added, removed, comments), sorted(added & present)


def without_lines(
    current: str, added: set[tuple[str, ...]], removed: list[Line], comments: Sequence[str] = ("!",)
) -> str:
    """``current`` minus the lines at the paths ``added``, plus the ``removed`` lines put back."""
    lines = parse(current, comments)
    keep = _drop(lines, added)
    result = [ln for ln, k in zip(lines, keep, strict=True) if k]
    present = {ln.path for ln in result if not ln.structural}
    for ln in removed:
        if ln.path in present:
            continue
        parent = ln.path[:-1]
        if parent and parent not in present:
            continue  # its block is gone from the device (someone else removed it): leave it
        at = _insert_at(result, parent) if parent else _end(result)
        result.insert(at, ln)
        present.add(ln.path)
    text = "\n".join(ln.text for ln in result)
    return text + "\n" if text else ""
