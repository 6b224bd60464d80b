"""Comparing what the topology wants with what NetBox has: the pure half of the seed."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any


def _norm(value: Any) -> Any:
    """Existing NetBox values in the shape we write: choices -> value, objects -> id.

    >>> _norm({"value": "active", "label": "Active"}), _norm([{"id": 3}, {"id": 1}])
    ('active', [1, 3])
    """
    if isinstance(value, dict):
        if "value" in value and "label" in value:
            return value["value"]
        if "id" in value:
            return value["id"]
        return value
    if isinstance(value, list):
        items = [_norm(v) for v in value]
        if all(isinstance(i, int | str) for i in items):
            return sorted(items, key=str)
        return items
    return value


def _want(value: Any) -> Any:
    """A desired value in the shape :func:`_norm` gives: id lists sorted, networks as text.

    >>> _want([3, 1]), _want(ipaddress.IPv4Network("10.20.0.0/24"))
    ([1, 3], '10.20.0.0/24')
    """
    if isinstance(value, list) and all(isinstance(i, int | str) for i in value):
        return sorted(value, key=str)
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv4Interface):
        return str(value)
    return value


def diff(desired: dict[str, Any], existing: dict[str, Any]) -> dict[str, Any]:
    """Fields of ``desired`` whose value differs in ``existing`` (custom fields per key).

    >>> diff({"status": "active", "tenant": 3}, {"status": {"value": "active", "label": "A"},
    ...                                          "tenant": {"id": 4, "name": "x"}})
    {'tenant': 3}
    """
    out: dict[str, Any] = {}
    for key, want in desired.items():
        have = existing.get(key)
        if key == "custom_fields":
            have_cf = have if isinstance(have, dict) else {}
            if any(have_cf.get(k) != v for k, v in want.items()):
                out[key] = want
            continue
        if _want(want) != _norm(have):
            out[key] = want
    return out


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    per_kind: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, created: int, updated: int, unchanged: int) -> None:
        self.created += created
        self.updated += updated
        self.unchanged += unchanged
        kind = kind.lower().replace(" ", "_")
        if created:
            self.per_kind[f"{kind}_created"] = self.per_kind.get(f"{kind}_created", 0) + created
        if updated:
            self.per_kind[f"{kind}_updated"] = self.per_kind.get(f"{kind}_updated", 0) + updated
