"""Many requests at once (issue 13): each request its own saga, run side by side in one process.

:class:`Batch` checks every request id first and refuses the whole batch, naming every id that
cannot be provisioned now, before anything is touched (:func:`preflight`). Then it runs the
requests' sagas on a bounded thread pool (``batch_workers``). Each request keeps its own saga,
journal, lock, log and undo: one that fails is rolled back alone (its lines off the shared
devices, its NetBox objects and monitoring entries gone) while the others go on. The runs share
what is safe to share (the register, one NetBox session, the monitoring clients, the per-device
locks, which serialize the changes to one device between these threads as between processes).

Ctrl-C (or :meth:`Batch.cancel`) stops the batch cleanly: requests not started are skipped;
every running saga stops after its current stage and is rolled back by its own undo.

The engine knows one thing of a request's runner: ``run(request_id, actor, resume) ->
RunResult``; the caller builds one per request (its own progress callback and fault hook) with
the ``checkpoint`` hook this module passes, so unit tests drive it with fakes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from netprov.domain.sop import Action, State
from netprov.errors import NetprovError, PipelineError, WorkflowError
from netprov.pipeline.gather import GatherGroup
from netprov.pipeline.saga import StageFailed, error_message

__all__ = [
    "DONE_STATES",
    "Batch",
    "BatchCancelled",
    "BatchEntry",
    "BatchRefused",
    "Checkpoint",
    "preflight",
    "ready_ids",
]

DONE_STATES = frozenset({State.PROVISIONED, State.REPORTED, State.FORWARDED, State.REVIEWED, State.DONE})
Checkpoint = Callable[[str], None]
"""Called with a stage's name after the stage ran (the saga's ``after_do``): raise to stop."""

PROVISIONED, ALREADY, FAILED, CANCELLED = "provisioned", "already-provisioned", "failed", "cancelled"


class BatchRefused(WorkflowError):
    """Some request of the batch cannot be provisioned now; nothing was touched."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("batch refused, nothing was changed: " + "; ".join(self.problems))


class BatchCancelled(PipelineError):
    """The batch was cancelled (Ctrl-C): a running request stops after its stage and is undone."""


class RunResultLike(Protocol):
    @property
    def run_id(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def seconds(self) -> dict[str, float]: ...

    @property
    def outputs(self) -> dict[str, Any]: ...


class Runner(Protocol):
    """One request's provisioner (``netprov.pipeline.provision.Provisioner`` fits)."""

    def run(self, request_id: str, actor: str, resume: bool = False) -> RunResultLike: ...


@dataclass
class BatchEntry:
    """What happened to one request of a batch.

    ``status``: ``provisioned``, ``already-provisioned``, ``failed`` (its run was rolled back:
    ``rolled_back`` False when an undo failed) or ``cancelled`` (never started, or stopped and
    undone). ``stage``: where it failed.
    """

    request_id: str
    status: str = "waiting"
    run_id: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    wall_seconds: float = 0.0
    error: str = ""
    stage: str = ""
    rolled_back: bool | None = None
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status in (PROVISIONED, ALREADY)

    def as_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "status": self.status,
            "run_id": self.run_id,
            "seconds": self.seconds,
            "wall_seconds": self.wall_seconds,
            "error": self.error,
            "stage": self.stage,
            "rolled_back": self.rolled_back,
            **{k: v for k, v in self.outputs.items() if k not in ("run_id", "seconds")},
        }


# --- before anything is touched --------------------------------------------------------------------
class Register(Protocol):
    """The register reads :func:`preflight` needs (``RequestService`` fits)."""

    def get(self, request_id: str) -> Any: ...

    def ensure_may(self, action: Action, request_id: str, actor: str) -> Any: ...

    def find(self, state: State | None = None, overdue: bool = False) -> list[Any]: ...

    @property
    def runs(self) -> Any: ...


def unique(ids: Sequence[str]) -> list[str]:
    """The ids in their order, each once.

    >>> unique(["B", "A", "B"])
    ['B', 'A']
    """
    return list(dict.fromkeys(ids))


def preflight(
    register: Register, ids: Sequence[str], actor: str, *, resume: bool = False, check_actor: bool = True
) -> list[str]:
    """One sentence per request of ``ids`` that cannot be provisioned now by ``actor`` (empty: go).

    A request is fine when it is at step 7 with a complete form (``form_complete``), ``actor``
    may provision it, nobody else's run holds it and no run of it was interrupted (unless
    ``resume``), or when it is provisioned already (the batch then reports it as such).
    ``check_actor`` False (a dry run): only that the request exists and is at that state.
    """
    from netprov.pipeline.saga import Saga, holder_dead

    problems: list[str] = []
    for rid in ids:
        try:
            record = register.get(rid)
            if record.state in DONE_STATES:
                continue
            if record.state is not State.FORM_COMPLETE:
                problems.append(
                    f"{rid} is {record.state.value}, not form_complete (accepted, completeness form complete)"
                )
                continue
            if not check_actor:
                continue
            register.ensure_may(Action.PROVISION, rid, actor)
            holder = register.runs.lock_holder(rid)
            if holder and holder_dead(holder) and not resume:
                problems.append(
                    f"{rid}: its run by {holder} was interrupted (that process is gone); use --resume"
                )
                continue
            if holder and not holder_dead(holder):  # a dead run's lock: the resume takes it over
                problems.append(f"{rid} is being provisioned by {holder}")
                continue
            interrupted = Saga(register.runs, ()).interrupted_run(rid)
            if interrupted and not resume:
                problems.append(f"{rid}: run {interrupted} was interrupted; use --resume")
        except NetprovError as exc:
            text = error_message(exc)
            problems.append(text if rid in text else f"{rid}: {text}")
    return problems


def ready_ids(register: Register, actor: str) -> tuple[list[str], list[str]]:
    """(the requests at step 7 with a complete form that ``actor`` may provision, the others)."""
    mine, others = [], []
    for record in register.find(state=State.FORM_COMPLETE):
        try:
            register.ensure_may(Action.PROVISION, record.id, actor)
        except NetprovError:
            others.append(record.id)
            continue
        mine.append(record.id)
    return mine, others


# --- the run ----------------------------------------------------------------------------------------
class Batch:
    """Runs the sagas of many requests on a bounded pool, each one alone on failure.

    Args:
        runner_for: builds the runner of one request, given the checkpoint it must call after
            each stage (the provisioner's ``fault`` hook).
        workers: at most this many sagas at once.
        on_change: told each entry when its status changes (a display).
        gathers: the batch's gathered calls (:mod:`netprov.pipeline.batch_netbox`): a request
            joins them when its saga starts and leaves when it ends, so the others wait for it
            at a gathered stage only while it runs (the first ``workers`` join before any starts).
    """

    def __init__(
        self,
        runner_for: Callable[[str, Checkpoint], Runner],
        workers: int = 4,
        on_change: Callable[[BatchEntry], None] | None = None,
        gathers: GatherGroup | None = None,
    ) -> None:
        if workers < 1:
            raise PipelineError(f"batch_workers must be at least 1, not {workers}")
        self._runner_for = runner_for
        self._workers = workers
        self._on_change = on_change or (lambda entry: None)
        self._cancel = threading.Event()
        self._gathers = gathers or GatherGroup()

    def cancel(self) -> None:
        """Start no more requests; stop each running one after its stage (it is undone)."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def _checkpoint(self, stage: str) -> None:
        if self._cancel.is_set():
            raise BatchCancelled(f"batch cancelled after stage {stage}")

    def run(self, ids: Sequence[str], actor: str, *, resume: bool = False) -> list[BatchEntry]:
        """Run every request (in the order given, ``workers`` at a time); one entry each.

        Ctrl-C in the calling thread cancels the batch, waits for the running sagas to roll
        back, and re-raises.
        """
        entries = [BatchEntry(rid) for rid in unique(ids)]
        pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="netprov-batch")
        futures: list[Future[None]] = []
        for entry in entries[: self._workers]:  # these start at once: the first gathers wait for them
            self._gathers.join(entry.request_id)
        try:
            futures = [pool.submit(self._one, entry, actor, resume) for entry in entries]
            for fut in futures:
                fut.result()
        except KeyboardInterrupt:
            self.cancel()
            for fut in futures:
                fut.exception()  # wait: each running saga rolls back by itself
            raise
        finally:
            pool.shutdown(wait=True)
        return entries

    def _one(self, entry: BatchEntry, actor: str, resume: bool) -> None:
        self._gathers.join(entry.request_id)
        try:
            self._one_joined(entry, actor, resume)
        finally:
            self._gathers.leave(entry.request_id)

    def _one_joined(self, entry: BatchEntry, actor: str, resume: bool) -> None:
        if self._cancel.is_set():
            self._set(entry, CANCELLED, error="batch cancelled before it started")
            return
        self._set(entry, "running")
        t0 = time.monotonic()
        try:
            result = self._runner_for(entry.request_id, self._checkpoint).run(
                entry.request_id, actor, resume=resume
            )
        except StageFailed as exc:
            entry.run_id, entry.stage, entry.rolled_back = exc.run_id, exc.stage, not exc.undo_errors
            entry.seconds = dict(exc.seconds)
            cancelled = isinstance(exc.__cause__, BatchCancelled)
            entry.wall_seconds = round(time.monotonic() - t0, 2)
            self._set(entry, CANCELLED if cancelled else FAILED, error=str(exc))
            return
        except Exception as exc:  # one request's failure never stops the others
            entry.wall_seconds = round(time.monotonic() - t0, 2)
            self._set(entry, FAILED, error=error_message(exc))
            return
        entry.run_id, entry.seconds = result.run_id, dict(result.seconds)
        entry.outputs = dict(result.outputs)
        entry.wall_seconds = round(time.monotonic() - t0, 2)
        self._set(entry, PROVISIONED if result.status == PROVISIONED else ALREADY)

    def _set(self, entry: BatchEntry, status: str, error: str = "") -> None:
        entry.status, entry.error = status, error or entry.error
        try:
            self._on_change(entry)
        except Exception:  # a display must not break a run
            return
