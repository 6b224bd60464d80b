"""Both backends against the real Zabbix 6.0 and Prometheus + blackbox of the monitoring lab.

Probe targets are only ever inside the lab: a throwaway namespace wired to the probe namespace
with a veth pair (``np-mt-*``), core-dc1's loopback when the device lab is up, and, for the
isolation test, an address the probe namespace has no route to (so nothing is sent at all).
"""

from __future__ import annotations

import ipaddress
import subprocess
import time
import urllib.request
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from netprov.errors import MonitoringError
from netprov.monitoring import (
    MonitoredLink,
    PrometheusBackend,
    ZabbixBackend,
    backends_from_settings,
    deregister_all,
    register_all,
)
from netprov.settings import Settings
from netprov_lab import monitoring as mon
from netprov_lab import monitoring_proc as proc
from tests.form_file import FORM_YAML

pytestmark = [pytest.mark.lab, pytest.mark.monitoring]

PEER_NS = "np-mt-peer"
VETH_MON, VETH_PEER = "np-mt-m", "np-mt-p"
MON_ADDR, PEER_ADDR = "10.253.0.253/30", "10.253.0.254/30"
PEER_IP = ipaddress.IPv4Address("10.253.0.254")
BOUND = 120.0  # seconds a probe may take to report (measured: Zabbix 4-19 s, Prometheus 2-12 s)


def link(request_id: str, address: ipaddress.IPv4Address, **over: Any) -> MonitoredLink:
    data: dict[str, Any] = dict(
        request_id=request_id,
        opd="mt-test",
        opd_name="OPD Uji Monitoring",
        site="Lokasi Uji",
        service="intranet",
        bandwidth_mbps=20,
        circuit="dist-batamkota1:eth2 ↔ cpe-disdik-bk:eth1",
        address=address,
        device="cpe-disdik-bk",
    )
    data.update(over)
    return MonitoredLink.model_validate(data)


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


@pytest.fixture(scope="module")
def peer(monitoring_lab: dict[str, Any]) -> Iterator[ipaddress.IPv4Address]:
    """A throwaway namespace wired to the probe namespace: a target only the probes can reach."""
    ns = (
        mon.DEFAULT_NAMESPACE
        if not monitoring_lab.get("namespace")
        else str(monitoring_lab["namespace"]).split()[0]
    )
    _ip("netns", "del", PEER_NS, check=False)
    _ip("-n", ns, "link", "del", VETH_MON, check=False)
    _ip("netns", "add", PEER_NS)
    try:
        _ip("link", "add", VETH_MON, "netns", ns, "type", "veth", "peer", "name", VETH_PEER, "netns", PEER_NS)
        _ip("-n", ns, "addr", "add", MON_ADDR, "dev", VETH_MON)
        _ip("-n", ns, "link", "set", VETH_MON, "up")
        _ip("-n", PEER_NS, "addr", "add", PEER_ADDR, "dev", VETH_PEER)
        _ip("-n", PEER_NS, "link", "set", VETH_PEER, "up")
        _ip("-n", PEER_NS, "link", "set", "lo", "up")
        yield PEER_IP
    finally:
        _ip("netns", "del", PEER_NS, check=False)  # takes the veth pair with it


@pytest.fixture
def backends(monitoring_lab: dict[str, Any], lab_settings: Settings) -> list[Any]:
    return list(backends_from_settings(lab_settings))


@pytest.fixture
def zabbix(backends: list[Any]) -> ZabbixBackend:
    return next(b for b in backends if isinstance(b, ZabbixBackend))


@pytest.fixture
def prometheus(backends: list[Any]) -> PrometheusBackend:
    return next(b for b in backends if isinstance(b, PrometheusBackend))


@pytest.fixture
def request_id(backends: list[Any], request: pytest.FixtureRequest) -> Iterator[str]:
    rid = f"MT-2026-{zlib.crc32(request.node.name.encode()) % 10000:04d}"
    deregister_all(backends, rid)
    yield rid
    deregister_all(backends, rid)


def prom_targets(prometheus: PrometheusBackend, rid: str) -> list[dict[str, Any]]:
    resp = requests.get(f"{prometheus.url}/api/v1/targets", params={"state": "active"}, timeout=10)
    resp.raise_for_status()
    return [t for t in resp.json()["data"]["activeTargets"] if t["labels"].get("request_id") == rid]


def wait_until(check: Any, timeout: float = 40.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def zabbix_hosts(zabbix: ZabbixBackend, rid: str) -> list[dict[str, Any]]:
    return list(
        zabbix.call(
            "host.get",
            {
                "filter": {"host": rid},
                "output": ["hostid", "name"],
                "selectTags": ["tag", "value"],
                "selectMacros": ["macro", "value"],
                "selectInventory": ["name", "notes"],
                "selectParentTemplates": ["name"],
                "selectGroups": ["name"],
            },
        )
    )


# --- register -> up; again -> updated; deregister -> gone ----------------------------------------


def test_register_probe_up_update_deregister(
    peer: ipaddress.IPv4Address,
    backends: list[Any],
    zabbix: ZabbixBackend,
    prometheus: PrometheusBackend,
    request_id: str,
) -> None:
    rid = request_id
    t0 = time.monotonic()
    regs = register_all(backends, link(rid, peer))
    assert [r.created for r in regs] == [True, True]
    timings: dict[str, float] = {}
    for b in backends:
        st = b.status(rid, wait_seconds=BOUND)
        timings[b.name] = time.monotonic() - t0
        assert st.up is True, st
        assert st.last_value == 1.0 and st.since is not None
    print(f"register -> first success: {timings}")

    # Zabbix: one host, in the department group, ICMP template, tags/macros/inventory.
    hosts = zabbix_hosts(zabbix, rid)
    assert len(hosts) == 1
    h = hosts[0]
    assert h["name"] == f"{rid} OPD Uji Monitoring - Lokasi Uji"
    assert [g["name"] for g in h["groups"]] == ["OPD/OPD Uji Monitoring"]
    assert [t["name"] for t in h["parentTemplates"]] == ["ICMP Ping"]
    tags = {t["tag"]: t["value"] for t in h["tags"]}
    assert tags["request_id"] == rid and tags["bandwidth_mbps"] == "20"
    assert {m["macro"]: m["value"] for m in h["macros"]}["{$NETPROV.BANDWIDTH_MBPS}"] == "20"
    assert h["inventory"]["name"] == "cpe-disdik-bk"

    # Register again with new facts: still one host / one target, updated tags and labels.
    regs = register_all(backends, link(rid, peer, bandwidth_mbps=100, site="Lokasi Baru"))
    assert [r.created for r in regs] == [False, False]
    hosts = zabbix_hosts(zabbix, rid)
    assert len(hosts) == 1
    tags = {t["tag"]: t["value"] for t in hosts[0]["tags"]}
    assert tags["bandwidth_mbps"] == "100" and tags["site"] == "Lokasi Baru"
    assert sum(1 for t in hosts[0]["tags"] if t["tag"] == "bandwidth_mbps") == 1
    assert {m["macro"]: m["value"] for m in hosts[0]["macros"]}["{$NETPROV.BANDWIDTH_MBPS}"] == "100"
    assert len(list(prometheus.sd_dir.glob(f"{rid}*.json"))) == 1
    updated = wait_until(
        lambda: [t for t in prom_targets(prometheus, rid) if t["labels"].get("bandwidth_mbps") == "100"]
    )
    assert len(updated) == 1, prom_targets(prometheus, rid)
    assert len(prom_targets(prometheus, rid)) == 1
    assert updated[0]["labels"]["site"] == "Lokasi Baru"
    assert updated[0]["labels"]["instance"] == str(peer)

    # Deregister: gone from both, and the department group netprov made is gone too.
    assert deregister_all(backends, rid) == {"zabbix": True, "prometheus": True}
    assert zabbix_hosts(zabbix, rid) == []
    assert zabbix.call("hostgroup.get", {"filter": {"name": "OPD/OPD Uji Monitoring"}}) == []
    assert not (prometheus.sd_dir / f"{rid}.json").exists()
    assert wait_until(lambda: not prom_targets(prometheus, rid)), "target still active"
    assert deregister_all(backends, rid) == {"zabbix": False, "prometheus": False}
    for b in backends:
        assert b.find(rid) is None


def test_address_change_moves_the_probe(
    peer: ipaddress.IPv4Address, zabbix: ZabbixBackend, request_id: str
) -> None:
    rid = request_id
    zabbix.register(link(rid, ipaddress.IPv4Address("10.253.0.253")))
    reg = zabbix.register(link(rid, peer))
    assert reg.address == str(peer)
    assert len(zabbix_hosts(zabbix, rid)) == 1


@pytest.fixture
def core_loopback(device_lab: dict[str, Any]) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address("10.254.0.1")


def test_probe_sees_the_core_router(
    core_loopback: ipaddress.IPv4Address,
    monitoring_lab: dict[str, Any],
    backends: list[Any],
    request_id: str,
) -> None:
    """With the device lab up, the probes reach core-dc1's loopback through the probe link."""
    register_all(backends, link(request_id, core_loopback))
    for b in backends:
        st = b.status(request_id, wait_seconds=BOUND)
        assert st.up is True, st


# --- isolation: no route, probe fails locally -------------------------------------------------


def unroutable(ns: str) -> ipaddress.IPv4Address:
    """A lab address when the probe namespace has no routes; else one it has no route to."""
    candidates = ["10.254.0.1"] if not proc.netns_routes(ns) else ["198.18.0.1", "198.19.255.1"]
    for cand in candidates:
        res = _ip("netns", "exec", ns, "ip", "route", "get", cand, check=False)
        if res.returncode != 0 and "unreachable" in res.stderr.lower():
            return ipaddress.IPv4Address(cand)
    pytest.fail(f"the probe namespace {ns} routes every candidate; refusing to probe them")


def test_without_route_the_probe_is_down_and_fails_locally(
    monitoring_lab: dict[str, Any],
    lab_settings: Settings,
    backends: list[Any],
    request_id: str,
) -> None:
    ns = mon.probe_namespace(lab_settings)
    target = unroutable(ns)
    register_all(backends, link(request_id, target))
    for b in backends:
        st = b.status(request_id, wait_seconds=60, until_up=False)
        assert st.up is False, st
        assert st.last_value == 0.0
    # The blackbox exporter (inside the namespace) cannot even send: no route.
    with urllib.request.urlopen(
        f"http://127.0.0.1:9115/probe?module=icmp&debug=true&target={target}", timeout=10
    ) as resp:
        debug = resp.read().decode()
    assert "network is unreachable" in debug.lower(), debug[:2000]
    # fping as the Zabbix pinger runs it, in the same namespace: no reply (the kernel has no
    # route, checked above, so the packet is refused before it is sent).
    res = subprocess.run(
        ["ip", "netns", "exec", ns, "fping", "-c1", "-t200", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode != 0
    assert "100%" in res.stderr, res.stderr


# --- errors leave nothing half-made --------------------------------------------------------------


def test_bad_token_is_a_clear_error_and_makes_nothing(zabbix: ZabbixBackend, request_id: str) -> None:
    bad = "0" * 64
    b = ZabbixBackend(zabbix.url, bad)
    with pytest.raises(MonitoringError) as err:
        b.register(link(request_id, PEER_IP, opd_name="OPD Token Salah"))
    assert "refused the API token" in str(err.value)
    assert bad not in str(err.value)
    assert zabbix.find(request_id) is None
    assert zabbix.call("hostgroup.get", {"filter": {"name": "OPD/OPD Token Salah"}}) == []
    with pytest.raises(MonitoringError, match="refused the API token"):
        b.status(request_id)


def test_failed_host_create_removes_the_group_it_made(
    zabbix: ZabbixBackend, request_id: str, mocker: Any
) -> None:
    real_call = zabbix.call

    def failing(method: str, params: Any, action: str | None = None) -> Any:
        if method == "host.create":
            raise MonitoringError("Zabbix refused to create host (injected)")
        return real_call(method, params, action)

    mocker.patch.object(zabbix, "call", side_effect=failing)
    with pytest.raises(MonitoringError, match="injected"):
        zabbix.register(link(request_id, PEER_IP, opd_name="OPD Gagal"))
    mocker.stopall()
    assert zabbix.find(request_id) is None
    assert zabbix.call("hostgroup.get", {"filter": {"name": "OPD/OPD Gagal"}}) == []


def test_stopped_servers_give_clear_errors(
    monitoring_lab: dict[str, Any],
    lab_settings: Settings,
    backends: list[Any],
    zabbix: ZabbixBackend,
    prometheus: PrometheusBackend,
    request_id: str,
) -> None:
    """Stop the Zabbix frontend and Prometheus for a moment; restore with `up`."""
    zp, pp = mon.zabbix_paths(lab_settings), mon.prom_paths(lab_settings)
    try:
        assert proc.stop_pidfile(zp.nginx_pid, "nginx", 15)
        assert proc.stop_pidfile(pp.prom_pid, "prometheus.yml", 30)
        with pytest.raises(MonitoringError) as err:
            register_all(backends, link(request_id, PEER_IP))
        assert "not reachable" in str(err.value) and "127.0.0.1:8081" in str(err.value)
        assert not (prometheus.sd_dir / f"{request_id}.json").exists()  # nothing half-made
        prometheus.register(link(request_id, PEER_IP))  # file_sd needs no server
        with pytest.raises(MonitoringError, match=r"Prometheus at http://127\.0\.0\.1:9090 is not"):
            prometheus.status(request_id, wait_seconds=0)
        prometheus.deregister(request_id)
    finally:
        mon.up(lab_settings, lambda _msg: None)
    assert zabbix.find(request_id) is None


# --- the CLI, through the real register -------------------------------------------------------


def provisioned_request(settings: Settings, gateway: str, prefix: str) -> str:
    """A request walked to step 7 with an allocation whose LAN gateway is ``gateway``."""
    from pathlib import Path

    from netprov.domain.letters import load_form, load_letter
    from netprov.domain.resources import Allocation, Candidate, Feasibility, Finding
    from netprov.sop.service import RequestService

    data = Path(__file__).parent.parent / "data"
    svc = RequestService.from_settings(settings)
    from tests.letters import renumbered

    rid = svc.submit(renumbered(load_letter(data / "letter-intranet.yaml"))).id
    svc.dispose(rid, "kadis", "kabid")
    svc.assign(rid, "kabid", "staff1")
    svc.check(
        rid,
        "staff1",
        Feasibility(
            feasible=True,
            service="intranet",
            hosts=1,
            bandwidth_mbps=20,
            prefix_length=30,
            findings=[Finding(check="prefix", ok=True, detail=f"{prefix} free")],
            candidate=Candidate(lan_prefix=ipaddress.IPv4Network(prefix)),
            source="manual",
        ),
    )
    svc.accept(rid, "staff1")
    svc.fill_form(rid, "staff1", load_form(FORM_YAML))
    alloc = Allocation(
        request_id=rid,
        service="intranet",
        opd_slug="disdik",
        opd_name="Dinas Pendidikan",
        site_slug="upt-disdik-batamkota",
        site_name="UPT Pendidikan Batam Kota",
        bandwidth_mbps=20,
        lan_prefix=ipaddress.IPv4Network(prefix),
        lan_gateway=ipaddress.IPv4Interface(gateway),
        transfer_prefix=ipaddress.IPv4Network("10.250.0.0/30"),
        dist_address=ipaddress.IPv4Interface("10.250.0.1/30"),
        cpe_address=ipaddress.IPv4Interface("10.250.0.2/30"),
        vlan_id=100,
        vlan_name="v100",
        dist_device="dist-batamkota1",
        dist_interface="eth2",
        cpe_device="cpe-disdik-bk",
        cpe_interface="eth1",
        cpe_lan_interface="lan1",
    )
    svc.record_provisioned(rid, "staff1", {"allocation": alloc.model_dump(mode="json")})
    return rid


def test_cli_register_status_deregister(
    peer: ipaddress.IPv4Address,
    lab_settings: Settings,
    backends: list[Any],
) -> None:
    import json

    from typer.testing import CliRunner

    from netprov.cli.main import app
    from netprov.sop.service import RequestService

    rid = provisioned_request(lab_settings, f"{peer}/30", "10.253.0.252/30")
    deregister_all(backends, rid)  # a fresh register's first id: whatever an earlier run left goes
    runner = CliRunner()
    try:
        res = runner.invoke(
            app, ["--as", "staff1", "monitor", "register", rid, "--wait", str(BOUND), "--json"]
        )
        assert res.exit_code == 0, res.output
        out = json.loads(res.output)
        assert [r["backend"] for r in out["registrations"]] == ["zabbix", "prometheus"]
        assert all(s["up"] is True for s in out["status"])
        assert out["link"]["address"] == str(peer)

        res = runner.invoke(app, ["monitor", "status", rid, "--wait", "30"])
        assert res.exit_code == 0, res.output
        assert res.output.count("UP") == 2

        events = RequestService.from_settings(lab_settings).get(rid).events
        assert events[-1].action == "monitor"
        assert [m["status"] for m in events[-1].outputs["monitoring"]] == ["up", "up"]
        token = lab_settings.zabbix_token.get_secret_value() if lab_settings.zabbix_token else "none"
        assert token not in res.output and token not in json.dumps(events[-1].outputs)

        res = runner.invoke(app, ["--as", "staff1", "monitor", "deregister", rid])
        assert res.exit_code == 0, res.output
        assert "zabbix: removed" in res.output and "prometheus: removed" in res.output
        res = runner.invoke(app, ["monitor", "status", rid, "--wait", "0", "--json"])
        assert res.exit_code == 1
        assert all(s["up"] is None for s in json.loads(res.output))
    finally:
        deregister_all(backends, rid)


def test_cli_register_without_allocation_is_a_workflow_error(
    monitoring_lab: dict[str, Any], lab_settings: Settings
) -> None:
    from pathlib import Path

    from typer.testing import CliRunner

    from netprov.cli.main import app
    from netprov.domain.letters import load_letter
    from netprov.errors import WorkflowError
    from netprov.sop.service import RequestService

    data = Path(__file__).parent.parent / "data"
    from tests.letters import renumbered

    letter = renumbered(load_letter(data / "letter-intranet.yaml"))
    rid = RequestService.from_settings(lab_settings).submit(letter).id
    res = CliRunner().invoke(app, ["--as", "staff1", "monitor", "register", rid])
    assert isinstance(res.exception, WorkflowError)
    assert "no allocation yet" in str(res.exception)


def test_concurrent_registers_make_one_host(
    zabbix: ZabbixBackend, prometheus: PrometheusBackend, request_id: str
) -> None:
    """Four registers of the same request at once (fresh department group too): one host."""
    from concurrent.futures import ThreadPoolExecutor

    def one(i: int) -> tuple[bool, bool]:
        z = ZabbixBackend(zabbix.url, zabbix._token)
        lk = link(request_id, PEER_IP, opd_name="OPD Serentak", bandwidth_mbps=10 + i)
        return z.register(lk).created, prometheus.register(lk).created

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(one, range(4)))
    assert len(zabbix_hosts(zabbix, request_id)) == 1
    assert len(zabbix.call("hostgroup.get", {"filter": {"name": "OPD/OPD Serentak"}})) == 1
    assert len(list(prometheus.sd_dir.glob(f"{request_id}*"))) == 1
    assert sum(1 for z, _ in results if z) <= 1
    assert [p.name for p in prometheus.sd_dir.iterdir() if p.name.startswith(".")] == []
