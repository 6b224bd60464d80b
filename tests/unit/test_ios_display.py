"""IOS display normalisation: after a push, the diff against what IOS shows is empty."""

from __future__ import annotations

import pytest

from netprov.platforms.ios import remediation
from netprov.platforms.ios_display import (
    PortView,
    as_ios_shows,
    canonical_vlan_lists,
    parse_vlans,
    port_views,
    vlan_ranges,
)

UPLINK = (
    "vlan 100\n name NETPROV\n!\n"
    "interface FastEthernet0/1\n"
    " description uplink cpe PJB-2026-0001\n"
    " switchport mode trunk\n"
    " switchport trunk native vlan 100\n"
    " switchport trunk allowed vlan add 100\n"
    " no shutdown\n!\n"
    "interface FastEthernet0/2\n"
    " description office\n"
    " switchport mode access\n"
    " switchport access vlan 100\n"
    " no shutdown\n!\n"
)


def _shown_after(lines: list[str], running: str) -> str:
    """What fake-switches / IOS shows after ``lines``: add merges, no shutdown hides."""
    views = port_views(running)
    blocks: dict[str, list[str]] = {}
    order: list[str] = []
    current = ""
    for line in running.splitlines():
        if line and not line[0].isspace():
            current = line
            if line not in blocks:
                blocks[line] = []
                order.append(line)
        elif current and line.strip():
            blocks[current].append(line.strip())
    current = ""
    for raw in lines:
        line = raw.strip()
        if raw and not raw[0].isspace():
            current = line
            if line not in blocks:
                blocks[line] = []
                order.append(line)
            continue
        if line == "exit" or not current:
            continue
        kids = blocks[current]
        name = current.removeprefix("interface ")
        if line.startswith("switchport trunk allowed vlan add "):
            allowed = views.get(name, PortView()).allowed
            if allowed is not None:
                kids[:] = [k for k in kids if not k.startswith("switchport trunk allowed vlan")]
                merged = list(allowed) + parse_vlans(line.split()[-1])
                kids.append(f"switchport trunk allowed vlan {vlan_ranges(merged)}")
        elif line.startswith("switchport trunk allowed vlan "):
            kids[:] = [k for k in kids if not k.startswith("switchport trunk allowed vlan")]
            kids.append(line)
        elif line == "no shutdown":
            kids[:] = [k for k in kids if k != "shutdown"]
        elif line.startswith("no "):
            kids[:] = [k for k in kids if not k.startswith(line[3:])]
        elif line not in kids:
            kids.append(line)
    return "".join(f"{top}\n" + "".join(f" {k}\n" for k in blocks[top]) for top in order)


@pytest.mark.parametrize("mode", ["merge", "replace"])
@pytest.mark.parametrize(
    "uplink_running",
    [
        "",  # every VLAN allowed: add 100 changes nothing shown
        " switchport trunk allowed vlan 1,10\n",
        " switchport trunk allowed vlan 1,10\n shutdown\n",
    ],
)
def test_push_then_diff_is_empty(mode: str, uplink_running: str) -> None:
    running = (
        "hostname sw\n!\ninterface FastEthernet0/1\n"
        + uplink_running
        + "interface FastEthernet0/2\n shutdown\n"
    )
    intended = UPLINK if mode == "merge" else "hostname sw\n!\n" + UPLINK
    lines = remediation(running, intended, mode)  # type: ignore[arg-type]
    assert lines
    after = _shown_after(lines, running)
    assert remediation(after, intended, mode) == []  # type: ignore[arg-type]
    assert "shutdown" not in after


def test_add_merges_into_the_shown_list() -> None:
    run = "interface F0/1\n switchport trunk allowed vlan 1,10-12\n"
    out = as_ios_shows(run, "interface F0/1\n switchport trunk allowed vlan add 13,100\n")
    assert out == "interface F0/1\n switchport trunk allowed vlan 1,10-13,100\n"


def test_add_while_all_are_allowed_shows_nothing() -> None:
    out = as_ios_shows("interface F0/1\n", "interface F0/1\n switchport trunk allowed vlan add 7\n")
    assert "allowed" not in out


def test_remove_and_none_and_all() -> None:
    run = "interface F0/1\n switchport trunk allowed vlan 1,10,100\n"
    assert "allowed vlan 1,100" in as_ios_shows(
        run, "interface F0/1\n switchport trunk allowed vlan remove 10\n"
    )
    assert "allowed vlan none" in as_ios_shows(run, "interface F0/1\n switchport trunk allowed vlan none\n")
    # back to every VLAN: the command is still needed while a list is shown
    assert "allowed vlan all" in as_ios_shows(run, "interface F0/1\n switchport trunk allowed vlan all\n")
    assert "allowed" not in as_ios_shows(
        "interface F0/1\n", "interface F0/1\n switchport trunk allowed vlan all\n"
    )


def test_no_shutdown_stays_while_the_port_is_down() -> None:
    intended = "interface F0/1\n no shutdown\n"
    assert "no shutdown" in as_ios_shows("interface F0/1\n shutdown\n", intended)
    assert "no shutdown" not in as_ios_shows("interface F0/1\n", intended)
    assert remediation("interface F0/1\n shutdown\n", intended, "merge") == [
        "interface F0/1",
        "  no shutdown",
        "  exit",
    ]


def test_other_lines_are_left_alone() -> None:
    intended = "vlan 100\n name X\n!\ninterface F0/2\n description d\n no cdp enable\n"
    assert as_ios_shows("", intended) == intended


def test_canonical_lists_sort_and_dedupe() -> None:
    text = " switchport trunk allowed vlan 200,100,100,1\n"
    assert canonical_vlan_lists(text) == " switchport trunk allowed vlan 1,100,200\n"
    assert canonical_vlan_lists(" switchport trunk allowed vlan add 5\n").endswith("add 5\n")


def test_vlan_ranges_runs() -> None:
    assert vlan_ranges([1, 2]) == "1,2"
    assert vlan_ranges([1, 2, 3, 5]) == "1-3,5"
    assert parse_vlans("1-3,5") == [1, 2, 3, 5]
