"""Choose the monitoring backends a team configured (settings), and use them together."""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor

from netprov.errors import ConfigError, MonitoringError, RegisterConflict
from netprov.monitoring.base import MonitoredLink, MonitoringBackend, ProbeStatus, Registration
from netprov.monitoring.prometheus import PrometheusBackend
from netprov.monitoring.zabbix import ZabbixBackend
from netprov.settings import Settings


def backends_from_settings(settings: Settings, register_id: str = "") -> list[MonitoringBackend]:
    """Zabbix if its URL and token are set, Prometheus if its file_sd directory is set.

    ``register_id``: the register's identity, stamped on every entry the backends create.

    Raises:
        ConfigError: neither is configured, or Zabbix has a URL but no token.
    """
    backends: list[MonitoringBackend] = []
    if settings.zabbix_url:
        if settings.zabbix_token is None or not settings.zabbix_token.get_secret_value():
            raise ConfigError(
                "NETPROV_ZABBIX_URL is set but no Zabbix API token is: set NETPROV_ZABBIX_TOKEN "
                "or NETPROV_ZABBIX_TOKEN_FILE"
            )
        backends.append(ZabbixBackend(settings.zabbix_url, settings.zabbix_token, register_id=register_id))
    if settings.prometheus_sd_dir:
        backends.append(
            PrometheusBackend(settings.prometheus_sd_dir, settings.prometheus_url, register_id=register_id)
        )
    if not backends:
        raise ConfigError(
            "no monitoring backend is configured: set NETPROV_ZABBIX_URL (+ NETPROV_ZABBIX_TOKEN"
            " or NETPROV_ZABBIX_TOKEN_FILE) and/or NETPROV_PROMETHEUS_SD_DIR (+ "
            "NETPROV_PROMETHEUS_URL for status), or run `netprov lab up monitoring`"
        )
    return backends


def register_all(backends: list[MonitoringBackend], link: MonitoredLink) -> list[Registration]:
    """Register ``link`` in every backend; if one fails, undo what this call created, re-raise."""
    done: list[tuple[MonitoringBackend, Registration]] = []
    try:
        for backend in backends:
            done.append((backend, backend.register(link)))
    except (MonitoringError, RegisterConflict):
        for backend, reg in reversed(done):
            if reg.created:
                with contextlib.suppress(MonitoringError):
                    backend.deregister(link.request_id)
        raise
    return [reg for _, reg in done]


def deregister_all(backends: list[MonitoringBackend], request_id: str) -> dict[str, bool]:
    """Remove the link from every backend: ``{backend name: whether something was removed}``."""
    return {b.name: b.deregister(request_id) for b in backends}


def status_all(
    backends: list[MonitoringBackend], request_id: str, wait_seconds: float = 0.0, until_up: bool = True
) -> list[ProbeStatus]:
    """Each backend's view of the link, asked in parallel: the wait bound is for all together.

    Results are in the order of ``backends``; a backend's MonitoringError is re-raised.
    """
    if len(backends) <= 1:
        return [b.status(request_id, wait_seconds, until_up) for b in backends]
    with ThreadPoolExecutor(max_workers=len(backends), thread_name_prefix="monitor") as pool:
        futures = [pool.submit(b.status, request_id, wait_seconds, until_up) for b in backends]
        return [f.result() for f in futures]


def evidence_entries(
    registrations: list[Registration], statuses: list[ProbeStatus] | None = None
) -> list[dict[str, str]]:
    """``[{backend, id, status}]`` for the step-7 event outputs (the Berita Acara lists them).

    ``id`` is the Zabbix host id or the Prometheus target file name; ``status`` is "up",
    "down", "no data" or (without statuses) "registered".
    """
    by_backend = {s.backend: s for s in statuses or []}
    out: list[dict[str, str]] = []
    for reg in registrations:
        ident = reg.ids.get("hostid") or reg.ids.get("file", "").rsplit("/", 1)[-1] or reg.request_id
        st = by_backend.get(reg.backend)
        state = "registered" if st is None else "up" if st.up else "down" if st.up is False else "no data"
        out.append({"backend": reg.backend, "id": ident, "status": state})
    return out
