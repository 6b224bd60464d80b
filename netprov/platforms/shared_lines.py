"""Which lines of a device other live links need: a decommission never takes those off (pure).

A device (a distribution router, the core, a CPE with two departments' links) often carries
several links. A decommission of link ``L`` takes off ``L``'s own lines
(:func:`netprov.platforms.config_undo.without_link`): what ``L``'s push added and what ``L``
intends now. A line ``L`` added can also be one another live link ``M`` needs: ``M`` was built
after ``L`` and its config has the same line (a shared block's line, a common setting), so
``M``'s push found it there and added nothing. Such a line stays, and the decommission records
it as *kept* for ``M``; when the last link that needs it goes, its decommission takes it off
(the kept lines of earlier decommissions count as its own, unless a live link still needs them).

What ``M`` needs on the device: every line of the config its run pushed (a merged fragment is
exactly its lines), plus every line its push added. For a whole config (``replace``, e.g. the
provider's BIRD, which lists every link's prefix) only what ``M``'s push added: the text it
pushed also holds ``L``'s lines, which must go.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from netprov.platforms.config_undo import Path, parse


@dataclass(frozen=True)
class OtherLink:
    """Another live link's run on one device: the config it pushed, the device before and after."""

    request_id: str
    pushed: str
    before: str
    after: str


def paths(text: str, comments: Sequence[str] = ("!",)) -> set[Path]:
    """The content lines of ``text`` by path (openers + the line)."""
    return {ln.path for ln in parse(text, comments) if not ln.structural}


def needed_by(other: OtherLink, mode: str, comments: Sequence[str] = ("!",)) -> set[Path]:
    """The lines ``other`` needs on the device (see the module docstring).

    >>> ospf = "router ospf\\n network A area 0\\n"
    >>> pushed = "interface eth4\\n ip address C\\nrouter ospf\\n network C area 0\\n"
    >>> o = OtherLink("M", pushed, ospf, ospf + " network C area 0\\n")
    >>> sorted(needed_by(o, "merge"))[-1], sorted(needed_by(o, "replace"))
    (('router ospf', 'network C area 0'), [('router ospf', 'network C area 0')])
    """
    own = paths(other.after, comments) - paths(other.before, comments)
    if mode == "merge":
        own |= paths(other.pushed, comments)
    return own


def needed_by_others(others: Iterable[OtherLink], mode: str, comments: Sequence[str] = ("!",)) -> set[Path]:
    """Every line some other live link needs on the device."""
    out: set[Path] = set()
    for other in others:
        out |= needed_by(other, mode, comments)
    return out


def kept_lines(
    candidates: set[Path], needed: set[Path], current: str, comments: Sequence[str] = ("!",)
) -> list[Path]:
    """The link's lines on the device that stay because another link needs them (sorted)."""
    return sorted(candidates & needed & paths(current, comments))
