"""Intended config against running config, line by line: pure text logic (drift).

A line is known by its path (:func:`netprov.platforms.config_undo.parse`): the lines that open
the blocks it sits in and its own text; separators, block ends and comments never count.

* **missing**: a content line of the intended config whose path the running config lacks.
* **extra**: a content line of the running config that the intended config does not have,
  reported only where it is safe to call it the link's: for a ``replace`` config (the whole
  file is intended) anywhere; for a ``merge`` fragment only inside the link's *own sections*
  (:func:`owned_sections`: blocks of the fragment that held nothing before the link's run
  pushed it), and never a line the device itself showed right after that push (``known``).

Both sides should first be brought to the platform's display form
(:meth:`netprov.platforms.base.Platform.comparable`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from netprov.platforms.config_undo import parse

Path = tuple[str, ...]


@dataclass(frozen=True)
class LineDrift:
    """One drifted line: the blocks around it (``section``) and its own text."""

    path: Path

    @property
    def line(self) -> str:
        return self.path[-1]

    @property
    def section(self) -> Path:
        return self.path[:-1]

    def display(self) -> str:
        """``interface eth4 > ip address 10.0.0.1/30`` (the section, then the line)."""
        return " > ".join(self.path)

    def to_json(self) -> dict[str, Any]:
        return {"section": list(self.section), "line": self.line}


@dataclass(frozen=True)
class Comparison:
    """What one device's running config lacks of, and has beyond, its intended config."""

    missing: list[LineDrift] = field(default_factory=list)
    extra: list[LineDrift] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return bool(self.missing or self.extra)


def content_paths(text: str, comments: Sequence[str] = ("!",)) -> list[Path]:
    """The paths of the content lines of ``text``, in order, without repeats.

    >>> content_paths("! c\\ninterface e1\\n ip address A\\nexit\\n")
    [('interface e1',), ('interface e1', 'ip address A')]
    """
    seen: dict[Path, None] = {}
    for ln in parse(text, comments):
        if not ln.structural:
            seen.setdefault(ln.path, None)
    return list(seen)


def owned_sections(intended: str, before: str | None, comments: Sequence[str] = ("!",)) -> set[Path]:
    """The top-level blocks of ``intended`` that are the link's own: each opens a block with
    content in ``intended``, and held no content line in ``before`` (the device's config
    before the link's run). ``before`` unknown: none (extra lines are then not reported).

    >>> frag = "interface e4\\n ip address A\\nexit\\nrouter ospf\\n network N area 0\\nexit\\n"
    >>> sorted(owned_sections(frag, "interface e4\\nexit\\nrouter ospf\\n network B area 0\\n"))
    [('interface e4',)]
    """
    if before is None:
        return set()
    wanted = content_paths(intended, comments)
    openers = {p[:1] for p in wanted if len(p) > 1}
    had = {p[:1] for p in content_paths(before, comments) if len(p) > 1}
    return openers - had


def compare(
    intended: str,
    running: str,
    mode: str,
    *,
    comments: Sequence[str] = ("!",),
    owned: Collection[Path] = (),
    known: Collection[Path] = (),
) -> Comparison:
    """Missing and extra lines of one device (see the module docstring).

    Args:
        intended: the config the link wants on the device (rendered now).
        running: what the device runs.
        mode: ``merge`` (a fragment) or ``replace`` (the whole config).
        owned: for a merge, the link's own sections (:func:`owned_sections`).
        known: paths the device showed right after the link's push (its own additions), never
            reported as extra in a merge.

    >>> c = compare("interface e4\\n ip address A\\n bandwidth 50\\nexit\\n",
    ...             "interface e4\\n ip address A\\n bandwidth 10\\nexit\\n", "merge",
    ...             owned={("interface e4",)})
    >>> [m.display() for m in c.missing], [e.display() for e in c.extra]
    (['interface e4 > bandwidth 50'], ['interface e4 > bandwidth 10'])
    """
    want = content_paths(intended, comments)
    have = content_paths(running, comments)
    have_set, want_set = set(have), set(want)
    missing = [LineDrift(p) for p in want if p not in have_set]
    if mode == "replace":
        extra = [LineDrift(p) for p in have if p not in want_set]
    else:
        mine = set(owned)
        skip = set(known)
        extra = [
            LineDrift(p) for p in have if len(p) > 1 and p[:1] in mine and p not in want_set and p not in skip
        ]
    return Comparison(missing, extra)
