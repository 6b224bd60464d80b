"""The NetBox lab and the seed, against the real NetBox started by the ``netbox_lab`` fixture."""

from __future__ import annotations

from typing import Any

import pytest

from netprov.netbox.client import connect, credentials
from netprov.netbox.seed import seed_netbox
from netprov.settings import Settings
from netprov_lab import netbox as nblab

pytestmark = [pytest.mark.lab, pytest.mark.netbox]


def test_lab_is_up_and_recorded(netbox_lab: dict[str, Any], lab_settings: Settings) -> None:
    assert netbox_lab["state"] == "up"
    assert netbox_lab["version"] == nblab.NETBOX_VERSION
    assert netbox_lab["url"] == "http://127.0.0.1:8001"
    assert lab_settings.netbox_url == "http://127.0.0.1:8001"
    assert lab_settings.netbox_token is not None
    status = nblab.status(lab_settings)
    assert status["state"] == "up"
    assert "token" not in status


def test_up_again_is_fast_and_changes_nothing(netbox_lab: dict[str, Any], lab_settings: Settings) -> None:
    msgs: list[str] = []
    result = nblab.up(lab_settings, msgs.append)
    assert result["state"] == "up"
    assert not any("migrat" in m or "restor" in m or "starting" in m for m in msgs), msgs


def test_seed_twice_is_a_no_op(netbox_lab: dict[str, Any], lab_settings: Settings) -> None:
    first = seed_netbox(lab_settings, lambda m: None)  # the fixture already seeded once
    second = seed_netbox(lab_settings, lambda m: None)
    assert first["created"] == 0 and first["updated"] == 0, first
    assert second["created"] == 0 and second["updated"] == 0, second
    assert second["unchanged"] > 50
    assert second["api_calls"] < 40


def test_seed_matches_topology(netbox_lab: dict[str, Any], lab_settings: Settings) -> None:
    from netprov.domain.topology import load_topology

    topo = load_topology(lab_settings.topology_file)
    api, _ = connect(*credentials(lab_settings))
    names = {d.name for d in api.dcim.devices.all()}
    assert {d.name for d in topo.devices} <= names
    eth3 = api.dcim.interfaces.get(device="core-dc1", name="eth3")
    assert eth3.custom_fields["uplink_capacity_mbps"] == 300
    assert eth3.custom_fields["netprov_service"] == "internet"
    core = api.dcim.devices.get(name="core-dc1")
    assert str(core.primary_ip4) == "10.254.0.1/32"
    assert core.custom_fields["netprov_ssh_port"] == 2201
    legacy = api.ipam.prefixes.get(prefix="203.0.113.192/27")
    assert legacy.custom_fields["netprov_request"] == "LEGACY-0001"
    assert legacy.custom_fields["netprov_bandwidth_mbps"] == 100
    assert str(legacy.status) in ("Active", "active")
    dist_eth2 = api.dcim.interfaces.get(device="dist-batamkota1", name="eth2")
    assert dist_eth2.cable is not None
    groups = {g.slug: g for g in api.ipam.vlan_groups.all()}
    assert set(groups) >= {"opd-batamkota", "opd-sekupang"}
