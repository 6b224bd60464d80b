"""Step 7 on Temporal workers (issue 17) on the real lab: 3 worker processes, one SIGKILLed.

The lab's engine part (a Temporal dev server) comes up; three ``netprov worker`` processes
start; the four links the lab can carry at once (disdik and camat share dist-batamkota1,
bappeda goes through core-dc1 and isp-pe1, dishub behind dist-sekupang1) are submitted at once
by the real ``netprov provision A B C D`` with ``NETPROV_TEMPORAL_ADDRESS``. The worker that
first reports a commit in a push is killed with SIGKILL; camat carries an injected fault after
its verify (``--fault``, on every worker: whichever runs it). Then: every other request is
provisioned exactly once (one finished run; the killed run rolled back from the journal by
another worker), no stage begun twice in one run, each router carries every provisioned
request's lines and none of camat's, NetBox holds no duplicate object and nothing of camat,
monitoring has no camat entry, the trail ends at ``provisioned``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from netprov.domain.sop import State
from netprov.monitoring.factory import backends_from_settings
from netprov.netbox.adapter import NetBoxIpam
from netprov.settings import Settings, load_settings
from netprov.sop.service import RequestService
from tests.conftest import LAB_DIR
from tests.e2e.test_3_concurrency import (
    BAPPEDA,
    CAMAT,
    DEVICES,
    DISDIK,
    DISHUB,
    assert_absent,
    assert_carries,
    configs,
)

pytestmark = [pytest.mark.e2e, pytest.mark.lab]


@pytest.fixture(scope="module")
def engine(full_lab: None) -> Iterator[str]:
    from netprov_lab import engine as lab_engine

    lab = load_settings(lab_dir=LAB_DIR)
    was_running = lab_engine.status(lab)["running"]
    lab_engine.up(lab, lambda msg: None)
    yield f"127.0.0.1:{lab.lab_engine_port}"
    if not was_running:
        lab_engine.down(lab, lambda msg: None)


def _env(settings: Settings, address: str, queue: str) -> dict[str, str]:
    return {
        **os.environ,
        "NETPROV_DATA_DIR": str(settings.data_dir),
        "NETPROV_ID_PREFIX": "UJI",
        "NETPROV_LAB_DIR": str(settings.lab_dir),
        "NETPROV_COMMIT_CONFIRM_SECONDS": "120",
        "NETPROV_MONITORING_WAIT_SECONDS": "120",
        "NETPROV_TEMPORAL_ADDRESS": address,
        "NETPROV_TEMPORAL_TASK_QUEUE": queue,
    }


def _exe() -> str:
    return os.path.join(os.path.dirname(sys.executable), "netprov")


def _terminate_stale(address: str, rids: list[str]) -> None:
    """A workflow an aborted earlier session left under these ids (a register starts at 0001)."""
    from temporalio.client import Client

    async def go() -> None:
        client = await Client.connect(address)
        for rid in rids:
            try:
                await client.get_workflow_handle(rid).terminate("stale (test session)")
            except Exception:
                continue

    asyncio.run(go())


class WorkerProcs:
    """``n`` ``netprov worker`` processes, each with its own log file."""

    def __init__(self, env: dict[str, str], logs: Path, n: int, fault: str) -> None:
        self.logs = [logs / f"worker-{i}.log" for i in range(n)]
        self.procs = [
            subprocess.Popen(
                [_exe(), "worker", "--concurrency", "2", "--fault", fault],
                env=env,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
            )
            for log in self.logs
        ]
        deadline = time.monotonic() + 120
        while not all("concurrency 2" in log.read_text() for log in self.logs):
            assert time.monotonic() < deadline, [log.read_text()[-2000:] for log in self.logs]
            assert all(p.poll() is None for p in self.procs), [log.read_text()[-2000:] for log in self.logs]
            time.sleep(0.3)

    def kill_first_committing(self, rids: list[str], timeout: float = 600) -> tuple[int, str] | None:
        """SIGKILL the first worker that reports a commit of one of ``rids`` mid-push."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for proc, log in zip(self.procs, self.logs, strict=True):
                for line in log.read_text().splitlines():
                    parts = line.split()
                    if (
                        len(parts) >= 5
                        and parts[2] in rids
                        and parts[3] == "push"
                        and line.endswith("committed")
                    ):
                        proc.send_signal(signal.SIGKILL)
                        proc.wait()
                        return proc.pid, parts[2]
            time.sleep(0.05)
        return None

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def _runs(svc: RequestService, rid: str) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for e in svc.runs.entries(rid):
        out.setdefault(e.run_id, []).append((e.stage, e.phase))
    return out


def test_three_workers_one_killed_mid_push_every_request_once_and_a_fault_undone_alone(
    e2e_settings: Settings,
    svc: RequestService,
    walk: Callable[[str], str],
    cleanup: list[str],
    engine: str,
    tmp_path: Path,
) -> None:
    before = configs(e2e_settings, DEVICES)
    disdik, bappeda, dishub, camat = rids = [walk(x) for x in (DISDIK, BAPPEDA, DISHUB, CAMAT)]
    cleanup.extend(rids)
    good = [disdik, bappeda, dishub]
    _terminate_stale(engine, rids)
    env = _env(e2e_settings, engine, f"netprov-e2e-{os.getpid()}-{int(time.time())}")
    workers = WorkerProcs(env, tmp_path, 3, fault=f"{camat}:verify")
    killed: list[tuple[int, str] | None] = []
    try:
        watcher = threading.Thread(target=lambda: killed.append(workers.kill_first_committing(good)))
        watcher.start()
        t0 = time.monotonic()
        proc = subprocess.run(
            [_exe(), "--as", "staff1", "provision", *rids, "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        wall = time.monotonic() - t0
        watcher.join(timeout=5)
    finally:
        workers.stop()
    logs = "\n".join(log.read_text()[-3000:] for log in workers.logs)
    assert proc.returncode == 1, proc.stderr[-3000:] + proc.stdout[-3000:] + logs
    out: dict[str, Any] = json.loads(proc.stdout)
    status = {r["request_id"]: r for r in out["requests"]}
    print(f"\n4 requests on 3 workers (one SIGKILLed: {killed}): {wall:.1f} s wall")
    assert killed and killed[0] is not None, "a worker was killed in a push"
    lost = killed[0][1]
    for rid in good:
        assert status[rid]["status"] == "provisioned", (rid, status[rid], logs)
        assert svc.get(rid).state is State.PROVISIONED
        runs = _runs(svc, rid)
        finished = [r for r, items in runs.items() if ("run", "finished") in items]
        assert len(finished) == 1, f"{rid} provisioned exactly once: {runs}"
        for run_id, items in runs.items():
            begun = Counter(stage for stage, phase in items if phase == "begin")
            assert max(begun.values(), default=1) == 1, f"{rid} run {run_id} began a stage twice"
        provisioned = [e for e in svc.get(rid).events if e.state == State.PROVISIONED.value]
        assert len(provisioned) == 1, "one provisioned event on the trail"
    lost_runs = _runs(svc, lost)
    dead = [items for items in lost_runs.values() if ("run", "finished") not in items]
    assert len(dead) == 1 and ("run", "rolled-back") in dead[0], (
        f"the killed run of {lost} was rolled back from the journal by another worker: {lost_runs}"
    )
    assert ("push", "begin") in dead[0] and ("push", "done") not in dead[0], f"killed mid-push: {dead[0]}"
    bad = status[camat]
    assert bad["status"] == "failed" and "injected fault" in bad["error"], bad
    assert svc.get(camat).state is State.FORM_COMPLETE
    running = configs(e2e_settings, DEVICES)
    for rid in good:
        assert_carries(svc, rid, running)
    assert_absent(svc, camat, running, before)
    assert running["cpe-camat-bk"] == before["cpe-camat-bk"]
    ipam = NetBoxIpam.from_settings(e2e_settings)
    for rid in good:
        objs = [(o["kind"], o["display"]) for o in ipam.tagged_objects(rid)]
        assert objs and len(objs) == len(set(objs)), f"{rid}: duplicate NetBox objects {objs}"
    assert ipam.tagged_objects(camat) == []
    for backend in backends_from_settings(e2e_settings):
        assert backend.find(camat) is None, f"{backend.name} still monitors {camat}"
