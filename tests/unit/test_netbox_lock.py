"""The NetBox-kept allocation lock: its logic on an in-memory tag store, its HTTP error reading."""

from __future__ import annotations

import doctest
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from pynetbox.core.query import RequestError

from netprov.errors import ConcurrencyError
from netprov.netbox import lock as lock_mod
from netprov.netbox.lock import LOCK_SLUG_PREFIX, NetBoxLockTags, lock_description, netbox_lock


class MemoryTags:
    """Tags with NetBox's one property that matters here: a slug exists at most once."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[int, str]] = {}
        self.next_id = 1
        self.deleted: list[int] = []
        self._mutex = threading.Lock()

    def create(self, slug: str, description: str) -> int | None:
        with self._mutex:
            if slug in self.rows:
                return None
            self.rows[slug] = (self.next_id, description)
            self.next_id += 1
            return self.rows[slug][0]

    def get(self, slug: str) -> tuple[int, str] | None:
        with self._mutex:
            return self.rows.get(slug)

    def delete(self, tag_id: int) -> None:
        with self._mutex:
            self.deleted.append(tag_id)
            for slug, (i, _) in list(self.rows.items()):
                if i == tag_id:
                    del self.rows[slug]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.now += s


def test_doctests() -> None:
    assert doctest.testmod(lock_mod).failed == 0


def test_lock_is_taken_and_released() -> None:
    tags = MemoryTags()
    with netbox_lock(tags, "allocate-intranet", "PJB-2026-0001"):
        tid, desc = tags.rows[LOCK_SLUG_PREFIX + "allocate-intranet"]
        assert "PJB-2026-0001" in desc
    assert tags.rows == {} and tags.deleted == [tid]


def test_lock_is_released_when_the_block_fails() -> None:
    tags = MemoryTags()
    with pytest.raises(RuntimeError), netbox_lock(tags, "k", "a"):
        raise RuntimeError("allocation failed")
    assert tags.rows == {}


def test_a_live_holder_makes_the_second_wait_then_give_up_naming_the_holder() -> None:
    tags, clock = MemoryTags(), Clock()
    tags.create(LOCK_SLUG_PREFIX + "k", lock_description("PJB-2026-0007 on host pid 1", clock() + 600))
    with (
        pytest.raises(ConcurrencyError, match="PJB-2026-0007") as exc,
        netbox_lock(tags, "k", "b", wait_s=10, clock=clock, sleep=clock.sleep),
    ):
        pass
    assert "k" in str(exc.value)
    assert len(tags.rows) == 1  # the live holder's lock is untouched


def test_an_expired_lock_left_by_a_dead_process_is_taken_over() -> None:
    tags, clock = MemoryTags(), Clock()
    tags.create(LOCK_SLUG_PREFIX + "k", lock_description("dead", clock() - 1))
    with netbox_lock(tags, "k", "alive", clock=clock, sleep=clock.sleep):
        assert "alive" in tags.rows[LOCK_SLUG_PREFIX + "k"][1]
    assert tags.rows == {}


def test_a_lock_of_a_dead_process_on_this_host_is_taken_over_before_its_expiry() -> None:
    """A SIGKILLed worker mid-allocation (issue 17): the next allocation does not wait its TTL."""
    import socket

    from netprov.netbox.device_locks import holder_gone

    tags, clock = MemoryTags(), Clock()
    dead = f"PJB-2026-0004 on {socket.gethostname()} pid {2**22 + 12345}"
    tags.create(LOCK_SLUG_PREFIX + "k", lock_description(dead, clock() + 300))
    with netbox_lock(tags, "k", "alive", wait_s=1, clock=clock, sleep=clock.sleep, stale=holder_gone):
        assert "alive" in tags.rows[LOCK_SLUG_PREFIX + "k"][1]
    assert clock.now < 1_000_001.0, "taken at once"


def test_an_unreadable_lock_tag_counts_as_expired() -> None:
    tags = MemoryTags()
    tags.create(LOCK_SLUG_PREFIX + "k", "someone edited this by hand")
    with netbox_lock(tags, "k", "me"):
        pass
    assert tags.rows == {}


def test_waiter_gets_the_lock_once_the_holder_releases() -> None:
    tags, clock = MemoryTags(), Clock()
    slug = LOCK_SLUG_PREFIX + "k"
    tags.create(slug, lock_description("first", clock() + 600))
    polls = 0

    def sleep(s: float) -> None:
        nonlocal polls
        polls += 1
        clock.sleep(s)
        if polls == 3:  # the holder finishes
            tags.delete(tags.rows[slug][0])

    with netbox_lock(tags, "k", "second", clock=clock, sleep=sleep):
        assert "second" in tags.rows[slug][1]
    assert polls == 3


def test_threads_never_hold_the_lock_together() -> None:
    tags = MemoryTags()
    inside, most = 0, 0
    guard = threading.Lock()

    def work(_: int) -> None:
        nonlocal inside, most
        with netbox_lock(tags, "k", "t", poll_s=0.001):
            with guard:
                inside += 1
                most = max(most, inside)
            threading.Event().wait(0.002)
            with guard:
                inside -= 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most == 1 and tags.rows == {}


# --- reading NetBox's answers ---------------------------------------------------------------


def _error(status: int, body: str) -> RequestError:
    req = SimpleNamespace(
        status_code=status,
        reason="x",
        url="http://x/api/extras/tags/",
        request=SimpleNamespace(body=b"{}"),
        text=body,
        json=lambda: {"detail": body},
    )
    return RequestError(req)


class _Endpoint:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def create(self, **_: Any) -> Any:
        raise self.exc

    def delete(self, _ids: Any) -> Any:
        raise self.exc


def _api(exc: Exception) -> Any:
    return SimpleNamespace(extras=SimpleNamespace(tags=_Endpoint(exc)))


@pytest.mark.parametrize(
    "status,body",
    [
        (400, "tag with this slug already exists."),
        (500, "IntegrityError: duplicate key value violates unique constraint"),
    ],
)
def test_create_reads_a_taken_slug_as_none(status: int, body: str) -> None:
    assert NetBoxLockTags(_api(_error(status, body))).create("netprov-lock-k", "d") is None


def test_create_reports_other_failures_as_netbox_errors() -> None:
    from netprov.errors import NetBoxError

    with pytest.raises(NetBoxError, match="taking lock netprov-lock-k"):
        NetBoxLockTags(_api(_error(403, "permission denied"))).create("netprov-lock-k", "d")


def test_delete_of_a_gone_lock_is_quiet() -> None:
    NetBoxLockTags(_api(_error(404, "not found"))).delete(7)


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    yield
