"""A mutex kept in NetBox itself, so every netprov that shares a NetBox shares the lock.

NetBox reserves prefixes, addresses and VLANs under its own lock, but nothing in NetBox guards a
*sum*: the bandwidth committed against an uplink. Two allocations that each read "100 Mbps
left" and each take 60 would both pass. So an allocation reads the committed bandwidth and
creates its objects while holding this lock.

The lock is a tag whose slug is unique in NetBox: creating it is the atomic test-and-set,
deleting it releases. The description says who holds it and until when, so a lock left by a
killed process expires instead of blocking forever.
"""

from __future__ import annotations

import os
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from pynetbox.core.query import RequestError

from netprov.errors import ConcurrencyError
from netprov.netbox.client import netbox_errors

LOCK_SLUG_PREFIX = "netprov-lock-"
_UNTIL = re.compile(r"until (\d+(?:\.\d+)?)\b")


class LockTags(Protocol):
    """The three tag operations the lock needs (NetBox: ``extras.tags``)."""

    def create(self, slug: str, description: str) -> int | None:
        """Create the tag; its id, or None when a tag with that slug exists."""

    def get(self, slug: str) -> tuple[int, str] | None:
        """(id, description) of the tag with that slug, or None."""

    def delete(self, tag_id: int) -> None:
        """Delete by id; no error when it is already gone."""


_HOLDER = re.compile(r" on (\S+) pid (\d+)\b")


def holder_name(what: str) -> str:
    return f"{what} on {socket.gethostname()} pid {os.getpid()}"


def holder_gone(description: str) -> bool:
    """True when a lock's holder was a process on this host that no longer runs.

    >>> holder_gone("netprov lock held by X on elsewhere pid 1 until 1"), holder_gone("hand-made")
    (False, False)
    """
    m = _HOLDER.search(description)
    if m is None or m.group(1) != socket.gethostname():
        return False
    try:
        os.kill(int(m.group(2)), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError, OverflowError):
        return False
    return False


def lock_description(holder: str, until: float) -> str:
    """What the lock tag's description says.

    >>> lock_description("PJB-2026-0001", 1700000000.0)
    'netprov lock held by PJB-2026-0001 until 1700000000'
    """
    return f"netprov lock held by {holder} until {int(until)}"


def lock_expiry(description: str) -> float | None:
    """The expiry written by :func:`lock_description`, or None if it cannot be read.

    >>> lock_expiry("netprov lock held by x until 1700000000")
    1700000000.0
    >>> lock_expiry("hand-made tag") is None
    True
    """
    m = _UNTIL.search(description)
    return float(m.group(1)) if m else None


def take_lock(
    tags: LockTags,
    key: str,
    holder: str,
    *,
    ttl_s: float = 300.0,
    wait_s: float = 600.0,
    poll_s: float = 0.2,
    max_poll_s: float = 2.0,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    on_wait: Callable[[str], None] | None = None,
    stale: Callable[[str], bool] | None = None,
) -> int:
    """Take the lock ``key`` and return its tag id (release it with ``tags.delete(id)``).

    A waiter only reads the lock (one GET) until it is gone or expired, and waits longer
    between reads the longer it waits (with jitter): twenty waiters must not starve the holder's
    own requests to NetBox.

    Args:
        tags: where the lock tag lives.
        key: what is locked (part of the tag slug: lowercase letters, digits, dashes).
        holder: who holds it, shown to whoever waits.
        ttl_s: a lock older than this is taken as left behind by a dead process.
        wait_s: how long to wait for a live holder before giving up.
        on_wait: told the current holder's description each time the lock is found taken
            (for a progress line).
        stale: whether a holder's description names a holder known to be gone (e.g. a dead
            process on this host): such a lock is taken over without waiting for its expiry.

    Raises:
        ConcurrencyError: another holder kept the lock for longer than ``wait_s``.
    """
    slug = LOCK_SLUG_PREFIX + key
    deadline = clock() + wait_s
    delay = poll_s
    while True:
        tag_id = tags.create(slug, lock_description(holder, clock() + ttl_s))
        if tag_id is not None:
            return tag_id
        while True:  # taken: read until it is released or expired
            current = tags.get(slug)
            if current is None:
                break
            cur_id, cur_desc = current
            expiry = lock_expiry(cur_desc)
            if expiry is None or expiry < clock() or (stale is not None and stale(cur_desc)):
                tags.delete(cur_id)  # by id: if someone re-took it meanwhile, theirs has a new id
                break
            if clock() >= deadline:
                raise ConcurrencyError(
                    f"NetBox lock {key!r} is still taken ({lock_holder(cur_desc)}) after "
                    f"{wait_s:.0f} s; try again when that run has finished"
                )
            if on_wait is not None:
                on_wait(cur_desc)
            sleep(delay * random.uniform(0.5, 1.5))  # noqa: S311 (jitter, not a secret)
            delay = min(delay * 1.5, max_poll_s)


def lock_holder(description: str) -> str:
    """Who holds a lock, from its description.

    >>> lock_holder("netprov lock held by PJB-2026-0001 on h pid 7 until 1700000000")
    'held by PJB-2026-0001 on h pid 7'
    """
    return _UNTIL.sub("", description.removeprefix("netprov lock ")).strip()


@contextmanager
def netbox_lock(
    tags: LockTags,
    key: str,
    holder: str,
    *,
    ttl_s: float = 300.0,
    wait_s: float = 600.0,
    poll_s: float = 0.2,
    max_poll_s: float = 2.0,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    stale: Callable[[str], bool] | None = None,
) -> Iterator[None]:
    """Hold the lock ``key`` for the ``with`` block (:func:`take_lock`, then delete the tag;
    ``stale`` as there: a holder known to be gone is taken over without waiting for its TTL).

    The threads of one process (a batch) first queue on a local mutex per ``tags`` and ``key``,
    so only one of them at a time asks NetBox: the others wait without polling it. A holder
    that leaves while another thread of this process waits hands the NetBox lock over instead
    of deleting and retaking it (2 calls saved per waiter), as long as more than half its TTL
    is left; the last one deletes it. Other processes see one lock held a little longer.

    Raises:
        ConcurrencyError: another holder kept the lock for longer than ``wait_s``.
    """
    local = _local_mutex(tags, key)
    with _LOCAL_GUARD:
        local.waiting += 1
    try:
        got = local.mutex.acquire(timeout=max(wait_s, 0.0))
    finally:
        with _LOCAL_GUARD:
            local.waiting -= 1
    if not got:
        raise ConcurrencyError(
            f"NetBox lock {key!r} is still taken by another run of this process after {wait_s:.0f} s; "
            "try again when that run has finished"
        )
    try:
        tag_id = local.tag_id
        if tag_id is None or local.until - clock() <= ttl_s / 2:
            if tag_id is not None:  # handed over with too little time left: take it anew
                local.tag_id = None
                tags.delete(tag_id)
            tag_id = take_lock(
                tags,
                key,
                holder,
                ttl_s=ttl_s,
                wait_s=wait_s,
                poll_s=poll_s,
                max_poll_s=max_poll_s,
                clock=clock,
                sleep=sleep,
                stale=stale or holder_gone,  # a killed run's lock (a batch killed mid-allocation) at once
            )
            local.tag_id, local.until = tag_id, clock() + ttl_s
        try:
            yield
        finally:
            with _LOCAL_GUARD:
                hand_over = local.waiting > 0 and local.until - clock() > ttl_s / 2
            if not hand_over:
                local.tag_id = None
                tags.delete(tag_id)
    finally:
        local.mutex.release()


class _LocalLock:
    """This process's mutex in front of one NetBox lock, and the NetBox lock it holds."""

    def __init__(self) -> None:
        self.mutex = threading.Lock()
        self.waiting = 0  # threads queued on the mutex (under _LOCAL_GUARD)
        self.tag_id: int | None = None  # the NetBox lock, while a holder of the mutex has it
        self.until = 0.0


_LOCAL: dict[tuple[int, str], _LocalLock] = {}
_LOCAL_GUARD = threading.Lock()


def _local_mutex(tags: LockTags, key: str) -> _LocalLock:
    """This process's mutex in front of NetBox lock ``key`` on ``tags``."""
    with _LOCAL_GUARD:
        return _LOCAL.setdefault((id(tags), key), _LocalLock())


def slug_taken(status: int, body: str) -> bool:
    """Did a tag create fail because the slug exists?

    NetBox's serializer says so with a 400; two creates in the same instant both pass the
    serializer and the loser hits the database constraint, a 500 naming IntegrityError.

    >>> slug_taken(400, '{"slug": ["tag with this slug already exists."]}')
    True
    >>> slug_taken(500, '{"exception": "IntegrityError", "error": "duplicate key value ..."}')
    True
    >>> slug_taken(403, "permission denied")
    False
    """
    text = body.lower()
    if status == 400:
        return "already exists" in text
    return status == 500 and ("integrityerror" in text or "duplicate key" in text)


class NetBoxLockTags:
    """:class:`LockTags` on a pynetbox API."""

    def __init__(self, api: Any) -> None:
        self._api = api

    @property
    def _tags(self) -> Any:
        return self._api.extras.tags

    def create(self, slug: str, description: str) -> int | None:
        try:
            tag = self._tags.create(name=slug, slug=slug, color="9e9e9e", description=description)
        except RequestError as exc:
            if slug_taken(exc.req.status_code, str(exc.error)):
                return None
            with netbox_errors(f"taking lock {slug}"):
                raise
        return int(tag.id)

    def create_many(self, slugs: list[str], description: str) -> list[int] | None:
        """Create every tag in one list-POST, all or none (NetBox saves a list in one
        transaction); their ids in ``slugs`` order, or None when any slug exists."""
        body = [{"name": s, "slug": s, "color": "9e9e9e", "description": description} for s in slugs]
        try:
            tags = self._tags.create(body)
        except RequestError as exc:
            if slug_taken(exc.req.status_code, str(exc.error)):
                return None
            with netbox_errors(f"taking locks {', '.join(slugs)}"):
                raise
        by_slug = {str(t.slug): int(t.id) for t in tags}
        return [by_slug[s] for s in slugs]

    def update_many(self, tag_ids: list[int], description: str) -> bool:
        """Rewrite several locks' descriptions in one list-PATCH; False when one is gone (then
        nothing was written: NetBox updates a list in one transaction)."""
        try:
            self._tags.update([{"id": i, "description": description} for i in tag_ids])
        except RequestError as exc:
            if exc.req.status_code in (400, 404):
                return False
            with netbox_errors("renewing lock tags"):
                raise
        return True

    def delete_many(self, tag_ids: list[int]) -> None:
        """Delete several tags in one list-DELETE; one by one when NetBox refuses the list
        because one of them is gone already."""
        try:
            self._tags.delete(list(tag_ids))
        except RequestError as exc:
            if exc.req.status_code != 404:
                with netbox_errors("releasing lock tags"):
                    raise
            for tag_id in tag_ids:
                self.delete(tag_id)

    def get(self, slug: str) -> tuple[int, str] | None:
        with netbox_errors(f"reading lock {slug}"):
            found = list(self._tags.filter(slug=slug))
        if not found:
            return None
        return int(found[0].id), str(found[0].description or "")

    def update(self, tag_id: int, description: str) -> bool:
        """Rewrite a lock's description (its new expiry); False when the tag is gone."""
        try:
            self._tags.update([{"id": tag_id, "description": description}])
        except RequestError as exc:
            if exc.req.status_code in (400, 404):
                return False
            with netbox_errors(f"renewing lock tag {tag_id}"):
                raise
        return True

    def delete(self, tag_id: int) -> None:
        try:
            self._tags.delete([tag_id])
        except RequestError as exc:
            if exc.req.status_code == 404:
                return
            with netbox_errors(f"releasing lock tag {tag_id}"):
                raise
