"""The device lab plan: baseline configs keep the conventions the templates rely on."""

from __future__ import annotations

import ipaddress

import pytest

from netprov.domain.topology import load_topology
from netprov.settings import REPO_ROOT
from netprov_lab.devices_plan import build_plan, cpe_router_id


@pytest.fixture(scope="module")
def plan():  # type: ignore[no-untyped-def]
    return build_plan(load_topology(REPO_ROOT / "inventory" / "topology.yaml"))


def test_core_baseline_conventions(plan) -> None:  # type: ignore[no-untyped-def]
    core = plan.router("core-dc1").baseline
    for line in (
        "frr defaults traditional",
        "hostname core-dc1",
        "service integrated-vtysh-config",
        "interface lo",
        " ip address 10.254.0.1/32",
        "router ospf",
        " ospf router-id 10.254.0.1",
        " network 10.253.0.0/30 area 0",
        " network 10.255.0.0/31 area 0",
        " default-information originate always",
        "router bgp 65010",
        " bgp router-id 10.254.0.1",
        " no bgp ebgp-requires-policy",
        " neighbor 198.51.100.1 remote-as 64500",
        " address-family ipv4 unicast",
        "  neighbor 198.51.100.1 prefix-list NETPROV-INTERNET-OUT out",
        "ip prefix-list NETPROV-INTERNET-OUT seq 5 deny 10.0.0.0/8 le 32",
    ):
        assert line in core.splitlines(), line
    assert "ip ospf area" not in core
    assert "0.0.0.0/0" not in core and "ip route" not in core


def test_cpe_baseline_is_minimal(plan) -> None:  # type: ignore[no-untyped-def]
    cpe = plan.router("cpe-disdik-bk")
    assert cpe.baseline.splitlines() == [
        "frr defaults traditional",
        "hostname cpe-disdik-bk",
        "service integrated-vtysh-config",
        "!",
        "router ospf",
        " ospf router-id 10.254.0.11",
        "exit",
        "!",
        "end",
    ]
    assert cpe.dummies == ("lan1",)


def test_cpe_links_are_cabled_not_addressed(plan) -> None:  # type: ignore[no-untyped-def]
    dist = plan.router("dist-batamkota1")
    assert {"eth2", "eth3", "eth4"} <= set(dist.interfaces)
    assert "interface eth2" not in dist.baseline
    cables = {(v.a_ns, v.a_if, v.b_ns, v.b_if) for v in plan.veths}
    assert ("np-dist-batamkota1", "eth2", "np-cpe-disdik-bk", "eth1") in cables
    for v in plan.veths:
        assert len(v.tmp_a) <= 15 and len(v.tmp_b) <= 15


def test_bird_baseline(plan) -> None:  # type: ignore[no-untyped-def]
    pe = plan.router("isp-pe1")
    assert pe.platform == "bird2"
    assert "router id 198.51.100.254;" in pe.baseline
    assert "neighbor 198.51.100.0 as 65010;" in pe.baseline
    assert "local 198.51.100.1 as 64500;" in pe.baseline
    assert "203.0.113.0/24{24,32}" in pe.baseline
    assert ("lo", "198.51.100.254/32") in pe.kernel_addresses


def test_probe_routes_only_lab_prefixes(plan) -> None:  # type: ignore[no-untyped-def]
    assert plan.probe_ns == "netprov-mon" and plan.probe_gateway == "10.253.0.1"
    for prefix in plan.probe_routes:
        net = ipaddress.ip_network(prefix)
        assert net.prefixlen >= 8 and net != ipaddress.ip_network("0.0.0.0/0")
        assert net.is_private or str(net) in ("198.51.100.0/24", "203.0.113.0/24")
        # 192.0.2.0/24 is left alone: it is the network this machine itself sits on here
        assert not net.overlaps(ipaddress.ip_network("192.0.2.0/24"))


def test_cpe_router_ids_unique(plan) -> None:  # type: ignore[no-untyped-def]
    topo = load_topology(REPO_ROOT / "inventory" / "topology.yaml")
    ids = [str(d.router_id or cpe_router_id(d)) for d in topo.devices if d.platform == "frr"]
    assert len(ids) == len(set(ids))


def test_every_topology_address_is_reachable_by_the_probe_routes_and_nothing_else() -> None:
    """Each address the topology names lies inside a probe route, so probes reach it in the lab,
    and none lies in 192.0.2.0/24, the network this machine is really attached to here."""
    import re

    from netprov_lab.devices_plan import PROBE_ROUTES

    text = (REPO_ROOT / "inventory" / "topology.yaml").read_text()
    routes = [ipaddress.ip_network(r) for r in PROBE_ROUTES]
    found = re.findall(r"\b(\d{1,3}(?:\.\d{1,3}){3})(?:/\d+)?\b", text)
    assert len(found) > 20
    for literal in found:
        addr = ipaddress.ip_address(literal)
        if addr.is_loopback:  # the SSH host of the lab's devices, reached on loopback ports
            continue
        assert any(addr in r for r in routes), literal
        assert addr not in ipaddress.ip_network("192.0.2.0/24"), literal
