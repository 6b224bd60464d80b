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


def made_by_another(
    objs: dict[str, list[dict[str, Any]]], register_id: str
) -> tuple[str, dict[str, Any], str] | None:
    """The first object stamped by a register other than ``register_id``: (kind, object, its
    register). Unstamped objects (made before registers had an identity) count as anyone's;
    with no ``register_id`` nothing is checked.

    >>> objs = {"prefix": [{"prefix": "10.0.0.0/26", "custom_fields": {"netprov_register": "b"}}]}
    >>> made_by_another(objs, "a")[0], made_by_another(objs, "a")[2]
    ('prefix', 'b')
    >>> made_by_another(objs, "b"), made_by_another(objs, "")
    (None, None)
    """
    if not register_id:
        return None
    from netprov.netbox.naming import CF_REGISTER

    for kind, rows in objs.items():
        for row in rows:
            owner = cf(row, CF_REGISTER)
            if owner and str(owner) != register_id:
                return kind, row, str(owner)
    return None


def display(kind: str, obj: dict[str, Any]) -> str:
    """A short name for an object in a message.

    >>> display("prefix", {"prefix": "10.0.0.0/26"}), display("vlan", {"vid": 7, "name": "x"})
    ('prefix 10.0.0.0/26', 'vlan 7 x')
    """
    if kind == "prefix":
        return f"prefix {obj.get('prefix')}"
    if kind == "ip":
        return f"address {obj.get('address')}"
    if kind == "vlan":
        return f"vlan {obj.get('vid')} {obj.get('name')}"
    device = (obj.get("device") or {}).get("name", "") if isinstance(obj.get("device"), dict) else ""
    return f"interface {device} {obj.get('name')}".replace("  ", " ")


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
