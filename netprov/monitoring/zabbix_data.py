"""What netprov writes into Zabbix for a link: names, tags, macros, inventory, interface.

Pure functions of a :class:`~netprov.monitoring.base.MonitoredLink`, plus the reading of
API values (timestamps, probe details) and the test for a retryable conflict.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from netprov.errors import MonitoringError
from netprov.monitoring.base import MonitoredLink

TEMPLATE_NAME = "ICMP Ping"
PING_KEY = "icmpping"
GROUP_PREFIX = "OPD/"
MACRO_PREFIX = "NETPROV."
MANAGED_TAG = ("managed-by", "netprov")
TASK_CHECK_NOW = 6
HISTORY_UNSIGNED = 3

# Inventory fields that exist in Zabbix 6.0 (host inventory, manual mode) and their lengths.
_INVENTORY_LIMITS = {
    "name": 128,
    "type": 64,
    "tag": 64,
    "contact": 2000,
    "location": 2000,
    "site_address_a": 128,
    "site_city": 128,
    "host_networks": 2000,
    "notes": 2000,
    "deployment_status": 64,
}


def _clip(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters, an ellipsis marking the cut.

    >>> _clip("Dinas Pendidikan", 8), _clip("OPD", 8)
    ('Dinas P…', 'OPD')
    """
    return value if len(value) <= limit else value[: limit - 1] + "…"


def host_name(link: MonitoredLink) -> str:
    return link.request_id


def visible_name(link: MonitoredLink) -> str:
    """Unique (it starts with the request id) and readable: department and site."""
    return _clip(f"{link.request_id} {link.opd_name} - {link.site}", 128)


def group_name(link: MonitoredLink) -> str:
    return _clip(f"{GROUP_PREFIX}{link.opd_name}", 255)


def host_tags(link: MonitoredLink) -> list[dict[str, str]]:
    tags = [{"tag": k, "value": _clip(v, 255)} for k, v in link.labels().items()]
    tags.append({"tag": MANAGED_TAG[0], "value": MANAGED_TAG[1]})
    return tags


def host_macros(link: MonitoredLink) -> list[dict[str, str]]:
    facts = {
        "REQUEST_ID": link.request_id,
        "OPD": link.opd,
        "SITE": link.site,
        "SERVICE": link.service,
        "BANDWIDTH_MBPS": str(link.bandwidth_mbps),
        "CIRCUIT": link.circuit,
    }
    return [
        {"macro": "{$" + MACRO_PREFIX + k + "}", "value": _clip(v, 2048), "description": "netprov"}
        for k, v in facts.items()
    ]


def host_inventory(link: MonitoredLink) -> dict[str, str]:
    values = {
        "name": link.device,
        "type": "CPE router",
        "tag": link.request_id,
        "contact": link.opd_name,
        "location": link.site,
        "site_address_a": link.site,
        "site_city": "Batam",
        "host_networks": str(link.network) if link.network else "",
        "notes": f"{link.service} {link.bandwidth_mbps} Mbps; circuit {link.circuit}; "
        f"request {link.request_id}",
        "deployment_status": "Production",
    }
    return {k: _clip(v, _INVENTORY_LIMITS[k]) for k, v in values.items()}


def agent_interface(link: MonitoredLink) -> dict[str, Any]:
    return {"type": 1, "main": 1, "useip": 1, "ip": str(link.address), "dns": "", "port": "10050"}


_TRANSIENT = ("already exists", "database is not working properly", "SQL statement execution has failed")


def _transient(exc: MonitoringError) -> bool:
    """A conflict with a concurrent call (Zabbix has no locking for these): worth a retry.

    >>> _transient(MonitoringError("Zabbix refused to create host: Host already exists."))
    True
    >>> _transient(MonitoringError("Zabbix refused the API token"))
    False
    """
    return any(t in str(exc) for t in _TRANSIENT)


def _ts(clock: str | None) -> dt.datetime | None:
    """A Zabbix clock (Unix seconds as text; "0" for never) as an aware UTC time.

    >>> _ts("1786957200")
    datetime.datetime(2026, 8, 17, 9, 0, tzinfo=datetime.timezone.utc)
    >>> _ts("0") is None and _ts(None) is None
    True
    """
    if not clock or clock == "0":
        return None
    return dt.datetime.fromtimestamp(int(clock), tz=dt.UTC)


def _detail(up: bool, item: dict[str, Any], host: dict[str, Any]) -> str:
    ip = (host.get("interfaces") or [{}])[0].get("ip", "?")
    if up:
        return f"{PING_KEY}=1: {ip} answers ping from the probe namespace"
    error = str(item.get("error") or "")
    return f"{PING_KEY}=0: {ip} does not answer ping from the probe namespace" + (
        f" ({error})" if error else ""
    )
