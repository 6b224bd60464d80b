"""MonitoredLink, its labels, and the Zabbix payloads built from it (pure)."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError

from netprov.domain.resources import Allocation
from netprov.monitoring import MonitoredLink
from netprov.monitoring import zabbix as zb


def allocation(**over: object) -> Allocation:
    data: dict[str, object] = dict(
        request_id="PJB-2026-0001",
        service="intranet",
        opd_slug="disdik",
        opd_name="Dinas Pendidikan",
        site_slug="upt-disdik-batamkota",
        site_name="UPT Pendidikan Batam Kota",
        bandwidth_mbps=50,
        lan_prefix="10.100.0.0/27",
        lan_gateway="10.100.0.1/27",
        transfer_prefix="10.250.0.0/30",
        dist_address="10.250.0.1/30",
        cpe_address="10.250.0.2/30",
        vlan_id=100,
        vlan_name="opd-disdik",
        dist_device="dist-batamkota1",
        dist_interface="eth2",
        cpe_device="cpe-disdik-bk",
        cpe_interface="eth1",
        cpe_lan_interface="lan1",
    )
    data.update(over)
    return Allocation.model_validate(data)


def test_from_allocation_probes_the_lan_gateway() -> None:
    link = MonitoredLink.from_allocation(allocation())
    assert link.address == ipaddress.IPv4Address("10.100.0.1")
    assert link.device == "cpe-disdik-bk"
    assert link.circuit == "dist-batamkota1:eth2 ↔ cpe-disdik-bk:eth1"
    assert link.opd == "disdik" and link.opd_name == "Dinas Pendidikan"
    assert link.site == "UPT Pendidikan Batam Kota"
    assert link.network == ipaddress.IPv4Network("10.100.0.0/27")
    assert link.labels() == {
        "request_id": "PJB-2026-0001",
        "opd": "disdik",
        "site": "UPT Pendidikan Batam Kota",
        "service": "intranet",
        "bandwidth_mbps": "50",
        "circuit": "dist-batamkota1:eth2 ↔ cpe-disdik-bk:eth1",
        "device": "cpe-disdik-bk",
    }


@pytest.mark.parametrize("bad", ["", "../etc/passwd", "a b", "x" * 65, "PJB/2026"])
def test_request_id_must_be_a_safe_name(bad: str) -> None:
    data = MonitoredLink.from_allocation(allocation()).model_dump()
    data["request_id"] = bad
    with pytest.raises(ValidationError):
        MonitoredLink.model_validate(data)


def test_link_is_frozen() -> None:
    link = MonitoredLink.from_allocation(allocation())
    with pytest.raises(ValidationError):
        link.bandwidth_mbps = 10  # type: ignore[misc]


def test_zabbix_payloads() -> None:
    link = MonitoredLink.from_allocation(allocation())
    assert zb.host_name(link) == "PJB-2026-0001"
    assert zb.visible_name(link) == "PJB-2026-0001 Dinas Pendidikan - UPT Pendidikan Batam Kota"
    assert zb.group_name(link) == "OPD/Dinas Pendidikan"
    tags = {t["tag"]: t["value"] for t in zb.host_tags(link)}
    assert tags["request_id"] == "PJB-2026-0001"
    assert tags["bandwidth_mbps"] == "50"
    assert tags["circuit"] == link.circuit
    assert tags["managed-by"] == "netprov"
    macros = {m["macro"]: m["value"] for m in zb.host_macros(link)}
    assert macros["{$NETPROV.REQUEST_ID}"] == "PJB-2026-0001"
    assert macros["{$NETPROV.BANDWIDTH_MBPS}"] == "50"
    assert macros["{$NETPROV.CIRCUIT}"] == link.circuit
    inv = zb.host_inventory(link)
    assert inv["name"] == "cpe-disdik-bk"
    assert inv["host_networks"] == "10.100.0.0/27"
    assert inv["site_address_a"] == "UPT Pendidikan Batam Kota"
    iface = zb.agent_interface(link)
    assert iface == {"type": 1, "main": 1, "useip": 1, "ip": "10.100.0.1", "dns": "", "port": "10050"}


def test_long_values_are_clipped_to_zabbix_limits() -> None:
    link = MonitoredLink.from_allocation(allocation(site_name="S" * 300))
    assert len(zb.visible_name(link)) == 128
    assert all(len(t["value"]) <= 255 for t in zb.host_tags(link))
    assert len(zb.host_inventory(link)["site_address_a"]) <= 128
