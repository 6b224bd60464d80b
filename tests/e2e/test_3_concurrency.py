"""Correct under concurrency (issue 13) on the real lab: two engineers, requests sharing routers.

Two engineer processes (``tests/e2e/engineer.py``), started at the same moment, each provision
their requests one after the other. Every request's link is behind dist-batamkota1 or shares
core-dc1 and isp-pe1 with another. The per-device locks (in NetBox) serialize the changes to
each router; an undo takes off only its own run's lines.

The lab has five cabled department links (three behind dist-batamkota1, two behind
dist-sekupang1) and internet headroom for one more internet link, so one request per link:
2 engineers x 2 requests here (dishub asks for intranet, a letter of this directory). Every run
locks core-dc1 (the intranet template has nothing for it, the internet one has).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from netprov.domain.sop import State
from netprov.netbox.adapter import NetBoxIpam
from netprov.pipeline import device_ops
from netprov.pipeline.nornir_setup import build_nornir, only
from netprov.pipeline.provision import Provisioner
from netprov.platforms.config_undo import parse
from netprov.settings import Settings
from netprov.sop.service import RequestService

pytestmark = [pytest.mark.e2e, pytest.mark.lab]

REPO = Path(__file__).resolve().parents[2]
DISDIK, BAPPEDA, DISHUB, CAMAT = (
    "1-intranet-disdik.yaml",  # dist-batamkota1 eth2, cpe-disdik-bk, sw-disdik-bk
    "2-internet-bappeda.yaml",  # dist-batamkota1 eth3, cpe-bappeda, core-dc1, isp-pe1
    str(Path(__file__).parent / "letters" / "intranet-dishub.yaml"),  # dist-sekupang1 eth3, cpe-dishub
    "4-intranet-camat.yaml",  # dist-batamkota1 eth4, cpe-camat-bk
)


def configs(settings: Settings, devices: list[str]) -> dict[str, str]:
    nr = build_nornir(settings)
    try:
        res = only(nr, devices).run(task=device_ops.running_config)
        return {name: str(r[0].result) for name, r in res.items()}
    finally:
        nr.close_connections()


def engineers(settings: Settings, groups: list[list[str]], fault: str = "") -> dict[str, dict[str, Any]]:
    """Start one engineer process per group at the same moment; their JSON lines by request id."""
    env = {
        **os.environ,
        "NETPROV_DATA_DIR": str(settings.data_dir),
        "NETPROV_ID_PREFIX": "UJI",
        "NETPROV_LAB_DIR": str(settings.lab_dir),
        "NETPROV_COMMIT_CONFIRM_SECONDS": "120",
        "PYTHONPATH": str(REPO),
    }
    go = settings.data_dir / f"go-{time.monotonic_ns()}"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.engineer", "--go", str(go)]
            + (["--fault-verify", fault] if fault else [])
            + ids,
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for ids in groups
    ]
    time.sleep(2.0)  # both have imported netprov and wait for the start
    go.touch()
    out: dict[str, dict[str, Any]] = {}
    for p in procs:
        stdout, stderr = p.communicate(timeout=900)
        lines = [json.loads(ln) for ln in stdout.splitlines() if ln.startswith("{")]
        assert lines, f"an engineer printed nothing: {stderr[-2000:]}"
        out.update({ln["id"]: ln for ln in lines})
    return out


def intended(svc: RequestService, rid: str) -> dict[str, str]:
    """The configs the request's run pushed: rendered, then rendered again under the locks."""
    out: dict[str, str] = {}
    for e in svc.store.journal_entries(rid):
        if e.stage in ("render", "lock") and e.phase == "done":
            out.update(e.data.get("configs") or {})
    return out


def lines_of(text: str) -> set[tuple[str, ...]]:
    return {ln.path for ln in parse(text) if not ln.structural}


def assert_carries(svc: RequestService, rid: str, running: dict[str, str]) -> None:
    """Every line the request put on a (merge) device is in that device's running config."""
    rec = svc.get(rid)
    assert rec.allocation is not None
    for device, text in intended(svc, rid).items():
        if device not in running:
            continue
        if device == "isp-pe1":  # a full config (replace): the request's prefix is accepted
            assert str(rec.allocation.lan_prefix) in running[device], (rid, device)
            continue
        missing = lines_of(text) - lines_of(running[device])
        assert not missing, f"{device} lost lines of {rid}: {sorted(missing)[:5]}"


def assert_absent(svc: RequestService, rid: str, running: dict[str, str], before: dict[str, str]) -> None:
    """No line the request added (and the device did not have before) is on the device."""
    for device, text in intended(svc, rid).items():
        if device in running and device != "isp-pe1":
            mine = lines_of(text) - lines_of(before[device])
            left = mine & lines_of(running[device])
            assert not left, f"{device} still has lines of {rid}: {sorted(left)[:5]}"


def core_pings(settings: Settings, svc: RequestService, rids: list[str]) -> dict[str, bool]:
    nr = build_nornir(settings)
    out = {}
    try:
        for rid in rids:
            alloc = svc.get(rid).allocation
            assert alloc is not None
            res = only(nr, ["core-dc1"]).run(
                task=lambda t, ip=str(alloc.lan_gateway.ip): t.host.get_connection(
                    "napalm", t.nornir.config
                ).ping(ip, count=2)
            )
            ok = res["core-dc1"][0].result.get("success", {})
            out[rid] = bool(ok) and ok["packet_loss"] < ok["probes_sent"]
    finally:
        nr.close_connections()
    return out


DEVICES = [
    "dist-batamkota1",
    "dist-sekupang1",
    "core-dc1",
    "isp-pe1",
    "cpe-disdik-bk",
    "cpe-bappeda",
    "cpe-dishub",
    "cpe-camat-bk",
]


def test_two_engineers_on_shared_routers_all_provisioned_then_one_undone_alone(
    e2e_settings: Settings, svc: RequestService, walk: Callable[[str], str], cleanup: list[str]
) -> None:
    before = configs(e2e_settings, DEVICES)
    disdik, bappeda, dishub, camat = (walk(x) for x in (DISDIK, BAPPEDA, DISHUB, CAMAT))
    t0 = time.monotonic()
    results = engineers(e2e_settings, [[disdik, dishub], [camat, bappeda]])
    wall = time.monotonic() - t0
    cleanup.extend([dishub, camat, bappeda, disdik])
    rids = [disdik, dishub, camat, bappeda]
    assert {r: results[r].get("status") for r in rids} == dict.fromkeys(rids, "provisioned"), {
        r: results[r].get("error") for r in rids
    }
    waited = [ln for r in rids for ln in results[r]["log"] if "waiting for" in ln]
    assert any("dist-batamkota1" in ln for ln in waited), "the two runs did not meet on dist-batamkota1"
    print(f"\n2 engineers x 2 requests: {wall:.1f} s wall; waits: {waited}")
    for r in rids:
        rec = svc.get(r)
        assert rec.state is State.PROVISIONED
        assert all(c["ok"] for c in rec.events[-1].outputs["verification"])
    running = configs(e2e_settings, DEVICES)
    for r in rids:
        assert_carries(svc, r, running)
    assert core_pings(e2e_settings, svc, rids) == dict.fromkeys(rids, True)

    # disdik went first on dist-batamkota1 or not: undoing it now (others landed since) takes
    # off only its lines there
    prov = Provisioner(e2e_settings, svc, NetBoxIpam.from_settings(e2e_settings))
    prov.undo_finished_run(disdik, "staff1")
    cleanup.remove(disdik)
    running = configs(e2e_settings, DEVICES)
    assert_absent(svc, disdik, running, before)
    assert running["cpe-disdik-bk"] == before["cpe-disdik-bk"]
    for r in (dishub, camat, bappeda):
        assert_carries(svc, r, running)
    assert core_pings(e2e_settings, svc, [dishub, camat, bappeda]) == dict.fromkeys(
        [dishub, camat, bappeda], True
    )


def test_an_undo_of_one_run_keeps_the_other_runs_lines(
    e2e_settings: Settings, svc: RequestService, walk: Callable[[str], str], cleanup: list[str]
) -> None:
    before = configs(e2e_settings, ["dist-batamkota1", "cpe-camat-bk", "cpe-bappeda", "core-dc1"])
    camat, bappeda = walk(CAMAT), walk(BAPPEDA)
    cleanup.extend([bappeda, camat])
    results = engineers(e2e_settings, [[camat], [bappeda]], fault=camat)
    assert results[bappeda].get("status") == "provisioned", results[bappeda].get("error")
    assert "injected fault" in results[camat].get("error", "") and "rolled back" in results[camat]["error"]
    assert svc.get(camat).state is State.FORM_COMPLETE
    running = configs(e2e_settings, list(before))
    assert_carries(svc, bappeda, running)
    assert_absent(svc, camat, running, before)
    assert running["cpe-camat-bk"] == before["cpe-camat-bk"]
    assert NetBoxIpam.from_settings(e2e_settings).tagged_objects(camat) == []
    assert core_pings(e2e_settings, svc, [bappeda]) == {bappeda: True}
