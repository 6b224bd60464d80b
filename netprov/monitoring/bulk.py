"""Monitoring registration of a batch in bulk (issue 13): each backend once for all the links.

- Zabbix: one ``host.create`` with an array for every link that has no host yet (a re-run's
  existing host is updated alone, as before), one ``host.get`` and one ``item.get`` for them
  all, and one ``task.create`` with an array of type-6 tasks ("check now"), so the first ping
  does not wait for the item's schedule;
- Prometheus: every target file written to a temporary name first, then all renamed in place
  together (file_sd sees the batch's targets in one refresh).

Each request stays its own: its result is its registrations or its own exception, and a request
that failed in one backend is taken off the others alone (its entries only), the batch's other
requests keep theirs. A bulk call that fails falls back to registering each link alone.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from netprov.errors import MonitoringError, RegisterConflict
from netprov.monitoring.base import MonitoredLink, MonitoringBackend, Registration
from netprov.monitoring.identity import conflict
from netprov.monitoring.prometheus import PrometheusBackend, target_groups
from netprov.monitoring.zabbix import ZabbixBackend
from netprov.monitoring.zabbix_data import PING_KEY, TASK_CHECK_NOW, group_name, host_name

log = logging.getLogger(__name__)

Result = Registration | BaseException

__all__ = ["register_many"]


def _each(backend: MonitoringBackend, links: list[MonitoredLink]) -> dict[str, Result]:
    out: dict[str, Result] = {}
    for link in links:
        try:
            out[link.request_id] = backend.register(link)
        except (MonitoringError, RegisterConflict) as exc:
            out[link.request_id] = exc
    return out


def zabbix_many(zb: ZabbixBackend, links: list[MonitoredLink]) -> dict[str, Result]:
    """Register the links in Zabbix with one ``host.create`` and one ``task.create``."""
    if len(links) < 2:
        return _each(zb, links)
    template_id = zb._template_id()
    names = [host_name(link) for link in links]
    found = zb.call("host.get", {"filter": {"host": names}, "output": ["hostid", "host"]}, "look up hosts")
    taken = {str(h["host"]) for h in found}
    out = _each(zb, [link for link in links if host_name(link) in taken])  # re-runs: updated alone
    new = [link for link in links if host_name(link) not in taken]
    if not new:
        return out
    groups: dict[str, tuple[str, bool]] = {}
    try:
        for name in sorted({group_name(link) for link in new}):
            groups[name] = zb._group(name)
        made = zb.call(
            "host.create",
            [zb.host_params(link, groups[group_name(link)][0], template_id) for link in new],
            f"create {len(new)} hosts",
        )
        hostids = [str(h) for h in made["hostids"]]
    except MonitoringError as exc:  # nothing made by the array (one transaction): each alone
        log.warning("Zabbix bulk host.create failed (%s): registering each link alone", exc)
        for gid, created in groups.values():
            if created:
                zb._delete_group_if_empty(gid)
        return {**out, **_each(zb, new)}
    hosts = {str(h["host"]): dict(h) for h in _hosts_by_id(zb, hostids)}
    _check_now_all(zb, hostids)
    for link in new:
        host = hosts.get(host_name(link))
        out[link.request_id] = (
            zb._registration(host, created=True)
            if host is not None
            else MonitoringError(f"Zabbix at {zb.url} lost host {link.request_id} right after creating it")
        )
    return out


def _hosts_by_id(zb: ZabbixBackend, hostids: list[str]) -> list[dict[str, Any]]:
    return list(
        zb.call(
            "host.get",
            {
                "hostids": hostids,
                "output": ["hostid", "host", "name", "status"],
                "selectInterfaces": ["interfaceid", "ip", "type", "main"],
                "selectGroups": ["groupid", "name"],
                "selectParentTemplates": ["templateid", "name"],
                "selectTags": ["tag", "value"],
            },
            "read the new hosts",
        )
    )


def _check_now_all(zb: ZabbixBackend, hostids: list[str]) -> None:
    """One ``task.create`` (type 6, check now) for the ping item of every new host; the
    server drops a task for an item not yet in its cache, so ``status`` keeps asking."""
    try:
        items = zb.call(
            "item.get",
            {"hostids": hostids, "filter": {"key_": PING_KEY}, "output": ["itemid"]},
            "read the icmpping items",
        )
        if items:
            zb.call(
                "task.create",
                [{"type": TASK_CHECK_NOW, "request": {"itemid": str(i["itemid"])}} for i in items],
                "request check now",
            )
    except MonitoringError as exc:  # a first probe on schedule is slower, not wrong
        log.info("check now for the new hosts failed: %s", exc)


def prometheus_many(pb: PrometheusBackend, links: list[MonitoredLink]) -> dict[str, Result]:
    """Every link's target file written first under a temporary name, then all moved in."""
    if not pb.sd_dir.is_dir():
        return _each(pb, links)  # its own error for each
    out: dict[str, Result] = {}
    staged: list[tuple[MonitoredLink, Path, Path, bool, list[dict[str, Any]]]] = []
    try:
        for link in links:
            path = pb.target_file(link.request_id)
            owner = pb._owner(link.request_id)
            if owner is not None:
                out[link.request_id] = conflict(
                    link.request_id, f"Prometheus target file {path}", owner, pb.register_id
                )
                continue
            groups = target_groups(link, pb.register_id)
            fd, name = tempfile.mkstemp(dir=pb.sd_dir, prefix=f".{link.request_id}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(json.dumps(groups, indent=2, ensure_ascii=False) + "\n")
                f.flush()
                os.fsync(f.fileno())
            Path(name).chmod(0o644)
            staged.append((link, Path(name), path, not path.exists(), groups))
        for link, tmp, path, created, groups in staged:  # together: one refresh for the batch
            tmp.replace(path)
            out[link.request_id] = pb._registration(link.request_id, groups, created)
    except OSError as exc:
        for _, tmp, _, _, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        log.warning("writing the batch's target files failed (%s): each alone", exc)
        return {**out, **_each(pb, [link for link in links if link.request_id not in out])}
    return out


def _many(backend: MonitoringBackend, links: list[MonitoredLink]) -> dict[str, Result]:
    if isinstance(backend, ZabbixBackend):
        return zabbix_many(backend, links)
    if isinstance(backend, PrometheusBackend):
        return prometheus_many(backend, links)
    return _each(backend, links)


def register_many(
    backends: list[MonitoringBackend], links: list[MonitoredLink]
) -> dict[str, list[Registration] | BaseException]:
    """Each link's registrations in every backend, or its own exception (then its entries
    made by this call are removed, in every backend, and only its)."""
    per_backend: list[tuple[MonitoringBackend, dict[str, Result]]] = []
    for backend in backends:
        try:
            per_backend.append((backend, _many(backend, links)))
        except (MonitoringError, RegisterConflict) as exc:
            per_backend.append((backend, dict.fromkeys((link.request_id for link in links), exc)))
    out: dict[str, list[Registration] | BaseException] = {}
    for link in links:
        rid = link.request_id
        results = [(b, res[rid]) for b, res in per_backend]
        failed = next((r for _, r in results if isinstance(r, BaseException)), None)
        if failed is None:
            out[rid] = [r for _, r in results if isinstance(r, Registration)]
            continue
        for backend, r in results:
            if isinstance(r, Registration) and r.created:
                with contextlib.suppress(MonitoringError):
                    backend.deregister(rid)
        out[rid] = failed
    return out
