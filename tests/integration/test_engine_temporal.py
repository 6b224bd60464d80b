"""Step 7 on Temporal (issue 17) with a real Temporal dev server and real workers, fake stages.

The lab part ``engine`` starts the server (its own port, its own dir); workers are the real
:func:`netprov.engine.worker.serve` over a real register (SQLite); the stages are small fakes
on one shared "router" (a set of lines), so the journal, the trail and the compensation can be
compared with the in-process saga's: the same entries, in the same order. The lab e2e
(``tests/e2e/test_7_workers.py``) does the same with the real stages, three worker processes and
a SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from netprov.domain.sop import State
from netprov.engine.client import TemporalRunner
from netprov.engine.worker import serve
from netprov.errors import PipelineError
from netprov.pipeline.device_locks import LocalDeviceLocks
from netprov.pipeline.link_run import LinkRun
from netprov.pipeline.provision import Provisioner
from netprov.pipeline.saga import JournalData, Stage, StageFailed
from netprov.settings import Settings, load_settings
from netprov.sop.service import RequestService
from tests.unit.test_batch import _ready
from tests.unit.test_pipeline_units import _svc

ROUTER: set[str] = set()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stages() -> Sequence[Stage[LinkRun]]:
    def push(run: LinkRun) -> JournalData:
        ROUTER.add(f"line of {run.record.id}")
        return {"devices": ["r1"]}

    def undo_push(run: LinkRun) -> None:
        ROUTER.discard(f"line of {run.record.id}")

    def record(run: LinkRun) -> JournalData:
        run.deps.service.record_provisioned(run.record.id, run.actor, {"run_id": run.run_id})
        return {}

    return (
        Stage("allocate", lambda run: {"allocation": run.record.id}, undo=lambda run: None),
        Stage("push", push, undo=undo_push),
        Stage("verify", lambda run: {"ok": True}),
        Stage("record", record),
    )


class FakeProvisioner(Provisioner):
    def stages(self) -> Sequence[Stage[LinkRun]]:
        return _stages()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from netprov_lab import engine as lab_engine

    port = _free_port()
    lab = load_settings(lab_dir=tmp_path_factory.mktemp("lab"), lab_engine_port=port)
    lab_engine.up(lab, lambda msg: None)
    yield f"127.0.0.1:{port}"
    lab_engine.down(lab, lambda msg: None)
    assert not lab_engine.status(lab)["running"]


class Workers:
    """``n`` workers in this process (threads with their own event loops) over ``svc``."""

    def __init__(self, settings: Settings, svc: RequestService, faults: dict[str, str], n: int) -> None:
        self.loops: list[asyncio.AbstractEventLoop] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.ready = threading.Semaphore(0)
        locks = LocalDeviceLocks()

        def provisioner_for(rid: str) -> Provisioner:
            def fault(stage: str) -> None:
                if faults.get(rid) == stage:
                    raise PipelineError(f"injected fault after {stage}")

            return FakeProvisioner(settings, svc, ipam=None, monitors=[], fault=fault, device_locks=locks)  # type: ignore[arg-type]

        for _ in range(n):
            threading.Thread(target=self._run, args=(settings, provisioner_for), daemon=True).start()
        for _ in range(n):
            assert self.ready.acquire(timeout=30)

    def _run(self, settings: Settings, provisioner_for: Any) -> None:
        loop = asyncio.new_event_loop()
        self.loops.append(loop)
        task = loop.create_task(serve(settings, provisioner_for, 2, on_ready=lambda q: self.ready.release()))
        self.tasks.append(task)
        with contextlib.suppress(asyncio.CancelledError, Exception):
            loop.run_until_complete(task)

    def stop(self) -> None:
        for loop, task in zip(self.loops, self.tasks, strict=True):
            loop.call_soon_threadsafe(task.cancel)


def _phases(svc: RequestService, rid: str) -> list[tuple[str, str]]:
    return [(e.stage, e.phase) for e in svc.runs.entries(rid)]


def test_workflows_journal_like_the_in_process_saga_and_a_fault_undoes_one_request_alone(
    engine: str, tmp_path: Path, settings: Settings
) -> None:
    settings = settings.model_copy(update={"temporal_address": engine, "temporal_task_queue": "t-journal"})
    svc = _svc(tmp_path, settings)
    local_ok, local_bad, ok1, ok2, bad = (_ready(svc) for _ in range(5))
    ROUTER.clear()
    # the in-process engine, for comparison
    FakeProvisioner(settings, svc, ipam=None, monitors=[]).run(local_ok, "staff1")  # type: ignore[arg-type]

    def fail_push(stage: str) -> None:
        if stage == "push":
            raise PipelineError("injected fault after push")

    with pytest.raises(StageFailed):
        FakeProvisioner(settings, svc, ipam=None, monitors=[], fault=fail_push).run(local_bad, "staff1")  # type: ignore[arg-type]
    workers = Workers(settings, svc, {bad: "push"}, n=2)
    try:
        results: dict[str, Any] = {}

        def follow(rid: str) -> None:
            lines: list[str] = []
            try:
                results[rid] = TemporalRunner(settings, svc, lambda s, d, m: lines.append(f"{s} {m}")).run(
                    rid, "staff1"
                )
            except StageFailed as exc:
                results[rid] = exc
            results[rid + "/lines"] = lines

        threads = [threading.Thread(target=follow, args=(rid,)) for rid in (ok1, ok2, bad)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        wall = time.monotonic() - t0
    finally:
        workers.stop()
    print(f"\n3 workflows on 2 workers: {wall:.1f} s")
    assert results[ok1].status == results[ok2].status == "provisioned", results
    failure = results[bad]
    assert isinstance(failure, StageFailed) and failure.stage == "push" and not failure.undo_errors
    assert {f"line of {r}" for r in (local_ok, ok1, ok2)} == ROUTER, "the fault undid its own line alone"
    for rid in (ok1, ok2):
        assert svc.get(rid).state is State.PROVISIONED
        assert _phases(svc, rid) == _phases(svc, local_ok), "a worker's journal reads like an in-process one"
        assert [(e.action, e.state) for e in svc.get(rid).events] == [
            (e.action, e.state) for e in svc.get(local_ok).events
        ]
    assert svc.get(bad).state is State.FORM_COMPLETE
    assert _phases(svc, bad) == _phases(svc, local_bad)
    assert [(e.action, e.state) for e in svc.get(bad).events] == [
        (e.action, e.state) for e in svc.get(local_bad).events
    ]
    assert any("push" in ln for ln in results[ok1 + "/lines"]), "the follower saw the stages"
    assert svc.runs.lock_holder(ok1) is None and svc.runs.lock_holder(bad) is None
    again = TemporalRunner(settings, svc, lambda s, d, m: None).run(ok1, "staff1")
    assert again.status == "already-provisioned"


def test_submitting_the_same_request_twice_starts_one_workflow(
    engine: str, tmp_path: Path, settings: Settings
) -> None:
    from temporalio.client import Client
    from temporalio.common import WorkflowIDConflictPolicy

    from netprov.engine.workflow import WORKFLOW, ProvisionInput

    settings = settings.model_copy(update={"temporal_address": engine, "temporal_task_queue": "t-twice"})
    svc = _svc(tmp_path, settings)
    rid = _ready(svc)

    async def twice() -> tuple[str, str]:
        client = await Client.connect(engine)
        args = ProvisionInput(rid, "staff1")
        handles = [
            await client.start_workflow(
                WORKFLOW,
                args,
                id=rid,
                task_queue="t-twice",
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
            for _ in range(2)
        ]
        a, b = handles
        return a.result_run_id or "", b.result_run_id or ""

    first, second = asyncio.run(twice())  # no worker yet: both find the workflow waiting
    assert first == second
    workers = Workers(settings, svc, {}, n=1)
    try:
        result = TemporalRunner(settings, svc, lambda s, d, m: None).run(rid, "staff1")
    finally:
        workers.stop()
    assert result.status == "provisioned"
    starts = [e for e in svc.runs.entries(rid) if (e.stage, e.phase) == ("run", "start")]
    assert len(starts) == 1, "one run"


@pytest.mark.parametrize("n", [1, 2], ids=["one-request", "a-batch"])
def test_ctrl_c_while_following_leaves_the_workflow_running_and_says_how_to_follow(
    engine: str, tmp_path: Path, settings: Settings, n: int
) -> None:
    """``netprov provision ID`` (and ``provision A B``, the batch) with the address set: SIGINT
    exits 130 saying how to follow, and every workflow keeps running."""
    import os
    import signal
    import subprocess
    import sys

    from temporalio.client import Client, WorkflowExecutionStatus

    prefix = {1: "CTL", 2: "CTB"}[n]  # workflow ids no other test used
    settings = settings.model_copy(update={"id_prefix": prefix})
    svc = _svc(tmp_path, settings)
    rids = [_ready(svc) for _ in range(n)]
    env = {
        **os.environ,
        "NETPROV_ID_PREFIX": prefix,
        "NETPROV_DATA_DIR": str(settings.data_dir),
        "NETPROV_DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite3'}",
        "NETPROV_TEMPORAL_ADDRESS": engine,
        "NETPROV_TEMPORAL_TASK_QUEUE": "t-detach",  # no worker: the workflow waits
        "PYTHONFAULTHANDLER": "1",
    }
    exe = os.path.join(os.path.dirname(sys.executable), "netprov")
    proc = subprocess.Popen(
        [exe, "--as", "staff1", "provision", *rids],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    async def statuses() -> set[WorkflowExecutionStatus | None]:
        client = await Client.connect(engine)
        found: set[WorkflowExecutionStatus | None] = set()
        for rid in rids:
            try:
                found.add((await client.get_workflow_handle(rid).describe()).status)
            except Exception:
                found.add(None)
        return found

    running = {WorkflowExecutionStatus.RUNNING}
    deadline = time.monotonic() + 60
    while asyncio.run(statuses()) != running:
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        out, err = proc.communicate(timeout=15)
        print("HUNG", err[-6000:])
        raise
    assert proc.returncode == 130, (out, err)
    err = " ".join(err.split())  # the console wraps the sentence
    assert "keeps running" in err and f"netprov provision {' '.join(rids)}" in err, err
    assert asyncio.run(statuses()) == running

    async def terminate() -> None:
        client = await Client.connect(engine)
        for rid in rids:
            await client.get_workflow_handle(rid).terminate("test done")

    asyncio.run(terminate())


class _Proc:
    """A worker process of :mod:`tests.integration.engine_worker`; its output lines, collected."""

    def __init__(self, engine: str, queue: str, db: Path, router: Path) -> None:
        import subprocess
        import sys

        argv = [sys.executable, "-m", "tests.integration.engine_worker", engine, queue, str(db), str(router)]
        root = Path(__file__).resolve().parents[2]
        self.proc = subprocess.Popen(argv, cwd=root, stdout=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        assert self._ready.wait(60), "the worker never got ready"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.strip())
            if line.strip() == "ready":
                self._ready.set()

    def stop(self) -> None:
        import signal

        self.proc.send_signal(signal.SIGCONT)
        self.proc.terminate()
        self.proc.wait(timeout=60)


def _until(what: str, check: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_hung_worker_loses_its_run_and_writes_nothing_on_top_when_continued(
    engine: str, tmp_path: Path, settings: Settings
) -> None:
    """SIGSTOP (not a kill) in the middle of a push: its heartbeats stop, the run moves to
    another worker, which rolls the lost run back and provisions; SIGCONT: the stopped worker's
    run is refused at its fence and cancelled, and it writes neither the device nor the journal."""
    import os
    import signal

    settings = settings.model_copy(
        update={
            "temporal_address": engine,
            "temporal_task_queue": "t-hung",
            "temporal_heartbeat_seconds": 3.0,
        }
    )
    svc = _svc(tmp_path, settings)
    rid, router = _ready(svc), tmp_path / "router.log"
    router.touch()
    a = _Proc(engine, "t-hung", tmp_path / "r.sqlite3", router)
    workers = [a]
    try:
        results: dict[str, Any] = {}
        follower = threading.Thread(
            target=lambda: results.update(
                r=TemporalRunner(settings, svc, lambda s, d, m: None).run(rid, "staff1")
            )
        )
        t0 = time.monotonic()
        follower.start()
        _until("worker A in the middle of its push", lambda: " push 1" in router.read_text())
        os.kill(a.proc.pid, signal.SIGSTOP)
        run_a = router.read_text().split()[0]
        workers.append(_Proc(engine, "t-hung", tmp_path / "r.sqlite3", router))
        follower.join(timeout=120)
        moved = time.monotonic() - t0
        assert results["r"].status == "provisioned" and results["r"].run_id != run_a, results
        device, journal = router.read_text(), _phases(svc, rid)
        os.kill(a.proc.pid, signal.SIGCONT)
        _until("worker A to drop its stale run", lambda: any("abandoned" in ln for ln in a.lines), timeout=30)
        time.sleep(1.0)
        assert router.read_text() == device, "the continued worker wrote on the device"
        assert _phases(svc, rid) == journal, "the continued worker wrote in the journal"
        assert a.proc.poll() is None, "the continued worker serves on"
    finally:
        for w in workers:
            w.stop()
    print(f"\nrun moved off a stopped worker and provisioned in {moved:.1f} s")
    for e in svc.runs.entries(rid):
        print(f"  {e.at:%H:%M:%S.%f} {e.run_id} {e.stage}/{e.phase}")
    run_b = results["r"].run_id
    assert device.splitlines() == [f"{run_a} push 0", f"{run_a} push 1", f"{run_a} undo"] + [
        f"{run_b} push {i}" for i in range(6)
    ], "the lost run rolled back once, the new run pushed once"
    by_run = [(e.run_id, e.stage, e.phase) for e in svc.runs.entries(rid)]
    assert (run_a, "run", "rolled-back") in by_run and (run_b, "run", "finished") == by_run[-1]
    assert [p for r, *p in by_run if r == run_b] == [
        ["run", "start"],
        *[[s, ph] for s in ("allocate", "push", "verify", "record") for ph in ("begin", "done")],
        ["run", "finished"],
    ]
    assert svc.get(rid).state is State.PROVISIONED and svc.runs.lock_holder(rid) is None
    assert [e.action for e in svc.get(rid).events].count("provision") == 1, "provisioned once"
