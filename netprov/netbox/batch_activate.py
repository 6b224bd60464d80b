"""``record-netbox`` of a batch: every request's objects activated with one call set (issue 13).

:meth:`NetBoxBatchActivate.activate_many` does for many allocations what
:meth:`~netprov.netbox.lifecycle.NetBoxLifecycle.activate` does for one (reserved -> active,
addresses assigned to their ports, a journal entry on each object): three list-PATCHes and one
journal POST for all of them. Each request alone, as before, when one lacks its object ids or
a combined write fails.
"""

from __future__ import annotations

import logging
from typing import Any

from netprov.domain.resources import Allocation
from netprov.netbox import naming as nm
from netprov.netbox.client import netbox_errors
from netprov.netbox.lifecycle import NetBoxLifecycle

log = logging.getLogger(__name__)

__all__ = ["NetBoxBatchActivate"]


class NetBoxBatchActivate(NetBoxLifecycle):
    """Activate many requests' allocations at once."""

    @property
    def batch_fallbacks(self) -> list[str]:
        found: list[str] | None = self.__dict__.get("_batch_fallbacks")
        if found is None:
            found = self.__dict__["_batch_fallbacks"] = []
        return found

    def activate_many(self, items: dict[str, tuple[Allocation, int, str]]) -> dict[str, BaseException | None]:
        """:meth:`activate` for many requests: 3 list-PATCHes and 1 journal POST for all of
        them (each one alone when one lacks its object ids, or a combined write fails)."""
        by_id = {rid: a for rid, (a, _, _) in items.items() if _has_ids(a)}
        out: dict[str, BaseException | None] = {}
        if len(by_id) == len(items) and len(items) > 1:
            try:
                self._activate_by_ids(items)
                return dict.fromkeys(items)
            except Exception as exc:
                log.warning("activating %s together failed (%s): each alone", ", ".join(items), exc)
                self.batch_fallbacks.append(f"activate: {type(exc).__name__}: {exc}"[:300])
        for rid, (a, step, note) in items.items():
            try:
                self.activate(a, step, note)
                out[rid] = None
            except Exception as exc:  # this request's own failure
                out[rid] = exc
        return out

    def _activate_by_ids(self, items: dict[str, tuple[Allocation, int, str]]) -> None:
        ip_updates: list[dict[str, Any]] = []
        prefixes: list[int] = []
        vlans: list[int] = []
        entries = []
        for rid, (a, step, note) in items.items():
            ids = a.netbox_ids
            for ip, port in zip(ids["ip"], ids[nm.IP_PORTS_KEY], strict=True):
                upd: dict[str, Any] = {"id": ip, "status": "active"}
                if port:
                    upd.update(assigned_object_type="dcim.interface", assigned_object_id=port)
                ip_updates.append(upd)
            prefixes += ids["prefix"]
            vlans += ids["vlan"]
            text = f"{rid} · langkah {step}: aktif · {note}"
            entries += [
                {
                    "assigned_object_type": self._KIND_TYPES[k],
                    "assigned_object_id": i,
                    "kind": "info",
                    "comments": text,
                }
                for k, v in ids.items()
                if k in self._KIND_TYPES
                for i in v
            ]
        with netbox_errors(f"activating {', '.join(items)}"):
            self._api.ipam.ip_addresses.update(ip_updates)
            self._api.ipam.prefixes.update([{"id": i, "status": "active"} for i in prefixes])
            self._api.ipam.vlans.update([{"id": i, "status": "active"} for i in vlans])
            self._api.extras.journal_entries.create(entries)


def _has_ids(a: Allocation) -> bool:
    ids = a.netbox_ids
    return (
        len(ids.get("prefix", [])) == 2
        and len(ids.get("ip", [])) == 3
        and len(ids.get("vlan", [])) == 1
        and len(ids.get("interface", [])) == 1
        and len(ids.get(nm.IP_PORTS_KEY, [])) == 3
    )
