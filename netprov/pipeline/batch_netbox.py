"""The NetBox stages of a batch's sagas gathered into combined calls (issue 13).

``allocate`` and ``record-netbox`` of every saga of a batch that reaches them at about the same
time go to NetBox as one call set (:meth:`netprov.netbox.batch.NetBoxBatch.allocate_many`,
``activate_many``) through a :class:`~netprov.pipeline.gather.Gather` each; every saga gets its
own allocation (or its own error) back and keeps its own journal and undo.
"""

from __future__ import annotations

from typing import Any, Protocol

from netprov.domain.letters import Letter
from netprov.domain.resources import Allocation
from netprov.pipeline.gather import Gather, GatherGroup

__all__ = ["BatchIpam", "BatchNetBox"]


class BatchIpam(Protocol):
    """An IPAM that reserves and activates many requests at once (``NetBoxIpam`` fits)."""

    def allocate_many(self, letters: dict[str, Letter]) -> dict[str, Allocation | BaseException]: ...

    def activate_many(
        self, items: dict[str, tuple[Allocation, int, str]]
    ) -> dict[str, BaseException | None]: ...


class BatchNetBox:
    """The gathers of one batch over one IPAM; ``group`` is what the batch joins and leaves."""

    def __init__(self, ipam: BatchIpam, max_wait_s: float = 120.0) -> None:
        self.group = GatherGroup()
        self._allocate: Gather[str, Letter, Allocation] = self.group.add(
            Gather(ipam.allocate_many, max_wait_s=max_wait_s)
        )
        self._activate: Gather[str, tuple[Allocation, int, str], None] = self.group.add(
            Gather(ipam.activate_many, max_wait_s=max_wait_s)
        )

    def allocate(self, request_id: str, letter: Letter) -> Allocation:
        return self._allocate.submit(request_id, letter)

    def activate(self, allocation: Allocation, step: int, note: str) -> None:
        self._activate.submit(allocation.request_id, (allocation, step, note))

    @staticmethod
    def supported(ipam: Any) -> bool:
        return callable(getattr(ipam, "allocate_many", None)) and callable(
            getattr(ipam, "activate_many", None)
        )
