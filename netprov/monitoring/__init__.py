"""Monitoring: register each new link in Zabbix and/or Prometheus and prove the probe sees it.

Public API::

    from netprov.monitoring import MonitoredLink, backends_from_settings, register_all
    link = MonitoredLink.from_allocation(allocation)
    backends = backends_from_settings(settings)      # ConfigError if none is configured
    register_all(backends, link)                     # idempotent; undoes its own creations on error
    [b.status(link.request_id, wait_seconds=120) for b in backends]   # ProbeStatus, up True/False/None
"""

from __future__ import annotations

from netprov.monitoring.base import (
    MonitoredLink,
    MonitoringBackend,
    ProbeStatus,
    Registration,
)
from netprov.monitoring.factory import (
    backends_from_settings,
    deregister_all,
    evidence_entries,
    register_all,
    status_all,
)
from netprov.monitoring.prometheus import PrometheusBackend
from netprov.monitoring.zabbix import ZabbixBackend

__all__ = [
    "MonitoredLink",
    "MonitoringBackend",
    "ProbeStatus",
    "PrometheusBackend",
    "Registration",
    "ZabbixBackend",
    "backends_from_settings",
    "deregister_all",
    "evidence_entries",
    "register_all",
    "status_all",
]
