"""Validation of rendered configs by real parsers, and structural checks of our own.

* FRR: ``vtysh --dryrun -f FILE`` (the real FRR parser; needs no running daemon).
* BIRD 2: ``bird -p -c FILE`` (the real BIRD parser).
* Cisco IOS access switches: the lines sent to a fake-switches device through Netmiko
  (:mod:`netprov_lab.fakeswitch`); any "% Invalid input" / "No such command" fails.
* IOS, EOS, Junos: a structural parse with hier_config (every line lands in the tree, known
  top-level sections only, no mode-leaving or dangerous commands), Junos braces balanced.
* RouterOS: a syntax check of our own (menus, ``add`` commands, ``key=value`` arguments,
  quoting; no ``$`` interpolation, no ``;`` command separator outside quoted rules).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from hier_config import Platform, get_hconfig
from pydantic import BaseModel, ConfigDict

from netprov.errors import ValidationFailed
from netprov.render.link import RenderedConfig

DEBIAN_PACKAGES = {"vtysh": "frr", "bird": "bird2"}
TIMEOUT = 30


class ValidationResult(BaseModel):
    """What one validator said about one rendered config."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    device: str
    platform: str
    role: str
    template: str
    validator: str
    ok: bool
    seconds: float
    messages: tuple[str, ...] = ()


class LineSender(Protocol):
    """Something that sends config lines to a device and returns the error lines."""

    def errors_for(self, lines: list[str]) -> list[str]: ...


# --- tools ---------------------------------------------------------------------------------

def ensure_tool(binary: str) -> str:
    """Path of ``binary``; the product never installs packages (``./run setup`` does).

    Raises:
        ValidationFailed: the tool is missing.
    """
    path = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if not path:
        package = DEBIAN_PACKAGES.get(binary)
        raise ValidationFailed(f"{binary} is not installed (Debian package {package}; ./run setup)")
    return path


def _run_parser(cmd: list[str], text: str, suffix: str) -> tuple[bool, list[str]]:
    with tempfile.TemporaryDirectory(prefix="netprov-validate-") as tmp:
        path = Path(tmp) / f"config{suffix}"
        path.write_text(text, encoding="utf-8")
        try:
            proc = subprocess.run(
                [*cmd, str(path)], capture_output=True, text=True, timeout=TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            return False, [f"{cmd[0]} did not answer within {TIMEOUT} s"]
    out = [ln.strip() for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    out = [ln.replace(str(path), "CONFIG") for ln in out]
    return proc.returncode == 0, out


def check_frr(text: str) -> tuple[bool, list[str]]:
    """``vtysh --dryrun -f``: FRR's own parser, no daemon needed."""
    return _run_parser([ensure_tool("vtysh"), "--dryrun", "-f"], text, ".conf")


def check_bird(text: str) -> tuple[bool, list[str]]:
    """``bird -p -c``: BIRD's own parser (parse only, nothing started)."""
    ok, out = _run_parser([ensure_tool("bird"), "-p", "-c"], text, ".conf")
    return ok, out


# --- structural checks (IOS / EOS / Junos) ------------------------------------------------

_IOS_TOP = {"interface", "router", "ip", "policy-map", "class-map", "vlan"}
_EOS_TOP = _IOS_TOP
_JUNOS_TOP = {"interfaces", "firewall", "protocols", "policy-options", "vlans",
              "routing-options", "class-of-service"}
# first words that must never appear on any line we generate (they leave config mode,
# touch accounts or the box itself, or negate something other than a port state)
_DANGEROUS = {"end", "exit", "quit", "username", "enable", "hostname", "line", "aaa",
              "crypto", "write", "reload", "do", "snmp-server", "logging", "boot", "delete",
              "rollback", "commit", "load", "run", "request", "system"}
_ALLOWED_NO = {"no shutdown", "no switchport"}
# lines hier_config leaves out of its tree on purpose (IOS ACL remarks, address-family ends)
_HC_DROPS = re.compile(r"\s+(remark\s|exit-address-family$)")


def config_lines(text: str, platform: str) -> list[str]:
    """The command lines of a config (comments and blank lines dropped, indentation kept)."""
    comment = {"junos": ("/*", "#"), "routeros": ("#",), "bird2": ("#",)}.get(platform, ("!",))
    return [ln.rstrip() for ln in text.splitlines()
            if ln.strip() and not ln.strip().startswith(comment)]


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
    """hier_config parse (IOS or EOS) + known sections + no dangerous lines."""
    hp = Platform.CISCO_IOS if platform == "ios" else Platform.ARISTA_EOS
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


def check_junos(text: str) -> tuple[bool, list[str]]:
    """Junos curly config: balanced braces, statements end with ``;``, hier_config set form."""
    problems: list[str] = []
    body = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    body = "\n".join(ln for ln in body.splitlines() if not ln.strip().startswith("#"))
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
    if problems:
        return False, problems
    try:
        tree = get_hconfig(Platform.JUNIPER_JUNOS, body)
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


# --- RouterOS -------------------------------------------------------------------------------

ROUTEROS_MENUS = {
    "/interface vlan", "/interface bridge port", "/interface bridge vlan", "/ip address",
    "/queue simple", "/routing ospf interface-template", "/ip firewall filter",
    "/ip firewall address-list", "/routing filter rule",
}
ROUTEROS_FLAGS = {"passive", "disabled=yes", "disabled=no"}
_ROS_KEY = re.compile(r"[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)?")
_ROS_BARE = re.compile(r"!?[A-Za-z0-9._/:,-]+")
_ROS_QUOTED = re.compile(r'"[^"\\$\n;]*"')
_ROS_RULE = re.compile(r'"[^"\\$\n]*"')
_ROS_ARG = re.compile(r'\s*([a-z][a-z0-9.-]*)(?:=("[^"\n]*"|[^\s"]*))?')


def check_routeros(text: str) -> tuple[bool, list[str]]:
    """RouterOS script syntax: known menus, ``add`` commands, well-formed arguments."""
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
            continue
        if cmd != "add":
            problems.append(f"line {n}: only 'add' is generated, got {cmd!r}")
            continue
        pos = 0
        keys: list[str] = []
        while pos < len(rest):
            m = _ROS_ARG.match(rest, pos)
            if m is None or m.end() == pos:
                problems.append(f"line {n}: cannot parse arguments at {rest[pos:pos + 20]!r}")
                break
            key, value = m.group(1), m.group(2)
            pos = m.end()
            if value is None:
                if key not in ROUTEROS_FLAGS:
                    problems.append(f"line {n}: unknown flag {key!r}")
                continue
            keys.append(key)
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
        if len(keys) != len(set(keys)):
            problems.append(f"line {n}: an argument is given twice")
    return not problems, problems


def _balanced(value: str) -> bool:
    depth = 0
    for ch in value:
        depth += {"{": 1, "(": 1, "}": -1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


# --- dispatch -----------------------------------------------------------------------------

Checker = Callable[[str], tuple[bool, list[str]]]


def validators_for(platform: str) -> list[tuple[str, Checker]]:
    """The offline validators of a platform (name, function)."""
    table: dict[str, list[tuple[str, Checker]]] = {
        "frr": [("vtysh --dryrun", check_frr)],
        "bird2": [("bird -p", check_bird)],
        "ios": [("hier_config ios", lambda t: check_cisco_like(t, "ios"))],
        "eos": [("hier_config eos", lambda t: check_cisco_like(t, "eos"))],
        "junos": [("hier_config junos", check_junos)],
        "routeros": [("routeros syntax", check_routeros)],
    }
    if platform not in table:
        raise ValidationFailed(f"no validator for platform {platform}")
    return table[platform]


def validate_config(
    cfg: RenderedConfig, switch: LineSender | None = None
) -> list[ValidationResult]:
    """Run every validator that applies to one rendered config.

    Args:
        cfg: the rendered config.
        switch: a fake-switches session; IOS access-switch configs are also sent to it.
    """
    results = []
    checks: list[tuple[str, Checker]] = list(validators_for(cfg.platform))
    if switch is not None and cfg.platform == "ios" and cfg.role == "access":
        def via_switch(text: str) -> tuple[bool, list[str]]:
            errors = switch.errors_for(config_lines(text, "ios"))
            return not errors, errors
        checks.append(("fake-switches ios", via_switch))
    for name, check in checks:
        t0 = time.perf_counter()
        try:
            ok, messages = check(cfg.text)
        except ValidationFailed as exc:
            ok, messages = False, [str(exc)]
        results.append(
            ValidationResult(
                device=cfg.device, platform=cfg.platform, role=cfg.role, template=cfg.template,
                validator=name, ok=ok, seconds=round(time.perf_counter() - t0, 4),
                messages=tuple(messages[:20]),
            )
        )
    return results
