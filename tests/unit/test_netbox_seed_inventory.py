"""Seed comparison and inventory building without NetBox."""

from __future__ import annotations

from netprov.netbox.inventory import build_inventory, host_specs
from netprov.netbox.seed import diff


def test_diff_normalises_netbox_shapes() -> None:
    have = {
        "status": {"value": "active", "label": "Active"},
        "tenant": {"id": 3, "name": "x"},
        "tags": [{"id": 2, "name": "b"}, {"id": 1, "name": "a"}],
        "custom_fields": {"netprov_ssh_port": 2201, "other": "kept"},
        "vid_ranges": [[100, 399]],
        "scope_type": "dcim.site",
        "scope_id": 5,
    }
    same = {
        "status": "active",
        "tenant": 3,
        "tags": [1, 2],
        "custom_fields": {"netprov_ssh_port": 2201},
        "vid_ranges": [[100, 399]],
        "scope_type": "dcim.site",
        "scope_id": 5,
    }
    assert diff(same, have) == {}
    assert diff({**same, "tags": [1]}, have) == {"tags": [1]}
    assert diff({"custom_fields": {"netprov_ssh_port": 2202}}, have) == {
        "custom_fields": {"netprov_ssh_port": 2202}
    }
    assert diff({"region": None}, {"region": None}) == {}


def test_host_specs_and_per_host_ports() -> None:
    platforms = [
        {"id": 1, "slug": "frr", "custom_fields": {"napalm_driver": "frr"}},
        {"id": 2, "slug": "ios", "napalm_driver": "ios"},
    ]
    devices = [
        {
            "id": 10,
            "name": "r1",
            "platform": {"id": 1, "slug": "frr"},
            "role": {"slug": "core"},
            "site": {"slug": "dc"},
            "tenant": None,
            "primary_ip4": {"address": "10.254.0.1/32"},
            "custom_fields": {"netprov_ssh_port": 2201, "netprov_ssh_host": "127.0.0.1"},
        },
        {
            "id": 11,
            "name": "sw1",
            "platform": {"id": 2, "slug": "ios"},
            "role": {"slug": "access"},
            "site": {"slug": "x"},
            "custom_fields": {},
        },
        {"id": 12, "name": "noplat", "platform": None},
    ]
    specs = host_specs(devices, platforms)
    assert [s.name for s in specs] == ["r1", "sw1"]
    r1, sw1 = specs
    assert (r1.hostname, r1.port, r1.platform) == ("127.0.0.1", 2201, "frr")
    assert r1.data["primary_ip4"] == "10.254.0.1"
    assert (sw1.hostname, sw1.port, sw1.platform) == ("sw1", None, "ios")
    inv = build_inventory(specs, username="netprov")
    a = inv.hosts["r1"].get_connection_parameters("napalm")
    b = inv.hosts["sw1"].get_connection_parameters("napalm")
    assert a.extras["optional_args"] is not b.extras["optional_args"]
    assert a.extras["optional_args"] == {"port": 2201}
    assert inv.hosts["r1"].username == "netprov"
