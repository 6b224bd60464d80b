"""A journaled saga: stages with do and undo, all or nothing, resumable after a kill.

The engine knows nothing of links, devices or NetBox. It runs a list of :class:`Stage` objects in
order against one *subject* (a request id) and writes every step to a journal through a
:class:`SagaPort` before and after it happens::

    run/start {actor}
    <stage>/begin {begin data}      <stage>/done {what do() returned}     ... for every stage
    run/finished {seconds}

When a stage raises, the failing stage is journaled ``failed`` and every *begun* stage that has
an undo is undone in reverse (``undo-begin``/``undo-done``, or ``undo-failed`` and the engine
keeps going), then ``run/rolled-back`` or ``run/rollback-incomplete``. A process killed midway
leaves a run with neither end; :meth:`Saga.run` with ``resume=True`` rolls it back *from the
journal* (each stage's ``reload`` rebuilds from its ``done`` data what its undo needs) and then
runs again. The subject is locked for the whole run; a lock whose holder (``actor@host:pid``) is
dead is taken over only on resume.

The engine is synchronous and drives its stages itself; a stage is a small object (name,
``do(ctx) -> data``, optional ``undo(ctx)``, ``begin(ctx)``, ``reload(ctx, data)``), so another
executor can drive the same stages later.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Generic, NoReturn

from netprov.errors import ConcurrencyError
from netprov.pipeline.saga_types import (
    ENDS,
    RUN,
    C,
    JournalData,
    JournalRecord,
    NoFinishedRun,
    NoListener,
    Progress,
    RollbackFailed,
    RunInterrupted,
    SagaError,
    SagaListener,
    SagaPort,
    SagaResult,
    Stage,
    StageFailed,
    Timed,
    holder_dead,
    holder_id,
)

__all__ = [
    "ENDS",
    "RUN",
    "JournalData",
    "JournalRecord",
    "NoFinishedRun",
    "NoListener",
    "Progress",
    "RollbackFailed",
    "RunInterrupted",
    "Saga",
    "SagaError",
    "SagaListener",
    "SagaPort",
    "SagaResult",
    "Stage",
    "StageFailed",
    "Timed",
    "error_message",
    "holder_dead",
    "holder_id",
]


def error_message(exc: BaseException) -> str:
    """First line of an error, at most 500 characters (its type's name when it says nothing).

    >>> error_message(ValueError("bad\\nmore")), error_message(KeyboardInterrupt())
    ('bad', 'KeyboardInterrupt')
    """
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:500]


def _quiet(stage: str, device: str, message: str) -> None:
    return None


def _new_run_id() -> str:
    return uuid.uuid4().hex[:12]


# --- the engine -------------------------------------------------------------------------------------
class Saga(Generic[C]):
    """Runs ``stages`` for one subject at a time, journaled through ``port``.

    Args:
        port: journal and lock.
        stages: in run order; undone in reverse.
        progress: told of each stage's outcome (stage, device or "", message).
        listener: told of failures and rollbacks (e.g. to append to an audit trail).
        completed: whether the subject's saga is already done (e.g. from the register's state);
            default: the newest run in the journal ended ``finished``.
        after_do: test hook called with the stage name after ``do``: raise to inject a fault.
        holder: lock holder id for an actor; holder_is_dead: whether a holder's process died.
        new_run_id: run id generator.
    """

    def __init__(
        self,
        port: SagaPort,
        stages: Sequence[Stage[C]],
        *,
        progress: Progress = _quiet,
        listener: SagaListener | None = None,
        completed: Callable[[str], bool] | None = None,
        after_do: Callable[[str], None] | None = None,
        holder: Callable[[str], str] = holder_id,
        holder_is_dead: Callable[[str], bool] = holder_dead,
        new_run_id: Callable[[], str] = _new_run_id,
    ) -> None:
        names = [s.name for s in stages]
        if len(set(names)) != len(names) or RUN in names:
            raise SagaError(f"stage names must be unique and not {RUN!r}: {names}")
        self.port = port
        self.stages = tuple(stages)
        self.progress = progress
        self.listener: SagaListener = listener or NoListener()
        self._completed = completed
        self._after_do = after_do or (lambda stage: None)
        self._holder = holder
        self._holder_is_dead = holder_is_dead
        self._new_run_id = new_run_id

    # --- reading the journal ------------------------------------------------------------------
    def runs(self, subject_id: str) -> dict[str, list[JournalRecord]]:
        """The subject's journal grouped by run, in the order the runs started."""
        out: dict[str, list[JournalRecord]] = {}
        for e in self.port.entries(subject_id):
            out.setdefault(e.run_id, []).append(e)
        return out

    def interrupted_run(self, subject_id: str) -> str | None:
        """The run id of the newest run if it started and neither finished nor rolled back."""
        runs = self.runs(subject_id)
        if not runs:
            return None
        run_id, items = list(runs.items())[-1]
        ends = {e.phase for e in items if e.stage == RUN}
        return None if ends & ENDS else run_id

    def last_finished_run(self, subject_id: str) -> str | None:
        """The newest run that finished (even if it was undone since)."""
        done = [e.run_id for e in self.port.entries(subject_id) if e.stage == RUN and e.phase == "finished"]
        return done[-1] if done else None

    def is_complete(self, subject_id: str) -> bool:
        """Whether the subject's saga is done (a re-run is then a no-op)."""
        if self._completed is not None:
            return self._completed(subject_id)
        runs = self.runs(subject_id)
        if not runs:
            return False
        ends = [e.phase for e in list(runs.values())[-1] if e.stage == RUN and e.phase in ENDS]
        return bool(ends) and ends[-1] == "finished"

    # --- the lock -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, subject_id: str, actor: str, *, resume: bool = False) -> Iterator[None]:
        """Hold the subject's lock; a dead holder's lock is taken over only when resuming."""
        me = self._holder(actor)
        try:
            token = self.port.acquire_lock(subject_id, me)
        except ConcurrencyError:
            held = self.port.lock_holder(subject_id)
            if not (resume and held and self._holder_is_dead(held)):
                raise
            self.progress("resume", "", f"taking over the lock of {held} (that process is gone)")
            self.port.release_lock(subject_id)
            token = self.port.acquire_lock(subject_id, me)
        try:
            yield
        finally:
            self.port.release_lock(subject_id, token)

    # --- running ----------------------------------------------------------------------------------
    def run(
        self,
        subject_id: str,
        actor: str,
        context: Callable[[str], AbstractContextManager[C]],
        *,
        resume: bool = False,
    ) -> SagaResult:
        """Run the saga under the lock; ``context(run_id)`` gives the context for one run.

        A complete saga is not run again (``already-finished``). An interrupted run is refused
        unless ``resume``, which rolls it back from the journal first.

        Raises:
            ConcurrencyError: another live process holds the lock.
            RunInterrupted: an earlier run was interrupted and ``resume`` is false.
            RollbackFailed: resuming could not undo the interrupted run.
            StageFailed: a stage failed (the run was rolled back).
        """
        if self.is_complete(subject_id):
            return SagaResult(subject_id, self.last_finished_run(subject_id) or "", "already-finished")
        with self.lock(subject_id, actor, resume=resume):
            interrupted = self.interrupted_run(subject_id)
            if interrupted and not resume:
                raise RunInterrupted(subject_id, interrupted)
            if interrupted:
                with context(interrupted) as ctx:
                    self.rollback(subject_id, interrupted, ctx)
                if self.is_complete(subject_id):
                    return SagaResult(subject_id, interrupted, "already-finished")
            run_id = self._new_run_id()
            with context(run_id) as ctx:
                return self.forward(subject_id, run_id, ctx, {"actor": actor})

    def forward(self, subject_id: str, run_id: str, ctx: C, start: JournalData | None = None) -> SagaResult:
        """Run every stage once, journaled; on failure undo the begun ones and raise."""
        journal = self._journal(subject_id, run_id)
        journal(RUN, "start", start)
        self.progress(RUN, "", f"run {run_id}")
        begun: list[Stage[C]] = []
        try:
            for stage in self.stages:
                begun.append(stage)
                journal(stage.name, "begin", stage.begin(ctx) if stage.begin else {})
                t0 = time.monotonic()
                data = stage.do(ctx)
                self._after_do(stage.name)
                ctx.seconds[stage.name] = round(time.monotonic() - t0, 2)
                journal(stage.name, "done", data)
                self.progress(stage.name, "", f"done in {ctx.seconds[stage.name]:.1f}s")
        except BaseException as exc:
            self._fail(subject_id, run_id, ctx, begun, exc)
        journal(RUN, "finished", {"seconds": ctx.seconds})
        return SagaResult(subject_id, run_id, "finished", dict(ctx.seconds))

    def _fail(
        self, subject_id: str, run_id: str, ctx: C, begun: list[Stage[C]], exc: BaseException
    ) -> NoReturn:
        journal = self._journal(subject_id, run_id)
        failed = begun[-1].name if begun else RUN
        message = error_message(exc)
        journal(failed, "failed", {"error": message})
        self.progress(failed, "", f"FAILED: {message}")
        undo_errors = self._undo(subject_id, run_id, ctx, begun)
        if isinstance(exc, KeyboardInterrupt | SystemExit) and not undo_errors:
            journal(RUN, "rolled-back", {"stage": failed})
            raise exc
        journal(
            RUN,
            "rolled-back" if not undo_errors else "rollback-incomplete",
            {"stage": failed, "error": message, "undo_errors": undo_errors},
        )
        self.listener.failed(subject_id, run_id, failed, message, undo_errors)
        raise StageFailed(subject_id, run_id, failed, message, undo_errors) from exc

    def _undo(self, subject_id: str, run_id: str, ctx: C, begun: Sequence[Stage[C]]) -> list[str]:
        journal = self._journal(subject_id, run_id)
        errors: list[str] = []
        for stage in reversed(begun):
            if stage.undo is None:
                continue
            journal(stage.name, "undo-begin", {})
            try:
                stage.undo(ctx)
            except Exception as exc:  # keep undoing the rest; report every failure
                errors.append(f"{stage.name}: {error_message(exc)}")
                journal(stage.name, "undo-failed", {"error": error_message(exc)})
                continue
            journal(stage.name, "undo-done", {})
            self.progress(stage.name, "", "undone")
        return errors

    def rollback(self, subject_id: str, run_id: str, ctx: C, *, finished_ok: bool = False) -> list[str]:
        """Undo, from its journal, what run ``run_id`` began (another process's run, or a finished one).

        If the run had begun its last stage and the subject is complete, the run did finish:
        it is journaled ``finished`` and nothing is undone (unless ``finished_ok``: undo anyway).

        Raises:
            RollbackFailed: an undo failed (after every other undo was tried).
        """
        entries = [e for e in self.port.entries(subject_id) if e.run_id == run_id]
        started = {e.stage for e in entries if e.phase == "begin"}
        begun = [s for s in self.stages if s.name in started]
        journal = self._journal(subject_id, run_id)
        if self.stages and self.stages[-1] in begun and not finished_ok and self.is_complete(subject_id):
            journal(RUN, "finished", {"resumed": True})
            self.progress("resume", "", f"run {run_id} had already finished its last stage")
            return []
        by_name = {s.name: s for s in self.stages}
        for e in entries:
            stage = by_name.get(e.stage)
            if e.phase == "done" and stage is not None and stage.reload is not None:
                stage.reload(ctx, dict(e.data))
        names = [s.name for s in begun]
        self.progress(
            "resume", "", f"rolling back interrupted run {run_id} ({', '.join(names) or 'nothing'})"
        )
        errors = self._undo(subject_id, run_id, ctx, begun)
        journal(
            RUN,
            "rolled-back" if not errors else "rollback-incomplete",
            {"resumed": True, "undo_errors": errors},
        )
        self.listener.rolled_back(subject_id, run_id, names, errors)
        if errors:
            raise RollbackFailed(subject_id, run_id, errors)
        return errors

    def _journal(self, subject_id: str, run_id: str) -> Callable[[str, str, JournalData | None], None]:
        def write(stage: str, phase: str, data: JournalData | None = None) -> None:
            self.port.journal(subject_id, run_id, stage, phase, data)

        return write
