"""The NetBox (and monitoring) stages of a batch's sagas gathered into combined calls (issue 13).

``allocate`` and ``record-netbox`` of every saga of a batch that reaches them at about the same
time go to NetBox as one call set (:meth:`netprov.netbox.batch.NetBoxBatch.allocate_many`,
``activate_many``) through a :class:`~netprov.pipeline.gather.Gather` each; every saga gets its
own allocation (or its own error) back and keeps its own journal and undo. ``monitor-register``
likewise (:func:`netprov.monitoring.bulk.register_many`: one Zabbix ``host.create`` with an
array and one ``task.create`` "check now", the Prometheus files written together).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from netprov.domain.letters import Letter
from netprov.domain.resources import Allocation
from netprov.monitoring.base import MonitoredLink, Registration
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

    def __init__(
        self,
        ipam: BatchIpam,
        max_wait_s: float = 120.0,
        monitors: Callable[[], list[Any]] | None = None,
    ) -> None:
        """``monitors``: the monitoring backends, when ``monitor-register`` is gathered too
        (not while a run holds its device locks through the checks: a request waiting there
        would hold a device another request of the batch waits for)."""
        self.group = GatherGroup()
        self._monitors = monitors
        self._register: Gather[str, MonitoredLink, list[Registration]] | None = None
        if monitors is not None:
            self._register = self.group.add(Gather(self._register_many, max_wait_s=max_wait_s))
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

    @property
    def gathers_monitoring(self) -> bool:
        return self._register is not None

    def _register_many(
        self, items: dict[str, MonitoredLink]
    ) -> dict[str, list[Registration] | BaseException]:
        from netprov.monitoring.bulk import register_many

        assert self._monitors is not None
        return register_many(self._monitors(), list(items.values()))

    def register_monitoring(self, link: MonitoredLink) -> list[Registration]:
        """``monitor-register`` of one request, in bulk with the batch's others."""
        assert self._register is not None
        return self._register.submit(link.request_id, link)

    @staticmethod
    def supported(ipam: Any) -> bool:
        return callable(getattr(ipam, "allocate_many", None)) and callable(
            getattr(ipam, "activate_many", None)
        )
