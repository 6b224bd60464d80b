"""A link's whole life on the real lab (issue 15): built, its bandwidth changed, then decommissioned.

Dinas Pendidikan's intranet link (dist-batamkota1 eth2, cpe-disdik-bk, sw-disdik-bk) and
Kecamatan Batam Kota's (dist-batamkota1 eth4, cpe-camat-bk) are built; Disdik's rate goes from
50 to 100 Mbps (the routers' running configs, NetBox's committed bandwidth and the Zabbix
macro); drift is clean; refused change letters and steps write nothing; then both links are
decommissioned by two CLI processes started at the same moment (they share dist-batamkota1):
every device runs its baseline again, NetBox holds nothing of either link, monitoring neither,
and the next request gets the freed prefix. Each kind's request passes ``audit``.
"""

from __future__ import annotations

import datetime as dt
import json
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
from tests.e2e.test_5_drift import NETPROV, interface_lines, netprov
from tests.letters import renumbered

pytestmark = [pytest.mark.e2e, pytest.mark.lab]

DISDIK, CAMAT = "1-intranet-disdik.yaml", "4-intranet-camat.yaml"
DEVICES = ["dist-batamkota1", "cpe-disdik-bk", "sw-disdik-bk", "cpe-camat-bk"]
_n = iter(range(1, 100))


def change(kind: str, of: str, **more: Any) -> ChangeLetter:
    letter = parse_request_letter(
        {
            "letter": {"number": f"900/{next(_n)}/DISDIK/XII/2026", "date": dt.date.today(), "subject": kind},
            "opd": "Dinas Pendidikan",
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


def test_bandwidth_change_then_two_decommissions_at_once(
    e2e_settings: Settings, svc: RequestService, walk: Callable[[str], str], cleanup: list[str]
) -> None:
    ipam = NetBoxIpam.from_settings(e2e_settings)
    prov = Provisioner(e2e_settings, svc, ipam)
    baseline = configs(e2e_settings, DEVICES)
    t0 = time.monotonic()
    link, other = walk(DISDIK), walk(CAMAT)
    cleanup += [link, other]
    assert prov.run(link, "staff1").status == "provisioned"
    assert prov.run(other, "staff1").status == "provisioned"
    alloc = svc.get(link).allocation
    assert alloc is not None
    print(f"two new links: {time.monotonic() - t0:.1f} s")

    # --- bandwidth change: 50 -> 100 Mbps ---------------------------------------------------
    t0 = time.monotonic()
    bw = walk_change(svc, ipam, prov, svc.submit(change("bandwidth-change", link, bandwidth_mbps=100)).id)
    cleanup.insert(0, bw)  # undone before the link, should anything fail
    dry = prov.dry_run(bw)
    assert dry.changes_pending and any("bandwidth 100" in d.diff for d in dry.diffs), dry.diffs
    assert prov.run(bw, "staff1").status == "provisioned"
    print(f"bandwidth change (step 7): {time.monotonic() - t0:.1f} s")
    assert "bandwidth 100" in interface_lines(e2e_settings, alloc.cpe_device, alloc.cpe_interface)
    assert "bandwidth 100" in interface_lines(e2e_settings, alloc.dist_device, alloc.dist_interface)
    now = ipam.find_allocation(link)
    assert now is not None and now.bandwidth_mbps == 100
    assert zabbix_macro(e2e_settings, link) == "100"
    res = netprov(e2e_settings, "drift", link, "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    assert json.loads(res.stdout)["links"][0]["status"] == "clean"
    finish(svc, bw)
    audit_ok(e2e_settings, svc, ipam, bw)
    shown = netprov(e2e_settings, "request", "show", link, "--json")
    assert [c["id"] for c in json.loads(shown.stdout)["changes"]] == [bw]

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
    d2 = cli_change(e2e_settings, svc, change("decommission", other, reason="Digabung dengan kantor camat"))

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

    # --- two decommissions at once, two processes, sharing dist-batamkota1 ------------------
    t0 = time.monotonic()
    procs = [
        subprocess.Popen(
            [*NETPROV, "--as", "staff1", "-q", "provision", rid, "--json"],
            env=_env(e2e_settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rid in (d1, d2)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    print(f"two decommissions at once: {time.monotonic() - t0:.1f} s")
    assert [p.returncode for p in procs] == [0, 0], outs
    for rid in (link, other):
        cleanup.remove(rid)
    cleanup.remove(bw)

    after = configs(e2e_settings, DEVICES)
    for device in DEVICES:
        assert after[device] == baseline[device], device
    for rid in (link, other):
        assert ipam.find_allocation(rid) is None and ipam.tagged_objects(rid) == []
        assert all(b.find(rid) is None for b in backends_from_settings(e2e_settings))
        assert svc.get(rid).state is State.DONE or svc.get(rid).state is State.PROVISIONED
        res = netprov(e2e_settings, "drift", rid)
        assert res.returncode == 1 and "decommissioned" in res.stderr
    assert svc.get(d1).state is State.PROVISIONED
    finish(svc, d1)
    audit_ok(e2e_settings, svc, ipam, d1)
    audit_ok(e2e_settings, svc, ipam, link)
    ba = [d for d in svc.get(d1).documents if d["kind"] == "berita-acara"]
    html = Path(ba[-1]["html"]).read_text(encoding="utf-8")
    assert "Pembongkaran Jaringan" in html and alloc.dist_interface in html

    nxt = renumbered(load_letter(LETTERS / DISDIK))
    assert ipam.plan("UJI-2026-0099", nxt).lan_prefix == alloc.lan_prefix  # the freed prefix


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
