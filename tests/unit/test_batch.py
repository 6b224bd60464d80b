"""The batch (issue 13): many requests' sagas at once in one process, each undone alone.

The orchestration runs real sagas (``netprov.pipeline.saga``) over the in-memory journal of
``test_saga``; their stages change one shared fake router, so a failing request's undo is seen
to take off its own lines only. Up-front checks run on a real register (SQLite). The NetBox
device locks are shown to serialize two threads of one process."""

from __future__ import annotations

import contextlib
import doctest
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from netprov.domain.letters import CompletenessForm
from netprov.domain.resources import Feasibility, Finding
from netprov.errors import PipelineError
from netprov.netbox import device_locks as ndl
from netprov.pipeline import batch as pb
from netprov.pipeline.batch import Batch, BatchRefused, preflight, ready_ids
from netprov.pipeline.saga import Saga, Stage
from netprov.settings import Settings
from netprov.sop.service import RequestService
from tests.letters import distinct_letter
from tests.unit.test_concurrency import RenewableTags
from tests.unit.test_pipeline_units import _svc
from tests.unit.test_saga import FakePort


def test_doctests() -> None:
    assert doctest.testmod(pb).failed == 0


# --- a fake pipeline: three stages that change one shared router ----------------------------------
@dataclass
class Router:
    lines: set[str] = field(default_factory=set)
    mutex: threading.Lock = field(default_factory=threading.Lock)

    def add(self, line: str) -> None:
        with self.mutex:
            self.lines.add(line)

    def drop(self, line: str) -> None:
        with self.mutex:
            self.lines.discard(line)


@dataclass
class Ctx:
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Pipeline:
    """Runs a request as a real saga (allocate → push → verify) on one shared router."""

    port: FakePort = field(default_factory=FakePort)
    router: Router = field(default_factory=Router)
    allocated: set[str] = field(default_factory=set)
    fail: dict[str, str] = field(default_factory=dict)  # request id -> stage that raises
    delay: float = 0.02
    running: int = 0
    most: int = 0
    mutex: threading.Lock = field(default_factory=threading.Lock)
    gate: threading.Event | None = None

    def runner_for(self, rid: str, checkpoint: Callable[[str], None]) -> Any:
        return SimpleNamespace(run=lambda r, actor, resume=False: self.run(rid, actor, checkpoint, resume))

    def _stage(self, name: str, rid: str, do: Callable[[], None]) -> Callable[[Ctx], dict[str, Any]]:
        def run(ctx: Ctx) -> dict[str, Any]:
            time.sleep(self.delay)
            if self.gate is not None and name == "verify":
                self.gate.wait(5)
            do()
            if self.fail.get(rid) == name:
                raise PipelineError(f"{rid}: {name} failed")
            return {}

        return run

    def run(self, rid: str, actor: str, checkpoint: Callable[[str], None], resume: bool) -> Any:
        with self.mutex:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            stages = [
                Stage(
                    "allocate",
                    self._stage("allocate", rid, lambda: self.allocated.add(rid)),
                    undo=lambda c: self.allocated.discard(rid),
                ),
                Stage(
                    "push",
                    self._stage("push", rid, lambda: self.router.add(f"line of {rid}")),
                    undo=lambda c: self.router.drop(f"line of {rid}"),
                ),
                Stage("verify", self._stage("verify", rid, lambda: None)),
            ]

            @contextlib.contextmanager
            def context(run_id: str) -> Iterator[Ctx]:
                yield Ctx()

            saga: Saga[Ctx] = Saga(self.port, stages, after_do=checkpoint)
            res = saga.run(rid, actor, context, resume=resume)
            return SimpleNamespace(run_id=res.run_id, status="provisioned", seconds=res.seconds, outputs={})
        finally:
            with self.mutex:
                self.running -= 1


IDS = [f"PJB-2026-000{i}" for i in range(1, 6)]


def test_every_request_is_its_own_saga_and_a_failing_one_is_undone_alone() -> None:
    p = Pipeline(fail={IDS[2]: "verify"})
    seen: list[tuple[str, str]] = []
    entries = Batch(p.runner_for, workers=3, on_change=lambda e: seen.append((e.request_id, e.status))).run(
        IDS, "staff1"
    )
    assert [e.request_id for e in entries] == IDS, "one entry per request, in the order given"
    assert {e.request_id: e.status for e in entries} == {
        **dict.fromkeys(IDS, "provisioned"),
        IDS[2]: "failed",
    }
    bad = entries[2]
    assert bad.stage == "verify" and bad.rolled_back is True and "verify failed" in bad.error
    assert p.router.lines == {f"line of {r}" for r in IDS if r != IDS[2]}, "only its own line came off"
    assert p.allocated == set(IDS) - {IDS[2]}
    assert all(set(e.seconds) == {"allocate", "push", "verify"} for e in entries if e.ok)
    assert (IDS[0], "running") in seen and (IDS[2], "failed") in seen
    assert not p.port.locks, "every request's lock was given back"


def test_at_most_workers_sagas_run_at_once_and_more_than_one_does() -> None:
    p = Pipeline(delay=0.05)
    entries = Batch(p.runner_for, workers=2).run(IDS, "staff1")
    assert all(e.status == "provisioned" for e in entries)
    assert p.most == 2


def test_an_error_before_any_stage_fails_that_request_only() -> None:
    p = Pipeline()
    p.port.locks[IDS[1]] = ("someone@else:1", "t0")  # another engineer's run holds it
    entries = Batch(p.runner_for, workers=2).run(IDS[:3], "staff1")
    assert [e.status for e in entries] == ["provisioned", "failed", "provisioned"]
    assert "being provisioned by someone@else:1" in entries[1].error
    assert f"line of {IDS[1]}" not in p.router.lines


def test_cancel_undoes_the_running_ones_after_their_stage_and_skips_the_rest() -> None:
    p = Pipeline(gate=threading.Event())
    batch = Batch(p.runner_for, workers=2)
    out: list[Any] = []
    t = threading.Thread(target=lambda: out.extend(batch.run(IDS, "staff1")))
    t.start()
    deadline = time.monotonic() + 5
    while len(p.router.lines) < 2 and time.monotonic() < deadline:  # two runs pushed
        time.sleep(0.01)
    batch.cancel()
    p.gate.set()  # type: ignore[union-attr]
    t.join(10)
    assert [e.status for e in out] == ["cancelled"] * len(IDS)
    assert [e.stage for e in out[:2]] == ["verify", "verify"]
    assert all(e.rolled_back for e in out[:2])
    assert "before it started" in out[4].error
    assert p.router.lines == set() and p.allocated == set()


def test_a_batch_needs_a_worker() -> None:
    with pytest.raises(PipelineError, match="batch_workers"):
        Batch(Pipeline().runner_for, workers=0)


# --- before anything is touched -------------------------------------------------------------------
def _ready(svc: RequestService) -> str:
    rid = svc.submit(distinct_letter()).id
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
            findings=[Finding(check="bandwidth", ok=True, detail="ok")],
        ),
    )
    svc.accept(rid, "staff1")
    svc.fill_form(rid, "staff1", _form(rid))
    return rid


def _form(rid: str) -> CompletenessForm:
    from netprov_lab.demo.scenario import sample_form

    return sample_form(rid)


def test_preflight_names_every_request_that_cannot_go_and_lets_the_others(
    tmp_path: Path, settings: Settings
) -> None:
    svc = _svc(tmp_path, settings)
    ok, held, cut, received = _ready(svc), _ready(svc), _ready(svc), svc.submit(distinct_letter()).id
    svc.runs.acquire_lock(held, "staff2@elsewhere:7")
    svc.runs.journal(cut, "r1", "run", "start")
    unknown = "PJB-2026-0999"
    problems = preflight(svc, [ok, held, cut, received, unknown], "staff1")
    assert len(problems) == 4, problems
    text = " | ".join(problems)
    assert f"{held} is being provisioned by staff2@elsewhere:7" in text
    assert f"{cut}: run r1 was interrupted; use --resume" in text
    assert f"{received} is received" in text
    assert unknown in text
    assert ok not in text
    assert preflight(svc, [cut], "staff1", resume=True) == []
    assert preflight(svc, [ok], "staff2") != [], "staff2 is not the assigned staff"
    assert preflight(svc, [ok], "staff2", check_actor=False) == [], "a dry run only needs the state"
    with pytest.raises(BatchRefused, match="batch refused, nothing was changed"):
        raise BatchRefused(problems)


def test_preflight_lets_resume_take_a_dead_runs_lock(tmp_path: Path, settings: Settings) -> None:
    """A batch killed with -9 leaves each running request's lock held by a dead pid: the
    batch ``--resume`` goes (the saga takes the lock over), without it the batch is refused."""
    import socket

    svc = _svc(tmp_path, settings)
    rid = _ready(svc)
    svc.runs.acquire_lock(rid, f"staff1@{socket.gethostname()}:999999999")  # no such process
    svc.runs.journal(rid, "r1", "run", "start")
    assert preflight(svc, [rid], "staff1", resume=True) == []
    assert preflight(svc, [rid], "staff1") == [
        f"{rid}: its run by staff1@{socket.gethostname()}:999999999 was interrupted (that process is gone); "
        "use --resume"
    ]


def test_ready_lists_the_requests_at_step_7_the_actor_may_provision(
    tmp_path: Path, settings: Settings
) -> None:
    svc = _svc(tmp_path, settings)
    a, b = _ready(svc), _ready(svc)
    svc.reassign(b, "kabid", "staff2")
    svc.submit(distinct_letter())
    assert ready_ids(svc, "staff1") == ([a], [b])
    assert ready_ids(svc, "staff2") == ([b], [a])


# --- the NetBox device locks serialize the threads of one process ----------------------------------
def test_netbox_device_locks_serialize_two_threads_of_one_process() -> None:
    locks = ndl.NetBoxDeviceLocks(RenewableTags(), ttl_s=60, wait_s=10)
    order: list[str] = []
    first = locks.hold(["r1", "r2"], "PJB-2026-0001 on here pid 1", lambda d, h: None)
    waited: list[tuple[str, str]] = []

    def second() -> None:
        held = locks.hold(["r2"], "PJB-2026-0002 on here pid 1", lambda d, h: waited.append((d, h)))
        order.append("second")
        held.release()

    t = threading.Thread(target=second)
    t.start()
    time.sleep(0.5)
    order.append("first done")
    first.release()
    t.join(10)
    assert order == ["first done", "second"]
    assert waited and waited[0] == ("r2", "PJB-2026-0001 on here pid 1")


# --- the command: refused up front, nothing written -----------------------------------------------
def test_the_cli_refuses_a_batch_naming_each_bad_id_and_writes_nothing(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    netprov = str(Path(sys.executable).parent / "netprov")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPROV_")}
    env |= {"NETPROV_DATA_DIR": str(tmp_path / "data"), "NETPROV_LAB_DIR": str(tmp_path / "lab")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([netprov, *args], capture_output=True, text=True, env=env, timeout=120)

    letter = str(Path(__file__).parent.parent / "data" / "letter-intranet.yaml")
    rid = run("request", "submit", letter).stdout.strip()
    out = run("--as", "staff1", "provision", rid, "PJB-2026-0999", "../x")
    assert out.returncode == 1 and "'../x' is not a request id" in out.stderr, out.stderr
    out = run("--as", "staff1", "provision", rid, "PJB-2026-0999")
    assert out.returncode == 1, out.stderr
    assert "batch refused, nothing was changed" in out.stderr
    assert f"{rid} is received" in out.stderr and "PJB-2026-0999" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "data" / "logs").exists(), "no run log for a refused batch"
    out = run("--as", "staff1", "provision", "--ready", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["requests"] == []
    out = run("--as", "staff1", "provision", "--ready", rid)
    assert out.returncode == 1 and "not both" in out.stderr
    out = run("--as", "staff1", "provision")
    assert out.returncode == 2
    out = run("--as", "staff1", "provision", rid, rid, "--manual", "--evidence", letter)
    assert out.returncode == 1 and "--manual" in out.stderr


def test_threads_of_one_process_wait_locally_not_by_polling_netbox() -> None:
    from netprov.netbox.lock import netbox_lock
    from netprov.pipeline.device_locks import LayeredDeviceLocks

    class Counting(RenewableTags):
        def __init__(self) -> None:
            super().__init__()
            self.gets = 0

        def get(self, slug: str) -> tuple[int, str] | None:
            self.gets += 1
            return super().get(slug)

    tags = Counting()
    locks = LayeredDeviceLocks(ndl.NetBoxDeviceLocks(tags, ttl_s=60, wait_s=10), wait_s=10, poll_s=0.01)
    first = locks.hold(["r1", "r2"], "PJB-2026-0001 on here pid 1", lambda d, h: None)
    waited: list[tuple[str, str]] = []
    got: list[list[str]] = []
    t = threading.Thread(
        target=lambda: got.append(
            locks.hold(["r2"], "PJB-2026-0002 on here pid 1", lambda d, h: waited.append((d, h))).devices
        )
    )
    t.start()
    time.sleep(0.3)
    assert not got and waited == [("r2", "PJB-2026-0001 on here pid 1")]
    first.release()
    t.join(5)
    assert got == [["r2"]]
    assert tags.gets == 0, "the waiting thread never polled NetBox"

    inside: list[str] = []

    def allocate(name: str) -> None:
        with netbox_lock(tags, "allocate-x", name, poll_s=0.001):
            inside.append(name)
            time.sleep(0.05)

    threads = [threading.Thread(target=allocate, args=(f"t{i}",)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(5)
    assert sorted(inside) == ["t0", "t1", "t2", "t3"] and tags.gets == 0


# --- the display: one line per request, then the table ---------------------------------------------
def test_the_board_has_a_line_per_request_and_the_table_a_row_with_stage_seconds() -> None:
    import io
    import re

    from rich.console import Console
    from rich.text import Text

    from netprov.cli.batch_board import BatchBoard, plain_reporter
    from netprov.cli.provision_batch import batch_table
    from netprov.pipeline.batch import BatchEntry
    from netprov.pipeline.link_stages import STAGES

    buf = io.StringIO()
    console = Console(force_terminal=True, file=buf, width=140)
    a, b = BatchEntry(IDS[0]), BatchEntry(IDS[1])
    with BatchBoard(console, [a.request_id, b.request_id], STAGES) as board:
        board.update(BatchEntry(a.request_id, status="running"))
        board.update(BatchEntry(b.request_id, status="running"))
        board.reporter(a.request_id)("allocate", "", "done in 1.0s")
        board.reporter(a.request_id)("push", "dist-x", "committed")
        board.reporter(b.request_id)("lock", "dist-x", f"waiting for dist-x, held by {a.request_id}")
        board.update(BatchEntry(a.request_id, status="provisioned"))
        board.update(BatchEntry(b.request_id, status="failed", stage="verify"))
    frame = re.split(r"\x1b\[\d*A", buf.getvalue())[-1]
    lines = [ln for ln in Text.from_ansi(frame).plain.splitlines() if ln.strip()]
    assert len(lines) == 2
    assert IDS[0] in lines[0] and "provisioned" in lines[0] and f"{len(STAGES)}/{len(STAGES)}" in lines[0]
    assert IDS[1] in lines[1] and "failed at verify" in lines[1] and "✗" in lines[1]

    ok = BatchEntry(IDS[0], "provisioned", seconds={"allocate": 1.5, "monitor-register": 0.2}, wall_seconds=9)
    bad = BatchEntry(IDS[1], "failed", error="stage verify failed: no ping", wall_seconds=3)
    out = Console(file=io.StringIO(), width=160)
    out.print(batch_table([ok, bad]))
    text = out.file.getvalue()  # type: ignore[attr-defined]
    assert "alloc:1.5 mon-reg:0.2" in text and "stage verify failed: no ping" in text

    plain = Console(file=io.StringIO(), width=160)
    plain_reporter(plain, IDS[2], time.monotonic())("push", "dist-x", "committed")
    assert re.search(rf"\d+\.\ds {IDS[2]} push dist-x: committed", plain.file.getvalue())  # type: ignore[attr-defined]


def test_resume_rolls_back_each_interrupted_run_then_runs_it_again() -> None:
    p = Pipeline()
    p.port.journal(IDS[0], "dead", "run", "start")
    p.port.journal(IDS[0], "dead", "allocate", "begin")
    entries = Batch(p.runner_for, workers=2).run(IDS[:2], "staff1", resume=True)
    assert [e.status for e in entries] == ["provisioned", "provisioned"]
    phases = [(e.run_id, e.stage, e.phase) for s, e in p.port.log if s == IDS[0]]
    assert ("dead", "allocate", "undo-begin") in phases and ("dead", "run", "rolled-back") in phases
    assert p.router.lines == {f"line of {r}" for r in IDS[:2]}


def test_the_requests_of_a_batch_share_one_register_ipam_monitors_and_device_locks(
    tmp_path: Path, settings: Settings
) -> None:
    from netprov.pipeline.device_locks import LayeredDeviceLocks
    from netprov.pipeline.provision import Provisioner

    class Ipam:
        lock_tags = RenewableTags()

    monitors: list[Any] = []
    base = Provisioner(settings, _svc(tmp_path, settings), Ipam(), monitors=monitors)  # type: ignore[arg-type]
    seen: list[str] = []
    a = base.for_request(lambda s, d, m: seen.append(f"a {s}"), fault=lambda stage: None)
    b = base.for_request(lambda s, d, m: seen.append(f"b {s}"))
    assert a.svc is b.svc is base.svc and a.ipam is b.ipam is base.ipam
    assert a.monitors is b.monitors is monitors and a.topology is b.topology
    assert a.device_locks is b.device_locks and isinstance(a.device_locks, LayeredDeviceLocks)
    a.progress("x", "", "")
    b.progress("y", "", "")
    assert seen == ["a x", "b y"], "each request reports on its own line"
    held = a.device_locks.hold(["r1"], "PJB-2026-0001 on here pid 1", lambda d, h: None)
    assert list(Ipam.lock_tags.rows) == ["netprov-lock-device-r1"], "the locks live on the IPAM's session"
    held.release()


def test_ctrl_c_cancels_the_batch_and_every_running_saga_is_rolled_back_first() -> None:
    import os
    import signal

    p = Pipeline(gate=threading.Event())
    batch = Batch(p.runner_for, workers=2)

    def interrupt() -> None:
        deadline = time.monotonic() + 5
        while len(p.router.lines) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)
        p.gate.set()  # type: ignore[union-attr]

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        batch.run(IDS, "staff1")
    assert batch.cancelled
    assert p.router.lines == set() and p.allocated == set(), "both running sagas undid themselves"
    assert p.running == 0 and not p.port.locks
