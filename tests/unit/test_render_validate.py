"""The structural validators of our own (no external parser): they catch broken configs."""

from __future__ import annotations

import pytest

from netprov.errors import ValidationFailed
from netprov.render.validate import (
    check_cisco_like,
    check_junos,
    check_routeros,
    config_lines,
    validators_for,
)

IOS_OK = """! comment
interface eth2.100
 description PJB-2026-0001 Dinas
 encapsulation dot1Q 100
 ip address 10.250.0.1 255.255.255.252
 no shutdown
!
router ospf 1
 network 10.250.0.0 0.0.0.3 area 0
!
"""


def test_ios_ok() -> None:
    assert check_cisco_like(IOS_OK, "ios") == (True, [])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (IOS_OK + "end\n", "forbidden command"),
        (IOS_OK + "username evil privilege 15 secret x\n", "forbidden command"),
        ("interface eth2\n no ip address\n", "forbidden negation"),
        ("interface eth2\n description x\nno router ospf 1\n", "forbidden negation"),
        ("hostname evil\n", "forbidden command"),
        ("snmp-server community public\n", "forbidden command"),
        ("ntp server 192.0.2.9\n", "unexpected top-level"),
        ("interface eth2\n\tdescription x\n", "tab"),
    ],
)
def test_ios_structure_problems(text: str, problem: str) -> None:
    ok, problems = check_cisco_like(text, "ios")
    assert not ok and any(problem in p for p in problems), problems


JUNOS_OK = """/* netprov */
interfaces {
    eth2 {
        unit 100 {
            description "PJB-2026-0001 Dinas";
            family inet {
                address 10.250.0.1/30;
            }
        }
    }
}
"""


def test_junos_ok() -> None:
    assert check_junos(JUNOS_OK) == (True, [])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (JUNOS_OK + "}\n", "without"),
        (JUNOS_OK.replace("    }\n}\n", "    }\n"), "unclosed"),
        (JUNOS_OK.replace('"PJB-2026-0001 Dinas";', '"PJB;'), "quote"),
        (JUNOS_OK.replace("address 10.250.0.1/30;", "address 10.250.0.1/30"), "does not end"),
        (
            JUNOS_OK + "system {\n    root-authentication {\n        plain-text-password;\n    }\n}\n",
            "unexpected statement",
        ),
    ],
)
def test_junos_problems(text: str, problem: str) -> None:
    ok, problems = check_junos(text)
    assert not ok and any(problem in p for p in problems), problems


ROS_OK = """# netprov
/ip address
add address=10.250.0.1/30 interface=ether2 comment="PJB-2026-0001 Dinas"
/routing filter rule
add chain=NETPROV-INTERNET-OUT rule="if (dst == 203.0.113.0/27) { accept }" comment="x"
/routing ospf interface-template
add area=backbone networks=10.100.0.0/27 passive comment="LAN"
"""


def test_routeros_ok() -> None:
    assert check_routeros(ROS_OK) == (True, [])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("add address=10.0.0.1/30 interface=ether2\n", "before any menu"),
        ("/system reset-configuration\n", "unknown menu"),
        ("/ip address\nremove 0\n", "only 'add'"),
        ('/ip address\nadd comment="a$b"\n', "bad quoted value"),
        ('/ip address\nadd comment="a;b"\n', "bad quoted value"),
        ("/ip address\nadd interface=eth;2\n", "bad value"),
        ("/ip address\nadd interface=ether2 interface=ether3\n", "twice"),
        ("/ip address\nadd reboot\n", "unknown flag"),
        ('/routing filter rule\nadd chain=X rule="if (dst == 1.2.3.0/24) { accept"\n', "unbalanced"),
        ('/ip address\nadd comment="unterminated\n', "cannot parse"),
    ],
)
def test_routeros_problems(text: str, problem: str) -> None:
    ok, problems = check_routeros(text)
    assert not ok and any(problem in p for p in problems), problems


def test_config_lines_drop_comments() -> None:
    assert config_lines(IOS_OK, "ios")[0] == "interface eth2.100"
    assert "!" not in "".join(config_lines(IOS_OK, "ios"))
    assert config_lines("# c\n/ip address\n", "routeros") == ["/ip address"]


def test_unknown_platform() -> None:
    with pytest.raises(ValidationFailed):
        validators_for("vyos")
