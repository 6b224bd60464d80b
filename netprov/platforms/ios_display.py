"""Intended IOS lines the way IOS displays them, so a diff after a push is empty.

IOS does not echo what it was told: ``switchport trunk allowed vlan add 100`` shows up as the
merged list ``switchport trunk allowed vlan 1,10,100`` (or not at all while every VLAN is
allowed), and ``no shutdown`` never shows. :func:`as_ios_shows` rewrites an intended config
against the running one so hier_config compares like with like; :func:`canonical_vlan_lists`
brings both sides' VLAN lists to one spelling (sorted, no duplicates, runs of three or more as
``a-b``, as IOS prints them). Pure text functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

ALLOWED = "switchport trunk allowed vlan"
MAX_VLAN = 4094


@dataclass(frozen=True)
class PortView:
    """What the running config shows for one interface.

    Attributes:
        allowed: the trunk's allowed VLANs; ``None`` = every VLAN (no line shown).
        shutdown: ``shutdown`` is shown.
    """

    allowed: tuple[int, ...] | None = None
    shutdown: bool = False


def parse_vlans(text: str) -> list[int]:
    """``1,10-12`` -> ``[1, 10, 11, 12]``.

    >>> parse_vlans("1,10-12,5")
    [1, 10, 11, 12, 5]
    >>> parse_vlans("none")
    []
    """
    out: list[int] = []
    for part in text.replace(" ", "").split(","):
        if not part or part == "none":
            continue
        if "-" in part:
            start, stop = part.split("-", 1)
            out.extend(range(int(start), int(stop) + 1))
        else:
            out.append(int(part))
    return out


def vlan_ranges(vlans: list[int] | tuple[int, ...]) -> str:
    """Sorted, deduplicated, runs of three or more as ``a-b``; empty is ``none``.

    >>> vlan_ranges([100, 1, 10, 11, 12, 2, 100])
    '1,2,10-12,100'
    >>> vlan_ranges([])
    'none'
    """
    nums = sorted(set(vlans))
    if not nums:
        return "none"
    runs: list[list[int]] = [[nums[0]]]
    for n in nums[1:]:
        if n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = [f"{r[0]}-{r[-1]}" if len(r) >= 3 else ",".join(map(str, r)) for r in runs]
    return ",".join(parts)


def _allowed_arg(line: str) -> str | None:
    """The argument of a ``switchport trunk allowed vlan ...`` child line, else ``None``."""
    words = line.split()
    if words[:4] == ALLOWED.split() and len(words) > 4:
        return " ".join(words[4:])
    return None


def canonical_vlan_lists(text: str) -> str:
    """Every plain ``switchport trunk allowed vlan LIST`` line in one spelling.

    >>> canonical_vlan_lists("interface F0/1\\n switchport trunk allowed vlan 1,200,100,100\\n")
    'interface F0/1\\n switchport trunk allowed vlan 1,100,200\\n'
    """
    lines = []
    for line in text.splitlines():
        arg = _allowed_arg(line)
        if arg is not None and arg.split()[0] not in ("add", "remove", "all", "except"):
            indent = line[: len(line) - len(line.lstrip())]
            line = f"{indent}{ALLOWED} {vlan_ranges(parse_vlans(arg))}"
        lines.append(line)
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


def port_views(running: str) -> dict[str, PortView]:
    """Per interface of a running config: its allowed VLANs and whether it is shut down.

    >>> port_views("interface F0/1\\n switchport trunk allowed vlan 1,10\\n shutdown\\n")
    {'F0/1': PortView(allowed=(1, 10), shutdown=True)}
    """
    views: dict[str, PortView] = {}
    current = ""
    for line in running.splitlines():
        if line and not line[0].isspace():
            current = line[len("interface ") :].strip() if line.startswith("interface ") else ""
            if current:
                views.setdefault(current, PortView())
            continue
        if not current:
            continue
        view = views[current]
        arg = _allowed_arg(line)
        if arg is not None:
            views[current] = PortView(_apply(view.allowed, arg), view.shutdown)
        elif line.strip() == "shutdown":
            views[current] = PortView(view.allowed, True)
    return views


def _apply(state: tuple[int, ...] | None, arg: str) -> tuple[int, ...] | None:
    """One ``switchport trunk allowed vlan ARG`` applied to an allowed list (None = all)."""
    words = arg.split()
    every = tuple(range(1, MAX_VLAN + 1))
    if words[0] == "all":
        return None
    if words[0] == "add":
        return None if state is None else tuple(state) + tuple(parse_vlans(" ".join(words[1:])))
    if words[0] == "remove":
        gone = set(parse_vlans(" ".join(words[1:])))
        return tuple(v for v in (every if state is None else state) if v not in gone)
    if words[0] == "except":
        gone = set(parse_vlans(" ".join(words[1:])))
        return tuple(v for v in every if v not in gone)
    return tuple(parse_vlans(arg))


def _same(a: tuple[int, ...] | None, b: tuple[int, ...] | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and set(a) == set(b))


def _allowed_line(indent: str, shown: PortView, state: tuple[int, ...] | None) -> str | None:
    """The command that takes the shown list to ``state`` (``all`` shows as nothing)."""
    if state is None or len(set(state)) >= MAX_VLAN:
        return None if shown.allowed is None else f"{indent}{ALLOWED} all"
    return f"{indent}{ALLOWED} {vlan_ranges(state)}"


def _interface_block(children: list[str], shown: PortView) -> list[str]:
    """One intended interface's children, rewritten against what IOS shows for it."""
    out: list[str] = []
    state = shown.allowed
    slot: int | None = None
    indent = " "
    for line in children:
        arg = _allowed_arg(line)
        if arg is not None:
            state = _apply(state, arg)
            if slot is None:
                slot = len(out)
                indent = line[: len(line) - len(line.lstrip())]
                out.append("")
            continue
        if line.strip() == "no shutdown" and not shown.shutdown:
            continue
        out.append(line)
    if slot is not None:
        if _same(state, shown.allowed):
            allowed = None if state is None else f"{indent}{ALLOWED} {vlan_ranges(state)}"
        else:
            allowed = _allowed_line(indent, shown, state)
        if allowed is None:
            del out[slot]
        else:
            out[slot] = allowed
    return out


def as_ios_shows(running: str, intended: str) -> str:
    """``intended`` as IOS would display it once applied on top of ``running``.

    ``allowed vlan add/remove/all/except`` become the resulting list (nothing while every VLAN
    is allowed); ``no shutdown`` goes unless the port is shut down now (then it is still
    needed); other lines are left alone. Lists are in :func:`vlan_ranges` spelling.

    >>> run = "interface F0/1\\n switchport trunk allowed vlan 1,10\\n"
    >>> as_ios_shows(run, "interface F0/1\\n switchport trunk allowed vlan add 100\\n no shutdown\\n")
    'interface F0/1\\n switchport trunk allowed vlan 1,10,100\\n'
    >>> as_ios_shows("interface F0/2\\n", "interface F0/2\\n switchport trunk allowed vlan add 100\\n")
    'interface F0/2\\n'
    """
    views = port_views(running)
    out: list[str] = []
    name = ""
    children: list[str] = []

    def flush() -> None:
        if name:
            out.extend(_interface_block(children, views.get(name, PortView())))

    for line in intended.splitlines():
        if line and not line[0].isspace():
            flush()
            name = line[len("interface ") :].strip() if line.startswith("interface ") else ""
            children = []
            out.append(line)
        elif name:
            children.append(line)
        else:
            out.append(line)
    flush()
    return canonical_vlan_lists("\n".join(out) + "\n")
