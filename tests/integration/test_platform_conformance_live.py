"""The platform conformance suite against the lab: an FRR CPE, BIRD's provider edge and an
IOS fake switch, through the pipeline's own Nornir (``build_nornir(use_netbox=False)``).

Every test restores its device to the snapshot taken before it (and the fixture proves it).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from netprov.pipeline.nornir_setup import build_nornir, only
from netprov.platforms import Mode, Platform, get_platform
from netprov.settings import Settings
from tests.conformance.suite import Case, PlatformConformance

pytestmark = [pytest.mark.lab, pytest.mark.devices]

BIRD_EXTRA = "\nprotocol static netprov_conformance {\n  ipv4;\n  route 198.51.100.201/32 blackhole;\n}\n"


def _frr_change(s: str) -> tuple[str, Mode]:
    return "interface lan1\n description netprov conformance\nexit\n", "merge"


def _frr_refused(s: str) -> tuple[str, Mode]:
    return "interface lan1\n nonsense-command 42\nexit\n", "merge"


def _bird_change(s: str) -> tuple[str, Mode]:
    return s + BIRD_EXTRA, "replace"


def _bird_refused(s: str) -> tuple[str, Mode]:
    return s + "\nprotocol static {\n  nonsense;\n}\n", "replace"


def _ios_change(s: str) -> tuple[str, Mode]:
    return "interface FastEthernet0/3\n description netprov conformance\n", "merge"


def _ios_refused(s: str) -> tuple[str, Mode]:
    return "interface FastEthernet0/3\n description netprov conformance\n nonsense 1\n", "merge"


def _frr_provision(s: str) -> tuple[str, Mode]:
    """The forms a CPE fragment uses (prefix-list, route-map, interface OSPF timers)."""
    return (
        "ip prefix-list NETPROV-CONF seq 5 permit 10.0.0.0/8 le 32\n!\n"
        "route-map NETPROV-CONF permit 10\n match ip address prefix-list NETPROV-CONF\nexit\n!\n"
        "interface lan1\n description netprov conformance\n ip ospf hello-interval 1\nexit\n",
        "merge",
    )


def _ios_provision(s: str) -> tuple[str, Mode]:
    """What the access template pushes: a VLAN, a trunk uplink (allowed vlan add), no shutdown."""
    return (
        "vlan 3901\n name NETPROV-CONF\n!\n"
        "interface FastEthernet0/3\n description netprov conformance uplink\n"
        " switchport mode trunk\n switchport trunk native vlan 3901\n"
        " switchport trunk allowed vlan add 3901\n no shutdown\n!\n"
        "interface FastEthernet0/4\n description netprov conformance\n"
        " switchport mode access\n switchport access vlan 3901\n no shutdown\n!\n",
        "merge",
    )


DEVICES = {
    "cpe-dishub": (_frr_change, _frr_refused, _frr_provision),  # frr
    "isp-pe1": (_bird_change, _bird_refused, _bird_change),  # bird2 (replace, like provider.j2)
    "sw-disdik-bk": (_ios_change, _ios_refused, _ios_provision),  # ios
}


@pytest.fixture(params=sorted(DEVICES))
def case(
    request: pytest.FixtureRequest, device_lab: dict[str, Any], lab_settings: Settings
) -> Iterator[Case]:
    name = request.param
    nr = only(build_nornir(lab_settings, use_netbox=False), [name])
    host = nr.inventory.hosts[name]
    platform = get_platform(host.platform)
    conn = platform.open(SimpleNamespace(host=host, nornir=nr))
    snapshot = platform.running_config(conn, name)
    change, refused, provision = DEVICES[name]
    try:
        yield Case(platform, name, conn, change, refused, revert_in=60, provision=provision)
    finally:
        try:
            platform.restore(conn, snapshot, name)
            assert not platform.diff(conn, snapshot, "replace", name).strip()
        finally:
            nr.close_connections()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=sorted(DEVICES))
def unreachable(
    request: pytest.FixtureRequest, device_lab: dict[str, Any], lab_settings: Settings
) -> Iterator[tuple[Platform, Any]]:
    """The same device's inventory entry, pointed at a loopback port nobody listens on."""
    name = request.param
    nr = only(build_nornir(lab_settings, use_netbox=False), [name])
    host = nr.inventory.hosts[name]
    port = _closed_port()
    host.port = port
    for kind in ("napalm", "netmiko"):
        opts = host.connection_options.get(kind)
        if opts is None:
            continue
        opts.port = port
        extras = dict(opts.extras or {})
        if kind == "napalm":
            extras["optional_args"] = {**(extras.get("optional_args") or {}), "port": port}
            extras["timeout"] = 5
        opts.extras = extras
    yield get_platform(host.platform), SimpleNamespace(host=host, nornir=nr)
    nr.close_connections()


class TestLabDevices(PlatformConformance):
    """FRR (cpe-dishub), BIRD 2 (isp-pe1), IOS (sw-disdik-bk)."""
