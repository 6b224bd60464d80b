"""The workflow's activities: the saga's stages, run by a worker on the register and the devices.

Each activity writes the register's journal exactly as :class:`netprov.pipeline.saga.Saga`
does in-process (``run/start``, ``<stage>/begin``, ``<stage>/done`` or ``failed``,
``undo-begin``/``undo-done``/``undo-failed``, ``run/finished`` or ``run/rolled-back``) and
the trail the same way (the provisioner's listener), so ``request show``, ``audit`` and the
papers cannot tell a worker's run from an in-process one.

The subject lock of the register is held for the whole workflow under the holder
``actor@temporal:<workflow id>``: Temporal runs one workflow per id, so a later attempt of the
same workflow (after a lost worker) takes its own lock over; any other holder is refused. The
device locks are the provisioner's (NetBox, shared by every worker on every machine).
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory, CancelledError

from netprov.domain.sop import Action, State
from netprov.engine.workflow import (
    BUSY,
    LOST,
    BeginInput,
    BeginResult,
    EndInput,
    ProvisionOutcome,
    StepInput,
)
from netprov.errors import ConcurrencyError, PipelineError, StaleRun, WorkflowError
from netprov.pipeline import link_stages
from netprov.pipeline.link_run import LinkRun
from netprov.pipeline.provision import PROVISIONED_STATES, Provisioner, not_ready, refuse_change
from netprov.pipeline.saga import RUN, Progress, RunInterrupted, Saga, Stage, error_message, holder_dead

ProvisionerFor = Callable[[str], Provisioner]
"""Builds the provisioner of one request (its progress and fault hook; shared parts)."""


@dataclass
class _Live:
    """A run this worker began: its context, kept until the run ends."""

    provisioner: Provisioner
    saga: Saga[LinkRun]
    ctx: LinkRun
    actor: str
    token: str
    stack: ExitStack
    stages: dict[str, Stage[LinkRun]] = field(default_factory=dict)


def _refused(exc: BaseException) -> ApplicationError:
    """A non-retryable failure named by the netprov error's class (the client re-raises it)."""
    return ApplicationError(error_message(exc), type(exc).__name__, type="Refused", non_retryable=True)


def _beat_every(most: float = 2.0) -> float:
    """Seconds between heartbeats: at most ``most``, three per heartbeat timeout."""
    timeout = activity.info().heartbeat_timeout
    return min(most, timeout.total_seconds() / 3) if timeout else most


@contextlib.contextmanager
def heartbeating(every: float | None = None) -> Iterator[None]:
    """Heartbeat from a side thread while the body (a stage, which never heartbeats) runs.

    A worker that was silent too long (hung, stopped, cut off) learns it at its next beat:
    Temporal has given its run to another worker, and the SDK cancels this activity (a
    ``CancelledError`` raised in the activity's thread).
    """
    every = _beat_every() if every is None else every
    stop = threading.Event()
    copied = contextvars.copy_context()  # the activity's context, for activity.heartbeat()

    def beat() -> None:
        while not stop.wait(every):
            with contextlib.suppress(Exception):
                activity.heartbeat()

    thread = threading.Thread(target=copied.run, args=(beat,), daemon=True, name="netprov-heartbeat")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class Activities:
    """The activities of one worker process.

    Args:
        provisioner_for: the provisioner of one request.
        queue: this worker's own task queue (the stages of the runs it begins come there).
        slots: at most this many runs at once on this worker (``--concurrency``).
    """

    def __init__(self, provisioner_for: ProvisionerFor, queue: str, slots: int) -> None:
        self._provisioner_for, self.queue, self._slots = provisioner_for, queue, slots
        self._live: dict[str, _Live | None] = {}  # None: a begin reserved the slot
        self._mutex = threading.Lock()

    # --- shared queue ----------------------------------------------------------------------------
    @activity.defn(name="netprov-begin")
    def begin(self, inp: BeginInput) -> BeginResult:
        self._reserve(inp.run_id)
        try:
            with heartbeating():
                return self._begin(inp)
        except Exception as exc:  # never retried: a retry would reuse this run id
            raise _refused(exc) from exc
        finally:
            with self._mutex:
                if self._live.get(inp.run_id) is None:
                    self._live.pop(inp.run_id, None)

    def _reserve(self, run_id: str, wait_s: float = 1.0) -> None:
        """Take a run slot, waiting a little; all busy: a benign failure Temporal retries."""
        deadline = time.monotonic() + wait_s
        while True:
            with self._mutex:
                if len(self._live) < self._slots:
                    self._live[run_id] = None
                    return
            if time.monotonic() > deadline:
                raise ApplicationError(
                    f"all {self._slots} run slots busy", type=BUSY, category=ApplicationErrorCategory.BENIGN
                )
            time.sleep(0.05)

    def _begin(self, inp: BeginInput) -> BeginResult:
        prov = self._provisioner_for(inp.request_id)
        svc, rid = prov.svc, inp.request_id
        saga = prov.saga(inp.actor)
        record = svc.get(rid)
        refuse_change(record)
        if record.state in PROVISIONED_STATES and saga.interrupted_run(rid) not in inp.own_runs:
            return BeginResult("already-provisioned")
        if record.state is not State.FORM_COMPLETE and record.state not in PROVISIONED_STATES:
            raise WorkflowError(not_ready(record))
        svc.ensure_may(Action.PROVISION, rid, inp.actor)
        token = self._lock(prov, inp)
        try:
            interrupted = saga.interrupted_run(rid)
            if interrupted is not None:
                if interrupted not in inp.own_runs and not inp.resume:
                    raise RunInterrupted(rid, interrupted)
                prov.rollback_interrupted(rid, interrupted, inp.actor)
            if inp.rollback_only or saga.is_complete(rid):
                svc.runs.release_lock(rid, token)
                return BeginResult("rolled-back" if inp.rollback_only else "already-provisioned")
            return self._open(prov, saga, inp, token)
        except BaseException:
            svc.runs.release_lock(rid, token)
            raise

    def _lock(self, prov: Provisioner, inp: BeginInput) -> str:
        runs = prov.svc.runs
        try:
            return str(runs.acquire_lock(inp.request_id, inp.holder))
        except ConcurrencyError:
            held = runs.lock_holder(inp.request_id)
            if not (held == inp.holder or (inp.resume and held and holder_dead(held))):
                raise
            prov.progress("resume", "", f"taking over the lock of {held}")
            runs.release_lock(inp.request_id)
            return str(runs.acquire_lock(inp.request_id, inp.holder))

    def _open(self, prov: Provisioner, saga: Saga[LinkRun], inp: BeginInput, token: str) -> BeginResult:
        stack = ExitStack()
        ctx = stack.enter_context(prov.run_context(inp.request_id, inp.run_id, inp.actor))
        ctx.fence = _fence(prov, inp.request_id, inp.run_id, token)
        stages = {s.name: s for s in saga.stages}
        with self._mutex:
            self._live[inp.run_id] = _Live(prov, saga, ctx, inp.actor, token, stack, stages)
        try:  # refused when this begin hung and another worker's begin took the lock over
            start = {"actor": inp.actor}
            prov.svc.runs.journal_if_held(token, inp.request_id, inp.run_id, RUN, "start", start)
        except BaseException:
            with self._mutex:
                self._live.pop(inp.run_id, None)
            stack.close()
            raise
        prov.progress(RUN, "", f"run {inp.run_id}")
        return BeginResult(
            "started",
            queue=self.queue,
            token=token,
            stages=list(stages),
            undoable=[s.name for s in saga.stages if s.undo is not None],
        )

    # --- this worker's own queue -------------------------------------------------------------------
    def _run(self, run_id: str) -> _Live:
        live = self._live.get(run_id)
        if live is None:
            raise ApplicationError(f"run {run_id} is not on this worker", type=LOST, non_retryable=True)
        return live

    def _journal(self, live: _Live, inp: StepInput, phase: str, data: dict[str, Any] | None = None) -> None:
        """One journal entry of the run, refused (``StaleRun``) once its lock was taken over."""
        runs = live.provisioner.svc.runs
        runs.journal_if_held(live.token, inp.request_id, inp.run_id, inp.stage, phase, data)

    def _abandon(self, run_id: str, exc: BaseException) -> ApplicationError:
        """This worker lost the run (it hung; another worker took it over): drop it, write nothing."""
        with activity.shield_thread_cancel_exception():  # the cancellation must not cut this short
            with self._mutex:
                live = self._live.pop(run_id, None)
            if live is not None:
                live.provisioner.progress(RUN, "", f"run {run_id} abandoned: {error_message(exc)}")
                with contextlib.suppress(Exception):
                    live.stack.close()  # its device locks and connections; not the register lock
        return ApplicationError(f"run {run_id} is no longer this worker's", type=LOST, non_retryable=True)

    @activity.defn(name="netprov-stage")
    def stage(self, inp: StepInput) -> float:
        """One stage forward: journaled ``begin``, ``do``, ``done`` (or ``failed``).

        A stale run (its worker hung and was replaced) stops at its first refused write, or at
        the cancellation its next heartbeat brings, before or during ``do``: nothing on top.
        """
        live = self._run(inp.run_id)
        stage, ctx, progress = live.stages[inp.stage], live.ctx, live.provisioner.progress
        try:
            with heartbeating():
                self._journal(live, inp, "begin", stage.begin(ctx) if stage.begin else {})
                t0 = time.monotonic()
                data = stage.do(ctx)
                live.provisioner.fault(stage.name)
            ctx.seconds[stage.name] = round(time.monotonic() - t0, 2)
            self._journal(live, inp, "done", data)
        except (StaleRun, CancelledError) as exc:
            raise self._abandon(inp.run_id, exc) from exc
        except Exception as exc:
            message = error_message(exc)
            try:
                self._journal(live, inp, "failed", {"error": message})
            except StaleRun as stale:
                raise self._abandon(inp.run_id, stale) from exc
            progress(stage.name, "", f"FAILED: {message}")
            raise ApplicationError(message, type="StageFailed", non_retryable=True) from exc
        progress(stage.name, "", f"done in {ctx.seconds[stage.name]:.1f}s")
        return ctx.seconds[stage.name]

    @activity.defn(name="netprov-undo")
    def undo(self, inp: StepInput) -> str:
        """One begun stage's undo (compensation); returns the problem, or "" when it was undone."""
        live = self._run(inp.run_id)
        stage = live.stages[inp.stage]
        if stage.undo is None:
            return ""
        try:
            self._journal(live, inp, "undo-begin", {})
            try:
                with heartbeating():
                    stage.undo(live.ctx)
            except (StaleRun, CancelledError):
                raise
            except Exception as exc:
                self._journal(live, inp, "undo-failed", {"error": error_message(exc)})
                return f"{stage.name}: {error_message(exc)}"
            self._journal(live, inp, "undo-done", {})
        except (StaleRun, CancelledError) as exc:
            raise self._abandon(inp.run_id, exc) from exc
        live.provisioner.progress(stage.name, "", "undone")
        return ""

    @activity.defn(name="netprov-failed")
    def failed(self, inp: EndInput) -> ProvisionOutcome:
        """The end of a failed run: journaled, on the trail, lock released."""
        live = self._run(inp.run_id)
        phase = "rolled-back" if not inp.undo_errors else "rollback-incomplete"
        data = {"stage": inp.stage, "error": inp.error, "undo_errors": inp.undo_errors}
        try:
            self._journal(live, StepInput(inp.request_id, inp.run_id, RUN), phase, data)
        except StaleRun as exc:
            raise self._abandon(inp.run_id, exc) from exc
        live.saga.listener.failed(inp.request_id, inp.run_id, inp.stage, inp.error, inp.undo_errors)
        seconds = dict(live.ctx.seconds)
        self._close(inp)
        return ProvisionOutcome(
            "failed", inp.run_id, inp.stage, inp.error, undo_errors=inp.undo_errors, seconds=seconds
        )

    @activity.defn(name="netprov-finish")
    def finish(self, inp: EndInput) -> ProvisionOutcome:
        """The end of a run that did every stage."""
        live = self._run(inp.run_id)
        seconds = dict(live.ctx.seconds)
        try:
            self._journal(live, StepInput(inp.request_id, inp.run_id, RUN), "finished", {"seconds": seconds})
        except StaleRun as exc:
            raise self._abandon(inp.run_id, exc) from exc
        outputs = link_stages.outputs(live.ctx)
        self._close(inp)
        return ProvisionOutcome("provisioned", inp.run_id, seconds=seconds, outputs=outputs)

    def _close(self, inp: EndInput) -> None:
        with self._mutex:
            live = self._live.pop(inp.run_id, None)
        if live is None:
            return
        try:
            live.stack.close()
        finally:
            live.provisioner.svc.runs.release_lock(inp.request_id, inp.token)

    def close_all(self) -> None:
        """Close every run's context (the worker is stopping; its workflows move elsewhere)."""
        with self._mutex:
            lives = [live for live in self._live.values() if live is not None]
            self._live.clear()
        for live in lives:
            with contextlib.suppress(Exception):
                live.stack.close()


def _fence(prov: Provisioner, request_id: str, run_id: str, token: str) -> Callable[[], None]:
    """The run's fence: ``StaleRun`` once its register lock is no longer ``token``'s."""

    def check() -> None:
        if not prov.svc.runs.holds_lock(request_id, token):
            raise StaleRun(f"run {run_id} of {request_id} was taken over by another worker; it stops here")

    return check


def fault_hook(spec: str | None, request_id: str) -> Callable[[str], None] | None:
    """``--fault REQUEST:STAGE`` (tests): fail that request's run right after that stage."""
    if not spec:
        return None
    rid, _, at = spec.partition(":")
    if rid != request_id:
        return None

    def fault(stage: str) -> None:
        if stage == at:
            raise PipelineError(f"injected fault after stage {stage}")

    return fault


__all__ = ["Activities", "Progress", "ProvisionerFor", "fault_hook", "heartbeating"]
