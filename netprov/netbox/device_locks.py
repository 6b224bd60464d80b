"""Per-device locks kept in NetBox, so every netprov sharing a NetBox serializes device changes.

One lock per device (a :mod:`netprov.netbox.lock` tag, key ``device-<name>``), taken by a run
from before it saves a device's config until it confirmed its commit (or undid it). A run takes
the locks of all its devices in sorted order, so two runs never wait for each other in a cycle.

Expiry: each lock is written with a short TTL (``device_lock_ttl_seconds``) and renewed by a
small daemon thread (a heartbeat every third of the TTL) for as long as the run holds it. A
holder that dies stops renewing, and its locks expire within one TTL; a holder on this host
whose process is gone is taken over at once (its pid is in the lock's description). The thread,
not a renewal at each stage, because a single stage (verify, monitor) may outlast a TTL.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from netprov.netbox.lock import (
    LOCK_SLUG_PREFIX,
    LockTags,
    NetBoxLockTags,
    holder_gone,
    lock_description,
    lock_expiry,
    lock_holder,
    take_lock,
)
from netprov.settings import Settings

log = logging.getLogger(__name__)


class RenewableLockTags(LockTags, Protocol):
    """Lock tags whose description (the expiry) can be rewritten."""

    def update(self, tag_id: int, description: str) -> bool:
        """Rewrite the description; False when the tag no longer exists."""


def device_key(device: str) -> str:
    """The lock key of a device (a NetBox slug part).

    >>> device_key("dist-batamkota1"), device_key("Core_DC 1")
    ('device-dist-batamkota1', 'device-core-dc-1')
    """
    return "device-" + re.sub(r"[^a-z0-9]+", "-", device.lower()).strip("-")


class HeldDevices:
    """The locks one run holds; renewed by a heartbeat thread until :meth:`release`."""

    def __init__(self, tags: RenewableLockTags, held: dict[str, int], holder: str, ttl_s: float) -> None:
        self._tags, self._held, self._holder, self._ttl = tags, dict(held), holder, ttl_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if held:
            self._thread = threading.Thread(target=self._beat, name="netprov-device-locks", daemon=True)
            self._thread.start()

    @property
    def devices(self) -> list[str]:
        return sorted(self._held)

    def renew(self) -> None:
        """Push every held lock's expiry one TTL ahead (the heartbeat calls this): one
        list-PATCH when the tags can, else one call per lock."""
        until = time.time() + self._ttl
        many = getattr(self._tags, "update_many", None)
        if many is not None and len(self._held) > 1:
            try:
                if many(list(self._held.values()), lock_description(self._holder, until)):
                    return
            except Exception as exc:  # renewed one by one below
                log.warning("renewing the locks of %s failed: %s", ", ".join(self.devices), exc)
        for device, tag_id in list(self._held.items()):
            try:
                if not self._tags.update(tag_id, lock_description(self._holder, until)):
                    log.warning("the lock of %s disappeared while held", device)
            except Exception as exc:  # a missed beat is retried at the next one
                log.warning("renewing the lock of %s failed: %s", device, exc)

    def _beat(self) -> None:
        while not self._stop.wait(self._ttl / 3):
            self.renew()

    def release(self) -> None:
        """Stop renewing and delete the locks (in reverse order); safe to call twice."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        many = getattr(self._tags, "delete_many", None)
        if many is not None and len(self._held) > 1:
            try:
                many([self._held[d] for d in sorted(self._held, reverse=True)])
                self._held.clear()
            except Exception as exc:  # released one by one below
                log.warning("releasing the locks of %s failed: %s", ", ".join(self.devices), exc)
        for device in sorted(self._held, reverse=True):
            tag_id = self._held.pop(device)
            try:
                self._tags.delete(tag_id)
            except Exception as exc:  # it expires by itself within one TTL
                log.warning("releasing the lock of %s failed: %s", device, exc)


class NetBoxDeviceLocks:
    """:class:`netprov.pipeline.device_locks.DeviceLocks` kept in NetBox tags.

    Args:
        tags: where the lock tags live.
        ttl_s: how long a lock outlives its last renewal.
        wait_s: how long to wait for one device's lock before giving up.
        take: the lock-taking function (tests pass one with a fake clock).
    """

    def __init__(
        self,
        tags: RenewableLockTags,
        *,
        ttl_s: float = 60.0,
        wait_s: float = 900.0,
        take: Callable[..., int] = take_lock,
    ) -> None:
        self._tags, self._ttl, self._wait, self._take = tags, ttl_s, wait_s, take

    @classmethod
    def from_settings(cls, settings: Settings) -> NetBoxDeviceLocks:
        """Connect to the settings' NetBox (its own session, apart from the IPAM's)."""
        from netprov.netbox.client import connect, credentials

        url, token = credentials(settings)
        api, _ = connect(url, token)
        return cls(
            NetBoxLockTags(api),
            ttl_s=float(settings.device_lock_ttl_seconds),
            wait_s=float(settings.device_lock_wait_seconds),
        )

    def hold(self, devices: Sequence[str], holder: str, on_wait: Callable[[str, str], None]) -> HeldDevices:
        """Take the lock of every device, in sorted order; all or none.

        ``on_wait(device, holder)`` is told, at most every few seconds, who a device's lock
        is waited for.

        Raises:
            ConcurrencyError: a device stayed locked for longer than the wait (names the
                device and its holder); the locks taken so far are released.
        """
        held = self._all_at_once(sorted(set(devices)), holder)
        if held is not None:
            return HeldDevices(self._tags, held, holder, self._ttl)
        held = {}
        try:
            for device in sorted(set(devices)):
                held[device] = self._take(
                    self._tags,
                    device_key(device),
                    holder,
                    ttl_s=self._ttl,
                    wait_s=self._wait,
                    on_wait=_throttled(device, on_wait),
                    stale=holder_gone,
                )
        except BaseException:
            for tag_id in held.values():
                self._tags.delete(tag_id)
            raise
        return HeldDevices(self._tags, held, holder, self._ttl)

    def holder(self, device: str) -> str | None:
        """Who holds ``device``'s lock now (None: nobody, or only an expired or dead holder).

        Only looks; ``netprov drift`` asks it so it never compares a device being changed.
        """
        found = self._tags.get(LOCK_SLUG_PREFIX + device_key(device))
        if found is None:
            return None
        description = found[1]
        until = lock_expiry(description)
        if until is None or until < time.time() or holder_gone(description):
            return None
        return lock_holder(description).removeprefix("held by ")

    def _all_at_once(self, devices: list[str], holder: str) -> dict[str, int] | None:
        """Every lock in one list-POST (all or none), when no device is locked now; None
        otherwise (or when the tags cannot): then they are taken one by one, with waiting,
        expiry and take-over."""
        many = getattr(self._tags, "create_many", None)
        if many is None or len(devices) < 2:
            return None
        ids = many(
            [LOCK_SLUG_PREFIX + device_key(d) for d in devices],
            lock_description(holder, time.time() + self._ttl),
        )
        return dict(zip(devices, ids, strict=True)) if ids is not None else None


def _throttled(
    device: str, on_wait: Callable[[str, str], None], every_s: float = 5.0
) -> Callable[[str], None]:
    last: list[float] = []

    def tell(description: str) -> None:
        now = time.monotonic()
        if last and now - last[0] < every_s:
            return
        last[:] = [now]
        on_wait(device, lock_holder(description).removeprefix("held by "))

    return tell
