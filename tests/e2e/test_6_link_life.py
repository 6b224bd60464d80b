"""A link's whole life on the real lab (issue 15): built, its bandwidth changed, then decommissioned.

Dinas Pendidikan's intranet link (dist-batamkota1 eth2, cpe-disdik-bk, sw-disdik-bk) and
Bappeda's internet link (dist-batamkota1 eth3, cpe-bappeda, core-dc1, the provider's BIRD
isp-pe1) are built. Both rates change at the same time: Disdik's 50 -> 100 Mbps in this
process, Bappeda's 20 -> 30 Mbps by a CLI process that is SIGKILLed in the middle of its push
and then finished with ``provision --resume`` (the routers' running configs, NetBox's committed
bandwidth and the Zabbix macro, the trail: once). Drift is clean; a line taken off Disdik's CPE
by hand with vtysh is named by ``drift`` (exit 3) and put back by ``--remediate``. Refused
change letters and steps write nothing. Then both links are decommissioned by two CLI
processes started at the same moment (they share dist-batamkota1); Disdik's is SIGKILLed in the
middle of its push and finished with ``--resume``: every device runs its baseline again, NetBox
holds nothing of either link, monitoring neither, each link was decommissioned once, and the
next request gets the freed prefix. Each kind's request passes ``audit``.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from netprov.audit import audit_record
from netprov.domain.letters import ChangeLetter, load_letter, parse_request_letter
from netprov.domain.sop import State
from netprov.errors import InputError, PermissionDenied, WorkflowError
from netprov.monitoring.factory import backends_from_settings
from netprov.netbox.adapter import NetBoxIpam
from netprov.pipeline.provision import Provisioner
from netprov.pipeline.saga import StageFailed
from netprov.settings import Settings
from netprov.sop.service import RequestService
from netprov_lab.demo.scenario import LETTERS
from tests.e2e.conftest import form_for
from tests.e2e.test_3_concurrency import configs
from tests.e2e.test_5_drift import NETPROV, interface_lines, netprov, vtysh
from tests.letters import renumbered

pytestmark = [pytest.mark.e2e, pytest.mark.lab]

DISDIK, BAPPEDA = "1-intranet-disdik.yaml", "2-internet-bappeda.yaml"
DEVICES = ["dist-batamkota1", "cpe-disdik-bk", "sw-disdik-bk", "cpe-bappeda", "core-dc1", "isp-pe1"]
_n = iter(range(1, 100))


def change(kind: str, of: str, opd: str = "Dinas Pendidikan", **more: Any) -> ChangeLetter:
    letter = parse_request_letter(
        {
            "letter": {"number": f"900/{next(_n)}/DISDIK/XII/2026", "date": dt.date.today(), "subject": kind},
            "opd": opd,
            "contact": {"name": "Rina Wati", "phone": "+62 778 462000", "email": "rina@disdik.batam.go.id"},
            "kind": kind,
            "of": of,
            **more,
        }
    )
    assert isinstance(letter, ChangeLetter)
    return letter


def walk_change(svc: RequestService, ipam: NetBoxIpam, prov: Provisioner, rid: str) -> str:
    """Steps 2-6 of a submitted change request, step 4 per its kind (what the CLI's check does)."""
    from netprov.pipeline.change_check import bandwidth_check, decommission_check

    svc.dispose(rid, "kadis", "kabid")
    svc.assign(rid, "kabid", "staff1")
    rec = svc.get(rid)
    if rec.request.letter["kind"] == "decommission":
        feas = decommission_check(prov.settings, svc, ipam, prov.topology, rec, prov.monitors)
        assert feas.removes["devices"] and feas.removes["netbox"] and feas.removes["monitoring"]
    else:
        feas = bandwidth_check(svc, ipam, rec)
    assert feas.feasible, feas.reasons
    svc.check(rid, "staff1", feas)
    svc.accept(rid, "staff1")
    svc.fill_form(rid, "staff1", form_for(rid))
    return rid


def cli_change(settings: Settings, svc: RequestService, letter: ChangeLetter) -> str:
    """A change letter submitted and checked (step 4) through the CLI, as its own process."""
    path = settings.data_dir / f"change-{letter.of}.yaml"
    path.write_text(json.dumps(letter.model_dump(mode="json", exclude_none=True)), encoding="utf-8")
    res = netprov(settings, "request", "submit", str(path))
    assert res.returncode == 0, res.stderr
    rid = res.stdout.strip()
    svc.dispose(rid, "kadis", "kabid")
    svc.assign(rid, "kabid", "staff1")
    res = netprov(settings, "request", "check", rid, "--json")
    assert res.returncode == 0, res.stderr
    found = json.loads(res.stdout)
    assert found["feasible"] and found["removes"]["devices"] and found["removes"]["netbox"], found
    svc.accept(rid, "staff1")
    svc.fill_form(rid, "staff1", form_for(rid))
    return rid


def finish(svc: RequestService, rid: str) -> None:
    """Steps 8-11: Berita Acara, forwarded, reviewed, done."""
    svc.report(rid, "staff1")
    svc.forward(rid, "kabid")
    svc.review(rid, "kadis", approve=True)


def zabbix_macro(settings: Settings, rid: str) -> str | None:
    (zbx,) = [b for b in backends_from_settings(settings) if b.name == "zabbix"]
    hosts = zbx.call("host.get", {"filter": {"host": [rid]}, "selectMacros": "extend"}, "read macros")  # type: ignore[attr-defined]
    for m in hosts[0]["macros"] if hosts else []:
        if "BANDWIDTH" in m["macro"]:
            return str(m["value"])
    return None


def register_size(svc: RequestService) -> tuple[int, int]:
    recs = svc.find()
    return len(recs), sum(len(r.events) for r in recs)


def audit_ok(settings: Settings, svc: RequestService, ipam: NetBoxIpam, rid: str) -> None:
    from netprov.audit import LiveMonitors

    report = audit_record(svc.get(rid), ipam, LiveMonitors(backends_from_settings(settings)))
    assert report.ok, [i for i in report.items if not i.ok]


def popen(settings: Settings, *args: str) -> subprocess.Popen[str]:
    """The CLI as its own process, in the background."""
    return subprocess.Popen(
        [*NETPROV, "--as", "staff1", "-q", *args],
        env=_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_mid_push(svc: RequestService, proc: subprocess.Popen[str], rid: str, old: set[str]) -> str:
    """SIGKILL ``proc`` as soon as ``rid``'s journal shows its push begun in a run not in ``old``
    (the runs before ``proc`` started: an earlier, rolled-back run's push does not count)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        entries = svc.store.journal_entries(rid)
        if any(e.stage == "push" and e.phase == "begin" and e.run_id not in old for e in entries):
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"{rid} ended before its push was killed: {out}{err}"
    return out + err


def resume(settings: Settings, svc: RequestService, rid: str) -> None:
    """``provision --resume`` of a killed change run: refused without it, then done once."""
    refused = netprov(settings, "provision", rid)
    said = refused.stdout + refused.stderr
    assert refused.returncode == 1 and ("--resume" in said or "being provisioned" in said), said
    t0 = time.monotonic()
    res = netprov(settings, "provision", rid, "--resume")
    print(f"{rid} resumed: {time.monotonic() - t0:.1f} s")
    shown = ("done in", "resume", "wait", "undo")
    print("\n".join(ln for ln in res.stdout.splitlines() if any(w in ln for w in shown)))
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    kinds = [e.action for e in svc.get(rid).events]
    assert "provision-resumed" in kinds and kinds.count("provision") == 1, kinds
    assert svc.runs.lock_holder(rid) is None
    ends = [e.phase for e in svc.store.journal_entries(rid) if e.stage == "run" and e.phase != "start"]
    assert ends.count("finished") == 1, ends  # the killed run rolled back, one run finished


def test_bandwidth_change_then_two_decommissions_at_once(
    e2e_settings: Settings, svc: RequestService, walk: Callable[[str], str], cleanup: list[str]
) -> None:
    ipam = NetBoxIpam.from_settings(e2e_settings)
    prov = Provisioner(e2e_settings, svc, ipam)
    baseline = configs(e2e_settings, DEVICES)
    t0 = time.monotonic()
    link, other = walk(DISDIK), walk(BAPPEDA)
    cleanup += [link, other]
    assert prov.run(link, "staff1").status == "provisioned"
    assert prov.run(other, "staff1").status == "provisioned"
    alloc, alloc2 = svc.get(link).allocation, svc.get(other).allocation
    assert alloc is not None and alloc2 is not None
    print(f"two new links (intranet, internet): {time.monotonic() - t0:.1f} s")

    # --- bandwidth changes at once: Disdik 50 -> 100 here, Bappeda 20 -> 30 killed, resumed --
    t0 = time.monotonic()
    bw = walk_change(svc, ipam, prov, svc.submit(change("bandwidth-change", link, bandwidth_mbps=100)).id)
    bw2 = svc.submit(change("bandwidth-change", other, opd="Bappeda", bandwidth_mbps=30)).id
    walk_change(svc, ipam, prov, bw2)
    cleanup[:0] = [bw, bw2]  # undone before the links, should anything fail
    dry = prov.dry_run(bw)
    assert dry.changes_pending and any("bandwidth 100" in d.diff for d in dry.diffs), dry.diffs
    killed = popen(e2e_settings, "provision", bw2)
    assert prov.run(bw, "staff1").status == "provisioned"
    kill_mid_push(svc, killed, bw2, set())
    resume(e2e_settings, svc, bw2)
    print(f"two bandwidth changes (one killed, resumed): {time.monotonic() - t0:.1f} s")
    for a, rate in ((alloc, 100), (alloc2, 30)):
        assert f"bandwidth {rate}" in interface_lines(e2e_settings, a.cpe_device, a.cpe_interface)
        assert f"bandwidth {rate}" in interface_lines(e2e_settings, a.dist_device, a.dist_interface)
        now = ipam.find_allocation(a.request_id)
        assert now is not None and now.bandwidth_mbps == rate
        assert zabbix_macro(e2e_settings, a.request_id) == str(rate)
        changed = [e for e in svc.get(a.request_id).events if e.action == "bandwidth-changed"]
        assert len(changed) == 1 and changed[0].outputs["bandwidth_mbps"] == rate
    res = netprov(e2e_settings, "drift", link, other, "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    assert [x["status"] for x in json.loads(res.stdout)["links"]] == ["clean", "clean"]
    for rid in (bw, bw2):
        finish(svc, rid)
        audit_ok(e2e_settings, svc, ipam, rid)
    shown = netprov(e2e_settings, "request", "show", link, "--json")
    assert [c["id"] for c in json.loads(shown.stdout)["changes"]] == [bw]

    # --- a hand change on the CPE: drift names it, --remediate puts it back --------------------
    cpe, port = alloc.cpe_device, alloc.cpe_interface
    vtysh(e2e_settings, cpe, "configure terminal", f"interface {port}", "no bandwidth 100")
    res = netprov(e2e_settings, "drift", link)
    assert res.returncode == 3, res.stdout + res.stderr
    assert cpe in res.stdout and "bandwidth 100" in res.stdout
    res = netprov(e2e_settings, "drift", link, "--remediate")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "bandwidth 100" in interface_lines(e2e_settings, cpe, port)
    res = netprov(e2e_settings, "drift", link)
    assert res.returncode == 0, res.stdout + res.stderr

    # --- refused: nothing written -----------------------------------------------------------
    size = register_size(svc)
    with pytest.raises(InputError, match="of: UJI-2026-9999 is not a request"):
        svc.submit(change("decommission", "UJI-2026-9999", reason="pindah"))
    with pytest.raises(InputError, match=r"of: .* is itself a bandwidth-change"):
        svc.submit(change("decommission", bw, reason="pindah"))
    assert register_size(svc) == size

    d1 = svc.submit(change("decommission", link, reason="Kantor pindah ke gedung baru")).id
    size = register_size(svc)
    with pytest.raises(WorkflowError, match="received"):
        prov.run(d1, "staff1")  # wrong state: step 7 needs form_complete
    with pytest.raises(InputError, match="already has an open change"):
        svc.submit(change("decommission", link, reason="lagi"))
    walk_change(svc, ipam, prov, d1)
    size = register_size(svc)
    with pytest.raises(PermissionDenied):
        prov.run(d1, "kabid")  # wrong role
    res = subprocess.run(
        [*NETPROV, "--as", "staff2", "provision", d1], env=_env(e2e_settings), capture_output=True, text=True
    )
    assert res.returncode == 1 and "staff1" in res.stderr, res.stdout + res.stderr  # not assigned
    assert register_size(svc) == size
    d2 = cli_change(e2e_settings, svc, change("decommission", other, opd="Bappeda", reason="Digabung"))

    built = configs(e2e_settings, DEVICES)
    dry = prov.dry_run(d1)
    assert dry.changes_pending and {d.device for d in dry.diffs} >= {alloc.dist_device, alloc.cpe_device}
    assert configs(e2e_settings, DEVICES) == built  # a dry run changes nothing

    def fail_after_deregister(stage: str) -> None:
        if stage == "monitor-deregister":
            raise RuntimeError("injected: the NetBox release never comes")

    t0 = time.monotonic()
    with pytest.raises(StageFailed, match="everything was rolled back"):
        Provisioner(e2e_settings, svc, ipam, fault=fail_after_deregister).run(d1, "staff1")
    print(f"a decommission failing late, undone: {time.monotonic() - t0:.1f} s")
    assert configs(e2e_settings, DEVICES) == built  # the lines went back on
    assert all(b.find(link) is not None for b in backends_from_settings(e2e_settings))  # registered again
    assert ipam.find_allocation(link) is not None and svc.get(d1).state is State.FORM_COMPLETE

    # --- two decommissions at once, two processes sharing dist-batamkota1; d1 killed, resumed ---
    t0 = time.monotonic()
    old = {e.run_id for e in svc.store.journal_entries(d1)}  # the late failure's run, rolled back
    procs = [popen(e2e_settings, "provision", rid, "--json") for rid in (d1, d2)]
    kill_mid_push(svc, procs[0], d1, old)
    out, err = procs[1].communicate(timeout=600)
    assert procs[1].returncode == 0, out + err
    resume(e2e_settings, svc, d1)
    print(f"two decommissions at once (one killed, resumed): {time.monotonic() - t0:.1f} s")
    for rid in (link, other):
        cleanup.remove(rid)
    cleanup.remove(bw)
    cleanup.remove(bw2)

    after = configs(e2e_settings, DEVICES)
    for device in DEVICES:
        assert after[device] == baseline[device], device
    for rid in (link, other):
        assert ipam.find_allocation(rid) is None and ipam.tagged_objects(rid) == []
        assert all(b.find(rid) is None for b in backends_from_settings(e2e_settings))
        assert svc.get(rid).state is State.DONE or svc.get(rid).state is State.PROVISIONED
        assert [e.action for e in svc.get(rid).events].count("decommissioned") == 1
        res = netprov(e2e_settings, "drift", rid)
        assert res.returncode == 1 and "decommissioned" in res.stderr
    assert svc.get(d1).state is State.PROVISIONED
    finish(svc, d1)
    audit_ok(e2e_settings, svc, ipam, d1)
    audit_ok(e2e_settings, svc, ipam, link)
    audit_ok(e2e_settings, svc, ipam, other)
    ba = [d for d in svc.get(d1).documents if d["kind"] == "berita-acara"]
    html = Path(ba[-1]["html"]).read_text(encoding="utf-8")
    assert "Pembongkaran Jaringan" in html and alloc.dist_interface in html

    nxt = renumbered(load_letter(LETTERS / DISDIK))
    assert ipam.plan("UJI-2026-0099", nxt).lan_prefix == alloc.lan_prefix  # the freed prefix
    nxt2 = renumbered(load_letter(LETTERS / BAPPEDA))
    assert ipam.plan("UJI-2026-0098", nxt2).lan_prefix == alloc2.lan_prefix  # the freed internet prefix


def _env(settings: Settings) -> dict[str, str]:
    import os

    from tests.conftest import LAB_DIR

    return {
        **os.environ,
        "NETPROV_DATA_DIR": str(settings.data_dir),
        "NETPROV_LAB_DIR": str(LAB_DIR),
        "NETPROV_ID_PREFIX": "UJI",
        "NETPROV_COMMIT_CONFIRM_SECONDS": "120",
    }
