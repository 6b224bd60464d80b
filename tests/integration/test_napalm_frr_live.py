"""napalm_frr against the real FRR routers of the device lab (and napalm-bird2 on BIRD).

Every test leaves the routers as it found them (rollback), so tests after it start clean.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from napalm.base.exceptions import MergeConfigException, ReplaceConfigException

from netprov.devices.connection import driver_for, nornir_for_lab
from netprov.settings import Settings, load_settings
from tests.conftest import LAB_DIR

pytestmark = [pytest.mark.lab, pytest.mark.devices]


@pytest.fixture
def s(device_lab: dict[str, Any]) -> Settings:
    return load_settings(lab_dir=LAB_DIR)


@pytest.fixture
def drivers(s: Settings) -> Iterator[Callable[[str], Any]]:
    with ExitStack() as stack:
        yield lambda name: stack.enter_context(driver_for(s, name))


def _wait(predicate: Callable[[], bool], seconds: float, step: float = 0.5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def _running(d: Any) -> str:
    return str(d.get_config(retrieve="running")["running"])


# --- getters --------------------------------------------------------------------------------
def test_getters(drivers: Callable[[str], Any]) -> None:
    core = drivers("core-dc1")
    facts = core.get_facts()
    assert facts["hostname"] == "core-dc1" and facts["vendor"] == "FRRouting"
    assert {"eth1", "eth2", "eth3", "eth9", "lo"} <= set(facts["interface_list"])
    ifaces = core.get_interfaces()
    assert ifaces["eth1"]["is_up"] and ifaces["eth1"]["is_enabled"]
    ips = core.get_interfaces_ip()
    assert ips["eth1"]["ipv4"]["10.255.0.0"]["prefix_length"] == 31
    assert ips["lo"]["ipv4"]["10.254.0.1"]["prefix_length"] == 32
    assert _wait(
        lambda: core.get_bgp_neighbors()["global"]["peers"].get("198.51.100.1", {}).get("is_up", False), 30
    )
    assert _wait(lambda: "198.51.100.254/32" in core.get_route_to("198.51.100.254"), 15)
    routes = core.get_route_to("198.51.100.254")
    assert routes["198.51.100.254/32"][0]["protocol"] == "bgp"
    cpe = drivers("cpe-disdik-bk")
    assert cpe.get_interfaces()["lan1"]["is_up"]
    assert (
        "lan1" not in cpe.get_interfaces_ip() or "ipv4" not in cpe.get_interfaces_ip()["lan1"]
    )  # pre-cabled, unaddressed
    assert core.is_alive() == {"is_alive": True}


# --- config lifecycle ---------------------------------------------------------------------
def test_merge_compare_commit_rollback_is_byte_identical(drivers: Callable[[str], Any]) -> None:
    d = drivers("cpe-bappeda")
    before = _running(d)
    d.load_merge_candidate(
        config="interface eth1\n description PJB-TEST merge\n"
        " ip address 10.250.9.2/30\nexit\n"
        "router ospf\n network 10.250.9.0/30 area 0\nexit\n"
    )
    diff = d.compare_config()
    assert "Lines To Add" in diff and " ip address 10.250.9.2/30" in diff
    assert "Lines To Delete" not in diff  # a merge removes nothing
    d.commit_config(message="test merge")
    after = _running(d)
    assert " ip address 10.250.9.2/30" in after and " network 10.250.9.0/30 area 0" in after
    assert d.compare_config() == ""
    d.rollback()
    assert _running(d) == before


def test_replace_compare_commit_rollback(drivers: Callable[[str], Any]) -> None:
    d = drivers("cpe-camat-bk")
    before = _running(d)
    startup_before = d.get_config(retrieve="startup")["startup"]
    candidate = before.replace(
        "router ospf\n",
        "interface lan1\n description LAN camat\n ip address 10.100.77.1/24\nexit\n!\nrouter ospf\n",
        1,
    )
    d.load_replace_candidate(config=candidate)
    diff = d.compare_config()
    assert " ip address 10.100.77.1/24" in diff
    d.commit_config(message="test replace")
    assert " ip address 10.100.77.1/24" in _running(d)
    assert "10.100.77.1/24" in d.get_config(retrieve="startup")["startup"]  # written
    # a replace without the lan1 block removes it again
    d.load_replace_candidate(config=before)
    assert "Lines To Delete" in d.compare_config()
    d.discard_config()
    d.rollback()
    assert _running(d) == before
    assert (
        d.get_config(retrieve="startup")["startup"] == startup_before
        or "10.100.77.1" not in d.get_config(retrieve="startup")["startup"]
    )


def test_rejected_config_changes_nothing(drivers: Callable[[str], Any]) -> None:
    d = drivers("cpe-dishub")
    before = _running(d)
    with pytest.raises(MergeConfigException, match="Unknown command"):
        d.load_merge_candidate(config="interface eth1\n ip adress 10.250.8.2/30\n")
    with pytest.raises(ReplaceConfigException):
        d.load_replace_candidate(config="hostname x\nrouter ospf\n netwrk 10.0.0.0/8 area 0\n")
    assert _running(d) == before
    # parses, but FRR refuses it when applied (a second BGP instance): restored, then raised
    d.load_merge_candidate(config="router bgp 65099\n")
    d.commit_config(message="first bgp")
    mid = _running(d)
    d.load_merge_candidate(config="router bgp 65098\n neighbor 10.250.8.1 remote-as 65010\n")
    with pytest.raises(MergeConfigException, match="bgpd"):
        d.commit_config(message="second bgp")
    assert _running(d) == mid
    d.rollback()
    assert _running(d) == before


def test_revert_in_reverts_by_itself_even_if_client_is_gone(s: Settings) -> None:
    with driver_for(s, "cpe-dishub") as d:
        before = _running(d)
        d.load_merge_candidate(config="interface lan1\n ip address 10.100.88.1/24\nexit\n")
        d.commit_config(message="unconfirmed", revert_in=5)
        assert d.has_pending_commit()
        assert "10.100.88.1/24" in _running(d)
    # the client is gone; a new session sees the router revert on its own
    with driver_for(s, "cpe-dishub") as d2:
        assert _wait(lambda: not d2.has_pending_commit(), 20)
        assert _running(d2) == before
        log = d2.commit_log(3)
        assert any(e["action"] == "reverted" for e in log)


def test_confirm_commit_keeps_change(drivers: Callable[[str], Any]) -> None:
    d = drivers("cpe-dishub")
    before = _running(d)
    d.load_merge_candidate(config="interface lan1\n ip address 10.100.89.1/24\nexit\n")
    d.commit_config(message="confirmed", revert_in=4)
    d.confirm_commit()
    assert not d.has_pending_commit()
    time.sleep(5)
    assert "10.100.89.1/24" in _running(d)
    d.rollback()
    assert _running(d) == before


# --- end to end: two departments --------------------------------------------------------------
LINKS = {
    "dist-batamkota1": "interface eth2\n ip address 10.250.0.1/30\n ip ospf network point-to-point\n"
    " ip ospf hello-interval 1\n ip ospf dead-interval 4\nexit\n"
    "router ospf\n network 10.250.0.0/30 area 0\nexit\n",
    "cpe-disdik-bk": "interface eth1\n ip address 10.250.0.2/30\n ip ospf network point-to-point\n"
    " ip ospf hello-interval 1\n ip ospf dead-interval 4\nexit\n"
    "interface lan1\n ip address 10.100.1.1/24\nexit\n"
    "router ospf\n passive-interface lan1\n network 10.250.0.0/30 area 0\n"
    " network 10.100.1.0/24 area 0\nexit\n",
    "dist-sekupang1": "interface eth2\n ip address 10.250.0.5/30\n ip ospf network point-to-point\n"
    " ip ospf hello-interval 1\n ip ospf dead-interval 4\nexit\n"
    "router ospf\n network 10.250.0.4/30 area 0\nexit\n",
    "cpe-dinkes-sk": "interface eth1\n ip address 10.250.0.6/30\n ip ospf network point-to-point\n"
    " ip ospf hello-interval 1\n ip ospf dead-interval 4\nexit\n"
    "interface lan1\n ip address 10.100.2.1/24\nexit\n"
    "router ospf\n passive-interface lan1\n network 10.250.0.4/30 area 0\n"
    " network 10.100.2.0/24 area 0\nexit\n",
}


def test_ping_between_departments_only_after_links_are_configured(drivers: Callable[[str], Any]) -> None:
    ds = {name: drivers(name) for name in LINKS}
    before = {name: _running(d) for name, d in ds.items()}
    src = ds["cpe-disdik-bk"]
    res = src.ping("10.100.2.1", count=1, timeout=1)
    assert "error" in res or res["success"]["packet_loss"] == 1
    try:
        for name, d in ds.items():
            d.load_merge_candidate(config=LINKS[name])
            d.commit_config(message=f"test link {name}")
        dst = ds["cpe-dinkes-sk"]
        assert _wait(
            lambda: (
                "10.100.2.0/24" in src.get_route_to("10.100.2.0/24")
                and "10.100.1.0/24" in dst.get_route_to("10.100.1.0/24")
            ),
            30,
        )
        # the routes are there; the kernel FIBs along the path follow within a moment
        assert _wait(
            lambda: (
                "success" in (r := src.ping("10.100.2.1", source="10.100.1.1", count=1, timeout=1))
                and r["success"]["packet_loss"] == 0
            ),
            15,
        )
        res = src.ping("10.100.2.1", source="10.100.1.1", count=3, timeout=1)
        assert res["success"]["packet_loss"] == 0, res
        assert res["success"]["results"][0]["ip_address"] == "10.100.2.1"
    finally:
        for d in ds.values():
            d.rollback()
    for name, d in ds.items():
        assert _running(d) == before[name]
    res = src.ping("10.100.2.1", count=1, timeout=1)
    assert "error" in res or res["success"]["packet_loss"] == 1


# --- BIRD through napalm-bird2 ------------------------------------------------------------------
def test_ebgp_with_bird_comes_up_after_push_through_napalm_bird2(drivers: Callable[[str], Any]) -> None:
    pe = drivers("isp-pe1")
    core = drivers("core-dc1")
    baseline = pe.transport.read_file("/etc/bird/bird.conf")
    assert "protocol bgp city" in baseline

    def peer_up() -> bool:
        peer = core.get_bgp_neighbors()["global"]["peers"].get("198.51.100.1", {})
        return bool(peer.get("is_up"))

    without_bgp = baseline.split("protocol bgp city", 1)[0]
    try:
        pe.load_replace_candidate(config=without_bgp)
        pe.commit_config()
        assert _wait(lambda: not peer_up(), 15)
        pe.load_replace_candidate(config=baseline)
        assert "protocol bgp city" in pe.compare_config()
        pe.commit_config()
        assert _wait(peer_up, 30)
        assert _wait(lambda: "198.51.100.254/32" in core.get_route_to("198.51.100.254"), 15)
    finally:
        pe.transport.write_file("/etc/bird/bird.conf", baseline)
        pe.transport.send_bird_command("configure")


# --- Nornir over the inventory ---------------------------------------------------------------------
def test_nornir_inventory_reaches_every_router(s: Settings) -> None:
    from nornir_napalm.plugins.tasks import napalm_get
    from nornir_netmiko.tasks import netmiko_send_command

    nr = nornir_for_lab(s)
    routers = nr.filter(filter_func=lambda h: h.platform in ("frr", "bird2"))
    result = routers.run(task=napalm_get, getters=["facts"])
    assert not result.failed, {h: r.exception for h, r in result.items() if r.failed}
    for name, r in result.items():
        if nr.inventory.hosts[name].platform == "frr":
            assert r[0].result["facts"]["hostname"] == name
    sw = nr.filter(name="sw-disdik-bk").run(
        task=netmiko_send_command, command_string="show running-config", enable=True
    )
    assert not sw.failed, sw["sw-disdik-bk"].exception
    assert "interface FastEthernet0/1" in sw["sw-disdik-bk"][0].result
