"""The context the link stages work on: the deps of a provisioner and one run's state.

Kept apart from the stages (:mod:`netprov.pipeline.link_stages`, which re-exports these names)
so stage modules can share it without importing each other.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netprov.errors import PipelineError
from netprov.pipeline.device_locks import DeviceLocks, HeldLocks, LocalDeviceLocks
from netprov.pipeline.saga import Progress
from netprov.render.link import RenderedConfig
from netprov.render.playbook import Playbook

if TYPE_CHECKING:
    from nornir.core import Nornir
    from nornir.core.task import AggregatedResult

    from netprov.domain.resources import Allocation
    from netprov.domain.topology import Topology
    from netprov.netbox.port import Ipam
    from netprov.settings import Settings
    from netprov.sop.record import RequestRecord
    from netprov.sop.service import RequestService


@dataclass
class DeviceDiff:
    device: str
    platform: str
    role: str
    mode: str
    diff: str


@dataclass(frozen=True)
class LinkDeps:
    """What the link stages work with, the same for every run of one provisioner.

    ``device_locks`` serializes changes to one device across runs; ``pending_wait_seconds`` is
    how long a push waits for another run's pending commit-confirm before it gives up.
    """

    settings: Settings
    service: RequestService
    ipam: Ipam
    topology: Topology
    monitors: Callable[[], list[Any]]
    progress: Progress
    revert_in: int
    converge_seconds: float
    device_locks: DeviceLocks = field(default_factory=LocalDeviceLocks)
    pending_wait_seconds: float = 330.0
    batch_netbox: Any = None  # a batch's gathered NetBox calls (netprov.pipeline.batch_netbox)


@dataclass
class LinkRun:
    """One run's context: the request, what the stages found so far, and the Nornir connection.

    ``afters`` is each committed device's running config right after this run's commit (its
    snapshot plus this run's own change): the undo compares the device against it.
    """

    deps: LinkDeps
    record: RequestRecord
    run_id: str
    actor: str
    playbook: Playbook
    nornir_factory: Callable[[bool], Nornir]
    allocation: Allocation | None = None
    configs: list[RenderedConfig] = field(default_factory=list)
    snapshots: dict[str, str] = field(default_factory=dict)
    afters: dict[str, str] = field(default_factory=dict)
    devices: list[dict[str, Any]] = field(default_factory=list)
    verification: list[dict[str, Any]] = field(default_factory=list)
    monitoring: list[dict[str, Any]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    locked: list[str] | None = None  # the devices the lock stage locked (None: not run yet)
    confirmed: list[str] = field(default_factory=list)  # commits confirmed by ``release``
    held: HeldLocks | None = field(default=None, repr=False)
    # raises when this run may write no more (a Temporal worker's run taken over by another
    # worker after it hung): ``push`` calls it before each device's commit
    fence: Callable[[], None] = field(default=lambda: None, repr=False)
    _nr: Nornir | None = field(default=None, repr=False)

    @property
    def nr(self) -> Nornir:
        """Nornir for the real run, built on first use (a rollback with nothing to undo needs none)."""
        if self._nr is None:
            self._nr = self.nornir_factory(False)
        return self._nr

    def hold_devices(self, devices: list[str]) -> None:
        """Take the locks of ``devices`` (sorted, all or none) unless this run holds them already.

        Raises:
            ConcurrencyError: a device stayed locked by another run for longer than the wait.
        """
        if self.held is not None:
            missing = sorted(set(devices) - set(self.held.devices))
            if missing:
                raise PipelineError(f"{self.record.id}: devices not locked by this run: {missing}")
            return
        if not devices:
            return

        def waiting(device: str, holder: str) -> None:
            self.progress("lock", device, f"waiting for {device}, held by {holder}")

        self.held = self.deps.device_locks.hold(
            devices, f"{self.record.id} on {socket.gethostname()} pid {os.getpid()}", waiting
        )
        self.progress("lock", "", "holding " + ", ".join(self.held.devices))

    def release_devices(self) -> None:
        """Let go of the device locks this run holds, if any."""
        if self.held is not None:
            held, self.held = self.held, None
            held.release()

    def close(self) -> None:
        """Release the device locks and close the device connections."""
        self.release_devices()
        if self._nr is not None:
            self._nr.close_connections()
            self._nr = None

    def progress(self, stage: str, device: str, message: str) -> None:
        self.deps.progress(stage, device, message)


def raise_failures(result: AggregatedResult, what: str) -> None:
    """Turn the failed hosts of a Nornir result into one ``PipelineError`` sentence."""
    failed = {name: r for name, r in result.items() if r.failed}
    if not failed:
        return
    parts = []
    for name, multi in failed.items():
        exc = next((r.exception for r in multi if r.exception is not None), None)
        msg = str(exc).strip().splitlines()[0] if exc and str(exc).strip() else type(exc).__name__
        parts.append(f"{name}: {msg[:300]}")
    raise PipelineError(f"{what} failed on " + "; ".join(parts))
