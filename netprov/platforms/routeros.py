"""MikroTik RouterOS: validate-only (a syntax check of our own; no lab device).

Known menus, ``add`` commands, ``key=value`` arguments, quoting; no ``$`` interpolation,
no ``;`` command separator outside quoted rules.
"""

from __future__ import annotations

import re
from typing import ClassVar

from netprov.platforms.base import Checker, Platform

ROUTEROS_MENUS = {
    "/interface vlan",
    "/interface bridge port",
    "/interface bridge vlan",
    "/ip address",
    "/queue simple",
    "/routing ospf interface-template",
    "/ip firewall filter",
    "/ip firewall address-list",
    "/routing filter rule",
}
ROUTEROS_FLAGS = {"passive", "disabled=yes", "disabled=no"}
_ROS_KEY = re.compile(r"[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)?")
_ROS_BARE = re.compile(r"!?[A-Za-z0-9._/:,-]+")
_ROS_QUOTED = re.compile(r'"[^"\\$\n;]*"')
_ROS_RULE = re.compile(r'"[^"\\$\n]*"')
_ROS_ARG = re.compile(r'\s*([a-z][a-z0-9.-]*)(?:=("[^"\n]*"|[^\s"]*))?')


def _balanced(value: str) -> bool:
    depth = 0
    for ch in value:
        depth += {"{": 1, "(": 1, "}": -1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _value_problems(n: int, key: str, value: str) -> list[str]:
    problems = []
    if not _ROS_KEY.fullmatch(key):
        problems.append(f"line {n}: bad argument name {key!r}")
    pattern = _ROS_RULE if key == "rule" else _ROS_QUOTED
    if value.startswith('"'):
        if not pattern.fullmatch(value):
            problems.append(f"line {n}: bad quoted value for {key}")
        elif key == "rule" and not _balanced(value):
            problems.append(f"line {n}: unbalanced braces in rule")
    elif not _ROS_BARE.fullmatch(value):
        problems.append(f"line {n}: bad value for {key}: {value!r}")
    return problems


def _argument_problems(n: int, rest: str) -> list[str]:
    problems: list[str] = []
    pos = 0
    keys: list[str] = []
    while pos < len(rest):
        m = _ROS_ARG.match(rest, pos)
        if m is None or m.end() == pos:
            problems.append(f"line {n}: cannot parse arguments at {rest[pos : pos + 20]!r}")
            break
        key, value = m.group(1), m.group(2)
        pos = m.end()
        if value is None:
            if key not in ROUTEROS_FLAGS:
                problems.append(f"line {n}: unknown flag {key!r}")
            continue
        keys.append(key)
        problems.extend(_value_problems(n, key, value))
    if len(keys) != len(set(keys)):
        problems.append(f"line {n}: an argument is given twice")
    return problems


def check_routeros(text: str) -> tuple[bool, list[str]]:
    """RouterOS script syntax: known menus, ``add`` commands, well-formed arguments.

    >>> check_routeros('/ip address\\nadd address=10.0.0.1/30 interface=ether2\\n')
    (True, [])
    """
    problems: list[str] = []
    menu: str | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        ln = raw.strip()
        if not ln or ln.startswith("#"):
            continue
        if ln.startswith("/"):
            menu = ln
            if menu not in ROUTEROS_MENUS:
                problems.append(f"line {n}: unknown menu {menu!r}")
            continue
        cmd, _, rest = ln.partition(" ")
        if menu is None:
            problems.append(f"line {n}: command before any menu")
        elif cmd != "add":
            problems.append(f"line {n}: only 'add' is generated, got {cmd!r}")
        else:
            problems.extend(_argument_problems(n, rest))
    return not problems, problems


class RouterOsPlatform(Platform):
    """RouterOS 7 (validate-only)."""

    name: ClassVar[str] = "routeros"
    provisionable: ClassVar[bool] = False
    vendor_matrix: ClassVar[bool] = True
    comment_prefixes: ClassVar[tuple[str, ...]] = ("#",)

    def validators(self) -> list[tuple[str, Checker]]:
        """The RouterOS syntax check."""
        return [("routeros syntax", check_routeros)]
