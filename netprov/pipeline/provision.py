"""The provisioning saga: SOP step 7 done by software, all or nothing.

:class:`Provisioner` is the facade the CLI, the demo, the benchmarks and the tests use. The
engine is :mod:`netprov.pipeline.saga` (journal, lock, undo in reverse, resume); the stages are
:mod:`netprov.pipeline.link_stages`; the checks are :mod:`netprov.pipeline.checks`. The journal
and the lock live in the register, reached through ``RequestService.runs``.

On any failure every begun stage with an undo is undone in reverse (this run's change taken off
its devices, NetBox reservation released, monitoring deregistered), the failure is appended to
the request's trail, and the request stays at step 7. A run killed midway is finished by
``--resume``: it rolls back what the dead run began (from the journal), then runs again.

Concurrency: the register's lock keeps one run per request; per-device locks
(:mod:`netprov.pipeline.device_locks`, in NetBox when it is configured) serialize the changes
to one device across runs and processes, from before its snapshot until its commit is confirmed
or undone. A device that still has another commit pending confirmation is waited for
(``commit_pending_wait_seconds``), not failed.

Many requests at once: :mod:`netprov.pipeline.batch` runs one provisioner per request, each
from :meth:`Provisioner.for_request` (its own progress and fault hook, the shared register,
IPAM session, monitors and device locks).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from nornir.core import Nornir

from netprov.domain.resources import Allocation
from netprov.domain.sop import Action, State
from netprov.domain.topology import Topology, load_topology
from netprov.errors import WorkflowError
from netprov.netbox.port import Ipam
from netprov.pipeline import change_run, link_stages
from netprov.pipeline.batch_netbox import BatchNetBox
from netprov.pipeline.device_locks import (
    DeviceLocks,
    HeldLocks,
    LayeredDeviceLocks,
    LocalDeviceLocks,
    OnWait,
)
from netprov.pipeline.link_stages import (
    LINK_STAGES,
    STAGES,
    DeviceDiff,
    LinkDeps,
    LinkRun,
    device_diffs,
    render_configs,
    validate_configs,
)
from netprov.pipeline.nornir_setup import build_nornir
from netprov.pipeline.run_trail import RunTrail
from netprov.pipeline.saga import NoFinishedRun, Progress, Saga, Stage, StageFailed
from netprov.render.link import RenderedConfig
from netprov.render.playbook import load_playbook
from netprov.settings import Settings
from netprov.sop.record import RequestRecord
from netprov.sop.service import RequestService

__all__ = [
    "CONVERGE_SECONDS",
    "STAGES",
    "DeviceDiff",
    "DryRunResult",
    "Progress",
    "Provisioner",
    "RunResult",
]

CONVERGE_SECONDS = 90.0  # how long routing checks may take to pass (tests lower it)


def _quiet(stage: str, device: str, message: str) -> None:
    return None


@dataclass
class DryRunResult:
    request_id: str
    allocation: Allocation
    allocated: bool  # True: NetBox already holds it; False: what allocate would take now
    configs: list[RenderedConfig]
    diffs: list[DeviceDiff]

    @property
    def changes_pending(self) -> bool:
        return (not self.allocated) or any(d.diff.strip() for d in self.diffs)


@dataclass
class RunResult:
    request_id: str
    run_id: str
    status: str  # "provisioned" | "already-provisioned"
    seconds: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


class Provisioner:
    """Runs step 7 for one request against NetBox, the devices and monitoring."""

    def __init__(
        self,
        settings: Settings,
        service: RequestService,
        ipam: Ipam,
        monitors: list[Any] | None = None,
        topology: Topology | None = None,
        nornir_factory: Callable[[bool], Nornir] | None = None,
        progress: Progress = _quiet,
        revert_in: int | None = None,
        fault: Callable[[str], None] | None = None,
        device_locks: DeviceLocks | None = None,
        batch_netbox: BatchNetBox | None = None,
    ) -> None:
        self.settings = settings
        self.svc = service
        self.ipam = ipam
        self._monitors = monitors
        self.topology = topology or load_topology(settings.topology_file)
        self._nornir_factory = nornir_factory or (lambda dry: build_nornir(settings, dry_run=dry))
        self.progress = progress
        self.revert_in = revert_in or settings.commit_confirm_seconds
        self.fault = fault or (lambda stage: None)  # test hook: raise to inject a fault at a stage
        self._device_locks = device_locks
        self._batch_netbox = batch_netbox
        self._mutex = threading.Lock()
        self._batch_mutex = threading.Lock()

    def for_request(self, progress: Progress, fault: Callable[[str], None] | None = None) -> Provisioner:
        """A provisioner for one request of a batch (:mod:`netprov.pipeline.batch`): its own
        progress and fault hook; this one's register, IPAM, monitors, topology, Nornir factory
        and device locks, built once (under a mutex) before the batch's threads share them.
        The device locks then use the IPAM's NetBox session when it has one (one session, one
        call counter for the batch), with a local layer in front: the batch's threads wait for
        each other without polling NetBox."""
        with self._mutex:
            if self._device_locks is None:
                tags = getattr(self.ipam, "lock_tags", None)
                if tags is not None:
                    from netprov.netbox.device_locks import NetBoxDeviceLocks

                    wait = float(self.settings.device_lock_wait_seconds)
                    self._device_locks = LayeredDeviceLocks(
                        NetBoxDeviceLocks(
                            tags, ttl_s=float(self.settings.device_lock_ttl_seconds), wait_s=wait
                        ),
                        wait_s=wait,
                    )
            locks, monitors = self.device_locks, self.monitors
        return Provisioner(
            self.settings,
            self.svc,
            self.ipam,
            monitors=monitors,
            topology=self.topology,
            nornir_factory=self._nornir_factory,
            progress=progress,
            revert_in=self.revert_in,
            fault=fault,
            device_locks=locks,
            batch_netbox=self.batch_netbox,
        )

    @property
    def batch_netbox(self) -> BatchNetBox | None:
        """The batch's gathered NetBox (and monitoring) calls, shared by every :meth:`for_request`;
        None when the IPAM cannot reserve many at once. ``Batch`` joins and leaves its ``group``."""
        with self._batch_mutex:
            if self._batch_netbox is None and self.settings.batch_gather and BatchNetBox.supported(self.ipam):
                bulk = self.settings.batch_gather_monitoring and not self.settings.device_locks_through_checks
                monitors = (lambda: self.monitors) if bulk else None
                self._batch_netbox = BatchNetBox(self.ipam, monitors=monitors)  # type: ignore[arg-type]
            return self._batch_netbox

    @property
    def device_locks(self) -> DeviceLocks:
        """Per-device locks: in NetBox when it is configured (every netprov sees them), else
        within this process only."""
        if self._device_locks is None:
            if self.settings.netbox_url and self.settings.netbox_token is not None:
                from netprov.netbox.device_locks import NetBoxDeviceLocks

                self._device_locks = NetBoxDeviceLocks.from_settings(self.settings)
            else:
                self._device_locks = LocalDeviceLocks(float(self.settings.device_lock_wait_seconds))
        return self._device_locks

    @property
    def monitors(self) -> list[Any]:
        if self._monitors is None:
            from netprov.monitoring.factory import backends_from_settings
            from netprov.store.identity import register_identity

            ident = register_identity(self.svc)  # the register's identity, stamped on entries
            self._monitors = list(backends_from_settings(self.settings, register_id=ident))
        return self._monitors

    def stages(self) -> Sequence[Stage[LinkRun]]:
        """The saga's stages, in order (a subclass may wrap one, as the e2e fault tests do)."""
        return LINK_STAGES

    def saga(self, actor: str, stages: Sequence[Stage[LinkRun]] | None = None) -> Saga[LinkRun]:
        """The engine over the register's journal, reporting to this request's trail as ``actor``
        (``stages``: a change kind's, default :meth:`stages`)."""
        return Saga(
            self.svc.runs,
            stages if stages is not None else self.stages(),
            progress=self.progress,
            listener=RunTrail(self.svc, actor),
            completed=lambda rid: self.svc.get(rid).state in _DONE_STATES,
            after_do=self.fault,
        )

    @property
    def nornir_factory(self) -> Callable[[bool], Nornir]:
        return self._nornir_factory

    def deps(self) -> LinkDeps:
        """What the stages work with (this provisioner's register, IPAM, monitors, locks)."""
        return LinkDeps(
            settings=self.settings,
            service=self.svc,
            ipam=self.ipam,
            topology=self.topology,
            monitors=lambda: self.monitors,
            progress=self.progress,
            revert_in=self.revert_in,
            converge_seconds=CONVERGE_SECONDS,
            device_locks=_Lazy(lambda: self.device_locks),
            pending_wait_seconds=float(self.settings.commit_pending_wait_seconds),
            batch_netbox=self._batch_netbox,
        )

    def run_context(
        self, request_id: str, run_id: str, actor: str
    ) -> contextlib.AbstractContextManager[LinkRun]:
        """One run's context, closed (device locks released, connections closed) on exit."""
        return self._context(request_id, run_id, actor)

    @contextlib.contextmanager
    def _context(self, request_id: str, run_id: str, actor: str) -> Iterator[LinkRun]:
        record = self.svc.get(request_id)
        run = LinkRun(
            deps=self.deps(),
            record=record,
            run_id=run_id,
            actor=actor,
            playbook=load_playbook(self.settings, record.letter.service),
            nornir_factory=self._nornir_factory,
        )
        try:
            yield run
        finally:
            run.close()

    # --- dry run ------------------------------------------------------------------------------
    def dry_run(self, request_id: str) -> DryRunResult:
        """Allocations it would make and the diff per device; changes nothing anywhere."""
        record = self.svc.get(request_id)
        if is_change(record):
            return change_run.dry_run_change(self, request_id)
        if record.state is not State.FORM_COMPLETE and record.state not in _DONE_STATES:
            raise WorkflowError(not_ready(record))
        playbook = load_playbook(self.settings, record.letter.service)
        existing = self.ipam.find_allocation(request_id)
        allocation = existing or self.ipam.plan(request_id, record.letter)
        self.progress(
            "allocate", "", f"{'reserved' if existing else 'would reserve'} {allocation.lan_prefix}"
        )
        configs = render_configs(self.deps(), record, allocation, playbook)
        self.progress("render", "", f"{len(configs)} configs")
        validate_configs(configs)
        self.progress("validate", "", "ok")
        nr = self._nornir_factory(True)
        try:
            diffs = device_diffs(nr, configs, self.progress)
        finally:
            nr.close_connections()
        return DryRunResult(request_id, allocation, existing is not None, configs, diffs)

    # --- the real run ---------------------------------------------------------------------------
    def run(self, request_id: str, actor: str, resume: bool = False) -> RunResult:
        """Provision the request (``resume``: first roll back a run that was killed midway)."""
        record = self.svc.get(request_id)
        if is_change(record):  # a decommission or bandwidth change: its kind's playbook
            return change_run.run_change(self, request_id, actor, resume)
        if record.state in _DONE_STATES:
            return RunResult(request_id, "", "already-provisioned")
        if record.state is not State.FORM_COMPLETE:
            raise WorkflowError(not_ready(record))
        self.svc.ensure_may(Action.PROVISION, request_id, actor)  # role and assigned staff, before any change
        runs: list[LinkRun] = []

        @contextlib.contextmanager
        def context(run_id: str) -> Iterator[LinkRun]:
            with self._context(request_id, run_id, actor) as run:
                runs.append(run)
                yield run

        try:
            result = self.saga(actor).run(request_id, actor, context, resume=resume)
        except StageFailed as exc:
            exc.seconds = dict(runs[-1].seconds) if runs else {}  # what each stage took before
            raise
        if result.status != "finished":
            return RunResult(request_id, result.run_id, "already-provisioned")
        return RunResult(
            request_id, result.run_id, "provisioned", result.seconds, link_stages.outputs(runs[-1])
        )

    def remediate(
        self, request_id: str, actor: str, allocation: Allocation, devices: Sequence[str]
    ) -> RunResult:
        """Push the link's intended config again to ``devices`` (``netprov drift --remediate``).

        A saga of its own (:mod:`netprov.pipeline.remediate`) in the request's journal, as a
        remediation run: device locks, snapshot, diff, push with commit-confirm, the link's
        checks, confirm; a failure puts every device back to what it ran before (its drift).
        """
        from netprov.pipeline.remediate import remediation_saga

        saga = remediation_saga(self.svc, self.progress, devices)

        @contextlib.contextmanager
        def context(run_id: str) -> Iterator[LinkRun]:
            with self._context(request_id, run_id, actor) as run:
                run.allocation = allocation
                run.configs = [
                    c
                    for c in render_configs(run.deps, run.record, allocation, run.playbook)
                    if c.device in devices
                ]
                yield run

        result = saga.run(request_id, actor, context, resume=True)  # a dead remediation: rolled back first
        return RunResult(request_id, result.run_id, "remediated", result.seconds)

    def undo_finished_run(self, request_id: str, actor: str) -> list[str]:
        """Take a provisioned link back out (devices, NetBox, monitoring) from its run's journal.

        Not an SOP step (decommissioning is its own SOP); used to reset a lab and by tests.
        """
        run_id = self.saga(actor).last_finished_run(request_id)
        if run_id is None:
            raise NoFinishedRun(f"{request_id} has no finished provisioning run")
        return self.rollback_interrupted(request_id, run_id, actor, finished_ok=True)

    def rollback_interrupted(
        self, request_id: str, run_id: str, actor: str, finished_ok: bool = False
    ) -> list[str]:
        """Undo what an interrupted run began, from its journal; the register says so."""
        if is_change(self.svc.get(request_id)):
            return change_run.rollback_change(self, request_id, run_id, actor, finished_ok)
        with self._context(request_id, run_id, actor) as run:
            return self.saga(actor).rollback(request_id, run_id, run, finished_ok=finished_ok)


class _Lazy:
    """Device locks built on first use (a dry run or a no-op run never connects for them)."""

    def __init__(self, get: Callable[[], DeviceLocks]) -> None:
        self._get = get

    def hold(self, devices: Sequence[str], holder: str, on_wait: OnWait) -> HeldLocks:
        return self._get().hold(devices, holder, on_wait)


_DONE_STATES = {State.PROVISIONED, State.REPORTED, State.FORWARDED, State.REVIEWED, State.DONE}
PROVISIONED_STATES = frozenset(_DONE_STATES)
"""The states of a request past step 7 (its link is built)."""


def is_change(record: RequestRecord) -> bool:
    """A decommission or a bandwidth change (a letter of another kind than ``new-link``)."""
    return str(record.request.letter.get("kind") or "new-link") != "new-link"


def refuse_change(record: RequestRecord) -> None:
    """Temporal workers run a new link's step 7 only: a change of a link runs in-process."""
    if is_change(record):
        kind = record.request.letter.get("kind")
        raise WorkflowError(
            f"{record.id} is a {kind} request: changes of a link run in the in-process engine for now "
            "(run provision without NETPROV_TEMPORAL_ADDRESS)"
        )


def not_ready(record: RequestRecord) -> str:
    return (
        f"{record.id} is {record.state.value}: provisioning (step 7) needs an accepted request whose "
        "completeness form is complete (state form_complete)"
    )
