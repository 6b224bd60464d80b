"""Link stages, check kinds and the Provisioner facade with fakes (no lab, no NetBox, no devices)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest

from netprov.app import App
from netprov.domain.letters import load_form, load_letter
from netprov.domain.resources import Feasibility, Finding
from netprov.domain.sop import State
from netprov.domain.users import load_directory
from netprov.errors import PipelineError
from netprov.monitoring.base import ProbeStatus, Registration
from netprov.pipeline import link_stages as ls
from netprov.pipeline.checks import CHECK_KINDS, Device, check_kind, check_label, check_timeout
from netprov.pipeline.provision import STAGES, Provisioner
from netprov.pipeline.saga import JournalData, Stage
from netprov.render.playbook import ResolvedCheck
from netprov.settings import Settings
from netprov.sop.service import NoPapers, RequestService
from netprov.store.db import Store
from tests.form_file import FORM_YAML

DATA = Path(__file__).parent.parent / "data"
NET = ipaddress.ip_network("10.20.0.0/27")


def test_the_stages_keep_their_names_order_and_undos() -> None:
    assert STAGES == [
        "allocate",
        "render",
        "validate",
        "lock",
        "snapshot",
        "diff",
        "push",
        "release",
        "monitor-register",
        "verify",
        "monitor",
        "confirm",
        "record-netbox",
        "record",
    ]
    undone = {"allocate", "lock", "push", "monitor-register", "record-netbox"}
    assert {s.name for s in ls.LINK_STAGES if s.undo} == undone
    assert [s.name for s in ls.LINK_STAGES if s.begin] == ["push"]
    assert [s.name for s in ls.LINK_STAGES if s.reload] == [
        "lock",
        "snapshot",
        "push",
        "release",
        "monitor-register",
    ]


def test_check_labels_and_timeouts() -> None:
    ping = ResolvedCheck(
        kind="ping",
        from_device="cpe1",
        source=ipaddress.ip_address("10.20.0.1"),
        target=ipaddress.ip_address("10.0.0.1"),
    )
    addr = ResolvedCheck(
        kind="interface_address", device="d1", interface="eth1", address=ipaddress.ip_interface("10.9.0.1/30")
    )
    route = ResolvedCheck(kind="route", device="core", prefix=NET, protocol="static")
    bgp = ResolvedCheck(kind="bgp_announced", device="edge", prefix=NET)
    assert check_label(ping) == "ping cpe1 from 10.20.0.1 → 10.0.0.1"
    assert check_label(addr) == "d1 eth1 has 10.9.0.1/30"
    assert check_label(route) == "core has route 10.20.0.0/27 (static)"
    assert check_label(bgp) == "edge learned 10.20.0.0/27 by BGP"
    assert [check_timeout(c, 90.0) for c in (ping, addr, route, bgp)] == [90.0, 10.0, 90.0, 90.0]
    assert set(CHECK_KINDS) == {"ping", "interface_address", "route", "bgp_announced"}
    with pytest.raises(PipelineError, match="unknown check kind 'wifi'"):
        check_kind("wifi")


class FakeDriver:
    def get_interfaces_ip(self) -> dict[str, Any]:
        return {"eth1": {"ipv4": {"10.9.0.1": {"prefix_length": 30}}}}

    def get_route_to(self, destination: str, protocol: str) -> dict[str, Any]:
        return {destination: [{"current_active": True, "protocol": protocol, "next_hop": "10.9.0.2"}]}

    def ping(self, target: str, source: str, count: int, timeout: int) -> dict[str, Any]:
        return {"success": {"probes_sent": 3, "packet_loss": 1, "rtt_avg": 1.5}}

    def _send_bird_command(self, command: str) -> str:
        return "Table master4:\n10.20.0.0/27  unicast [opd1 10:00] * (100) [AS65001i]\n\tBGP.origin: IGP"


class FakeBirdPlatform:
    """Stands in for the bird2 platform: the bgp check asks the platform, not the driver."""

    def bgp_announced(self, conn: FakeDriver, prefix: str, device: str = "") -> tuple[bool, str]:
        out = conn._send_bird_command(f"show route {prefix} all")
        first = next(ln.strip() for ln in out.splitlines() if prefix in ln)
        return prefix in out and "BGP" in out, first


def test_each_check_kind_verifies_with_the_driver() -> None:
    drv = Device("d1", FakeDriver(), FakeBirdPlatform())  # type: ignore[arg-type]
    addr = ResolvedCheck(
        kind="interface_address", device="d1", interface="eth1", address=ipaddress.ip_interface("10.9.0.1/30")
    )
    assert check_kind("interface_address").verify(drv, addr) == (True, "eth1: 10.9.0.1")
    wrong = addr.model_copy(update={"address": ipaddress.ip_interface("10.9.0.1/29")})
    assert check_kind("interface_address").verify(drv, wrong)[0] is False
    route = ResolvedCheck(kind="route", device="core", prefix=NET, protocol="ospf")
    assert check_kind("route").verify(drv, route) == (True, "ospf via 10.9.0.2")
    ping = ResolvedCheck(kind="ping", from_device="c", target=ipaddress.ip_address("10.0.0.1"))
    assert check_kind("ping").verify(drv, ping) == (True, "2/3 replies, rtt 1.50 ms")
    bgp = ResolvedCheck(kind="bgp_announced", device="edge", prefix=NET)
    ok, detail = check_kind("bgp_announced").verify(drv, bgp)
    assert ok and detail.startswith("10.20.0.0/27  unicast")


def test_monitoring_evidence_lines() -> None:
    regs = [
        Registration(backend="zabbix", request_id="R1", created=True, ids={"host": "10", "item": "7"}),
        Registration(backend="prometheus", request_id="R1", created=False),
    ]
    statuses = [
        ProbeStatus(backend="zabbix", request_id="R1", up=True, waited_seconds=3.5, detail="icmp ok"),
        ProbeStatus(backend="prometheus", request_id="R1", up=None, waited_seconds=30.0, detail=""),
    ]
    assert ls.monitoring_evidence(regs, statuses) == [
        {
            "backend": "zabbix",
            "id": "host=10,item=7",
            "status": "up",
            "waited_seconds": 3.5,
            "detail": "icmp ok",
        },
        {"backend": "prometheus", "id": "R1", "status": "down", "waited_seconds": 30.0, "detail": ""},
    ]


# --- the facade over the real register, with fake stages ----------------------------------------
def _form_complete(svc: RequestService) -> str:
    rid = svc.submit(load_letter(DATA / "letter-intranet.yaml")).id
    svc.dispose(rid, "kadis", "kabid")
    svc.assign(rid, "kabid", "staff1")
    svc.check(
        rid,
        "staff1",
        Feasibility(
            feasible=True,
            service="intranet",
            hosts=20,
            bandwidth_mbps=50,
            prefix_length=27,
            source="manual",
            findings=[Finding(check="bandwidth", ok=True, detail="headroom")],
        ),
    )
    svc.accept(rid, "staff1")
    svc.fill_form(rid, "staff1", load_form(FORM_YAML))
    return rid


class FakeIpam:
    def __init__(self) -> None:
        self.released: list[str] = []

    def release(self, request_id: str) -> None:
        self.released.append(request_id)


class FakeStages(Provisioner):
    """allocate (undo: release) → check (may fail) → record, over the real register."""

    fail = False

    def stages(self) -> list[Stage[ls.LinkRun]]:
        def allocate(run: ls.LinkRun) -> JournalData:
            return {"allocation": {}}

        def check(run: ls.LinkRun) -> JournalData:
            if self.fail:
                raise PipelineError("check failed: ping cpe → core: 0/3 replies")
            return {"verification": []}

        return [
            Stage("allocate", allocate, undo=ls.undo_allocate),
            Stage("verify", check),
            Stage("record", ls.record),
        ]


@pytest.fixture
def register(tmp_path: Path, settings: Settings) -> RequestService:
    return RequestService(
        Store(f"sqlite:///{tmp_path / 'r.sqlite3'}"), load_directory(None), settings, NoPapers()
    )


def test_provisioner_records_step_7_and_a_rerun_is_a_noop(
    register: RequestService, settings: Settings
) -> None:
    rid = _form_complete(register)
    seen: list[tuple[str, str]] = []
    ipam: Any = FakeIpam()
    prov = FakeStages(settings, register, ipam, monitors=[], progress=lambda s, d, m: seen.append((s, m)))
    result = prov.run(rid, "staff1")
    assert result.status == "provisioned" and set(result.seconds) == {"allocate", "verify", "record"}
    assert result.outputs["run_id"] == result.run_id and result.outputs["playbook"] == "intranet"
    rec = register.get(rid)
    assert rec.state is State.PROVISIONED and rec.events[-1].outputs["mode"] == "pipeline"
    assert seen[0] == ("run", f"run {result.run_id}")
    assert prov.run(rid, "staff1").status == "already-provisioned"


def test_provisioner_failure_is_rolled_back_and_on_the_trail(
    register: RequestService, settings: Settings
) -> None:
    rid = _form_complete(register)
    ipam: Any = FakeIpam()
    prov = FakeStages(settings, register, ipam, monitors=[])
    prov.fail = True
    with pytest.raises(PipelineError, match=r"stage verify failed: check failed.*everything was rolled back"):
        prov.run(rid, "staff1")
    assert ipam.released == [rid]
    rec = register.get(rid)
    assert rec.state is State.FORM_COMPLETE
    last = rec.events[-1]
    assert last.action == "provision-failed" and last.outputs["rolled_back"] is True
    assert last.outputs["stage"] == "verify"


def test_provisioner_resume_after_a_kill_leaves_provision_resumed(
    register: RequestService, settings: Settings
) -> None:
    rid = _form_complete(register)
    ipam: Any = FakeIpam()

    def die(stage: str) -> None:
        if stage == "verify":
            raise KeyboardInterrupt  # Ctrl-C: rolled back at once, then re-raised

    with pytest.raises(KeyboardInterrupt):
        FakeStages(settings, register, ipam, monitors=[], fault=die).run(rid, "staff1")
    assert ipam.released == [rid]
    # a SIGKILL leaves begin without end: write what the dead run left, as its process would
    runs = register.runs
    runs.journal(rid, "dead1", "run", "start", {"actor": "staff1"})
    runs.journal(rid, "dead1", "allocate", "begin", {})
    prov = FakeStages(settings, register, ipam, monitors=[])
    with pytest.raises(PipelineError, match="dead1 was interrupted; use --resume"):
        prov.run(rid, "staff1")
    assert prov.run(rid, "staff1", resume=True).status == "provisioned"
    assert ipam.released == [rid, rid]
    actions = [e.action for e in register.get(rid).events]
    assert "provision-resumed" in actions and actions[-1] == "provision"
    assert prov.undo_finished_run(rid, "staff1") == [] and ipam.released == [rid, rid, rid]


def test_app_builds_parts_lazily_and_uses_given_ones(register: RequestService, settings: Settings) -> None:
    ipam: Any = FakeIpam()
    app = App(settings, service=register, ipam=ipam, monitors=[])
    assert app.service is register and app.ipam is ipam and app.monitors == []
    assert app.netbox_configured and app.monitors_if_configured() == []
    prov = app.provisioner(progress=lambda s, d, m: None)
    assert prov.svc is register and prov.ipam is ipam and prov.monitors == []
    bare = App(settings)
    assert bare.service.settings is settings and bare.service is bare.service


def test_a_check_that_raised_is_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A raising check marks its host failed in Nornir; the retry must still run on it."""
    from types import SimpleNamespace

    from nornir.core import Nornir
    from nornir.core.inventory import Defaults, Groups, Host, Hosts, Inventory
    from nornir.plugins.runners import SerialRunner

    hosts = Hosts({"cpe1": Host(name="cpe1")})
    nr = Nornir(inventory=Inventory(hosts=hosts, groups=Groups(), defaults=Defaults()), runner=SerialRunner())
    tries: list[int] = []

    def flaky(task: Any, check: ResolvedCheck) -> tuple[bool, str]:
        tries.append(1)
        if len(tries) == 1:
            raise ConnectionError("ssh reset")
        return True, "lan1: 10.20.0.1"

    monkeypatch.setattr(ls, "verify_task", flaky)
    run: Any = SimpleNamespace(nr=nr, deps=SimpleNamespace(converge_seconds=5.0))
    check = ResolvedCheck(kind="interface_address", device="cpe1", interface="lan1", address="10.20.0.1/27")
    monkeypatch.setattr("netprov.pipeline.device_ops.time.sleep", lambda _s: None)
    assert ls.verify_one(run, check) == (True, "lan1: 10.20.0.1")
    assert len(tries) == 2
