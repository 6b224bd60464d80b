"""Step 7 end to end on the real lab: NetBox, FRR/BIRD routers, Zabbix and Prometheus.

Every test checks effects on the real systems, and that a failure anywhere leaves routers,
NetBox and monitoring as they were before (or resumable), with the trail complete.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from netprov.domain.sop import State
from netprov.errors import PipelineError
from netprov.monitoring.factory import backends_from_settings
from netprov.netbox.adapter import NetBoxIpam
from netprov.pipeline import device_ops, link_stages
from netprov.pipeline.nornir_setup import build_nornir, only
from netprov.pipeline.provision import Provisioner
from netprov.settings import Settings
from netprov.sop.service import RequestService

pytestmark = [pytest.mark.e2e, pytest.mark.lab]

INTRANET = "4-intranet-camat.yaml"  # Kantor Camat Batam Kota: dist-batamkota1 eth4 <-> cpe-camat-bk
INTERNET = (
    "2-internet-bappeda.yaml"  # Kantor Bappeda: dist-batamkota1 eth3 <-> cpe-bappeda (+ BGP to isp-pe1)
)


def configs(settings: Settings, devices: list[str]) -> dict[str, str]:
    nr = build_nornir(settings)
    try:
        res = only(nr, devices).run(task=device_ops.running_config)
        return {name: str(r[0].result) for name, r in res.items()}
    finally:
        nr.close_connections()


def prov(settings: Settings, svc: RequestService, **kw: Any) -> Provisioner:
    return Provisioner(settings, svc, NetBoxIpam.from_settings(settings), **kw)


def assert_untouched(settings: Settings, rid: str, before: dict[str, str]) -> None:
    assert configs(settings, list(before)) == before, "a router did not return to its starting config"
    assert NetBoxIpam.from_settings(settings).tagged_objects(rid) == []
    for b in backends_from_settings(settings):
        assert b.find(rid) is None, f"{b.name} still monitors {rid}"


def test_intranet_and_internet_links(
    e2e_settings: Settings, svc: RequestService, walk: Callable[[str], str], cleanup: list[str]
) -> None:
    devices = ["dist-batamkota1", "cpe-camat-bk", "cpe-bappeda", "core-dc1", "isp-pe1"]
    before = configs(e2e_settings, devices)
    intranet = walk(INTRANET)
    p = prov(e2e_settings, svc)
    dry = p.dry_run(intranet)
    assert dry.changes_pending and not dry.allocated
    assert {d.device for d in dry.diffs if d.diff.strip()} == {"dist-batamkota1", "cpe-camat-bk"}
    assert configs(e2e_settings, devices) == before, "dry run changed a router"
    assert NetBoxIpam.from_settings(e2e_settings).tagged_objects(intranet) == []

    cleanup.append(intranet)
    result = p.run(intranet, "staff1")
    assert result.status == "provisioned"
    rec = svc.get(intranet)
    assert rec.state is State.PROVISIONED
    alloc = rec.allocation
    assert alloc is not None and alloc.cpe_device == "cpe-camat-bk"
    out = rec.events[-1].outputs
    assert all(c["ok"] for c in out["verification"])
    assert any(c["check"].startswith("ping core-dc1") for c in out["verification"])
    assert {m["backend"] for m in out["monitoring"]} == {"zabbix", "prometheus"}
    assert all(m["status"] == "up" for m in out["monitoring"])
    objs = NetBoxIpam.from_settings(e2e_settings).tagged_objects(intranet)
    assert {"prefix", "ip"} <= {str(o["kind"]) for o in objs} and all(o["journaled"] for o in objs)

    # the link is real: the core pings the department LAN gateway
    nr = build_nornir(e2e_settings)
    try:
        ping = only(nr, ["core-dc1"]).run(
            task=lambda t: t.host.get_connection("napalm", t.nornir.config).ping(
                str(alloc.lan_gateway.ip), count=2
            )
        )
        assert (
            ping["core-dc1"][0].result["success"]["probes_sent"]
            > ping["core-dc1"][0].result["success"]["packet_loss"]
        )
    finally:
        nr.close_connections()

    # a second run is a no-op; a second dry run shows nothing to change
    assert p.run(intranet, "staff1").status == "already-provisioned"
    again = p.dry_run(intranet)
    assert again.allocated and not any(d.diff.strip() for d in again.diffs)

    internet = walk(INTERNET)
    cleanup.append(internet)
    p.run(internet, "staff1")
    rec = svc.get(internet)
    checks = rec.events[-1].outputs["verification"]
    assert any("by BGP" in c["check"] and c["ok"] for c in checks), checks
    assert rec.allocation is not None and rec.allocation.lan_prefix.subnet_of(
        __import__("ipaddress").ip_network("203.0.113.0/24")
    )


def test_device_unreachable_rolls_back(
    e2e_settings: Settings, svc: RequestService, walk: Callable[[str], str], cleanup: list[str]
) -> None:
    before = configs(e2e_settings, ["dist-batamkota1", "cpe-camat-bk"])
    rid = walk(INTRANET)
    cleanup.append(rid)

    def unreachable(dry: bool):  # type: ignore[no-untyped-def]
        nr = build_nornir(e2e_settings, dry_run=dry)
        nr.inventory.hosts["cpe-camat-bk"].port = 1  # nothing listens there: connection refused
        nr.inventory.hosts["cpe-camat-bk"].connection_options["napalm"].extras["optional_args"]["port"] = 1
        return nr

    with pytest.raises(PipelineError, match="rolled back"):
        prov(e2e_settings, svc, nornir_factory=unreachable).run(rid, "staff1")
    assert svc.get(rid).state is State.FORM_COMPLETE
    assert svc.get(rid).events[-1].action == "provision-failed"
    assert_untouched(e2e_settings, rid, before)


def test_commit_refused_on_second_device(
    e2e_settings: Settings, svc: RequestService, walk: Callable[[str], str], cleanup: list[str]
) -> None:
    before = configs(e2e_settings, ["dist-batamkota1", "cpe-camat-bk"])
    rid = walk(INTRANET)
    cleanup.append(rid)

    class BadCpeConfig(Provisioner):
        """The CPE's config goes bad between the diff and the push: FRR refuses it at commit,
        after the distribution router has already committed."""

        def stages(self):  # type: ignore[no-untyped-def]
            def bad_push(run):  # type: ignore[no-untyped-def]
                run.configs = [
                    c.model_copy(update={"text": c.text + "\ninterface eth1\n ip address 10.250.999.1/30\n"})
                    if c.role == "cpe"
                    else c
                    for c in run.configs
                ]
                return link_stages.push(run)

            stages = super().stages()
            return [dataclasses.replace(s, do=bad_push) if s.name == "push" else s for s in stages]

    p = BadCpeConfig(e2e_settings, svc, NetBoxIpam.from_settings(e2e_settings))
    with pytest.raises(PipelineError, match=r"stage push failed.*cpe-camat-bk.*rolled back"):
        p.run(rid, "staff1")
    assert_untouched(e2e_settings, rid, before)
    trail = svc.get(rid).events[-1]
    assert trail.action == "provision-failed" and trail.outputs["rolled_back"] is True


def test_ping_failure_rolls_back(
    e2e_settings: Settings, svc: RequestService, walk: Callable[[str], str], cleanup: list[str]
) -> None:
    before = configs(e2e_settings, ["dist-batamkota1", "cpe-camat-bk"])
    rid = walk(INTRANET)
    cleanup.append(rid)

    def cut_the_fibre(stage: str) -> None:
        if stage == "push":
            subprocess.run(["ip", "-n", "np-cpe-camat-bk", "link", "set", "eth1", "down"], check=True)

    import netprov.pipeline.provision as pp

    old = pp.CONVERGE_SECONDS
    pp.CONVERGE_SECONDS = 15.0
    try:
        with pytest.raises(PipelineError, match="verify"):
            prov(e2e_settings, svc, fault=cut_the_fibre).run(rid, "staff1")
    finally:
        pp.CONVERGE_SECONDS = old
        subprocess.run(["ip", "-n", "np-cpe-camat-bk", "link", "set", "eth1", "up"], check=True)
    assert_untouched(e2e_settings, rid, before)


def test_monitoring_down_rolls_back(
    e2e_settings: Settings, svc: RequestService, walk: Callable[[str], str], cleanup: list[str]
) -> None:
    from netprov.monitoring.zabbix import ZabbixBackend

    before = configs(e2e_settings, ["dist-batamkota1", "cpe-camat-bk"])
    rid = walk(INTRANET)
    cleanup.append(rid)
    dead = ZabbixBackend("http://127.0.0.1:9", "not-a-token", timeout=3)  # nothing listens on :9
    with pytest.raises(PipelineError, match="monitor"):
        prov(e2e_settings, svc, monitors=[dead]).run(rid, "staff1")
    assert_untouched(e2e_settings, rid, before)


def test_killed_process_is_resumed(
    e2e_settings: Settings, svc: RequestService, walk: Callable[[str], str], cleanup: list[str]
) -> None:
    before = configs(e2e_settings, ["dist-batamkota1", "cpe-camat-bk"])
    rid = walk(INTRANET)
    cleanup.append(rid)
    env = {
        **os.environ,
        "NETPROV_DATA_DIR": str(e2e_settings.data_dir),
        "NETPROV_ID_PREFIX": "UJI",
        "NETPROV_LAB_DIR": str(e2e_settings.lab_dir),
    }
    netprov = os.path.join(os.path.dirname(sys.executable), "netprov")
    log = e2e_settings.data_dir / "killed-run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [netprov, "--as", "staff1", "provision", rid], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill it once the routers have the new config
        if any(e.stage == "verify" and e.phase == "begin" for e in svc.store.journal_entries(rid)):
            break
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("the run never reached verify: " + log.read_text()[-2000:])
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert configs(e2e_settings, ["cpe-camat-bk"]) != {"cpe-camat-bk": before["cpe-camat-bk"]}
    p = prov(e2e_settings, svc)
    with pytest.raises(Exception, match=r"interrupted|being provisioned"):
        p.run(rid, "staff1")  # without --resume: refused, nothing repeated
    result = p.run(rid, "staff1", resume=True)
    assert result.status == "provisioned"
    kinds = [e.action for e in svc.get(rid).events]
    assert "provision-resumed" in kinds and kinds[-1] == "provision"


def test_concurrent_runs_do_not_both_proceed(
    e2e_settings: Settings, svc: RequestService, walk: Callable[[str], str], cleanup: list[str]
) -> None:
    rid = walk(INTRANET)
    cleanup.append(rid)
    token = svc.store.acquire_lock(rid, f"staff2@{os.uname().nodename}:1")  # another engineer's live run
    try:
        with pytest.raises(Exception, match="being provisioned"):
            prov(e2e_settings, svc).run(rid, "staff1")
    finally:
        svc.store.release_lock(rid, token)
    assert svc.get(rid).state is State.FORM_COMPLETE
