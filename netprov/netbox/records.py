"""Small helpers for pynetbox records: plain dicts, ids, custom fields, addresses."""

from __future__ import annotations

import ipaddress
from typing import Any

ACTIVE_STATUSES = ["reserved", "active"]
PAGE = 1000


def raw(rec: Any) -> dict[str, Any]:
    """A pynetbox record as plain dicts (no lazy follow-up GETs).

    >>> raw(None), raw({"id": 1})
    ({}, {'id': 1})
    """
    if rec is None:
        return {}
    if isinstance(rec, dict):
        return rec
    return dict(rec)


def obj_id(obj: Any) -> int | None:
    """The ``id`` of a nested object dict, or None.

    >>> obj_id({"id": "7"}), obj_id(None)
    (7, None)
    """
    if isinstance(obj, dict):
        value = obj.get("id")
        return int(value) if value is not None else None
    return None


def cf(obj: dict[str, Any], name: str) -> Any:
    """A custom field's value, or None.

    >>> cf({"custom_fields": {"service": "wifi-ap"}}, "service")
    'wifi-ap'
    """
    cfs = obj.get("custom_fields") or {}
    return cfs.get(name) if isinstance(cfs, dict) else None


def role_slug(obj: Any) -> str:
    """The slug of a prefix record's role ("" when none).

    >>> role_slug({"role": {"slug": "transfer"}}), role_slug({"role": None})
    ('transfer', '')
    """
    role = raw(obj).get("role") or {}
    return str(role.get("slug") or "") if isinstance(role, dict) else ""


def net(value: Any) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(str(value))


def iface(value: Any) -> ipaddress.IPv4Interface:
    return ipaddress.IPv4Interface(str(value))
