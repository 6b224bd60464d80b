"""Reconciling one kind of NetBox object: one list call, one bulk create, one bulk update."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from netprov.domain.topology import Topology
from netprov.netbox.client import netbox_errors
from netprov.netbox.seed_diff import Counts, diff

PAGE = 1000


class SyncBase:
    """Holds the API, the topology and the counts; :meth:`sync` reconciles one kind."""

    def __init__(self, api: Any, topo: Topology, progress: Callable[[str], None]) -> None:
        self.api = api
        self.topo = topo
        self.progress = progress
        self.counts = Counts()
        self.ids: dict[str, dict[Hashable, int]] = {}

    def sync(
        self,
        kind: str,
        endpoint: Any,
        desired: list[dict[str, Any]],
        key: Callable[[dict[str, Any]], Hashable],
        **list_filters: Any,
    ) -> dict[Hashable, int]:
        """Create missing objects, update differing ones; return key -> id."""
        with netbox_errors(f"reading {kind}"):
            existing = {key(dict(r)): dict(r) for r in endpoint.filter(limit=PAGE, **list_filters)}
        creates: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        ids: dict[Hashable, int] = {}
        for want in desired:
            k = key(want)
            have = existing.get(k)
            if have is None:
                creates.append(want)
                continue
            ids[k] = int(have["id"])
            changed = diff(want, have)
            if changed:
                updates.append({"id": int(have["id"]), **changed})
        with netbox_errors(f"writing {kind}"):
            if creates:
                made = endpoint.create(creates)
                for rec in made if isinstance(made, list) else [made]:
                    ids[key(dict(rec))] = int(rec.id)
            if updates:
                endpoint.update(updates)
        self.counts.add(kind, len(creates), len(updates), len(desired) - len(creates) - len(updates))
        if creates or updates:
            self.progress(f"{kind}: {len(creates)} created, {len(updates)} updated")
        self.ids[kind] = ids
        return ids


def _ref(value: Any) -> int | None:
    """The id of a NetBox reference (a nested object or a bare id), else None.

    >>> _ref({"id": 7, "name": "core-1"}), _ref(7), _ref(None)
    (7, 7, None)
    """
    if isinstance(value, dict):
        v = value.get("id")
        return int(v) if v is not None else None
    if isinstance(value, int):
        return value
    return None
