"""Structural checks shared by the IOS, EOS and Junos validators (hier_config based).

Every line lands in hier_config's tree, only known top-level sections, no mode-leaving or
dangerous commands; Junos braces balanced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from hier_config import Platform as HcPlatform
from hier_config import get_hconfig

COMMENTS: dict[str, tuple[str, ...]] = {"junos": ("/*", "#"), "routeros": ("#",), "bird2": ("#",)}

_IOS_TOP = {"interface", "router", "ip", "policy-map", "class-map", "vlan"}
_EOS_TOP = _IOS_TOP
_JUNOS_TOP = {
    "interfaces",
    "firewall",
    "protocols",
    "policy-options",
    "vlans",
    "routing-options",
    "class-of-service",
}
# first words that must never appear on any line we generate (they leave config mode,
# touch accounts or the box itself, or negate something other than a port state)
_DANGEROUS = {
    "end",
    "exit",
    "quit",
    "username",
    "enable",
    "hostname",
    "line",
    "aaa",
    "crypto",
    "write",
    "reload",
    "do",
    "snmp-server",
    "logging",
    "boot",
    "delete",
    "rollback",
    "commit",
    "load",
    "run",
    "request",
    "system",
}
_ALLOWED_NO = {"no shutdown", "no switchport"}
# lines hier_config leaves out of its tree on purpose (IOS ACL remarks, address-family ends)
_HC_DROPS = re.compile(r"\s+(remark\s|exit-address-family$)")


def config_lines(text: str, platform: str) -> list[str]:
    """The command lines of a config (comments and blank lines dropped, indentation kept).

    >>> config_lines("! c\\ninterface e1\\n description x\\n\\n", "ios")
    ['interface e1', ' description x']
    """
    comment = COMMENTS.get(platform, ("!",))
    return [ln.rstrip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith(comment)]


def _line_problems(lines: Iterable[str]) -> list[str]:
    problems = []
    for ln in lines:
        words = ln.split()
        first = words[0].lower()
        if first in _DANGEROUS:
            problems.append(f"forbidden command: {ln.strip()!r}")
        if first == "no" and " ".join(words[:2]).lower() not in _ALLOWED_NO:
            problems.append(f"forbidden negation: {ln.strip()!r}")
    return problems


def check_cisco_like(text: str, platform: str) -> tuple[bool, list[str]]:
    """hier_config parse (IOS or EOS) + known sections + no dangerous lines.

    >>> check_cisco_like("interface e1\\n description x\\n", "ios")
    (True, [])
    """
    hp = HcPlatform.CISCO_IOS if platform == "ios" else HcPlatform.ARISTA_EOS
    lines = config_lines(text, platform)
    problems = _line_problems(lines)
    try:
        tree = get_hconfig(hp, "\n".join(lines))
    except Exception as exc:  # hier_config raises plain exceptions on broken input
        return False, [f"hier_config cannot parse: {exc}"]
    nodes = sum(1 for _ in tree.all_children())
    expected = sum(1 for ln in lines if not _HC_DROPS.match(ln))
    if nodes != expected:
        problems.append(f"hier_config placed {nodes} of {expected} lines in its tree")
    top = _IOS_TOP if platform == "ios" else _EOS_TOP
    for child in tree.children:
        if child.text.split()[0] not in top:
            problems.append(f"unexpected top-level command: {child.text!r}")
    for ln in lines:
        if ln.startswith("\t"):
            problems.append(f"tab indentation: {ln!r}")
    return not problems, problems


_JUNOS_TOKEN = re.compile(r'"[^"\\\n]*"|[{};]|[^\s{};"]+')


def _junos_brace_problems(body: str) -> list[str]:
    problems: list[str] = []
    depth = 0
    for n, ln in enumerate(body.splitlines(), 1):
        s = ln.strip()
        if not s:
            continue
        if s.count('"') % 2:
            problems.append(f"line {n}: unbalanced quote")
        if not (s.endswith((";", "{")) or s == "}"):
            problems.append(f"line {n}: statement does not end with ';', '{{' or '}}': {s!r}")
        for tok in _JUNOS_TOKEN.findall(s):
            if tok == "{":
                depth += 1
            elif tok == "}":
                depth -= 1
                if depth < 0:
                    problems.append(f"line {n}: '}}' without '{{'")
                    depth = 0
    if depth:
        problems.append(f"{depth} unclosed '{{'")
    return problems


def check_junos(text: str) -> tuple[bool, list[str]]:
    """Junos curly config: balanced braces, statements end with ``;``, hier_config set form.

    >>> check_junos("interfaces {\\n    eth2 {\\n        description x;\\n    }\\n}\\n")
    (True, [])
    """
    body = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    body = "\n".join(ln for ln in body.splitlines() if not ln.strip().startswith("#"))
    problems = _junos_brace_problems(body)
    if problems:
        return False, problems
    try:
        tree = get_hconfig(HcPlatform.JUNIPER_JUNOS, body)
    except Exception as exc:
        return False, [f"hier_config cannot parse: {exc}"]
    sets = [c.text for c in tree.children]
    if not sets and body.strip():
        problems.append("hier_config produced no set commands")
    for s in sets:
        words = s.split()
        if words[0] != "set" or len(words) < 2 or words[1] not in _JUNOS_TOP:
            problems.append(f"unexpected statement: {s!r}")
    return not problems, problems
