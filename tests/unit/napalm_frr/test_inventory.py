"""The Nornir inventory agrees with the topology and carries no secrets."""

from __future__ import annotations

from pathlib import Path

import yaml

from netprov.domain.topology import load_topology
from netprov.settings import REPO_ROOT

INV = REPO_ROOT / "inventory"


def _load(name: str) -> dict:
    return yaml.safe_load((INV / name).read_text(encoding="utf-8"))


def test_hosts_match_topology() -> None:
    topo = load_topology(INV / "topology.yaml")
    hosts = _load("hosts.yaml")
    assert set(hosts) == {d.name for d in topo.devices}
    for d in topo.devices:
        h = hosts[d.name]
        assert h["hostname"] == "127.0.0.1"
        assert h["platform"] == d.platform
        assert h["port"] == d.ssh_port
        # per host, inside the host's own optional_args (the nornir-napalm 0.6.0 gotcha)
        assert h["connection_options"]["napalm"]["extras"]["optional_args"]["port"] == d.ssh_port


def test_groups_have_no_optional_args() -> None:
    for name, group in _load("groups.yaml").items():
        assert "connection_options" not in (group or {}), name


def test_no_secrets_in_inventory() -> None:
    for f in ("hosts.yaml", "groups.yaml", "defaults.yaml", "config.yaml"):
        lines = (INV / f).read_text(encoding="utf-8").lower().splitlines()
        text = "\n".join(ln for ln in lines if not ln.lstrip().startswith("#"))
        for word in ("password:", "secret", "token", "key_file:"):
            assert word not in text, (f, word)


def test_config_points_at_files() -> None:
    cfg = _load("config.yaml")
    for key in ("host_file", "group_file", "defaults_file"):
        assert (REPO_ROOT / cfg["inventory"]["options"][key]).exists()
    assert cfg["runner"]["plugin"] == "threaded"


def test_get_network_driver_finds_frr() -> None:
    import napalm

    from napalm_frr import FRRDriver

    assert napalm.get_network_driver("frr") is FRRDriver
    assert Path(FRRDriver.__module__.replace(".", "/") + ".py").name == "frr.py"
