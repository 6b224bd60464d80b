"""The provisioning workflow: one request's step-7 saga, driven by Temporal.

Deterministic and free of netprov imports (Temporal replays it in a sandbox); every effect is an
activity (:mod:`netprov.engine.activities`). The shape::

    begin            (shared queue, any worker)  lock, roll back a lost run, journal run/start
    stage × 13       (that worker's own queue)   journal begin, do, done  (or failed)
    undo × k         (same queue, on failure)    each begun stage's undo, in reverse
    failed | finish  (same queue)                journal the end, trail, release the lock

The stages of one run work on one in-memory context (the run's Nornir connections and device
locks), so they run on the worker that began the run: its own task queue. A worker that dies
stops heartbeating; its activity times out, and the workflow goes back to ``begin`` on the
shared queue, where another worker rolls the lost run back from the register's journal (the
saga's resume) and runs it again: the request is provisioned once, whatever worker is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as ActivityTimeout

WORKFLOW = "netprov-provision"
MAX_RUNS = 4  # runs one workflow may start (a lost worker costs one)
HEARTBEAT_S = 15.0  # default of ``temporal_heartbeat_seconds``: silent this long, a worker is lost
BUSY = "WorkerBusy"  # begin on a worker whose run slots are all taken: retried (maybe elsewhere)
LOST = "ContextLost"  # a stage reached a worker that does not hold the run (it restarted)


@dataclass
class ProvisionInput:
    request_id: str
    actor: str
    resume: bool = False
    heartbeat_s: float = HEARTBEAT_S


@dataclass
class BeginInput:
    request_id: str
    actor: str
    run_id: str
    holder: str
    own_runs: list[str]
    resume: bool = False
    rollback_only: bool = False


@dataclass
class BeginResult:
    status: str  # "started" | "already-provisioned" | "rolled-back"
    queue: str = ""
    token: str = ""
    stages: list[str] = field(default_factory=list)
    undoable: list[str] = field(default_factory=list)


@dataclass
class StepInput:
    request_id: str
    run_id: str
    stage: str


@dataclass
class EndInput:
    request_id: str
    run_id: str
    token: str
    stage: str = ""
    error: str = ""
    undo_errors: list[str] = field(default_factory=list)


@dataclass
class ProvisionOutcome:
    """``status``: provisioned, already-provisioned, failed (rolled back) or refused."""

    status: str
    run_id: str = ""
    stage: str = ""
    error: str = ""
    kind: str = ""
    undo_errors: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    runs: int = 1


class _WorkerLost(Exception):
    def __init__(self, failure: tuple[str, str] | None = None) -> None:
        super().__init__("worker lost")
        self.failure = failure  # (stage, error) when the run was already being undone


def _lost(exc: ActivityError) -> bool:
    cause = exc.cause
    return isinstance(cause, ActivityTimeout) or (isinstance(cause, ApplicationError) and cause.type == LOST)


def _message(exc: ActivityError) -> tuple[str, str]:
    cause = exc.cause
    if isinstance(cause, ApplicationError):
        kind = str(cause.details[0]) if cause.type == "Refused" and cause.details else cause.type or ""
        return cause.message, kind
    return str(cause or exc), type(cause or exc).__name__


def _sticky(queue: str, heartbeat_s: float) -> dict[str, Any]:
    return {
        "task_queue": queue,
        "schedule_to_start_timeout": timedelta(seconds=30),
        "start_to_close_timeout": timedelta(hours=2),
        "heartbeat_timeout": timedelta(seconds=heartbeat_s),
        "retry_policy": RetryPolicy(maximum_attempts=1),
    }


_BEGIN_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=300),
    backoff_coefficient=1.5,
    maximum_interval=timedelta(seconds=1),
    non_retryable_error_types=["Refused"],
)


@workflow.defn(name=WORKFLOW)
class ProvisionWorkflow:
    @workflow.run
    async def run(self, inp: ProvisionInput) -> ProvisionOutcome:
        holder = f"{inp.actor}@temporal:{workflow.info().workflow_id}"
        own: list[str] = []
        failure: tuple[str, str] | None = None
        for attempt in range(1, MAX_RUNS + 1):
            run_id = workflow.uuid4().hex[:12]
            begin = BeginInput(
                inp.request_id, inp.actor, run_id, holder, list(own), inp.resume, failure is not None
            )
            own.append(run_id)
            try:
                begun = await workflow.execute_activity(
                    "netprov-begin",
                    begin,
                    result_type=BeginResult,
                    schedule_to_close_timeout=timedelta(days=1),
                    start_to_close_timeout=timedelta(hours=1),
                    heartbeat_timeout=timedelta(seconds=inp.heartbeat_s),
                    retry_policy=_BEGIN_RETRY,
                )
            except ActivityError as exc:
                error, kind = _message(exc)
                return ProvisionOutcome("refused", run_id, error=error, kind=kind, runs=attempt)
            if begun.status == "rolled-back" and failure is not None:
                return ProvisionOutcome("failed", own[-2], failure[0], failure[1], runs=attempt)
            if begun.status != "started":
                return ProvisionOutcome(begun.status, own[-2] if len(own) > 1 else "", runs=attempt)
            try:
                outcome = await self._forward(inp, run_id, begun)
            except _WorkerLost as lost:
                workflow.logger.warning("run %s of %s lost its worker", run_id, inp.request_id)
                failure = lost.failure
                continue
            outcome.runs = attempt
            return outcome
        return ProvisionOutcome("failed", own[-1], "run", f"lost a worker {MAX_RUNS} times", runs=MAX_RUNS)

    async def _forward(self, inp: ProvisionInput, run_id: str, begun: BeginResult) -> ProvisionOutcome:
        request_id, opts = inp.request_id, _sticky(begun.queue, inp.heartbeat_s)
        done: list[str] = []
        for stage in begun.stages:
            done.append(stage)
            try:
                await workflow.execute_activity(
                    "netprov-stage", StepInput(request_id, run_id, stage), result_type=float, **opts
                )
            except ActivityError as exc:
                if _lost(exc):
                    raise _WorkerLost() from exc
                return await self._compensate(inp, run_id, begun, done, _message(exc)[0])
        try:
            outcome: ProvisionOutcome = await workflow.execute_activity(
                "netprov-finish",
                EndInput(request_id, run_id, begun.token),
                result_type=ProvisionOutcome,
                **opts,
            )
            return outcome
        except ActivityError as exc:
            raise _WorkerLost() from exc

    async def _compensate(
        self, inp: ProvisionInput, run_id: str, begun: BeginResult, done: list[str], error: str
    ) -> ProvisionOutcome:
        """Each begun stage's undo, in reverse (the saga's compensation), then the run's end."""
        request_id, failed, undo_errors = inp.request_id, done[-1], []
        opts = _sticky(begun.queue, inp.heartbeat_s)
        for stage in reversed(done):
            if stage not in begun.undoable:
                continue
            try:
                problem = await workflow.execute_activity(
                    "netprov-undo", StepInput(request_id, run_id, stage), result_type=str, **opts
                )
            except ActivityError as exc:
                if _lost(exc):
                    raise _WorkerLost((failed, error)) from exc
                problem = f"{stage}: {_message(exc)[0]}"
            if problem:
                undo_errors.append(problem)
        end = EndInput(request_id, run_id, begun.token, failed, error, undo_errors)
        try:
            outcome: ProvisionOutcome = await workflow.execute_activity(
                "netprov-failed", end, result_type=ProvisionOutcome, **opts
            )
            return outcome
        except ActivityError as exc:
            raise _WorkerLost((failed, error)) from exc
