"""``netprov provision`` with ``NETPROV_TEMPORAL_ADDRESS``: submit the workflow, follow it.

:class:`TemporalRunner` has the provisioner's ``run`` (the batch and the single-request command
use it unchanged): it checks the request like the in-process run, starts the workflow with the
request id as its id (a second submission attaches to the running one), and reports the run's
progress from the register's journal (which every worker writes) until the workflow ends; it
returns the same ``RunResult`` or raises the same ``StageFailed``. Interrupted (Ctrl-C, a
cancelled batch), it raises :class:`Detached`: the workflow keeps running on the workers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from netprov import errors
from netprov.domain.sop import Action, State
from netprov.engine import Detached
from netprov.engine.workflow import WORKFLOW, ProvisionInput, ProvisionOutcome
from netprov.errors import NetprovError, WorkflowError
from netprov.pipeline.provision import PROVISIONED_STATES, RunResult, not_ready, refuse_change
from netprov.pipeline.saga import RUN, Progress, StageFailed
from netprov.settings import Settings
from netprov.sop.service import RequestService

POLL_S = 0.5


def journal_progress(stage: str, phase: str, data: dict[str, Any]) -> tuple[str, str] | None:
    """What one journal entry says on the board (stage, message), or None for nothing.

    >>> journal_progress("push", "done", {}), journal_progress("verify", "failed", {"error": "x"})
    (('push', 'done in '), ('verify', 'FAILED: x'))
    """
    if stage == RUN:
        return (RUN, f"run {phase}") if phase != "start" else None
    messages = {"begin": "running", "done": "done in ", "undo-done": "undone", "undo-begin": "undoing"}
    if phase == "failed":
        return stage, f"FAILED: {data.get('error', '')}"
    if phase == "undo-failed":
        return stage, f"undo FAILED: {data.get('error', '')}"
    return (stage, messages[phase]) if phase in messages else None


class TemporalRunner:
    """Runs one request's step 7 as a Temporal workflow (the provisioner's ``run``)."""

    def __init__(
        self,
        settings: Settings,
        service: RequestService,
        progress: Progress,
        checkpoint: Callable[[str], None] | None = None,
    ) -> None:
        self.settings, self.svc, self.progress = settings, service, progress
        self._checkpoint = checkpoint or (lambda where: None)
        self._began: dict[str, float] = {}

    def run(self, request_id: str, actor: str, resume: bool = False) -> RunResult:
        record = self.svc.get(request_id)
        refuse_change(record)
        if record.state in PROVISIONED_STATES:
            return RunResult(request_id, "", "already-provisioned")
        if record.state is not State.FORM_COMPLETE:
            raise WorkflowError(not_ready(record))
        self.svc.ensure_may(Action.PROVISION, request_id, actor)
        try:
            outcome = asyncio.run(self._submit_and_follow(request_id, actor, resume))
        except (KeyboardInterrupt, asyncio.CancelledError) as exc:
            raise Detached([request_id]) from exc
        return self._result(request_id, outcome)

    async def _submit_and_follow(self, request_id: str, actor: str, resume: bool) -> ProvisionOutcome:
        from temporalio.client import Client
        from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

        from netprov.engine.worker import address

        client = await Client.connect(address(self.settings), namespace=self.settings.temporal_namespace)
        seen = len(self.svc.runs.entries(request_id))
        handle = await client.start_workflow(
            WORKFLOW,
            ProvisionInput(request_id, actor, resume, self.settings.temporal_heartbeat_seconds),
            id=request_id,
            task_queue=self.settings.temporal_task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            result_type=ProvisionOutcome,
        )
        self.progress(RUN, "", f"workflow {handle.id} (run {handle.result_run_id})")
        result = asyncio.ensure_future(handle.result())
        while not result.done():
            await asyncio.wait([result], timeout=POLL_S)
            seen = self._report(request_id, seen)
            try:
                self._checkpoint("follow")
            except Exception as exc:
                result.cancel()
                raise Detached([request_id]) from exc
        self._report(request_id, seen)
        outcome: ProvisionOutcome = result.result()
        return outcome

    def _report(self, request_id: str, seen: int) -> int:
        entries = self.svc.runs.entries(request_id)
        for e in entries[seen:]:
            shown = journal_progress(e.stage, e.phase, dict(e.data))
            if shown is None:
                continue
            if e.phase == "begin":
                self._began[e.stage] = time.monotonic()
            message = shown[1]
            if e.phase == "done":
                message += f"{time.monotonic() - self._began.get(e.stage, time.monotonic()):.1f}s"
            self.progress(shown[0], "", message)
        return len(entries)

    def _result(self, request_id: str, outcome: ProvisionOutcome) -> RunResult:
        if outcome.status in ("provisioned", "already-provisioned"):
            return RunResult(request_id, outcome.run_id, outcome.status, outcome.seconds, outcome.outputs)
        if outcome.status == "failed":
            exc = StageFailed(request_id, outcome.run_id, outcome.stage, outcome.error, outcome.undo_errors)
            exc.seconds = dict(outcome.seconds)
            raise exc
        raise _error(outcome.kind, outcome.error)


def _error(kind: str, message: str) -> NetprovError:
    """The netprov error a worker refused the run with (by its class name)."""
    cls = getattr(errors, kind, None)
    if isinstance(cls, type) and issubclass(cls, NetprovError) and cls is not errors.InputError:
        try:
            return cls(message)
        except TypeError:
            pass
    return WorkflowError(message)
