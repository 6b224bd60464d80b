"""Gather the same call of many sagas of a batch into one (issue 13: NetBox calls per request).

The requests of a batch run their sagas side by side, each in its own thread. Some of their
stages make the same NetBox calls for different requests (``allocate``: the reads and the
list-POSTs; ``record-netbox``: the list-PATCHes). A :class:`Gather` lets each saga call
:meth:`Gather.submit` with its own item and get its own result, while one of them (the last to
arrive) makes one call for all the items that arrived.

Who is waited for: the requests of the batch that :meth:`join`\\ ed (their saga started) and
have not yet submitted to this gather nor :meth:`leave`\\ d (their saga ended, done or failed).
A request not started yet is never waited for, so a bounded pool cannot deadlock on it; a
request that failed before the stage leaves and is not waited for either. ``max_wait_s``
bounds the wait all the same: then the items present are flushed, the late ones come in the
next round.

Each item's result is its own: the combined call returns one result or one exception per key,
and only that key's saga sees its exception (its own saga undoes it alone).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
In = TypeVar("In")
Out = TypeVar("Out")

__all__ = ["Gather", "GatherGroup"]


class _Round(Generic[K, In, Out]):
    def __init__(self) -> None:
        self.items: dict[K, In] = {}
        self.results: dict[K, Out | BaseException] = {}
        self.done = threading.Event()
        self.closed = False


class Gather(Generic[K, In, Out]):
    """One combined call for the items of every participant waiting at the same stage.

    Args:
        call: the combined call: items by key -> one result (or exception) per key. An
            exception it raises itself goes to every key of the round.
        max_wait_s: the longest a round waits for the participants still expected.
    """

    def __init__(
        self, call: Callable[[dict[K, In]], dict[K, Out | BaseException]], max_wait_s: float = 120.0
    ) -> None:
        self._call = call
        self._max_wait = max_wait_s
        self._cond = threading.Condition()
        self._joined: set[K] = set()
        self._submitted: set[K] = set()
        self._round: _Round[K, In, Out] = _Round()
        self.rounds = 0

    def join(self, key: K) -> None:
        with self._cond:
            self._joined.add(key)

    def leave(self, key: K) -> None:
        with self._cond:
            self._joined.discard(key)
            self._cond.notify_all()

    def submit(self, key: K, item: In) -> Out:
        """This key's result of the combined call (raises this key's exception)."""
        lead = False
        with self._cond:
            rnd = self._round
            rnd.items[key] = item
            self._cond.notify_all()
            deadline = time.monotonic() + self._max_wait
            while not rnd.closed:
                pending = self._joined - self._submitted - set(rnd.items)
                left = deadline - time.monotonic()
                if not pending or left <= 0:
                    rnd.closed = lead = True  # this thread makes the call for the round
                    self._submitted |= set(rnd.items)
                    self._round = _Round()
                    break
                self._cond.wait(timeout=min(left, 1.0))
        if lead:
            self._run(rnd)
        rnd.done.wait()
        out = rnd.results[key]
        if isinstance(out, BaseException):
            raise out
        return out

    def _run(self, rnd: _Round[K, In, Out]) -> None:
        try:
            results = self._call(dict(rnd.items))
            for key in rnd.items:
                rnd.results[key] = results.get(
                    key, RuntimeError(f"the gathered call gave nothing for {key!r}")
                )
        except BaseException as exc:  # every key of the round sees the failure
            for key in rnd.items:
                rnd.results[key] = exc
        finally:
            with self._cond:
                self.rounds += 1
            rnd.done.set()


class GatherGroup:
    """The gathers of one batch: a saga joins all of them when it starts, leaves when it ends."""

    def __init__(self) -> None:
        self._gathers: list[Gather[str, object, object]] = []

    def add(self, gather: Gather[str, In, Out]) -> Gather[str, In, Out]:
        self._gathers.append(gather)  # type: ignore[arg-type]
        return gather

    def join(self, key: str) -> None:
        for g in self._gathers:
            g.join(key)

    def leave(self, key: str) -> None:
        for g in self._gathers:
            g.leave(key)
