"""The Nornir inventory read from NetBox matches the topology (and the seed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from nornir import InitNornir

from netprov.domain.topology import load_topology
from netprov.netbox.inventory import NetBoxInventory, clear_cache
from netprov.settings import Settings

pytestmark = [pytest.mark.lab, pytest.mark.netbox]


def test_inventory_matches_topology(
    netbox_lab: dict[str, Any], lab_settings: Settings, tmp_path: Path
) -> None:
    clear_cache()
    topo = load_topology(lab_settings.topology_file)
    plugin = NetBoxInventory(
        settings=lab_settings, cache_file=str(tmp_path / "inv.json"), filters={"tag": "netprov"}
    )
    inv = plugin.load()
    assert plugin.api_calls == 2
    expected = {d.name: d for d in topo.devices}
    assert set(inv.hosts) == set(expected)
    for name, dev in expected.items():
        host = inv.hosts[name]
        assert host.hostname == "127.0.0.1"
        assert host.platform == topo.platform(dev.platform).napalm_driver
        assert host.port == dev.ssh_port
        napalm = host.connection_options["napalm"]
        assert napalm.extras == {"optional_args": {"port": dev.ssh_port}}
        assert host.data["role"] == dev.role
        assert host.data["site"] == dev.site
        assert f"role_{dev.role}" in [g.name for g in host.groups]
    # second load: served from the cache, no API call
    again = NetBoxInventory(
        settings=lab_settings, cache_file=str(tmp_path / "inv.json"), filters={"tag": "netprov"}
    )
    assert set(again.load().hosts) == set(expected)
    assert again.api_calls == 0
    clear_cache()
    third = NetBoxInventory(
        settings=lab_settings, cache_file=str(tmp_path / "inv.json"), filters={"tag": "netprov"}
    )
    assert set(third.load().hosts) == set(expected)  # file cache
    assert third.api_calls == 0


def test_nornir_plugin_entry_point(netbox_lab: dict[str, Any], lab_settings: Settings) -> None:
    clear_cache()
    nr = InitNornir(
        inventory={
            "plugin": "NetBoxInventoryNetprov",
            "options": {"cache_ttl": 0, "filters": {"tag": "netprov"}},
        },
        runner={"plugin": "serial"},
        logging={"enabled": False},
    )
    assert nr.inventory.hosts["core-dc1"].platform == "frr"
    assert nr.inventory.hosts["isp-pe1"].platform == "bird2"
    assert nr.inventory.hosts["sw-disdik-bk"].platform == "ios"
    ports = {
        h.name: h.get_connection_parameters("napalm").extras["optional_args"]["port"]
        for h in nr.inventory.hosts.values()
    }
    assert len(set(ports.values())) == len(ports)  # every host keeps its own port
