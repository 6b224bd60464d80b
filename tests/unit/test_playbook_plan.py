"""Playbooks: loading, device plans, checks resolved from symbols."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from netprov.domain.topology import load_topology
from netprov.errors import ConfigError, NotFoundError, RenderError
from netprov.render.playbook import (
    DeviceTarget,
    load_playbook,
    parse_playbook,
    plan_devices,
    resolve_checks,
)
from netprov.settings import Settings, load_settings
from netprov_lab.samples import DEFAULT_SAMPLES_DIR, load_sample

SETTINGS = load_settings()
TOPOLOGY = load_topology(SETTINGS.topology_file)
INTRANET = load_sample(DEFAULT_SAMPLES_DIR / "disdik-intranet-small.yaml")
INTERNET = load_sample(DEFAULT_SAMPLES_DIR / "dinkes-internet-small.yaml")
NO_SWITCH = load_sample(DEFAULT_SAMPLES_DIR / "dishub-internet-large.yaml")


def test_intranet_plan() -> None:
    pb = load_playbook(SETTINGS, "intranet")
    assert plan_devices(pb, INTRANET.allocation, TOPOLOGY) == [
        DeviceTarget(
            device="dist-batamkota1",
            platform="frr",
            role="distribution",
            template="frr/distribution.j2",
            mode="merge",
        ),
        DeviceTarget(device="cpe-disdik-bk", platform="frr", role="cpe", template="frr/cpe.j2", mode="merge"),
        DeviceTarget(
            device="sw-disdik-bk", platform="ios", role="access", template="ios/access.j2", mode="merge"
        ),
    ]


def test_internet_plan_touches_core_and_replaces_provider() -> None:
    pb = load_playbook(SETTINGS, "internet")
    plan = {t.role: t for t in plan_devices(pb, NO_SWITCH.allocation, TOPOLOGY)}
    assert set(plan) == {"distribution", "cpe", "core", "provider"}  # no access switch there
    assert plan["core"].device == "core-dc1" and plan["core"].mode == "merge"
    assert plan["provider"].device == "isp-pe1"
    assert plan["provider"].template == "bird2/provider.j2"
    assert plan["provider"].mode == "replace"


def test_platform_override() -> None:
    pb = load_playbook(SETTINGS, "internet")
    plan = plan_devices(pb, INTERNET.allocation, TOPOLOGY, {"cpe": "junos", "access": "eos"})
    by_role = {t.role: t.template for t in plan}
    assert by_role["cpe"] == "junos/cpe.j2" and by_role["access"] == "eos/access.j2"
    assert by_role["distribution"] == "frr/distribution.j2"


def test_playbook_service_must_match() -> None:
    with pytest.raises(RenderError, match="playbook is for intranet"):
        plan_devices(load_playbook(SETTINGS, "intranet"), INTERNET.allocation, TOPOLOGY)


def test_checks_resolve_to_concrete_values() -> None:
    checks = resolve_checks(load_playbook(SETTINGS, "internet"), INTERNET.allocation, TOPOLOGY)
    kinds = [c.kind for c in checks]
    assert "bgp_announced" in kinds and "ping" in kinds and "route" in kinds
    route = next(c for c in checks if c.kind == "route")
    assert route.device == "core-dc1" and route.prefix == ipaddress.ip_network("203.0.113.0/28")
    assert route.protocol == "ospf"
    ping = [c for c in checks if c.kind == "ping"]
    assert ping[0].from_device == "core-dc1"
    assert ping[0].target == ipaddress.ip_address("203.0.113.1")
    assert ping[1].from_device == "cpe-dinkes-sk"
    assert ping[1].source == ipaddress.ip_address("203.0.113.1")
    assert ping[1].target == ipaddress.ip_address("10.254.0.1")
    addr = next(c for c in checks if c.kind == "interface_address" and c.device == "cpe-dinkes-sk")
    assert addr.interface == "eth1" and str(addr.address) == "10.250.0.6/30"
    bgp = next(c for c in checks if c.kind == "bgp_announced")
    assert bgp.device == "isp-pe1"


def test_intranet_checks_never_expect_bgp() -> None:
    checks = resolve_checks(load_playbook(SETTINGS, "intranet"), INTRANET.allocation, TOPOLOGY)
    assert all(c.kind != "bgp_announced" for c in checks)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("service: x\ntargets: [{role: cpe, device: letter.opd, template: cpe}]\n", "device"),
        ("service: x\ntargets: [{role: cpe, device: allocation.cpe_device, template: ../x}]\n", "template"),
        (
            "service: x\ntargets: [{role: cpe, device: allocation.cpe_device, template: cpe, mode: push}]\n",
            "mode",
        ),
        ("service: x\ntargets: []\nchecks: [{kind: telnet}]\n", "kind"),
        (
            "service: x\ntargets:\n - {role: cpe, device: allocation.cpe_device, template: cpe}\n"
            " - {role: cpe, device: allocation.cpe_device, template: cpe}\n",
            "once",
        ),
    ],
)
def test_bad_playbooks_are_named(tmp_path: Path, text: str, match: str) -> None:
    (tmp_path / "bad.yaml").write_text(text)
    settings = Settings(playbooks_dir=tmp_path, lab_dir=tmp_path)
    with pytest.raises(ConfigError, match=match):
        load_playbook(settings, "bad")


def test_unknown_playbook() -> None:
    with pytest.raises(NotFoundError):
        load_playbook(SETTINGS, "decommission")
    with pytest.raises(NotFoundError):
        load_playbook(SETTINGS, "../etc/passwd")


def test_unknown_check_symbol() -> None:
    pb = parse_playbook(
        {
            "service": "intranet",
            "targets": [{"role": "cpe", "device": "allocation.cpe_device", "template": "cpe"}],
            "checks": [{"kind": "ping", "from": "cpe", "to": "secret_place"}],
        }
    )
    with pytest.raises(RenderError, match="secret_place"):
        resolve_checks(pb, INTRANET.allocation, TOPOLOGY)
