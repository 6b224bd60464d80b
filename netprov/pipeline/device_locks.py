"""The per-device lock port of the pipeline: changes to one device are serialized across runs.

A link run holds the locks of all its devices from before it saves their configs (snapshot)
until it confirmed its commits, or until its undo is done. The port is small so the saga's
unit tests use a fake; netprov's real one lives in NetBox
(:class:`netprov.netbox.device_locks.NetBoxDeviceLocks`), where every netprov sees it.
:class:`LocalDeviceLocks` serializes only the threads of one process (no NetBox configured).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from netprov.errors import ConcurrencyError

OnWait = Callable[[str, str], None]
"""Told ``(device, holder)`` while a run waits for a device another run holds."""


class HeldLocks(Protocol):
    """The device locks one run holds."""

    @property
    def devices(self) -> list[str]:
        """The devices held, sorted."""

    def release(self) -> None:
        """Let go of every lock (safe to call twice)."""


class DeviceLocks(Protocol):
    """Where device locks live."""

    def hold(self, devices: Sequence[str], holder: str, on_wait: OnWait) -> HeldLocks:
        """Take every device's lock, in sorted order (no deadlock); all or none.

        Raises:
            ConcurrencyError: a device stayed locked for longer than the bounded wait.
        """


class _LocalHeld:
    def __init__(self, owner: LocalDeviceLocks, devices: list[str]) -> None:
        self._owner, self._devices = owner, devices

    @property
    def devices(self) -> list[str]:
        return list(self._devices)

    def release(self) -> None:
        devices, self._devices = self._devices, []
        self._owner.drop(devices)


class LocalDeviceLocks:
    """Device locks within one process (threads), with the same bounded wait.

    Args:
        wait_s: how long to wait for one device before ``ConcurrencyError``.
        poll_s: how often a waiter looks again.
    """

    def __init__(self, wait_s: float = 900.0, poll_s: float = 0.05) -> None:
        self._wait, self._poll = wait_s, poll_s
        self._mutex = threading.Lock()
        self.holders: dict[str, str] = {}

    def _try(self, device: str, holder: str) -> str | None:
        with self._mutex:
            current = self.holders.get(device)
            if current is None:
                self.holders[device] = holder
            return current

    def drop(self, devices: Sequence[str]) -> None:
        with self._mutex:
            for d in devices:
                self.holders.pop(d, None)

    def hold(self, devices: Sequence[str], holder: str, on_wait: OnWait) -> HeldLocks:
        taken: list[str] = []
        try:
            for device in sorted(set(devices)):
                deadline, told = time.monotonic() + self._wait, False
                while (current := self._try(device, holder)) is not None:
                    if time.monotonic() >= deadline:
                        raise ConcurrencyError(
                            f"{device} is still being changed by {current} after {self._wait:.0f} s; "
                            "try again when that run has finished"
                        )
                    if not told:
                        on_wait(device, current)
                        told = True
                    time.sleep(self._poll)
                taken.append(device)
        except BaseException:
            self.drop(taken)
            raise
        return _LocalHeld(self, taken)


class _LayeredHeld:
    def __init__(self, local: HeldLocks, remote: HeldLocks) -> None:
        self._local, self._remote = local, remote

    @property
    def devices(self) -> list[str]:
        return self._remote.devices

    def release(self) -> None:
        try:
            self._remote.release()
        finally:
            self._local.release()


class LayeredDeviceLocks:
    """Shared locks (NetBox) with this process's own in front: the threads of one batch wait
    for each other locally (no NetBox polls) and only the one in front asks the shared store.

    Both layers are taken in sorted order, the local one whole before any shared one, so no
    thread ever waits locally while holding a shared lock: no cycle.
    """

    def __init__(self, remote: DeviceLocks, wait_s: float = 900.0, poll_s: float = 0.05) -> None:
        self._remote = remote
        self._local = LocalDeviceLocks(wait_s, poll_s)

    def hold(self, devices: Sequence[str], holder: str, on_wait: OnWait) -> HeldLocks:
        local = self._local.hold(devices, holder, on_wait)
        try:
            remote = self._remote.hold(devices, holder, on_wait)
        except BaseException:
            local.release()
            raise
        return _LayeredHeld(local, remote)
