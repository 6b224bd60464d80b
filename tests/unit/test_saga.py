"""The saga engine with fakes: journal phases, undo order, failing undos, a kill at every stage
then resume, re-run of a finished saga, the lock and its dead holders; and once over the real
register (RequestService on SQLite) through its port adapter."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from netprov.domain.letters import load_letter
from netprov.domain.users import load_directory
from netprov.errors import ConcurrencyError, PipelineError
from netprov.pipeline.saga import (
    JournalData,
    RollbackFailed,
    RunInterrupted,
    Saga,
    SagaError,
    Stage,
    StageFailed,
)
from netprov.settings import Settings
from netprov.sop.runs import RunJournal
from netprov.sop.service import NoPapers, RequestService
from netprov.store.db import Store

DATA = Path(__file__).parent.parent / "data"
SUBJECT = "REQ-1"


class Killed(BaseException):
    """SIGKILL, simulated: the process is gone, nothing after this point runs."""


@dataclass(frozen=True)
class Entry:
    run_id: str
    stage: str
    phase: str
    data: JournalData


class FakePort:
    """Journal and locks in memory; ``dead`` makes every call fail as a killed process would."""

    def __init__(self) -> None:
        self.log: list[tuple[str, Entry]] = []
        self.locks: dict[str, tuple[str, str]] = {}
        self.dead = False
        self._tokens = itertools.count(1)

    def _alive(self) -> None:
        if self.dead:
            raise Killed()

    def journal(
        self, subject_id: str, run_id: str, stage: str, phase: str, data: JournalData | None = None
    ) -> None:
        self._alive()
        self.log.append((subject_id, Entry(run_id, stage, phase, dict(data or {}))))

    def entries(self, subject_id: str) -> list[Entry]:
        self._alive()
        return [e for s, e in self.log if s == subject_id]

    def acquire_lock(self, subject_id: str, holder: str) -> str:
        self._alive()
        if subject_id in self.locks:
            raise ConcurrencyError(f"{subject_id} is being provisioned by {self.locks[subject_id][0]}")
        token = f"t{next(self._tokens)}"
        self.locks[subject_id] = (holder, token)
        return token

    def release_lock(self, subject_id: str, token: str | None = None) -> None:
        self._alive()
        held = self.locks.get(subject_id)
        if held and (token is None or held[1] == token):
            del self.locks[subject_id]

    def lock_holder(self, subject_id: str) -> str | None:
        self._alive()
        held = self.locks.get(subject_id)
        return held[0] if held else None

    def phases(self, subject_id: str = SUBJECT) -> list[tuple[str, str]]:
        return [(e.stage, e.phase) for e in self.entries(subject_id)]


@dataclass
class World:
    """What the stages change outside the journal: a reservation, a device, a record."""

    device: str = "old"
    reserved: bool = False
    recorded: bool = False
    undone: list[str] = field(default_factory=list)
    kill: tuple[str, str] | None = None  # (stage, "before"|"after" its effect)
    fail: str | None = None  # stage whose do raises
    fail_undo: set[str] = field(default_factory=set)  # stages whose undo raises
    port: Any = None  # FakePort or a killable register port

    def maybe_kill(self, stage: str, when: str) -> None:
        if self.kill == (stage, when):
            self.port.dead = True
            raise Killed()


@dataclass
class Ctx:
    world: World
    run_id: str
    snapshot: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def _step(name: str, effect: Any) -> Any:
    def do(ctx: Ctx) -> JournalData:
        w = ctx.world
        w.maybe_kill(name, "before")
        if w.fail == name:
            raise PipelineError(f"{name} broke")
        data = effect(ctx) or {}
        w.maybe_kill(name, "after")
        return dict(data)

    return do


def _undo(name: str, effect: Any) -> Any:
    def undo(ctx: Ctx) -> None:
        if name in ctx.world.fail_undo:
            raise PipelineError(f"cannot undo {name}")
        effect(ctx)
        ctx.world.undone.append(name)

    return undo


def _reserve(ctx: Ctx) -> JournalData:
    ctx.world.reserved = True
    return {"reserved": True}


def _release(ctx: Ctx) -> None:
    ctx.world.reserved = False


def _snap(ctx: Ctx) -> JournalData:
    ctx.snapshot = {"device": ctx.world.device}
    return {"snapshots": ctx.snapshot}


def _reload_snap(ctx: Ctx, data: JournalData) -> None:
    ctx.snapshot = dict(data["snapshots"])


def _push(ctx: Ctx) -> JournalData:
    ctx.world.device = f"new-{ctx.run_id}"
    return {"devices": ["device"]}


def _restore(ctx: Ctx) -> None:
    if ctx.snapshot:
        ctx.world.device = ctx.snapshot["device"]


def _record(ctx: Ctx) -> JournalData:
    ctx.world.recorded = True
    return {}


STAGES: list[Stage[Ctx]] = [
    Stage("reserve", _step("reserve", _reserve), undo=_undo("reserve", _release)),
    Stage("snapshot", _step("snapshot", _snap), reload=_reload_snap),
    Stage(
        "push",
        _step("push", _push),
        undo=_undo("push", _restore),
        begin=lambda ctx: {"devices": ["device"]},
    ),
    Stage("check", _step("check", lambda ctx: {"ok": True})),
    Stage("record", _step("record", _record)),
]
NAMES = [s.name for s in STAGES]


def engine(port: FakePort, world: World, *, holder: str = "me@here:1", **kw: Any) -> Saga[Ctx]:
    world.port = port
    run_ids = (f"run{i}" for i in itertools.count(1 + len({e.run_id for _, e in port.log})))
    return Saga(
        port,
        STAGES,
        completed=lambda sid: world.recorded,
        holder=lambda actor: f"{actor}:{holder}",
        holder_is_dead=lambda h: h.endswith(":dead"),
        new_run_id=lambda: next(run_ids),
        **kw,
    )


def contexts(world: World) -> Any:
    @contextlib.contextmanager
    def context(run_id: str) -> Iterator[Ctx]:
        yield Ctx(world, run_id)

    return context


def test_a_clean_run_journals_every_phase_in_order() -> None:
    port, world = FakePort(), World()
    result = engine(port, world).run(SUBJECT, "staff1", contexts(world))
    assert result.status == "finished" and result.run_id == "run1"
    assert set(result.seconds) == set(NAMES)
    expected = [("run", "start")]
    for name in NAMES:
        expected += [(name, "begin"), (name, "done")]
    assert port.phases() == [*expected, ("run", "finished")]
    entries = port.entries(SUBJECT)
    assert entries[0].data == {"actor": "staff1"}
    assert next(e for e in entries if e.stage == "push" and e.phase == "begin").data == {
        "devices": ["device"]
    }
    assert next(e for e in entries if e.stage == "snapshot" and e.phase == "done").data == {
        "snapshots": {"device": "old"}
    }
    assert world.device == "new-run1" and world.recorded and not port.locks


def test_a_failure_undoes_the_begun_stages_in_reverse() -> None:
    port, world = FakePort(), World(fail="check")
    failures: list[tuple[str, list[str]]] = []

    class Listener:
        def failed(self, sid: str, run_id: str, stage: str, error: str, undo_errors: list[str]) -> None:
            failures.append((stage, undo_errors))

        def rolled_back(self, sid: str, run_id: str, undone: list[str], undo_errors: list[str]) -> None:
            raise AssertionError("not a resume")

    with pytest.raises(StageFailed, match="stage check failed: check broke; everything was rolled back"):
        engine(port, world, listener=Listener()).run(SUBJECT, "staff1", contexts(world))
    assert world.undone == ["push", "reserve"]
    assert (world.device, world.reserved, world.recorded) == ("old", False, False)
    assert port.phases()[-6:] == [
        ("check", "failed"),
        ("push", "undo-begin"),
        ("push", "undo-done"),
        ("reserve", "undo-begin"),
        ("reserve", "undo-done"),
        ("run", "rolled-back"),
    ]
    assert port.entries(SUBJECT)[-1].data == {"stage": "check", "error": "check broke", "undo_errors": []}
    assert failures == [("check", [])] and not port.locks


def test_a_failing_undo_does_not_stop_the_others_and_is_reported() -> None:
    port, world = FakePort(), World(fail="record", fail_undo={"push"})
    with pytest.raises(StageFailed, match="ROLLBACK INCOMPLETE: push: cannot undo push") as err:
        engine(port, world).run(SUBJECT, "staff1", contexts(world))
    assert err.value.undo_errors == ["push: cannot undo push"] and err.value.stage == "record"
    assert world.undone == ["reserve"] and not world.reserved
    assert ("push", "undo-failed") in port.phases()
    last = port.entries(SUBJECT)[-1]
    assert (last.stage, last.phase) == ("run", "rollback-incomplete")
    assert last.data["undo_errors"] == ["push: cannot undo push"]


def test_an_interrupt_is_rolled_back_and_raised_as_itself() -> None:
    port, world = FakePort(), World()

    def ctrl_c(stage: str) -> None:
        if stage == "push":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine(port, world, after_do=ctrl_c).run(SUBJECT, "staff1", contexts(world))
    assert world.undone == ["push", "reserve"] and world.device == "old"
    assert port.entries(SUBJECT)[-1] == Entry("run1", "run", "rolled-back", {"stage": "push"})


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("stage", NAMES)
def test_a_kill_at_every_stage_then_resume(stage: str, when: str) -> None:
    port, world = FakePort(), World(kill=(stage, when))
    with pytest.raises(Killed):
        engine(port, world, holder="dead").run(SUBJECT, "staff1", contexts(world))
    port.dead, world.kill = False, None  # a new process, the same register and the same world
    assert port.phases()[-1] == (stage, "begin") and port.lock_holder(SUBJECT) == "staff1:dead"
    saga = engine(port, world)
    assert saga.interrupted_run(SUBJECT) == "run1"
    if (stage, when) == ("record", "after"):  # the killed run had recorded: it did finish
        assert saga.run(SUBJECT, "staff1", contexts(world)).status == "already-finished"
        with contexts(world)("run1") as ctx:  # what --resume does with such a run
            assert saga.rollback(SUBJECT, "run1", ctx) == []
        assert port.entries(SUBJECT)[-1] == Entry("run1", "run", "finished", {"resumed": True})
        assert world.device == "new-run1" and world.undone == []
        return
    with pytest.raises(ConcurrencyError):  # without --resume a dead holder's lock stays
        saga.run(SUBJECT, "staff1", contexts(world))
    result = saga.run(SUBJECT, "staff1", contexts(world), resume=True)
    assert not port.locks and saga.interrupted_run(SUBJECT) is None
    killed = [(e.stage, e.phase, e.data) for e in port.entries(SUBJECT) if e.run_id == "run1"]
    assert killed[-1] == ("run", "rolled-back", {"resumed": True, "undo_errors": []})
    begun = NAMES[: NAMES.index(stage) + 1]
    assert world.undone == [n for n in ("push", "reserve") if n in begun]
    assert result.status == "finished" and result.run_id == "run2"
    assert world.device == "new-run2" and world.reserved and world.recorded
    assert port.phases()[-1] == ("run", "finished")


def test_resume_restores_from_the_journal_snapshot() -> None:
    port, world = FakePort(), World(device="golden", kill=("check", "before"))
    with pytest.raises(Killed):
        engine(port, world, holder="dead").run(SUBJECT, "staff1", contexts(world))
    port.dead, world.kill = False, None
    assert world.device == "new-run1"
    saga = engine(port, world)
    with contexts(world)("run1") as ctx:  # a fresh context knows nothing but the journal
        assert saga.rollback(SUBJECT, "run1", ctx) == []
        assert ctx.snapshot == {"device": "golden"}
    assert world.device == "golden" and not world.reserved


def test_a_failed_resume_leaves_the_run_interrupted_for_the_next_one() -> None:
    port, world = FakePort(), World(kill=("check", "after"))
    with pytest.raises(Killed):
        engine(port, world, holder="dead").run(SUBJECT, "staff1", contexts(world))
    port.dead, world.kill, world.fail_undo = False, None, {"push"}
    rolled: list[list[str]] = []

    class Listener:
        def failed(self, sid: str, run_id: str, stage: str, error: str, undo_errors: list[str]) -> None:
            raise AssertionError("no stage ran")

        def rolled_back(self, sid: str, run_id: str, undone: list[str], undo_errors: list[str]) -> None:
            rolled.append(undo_errors)

    saga = engine(port, world, listener=Listener())
    with pytest.raises(RollbackFailed, match="rolling back run run1 failed: push: cannot undo push"):
        saga.run(SUBJECT, "staff1", contexts(world), resume=True)
    assert rolled == [["push: cannot undo push"]] and not port.locks
    assert saga.interrupted_run(SUBJECT) == "run1"  # rollback-incomplete is not an end
    with pytest.raises(RunInterrupted, match="use --resume"):
        saga.run(SUBJECT, "staff1", contexts(world))
    world.fail_undo = set()
    assert saga.run(SUBJECT, "staff1", contexts(world), resume=True).status == "finished"
    assert world.device.startswith("new-run") and world.device != "new-run1"


def test_rerun_of_a_finished_saga_is_a_noop() -> None:
    port, world = FakePort(), World()
    saga = engine(port, world)
    first = saga.run(SUBJECT, "staff1", contexts(world))
    before = list(port.log)
    again = saga.run(SUBJECT, "staff1", contexts(world), resume=True)
    assert (again.status, again.run_id) == ("already-finished", first.run_id)
    assert port.log == before and not port.locks


def test_without_a_completed_predicate_the_journal_says_finished() -> None:
    port, world = FakePort(), World()
    saga: Saga[Ctx] = Saga(port, STAGES)
    assert not saga.is_complete(SUBJECT)
    run_id = saga.run(SUBJECT, "staff1", contexts(world)).run_id
    assert saga.is_complete(SUBJECT) and saga.last_finished_run(SUBJECT) == run_id
    with contexts(world)(run_id) as ctx:
        saga.rollback(SUBJECT, run_id, ctx, finished_ok=True)  # undo a finished run
    assert not saga.is_complete(SUBJECT) and saga.last_finished_run(SUBJECT) == run_id
    assert world.device == "old" and not world.reserved


def test_the_lock_refuses_a_live_holder_and_takes_over_a_dead_one_only_on_resume() -> None:
    port, world = FakePort(), World()
    port.acquire_lock(SUBJECT, "staff2:someone@else:7")  # a live run elsewhere
    saga = engine(port, world)
    for resume in (False, True):
        with pytest.raises(ConcurrencyError, match="being provisioned"):
            saga.run(SUBJECT, "staff1", contexts(world), resume=resume)
    assert port.phases() == []
    port.locks.clear()
    port.acquire_lock(SUBJECT, "staff2:dead")
    with pytest.raises(ConcurrencyError):
        saga.run(SUBJECT, "staff1", contexts(world))
    assert saga.run(SUBJECT, "staff1", contexts(world), resume=True).status == "finished"
    assert not port.locks


def test_stage_names_are_unique() -> None:
    with pytest.raises(SagaError, match="unique"):
        Saga(FakePort(), [STAGES[0], STAGES[0]])


class KillableJournal(RunJournal):
    """The register's port, until the process 'dies': then every write fails."""

    dead = False

    def journal(
        self, subject_id: str, run_id: str, stage: str, phase: str, data: JournalData | None = None
    ) -> None:
        if self.dead:
            raise Killed()
        super().journal(subject_id, run_id, stage, phase, data)

    def release_lock(self, subject_id: str, token: str | None = None) -> None:
        if self.dead:
            raise Killed()
        super().release_lock(subject_id, token)


def test_the_real_register_through_its_port(tmp_path: Path, settings: Settings) -> None:
    svc = RequestService(
        Store(f"sqlite:///{tmp_path / 'r.sqlite3'}"), load_directory(None), settings, NoPapers()
    )
    rid = svc.submit(load_letter(DATA / "letter-intranet.yaml")).id
    assert isinstance(svc.runs, RunJournal)
    port = KillableJournal(svc.store)
    world = World(kill=("push", "after"), port=port)
    with pytest.raises(Killed):
        Saga(port, STAGES, holder=lambda a: f"{a}:dead").run(rid, "staff1", contexts(world))
    port.dead, world.kill = False, None
    assert port.lock_holder(rid) == "staff1:dead" and world.device.startswith("new-")
    saga = Saga(
        svc.runs,
        STAGES,
        holder_is_dead=lambda h: h.endswith(":dead"),
        completed=lambda sid: world.recorded,
    )
    first = saga.interrupted_run(rid)
    assert first is not None
    result = saga.run(rid, "staff1", contexts(world), resume=True)
    assert result.status == "finished" and world.undone == ["push", "reserve"]
    assert world.recorded and world.device == f"new-{result.run_id}"
    entries = svc.store.journal_entries(rid)
    killed = [e for e in entries if e.run_id == first]
    assert [(e.stage, e.phase) for e in killed][-3:] == [
        ("reserve", "undo-begin"),
        ("reserve", "undo-done"),
        ("run", "rolled-back"),
    ]
    assert killed[-1].data == {"resumed": True, "undo_errors": []}
    assert (entries[-1].stage, entries[-1].phase) == ("run", "finished")
    assert svc.store.lock_holder(rid) is None and saga.interrupted_run(rid) is None
    assert saga.run(rid, "staff1", contexts(world)).status == "already-finished"
