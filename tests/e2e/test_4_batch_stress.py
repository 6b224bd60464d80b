"""Batches under stress on the real lab (issue 13): killed mid-push, and two engineers at once.

1. ``netprov provision A B C`` (disdik and camat behind dist-batamkota1, dishub behind
   dist-sekupang1) is killed with SIGKILL as soon as the journal shows a push begun. Without
   ``--resume`` the batch is refused; ``netprov provision --resume A B C`` then ends with every
   request provisioned exactly once: one finished run each, the NetBox objects of its one
   allocation and no others, no lock left in NetBox (device or allocation) nor in the
   register, each request's lines on the routers once and no line of a dead run's allocation,
   the trail complete and ``netprov audit`` passing. The resume does not wait out the dead
   process's locks (their holder's pid is gone: taken over at once).
2. Two engineer processes, each ``netprov provision`` with a batch of two requests, started at
   the same moment, on links that share dist-batamkota1 (and core-dc1): all four provisioned,
   each router carrying every request's lines once, pings pass.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from netprov.domain.sop import State
from netprov.netbox.adapter import NetBoxIpam
from netprov.netbox.client import connect, credentials
from netprov.netbox.lock import LOCK_SLUG_PREFIX
from netprov.platforms.config_undo import parse
from netprov.settings import Settings
from netprov.sop.service import RequestService
from tests.e2e.test_3_concurrency import (
    BAPPEDA,
    CAMAT,
    DEVICES,
    DISDIK,
    DISHUB,
    assert_carries,
    configs,
    core_pings,
    intended,
)
from tests.e2e.test_4_batch import netprov, netprov_popen

pytestmark = [pytest.mark.e2e, pytest.mark.lab]

MERGED = [d for d in DEVICES if d != "isp-pe1"]  # isp-pe1 takes a whole file (replace)


def json_doc(stdout: str) -> dict[str, Any]:
    """The JSON document of a ``--json`` run (napalm-bird2 prints a line of its own before it)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("{"))
    doc: dict[str, Any] = json.loads("\n".join(lines[start:]))
    return doc


def lock_tags(settings: Settings) -> list[str]:
    """netprov's locks in NetBox now (device and allocation locks), by slug."""
    api, _ = connect(*credentials(settings))
    return sorted(
        str(t.slug)
        for t in api.extras.tags.filter(q=LOCK_SLUG_PREFIX)
        if str(t.slug).startswith(LOCK_SLUG_PREFIX)
    )


def paths(text: str) -> list[tuple[str, ...]]:
    return [ln.path for ln in parse(text) if not ln.structural]


def assert_once(
    svc: RequestService, rids: list[str], running: dict[str, str], before: dict[str, str]
) -> None:
    """Each request's lines are on each merged device exactly once, and every line the
    devices gained since ``before`` is some request's (no line of a dead run's allocation)."""
    mine: dict[str, set[tuple[str, ...]]] = {d: set() for d in MERGED}
    for rid in rids:
        for device, text in intended(svc, rid).items():
            if device in mine:
                mine[device] |= set(paths(text))
    for device in MERGED:
        counts = Counter(paths(running[device]))
        twice = sorted(p for p in mine[device] if counts[p] > 1)
        assert not twice, f"{device} has lines twice: {twice[:5]}"
        gained = set(counts) - set(paths(before[device]))
        stray = sorted(gained - mine[device])
        assert not stray, f"{device} has lines of no request: {stray[:5]}"


def assert_provisioned_once(settings: Settings, svc: RequestService, rid: str) -> None:
    """One finished run, the NetBox objects of the recorded allocation only, the trail, audit."""
    rec = svc.get(rid)
    assert rec.state is State.PROVISIONED, (rid, rec.state)
    kinds = [e.action for e in rec.events]
    assert kinds.count("provision") == 1, (rid, kinds)
    runs: dict[str, set[str]] = {}
    for e in svc.store.journal_entries(rid):
        if e.stage == "run":
            runs.setdefault(e.run_id, set()).add(e.phase)
    assert all(phases & {"finished", "rolled-back"} for phases in runs.values()), (rid, runs)
    finished = [r for r, phases in runs.items() if "finished" in phases]
    assert len(finished) == 1, (rid, runs)
    assert rec.allocation is not None
    recorded = {k: sorted(v) for k, v in rec.allocation.netbox_ids.items() if k in ("prefix", "vlan", "ip")}
    objects: dict[str, list[int]] = {}
    for obj in NetBoxIpam.from_settings(settings).tagged_objects(rid):
        objects.setdefault(str(obj["kind"]), []).append(int(str(obj["id"])))
    assert {k: sorted(v) for k, v in objects.items() if k in recorded} == recorded, (rid, objects)
    assert svc.runs.lock_holder(rid) is None, f"{rid}: the register still holds its lock"
    audit = netprov(settings, "audit", rid, "--json")
    assert audit.returncode == 0, audit.stdout[-2000:] + audit.stderr[-1000:]


def test_a_batch_killed_mid_push_is_resumed_each_request_provisioned_once(
    e2e_settings: Settings, svc: RequestService, walk: Callable[[str], str], cleanup: list[str]
) -> None:
    before = configs(e2e_settings, DEVICES)
    rids = [walk(x) for x in (DISDIK, CAMAT, DISHUB)]
    cleanup.extend(rids)
    log = e2e_settings.data_dir / "killed-batch.log"
    with log.open("wb") as out:
        proc = netprov_popen(e2e_settings, out, "provision", *rids)
    deadline, pushing = time.monotonic() + 180, ""
    while not pushing and time.monotonic() < deadline and proc.poll() is None:
        for rid in rids:
            if any(e.stage == "push" and e.phase == "begin" for e in svc.store.journal_entries(rid)):
                pushing = rid
        time.sleep(0.05)
    proc.kill()  # SIGKILL
    proc.wait()
    assert pushing, "no push began before the batch ended: " + log.read_text()[-2000:]
    print(f"\nkilled while {pushing} was pushing; locks left: {lock_tags(e2e_settings)}")
    refused = netprov(e2e_settings, "provision", *rids)
    assert refused.returncode != 0 and "--resume" in refused.stderr, refused.stderr[-2000:]
    t0 = time.monotonic()
    resumed = netprov(e2e_settings, "provision", "--resume", *rids, "--json")
    assert resumed.returncode == 0, resumed.stderr[-3000:] + resumed.stdout[-3000:]
    out = json_doc(resumed.stdout)
    statuses = {r["request_id"]: r["status"] for r in out["requests"]}
    assert set(statuses.values()) <= {"provisioned", "already-provisioned"}, out
    print(f"resumed in {time.monotonic() - t0:.1f} s: {statuses}")
    for r in out["requests"]:
        print(f"  {r['request_id']}: {r['wall_seconds']} s; {r['seconds']}")
    assert any("provision-resumed" in [e.action for e in svc.get(r).events] for r in rids)
    for rid in rids:
        assert_provisioned_once(e2e_settings, svc, rid)
    assert lock_tags(e2e_settings) == [], "a lock outlived the resumed batch"
    running = configs(e2e_settings, DEVICES)
    for rid in rids:
        assert_carries(svc, rid, running)
    assert_once(svc, rids, running, before)
    assert core_pings(e2e_settings, svc, rids) == dict.fromkeys(rids, True)


def test_two_engineers_batches_on_shared_routers_all_provisioned(
    e2e_settings: Settings, svc: RequestService, walk: Callable[[str], str], cleanup: list[str]
) -> None:
    before = configs(e2e_settings, DEVICES)
    disdik, bappeda, dishub, camat = (walk(x) for x in (DISDIK, BAPPEDA, DISHUB, CAMAT))
    rids = [disdik, dishub, camat, bappeda]
    cleanup.extend(rids)
    logs = [e2e_settings.data_dir / f"engineer-{n}.json" for n in (1, 2)]
    t0 = time.monotonic()
    procs: list[subprocess.Popen[bytes]] = []
    for path, group in zip(logs, ([disdik, dishub], [camat, bappeda]), strict=True):
        with path.open("wb") as out, path.with_suffix(".err").open("wb") as err:
            procs.append(netprov_popen(e2e_settings, out, "provision", *group, "--json", err=err))
    codes = [p.wait(timeout=900) for p in procs]
    wall = time.monotonic() - t0
    assert codes == [0, 0], [p.with_suffix(".err").read_text()[-3000:] + p.read_text()[-3000:] for p in logs]
    results = [r for p in logs for r in json_doc(p.read_text())["requests"]]
    assert {r["request_id"]: r["status"] for r in results} == dict.fromkeys(rids, "provisioned"), results
    run_logs = [p.read_text() for p in (e2e_settings.data_dir / "logs").iterdir()]
    waited = [ln for text in run_logs for ln in text.splitlines() if "waiting for dist-batamkota1" in ln]
    print(f"\n2 engineers x batch of 2: {wall:.1f} s wall; waits on dist-batamkota1: {len(waited)}")
    assert waited, "the two batches did not meet on dist-batamkota1"
    for rid in rids:
        assert_provisioned_once(e2e_settings, svc, rid)
    assert lock_tags(e2e_settings) == []
    running = configs(e2e_settings, DEVICES)
    for rid in rids:
        assert_carries(svc, rid, running)
    assert_once(svc, rids, running, before)
    assert core_pings(e2e_settings, svc, rids) == dict.fromkeys(rids, True)
