"""NetBox calls of a batch, counted with the adapter's own counter and split by request and stage.

Each request of a batch runs its saga in its own thread of the pool, and a stage's NetBox calls
are made in that thread; a second response hook on the IPAM's session (beside the
:class:`~netprov.netbox.client.CallCounter`, which stays the figure asserted) notes each call's
thread, and the request's ``done in`` progress line closes the stage. Calls made in other threads
(the device locks' heartbeat) are counted under ``other``.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from netprov.pipeline.link_stages import STAGES


class StageCalls:
    def __init__(self, ipam: Any) -> None:
        self._lock = threading.Lock()
        self._open: dict[int, int] = {}  # thread -> calls since its last stage ended
        self._thread_of: dict[int, str] = {}  # thread -> request id
        self.by_stage: dict[str, Counter[str]] = {}  # request id -> stage -> calls
        self.other = 0
        ipam._api.http_session.hooks["response"].append(self._hook)

    def _hook(self, response: Any, *args: Any, **kwargs: Any) -> None:
        tid = threading.get_ident()
        with self._lock:
            if tid in self._thread_of:
                self._open[tid] = self._open.get(tid, 0) + 1
            else:
                self.other += 1

    def begin(self, request_id: str) -> None:
        """Called in the request's thread before its saga runs (its first progress line)."""
        tid = threading.get_ident()
        with self._lock:
            if self._thread_of.get(tid) != request_id:
                self._thread_of[tid] = request_id
                self._open[tid] = 0
                self.by_stage.setdefault(request_id, Counter())

    def progress(self, request_id: str, stage: str, device: str, message: str) -> None:
        self.begin(request_id)
        if stage in STAGES and not device and message.startswith("done in "):
            tid = threading.get_ident()
            with self._lock:
                self.by_stage[request_id][stage] += self._open.get(tid, 0)
                self._open[tid] = 0

    def per_stage(self, ids: list[str]) -> dict[str, float]:
        """Calls per request of ``ids`` at each stage: the stage's calls over all of them, divided
        by their number (a gathered call is made in one request's thread for the batch)."""
        total: Counter[str] = Counter()
        for rid in ids:
            total.update(self.by_stage.get(rid, Counter()))
        return {s: round(total[s] / len(ids), 1) for s in STAGES if s in total}
