"""Zabbix backend: a host per link, in a host group per department, with the "ICMP Ping" template.

The host's technical name is the request id (the key: registering twice updates the host,
never duplicates it). Tags, macros and inventory carry the request id, department, site,
service, bandwidth and circuit. ``status`` asks the server to "check now" (``task.create``
type 6) on the ``icmpping`` item until the item has a value, within a bound.

The API client (calls, errors without the token, lookups) is in
:mod:`netprov.monitoring.zabbix_api`; what is written for a link in
:mod:`netprov.monitoring.zabbix_data`. Their names are re-exported here.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from netprov.errors import MonitoringError
from netprov.monitoring.base import (
    MonitoredLink,
    ProbeStatus,
    Registration,
    check_request_id,
)
from netprov.monitoring.identity import REGISTER_LABEL, conflict, foreign_owner, not_ours
from netprov.monitoring.zabbix_api import ZabbixClient
from netprov.monitoring.zabbix_data import (
    _INVENTORY_LIMITS,
    _TRANSIENT,
    GROUP_PREFIX,
    HISTORY_UNSIGNED,
    MACRO_PREFIX,
    MANAGED_TAG,
    PING_KEY,
    TASK_CHECK_NOW,
    TEMPLATE_NAME,
    _clip,
    _detail,
    _transient,
    _ts,
    agent_interface,
    group_name,
    host_inventory,
    host_macros,
    host_name,
    host_tags,
    visible_name,
)

__all__ = [
    "GROUP_PREFIX",
    "HISTORY_UNSIGNED",
    "MACRO_PREFIX",
    "MANAGED_TAG",
    "PING_KEY",
    "TASK_CHECK_NOW",
    "TEMPLATE_NAME",
    "_INVENTORY_LIMITS",
    "_TRANSIENT",
    "ZabbixBackend",
    "ZabbixClient",
    "_clip",
    "_detail",
    "_transient",
    "_ts",
    "agent_interface",
    "group_name",
    "host_inventory",
    "host_macros",
    "host_name",
    "host_tags",
    "visible_name",
]


class ZabbixBackend(ZabbixClient):
    """A :class:`~netprov.monitoring.base.MonitoringBackend` on Zabbix 6.0."""

    @property
    def name(self) -> str:
        return "zabbix"

    def __repr__(self) -> str:
        return f"ZabbixBackend(url={self.url!r})"

    # --- the interface -------------------------------------------------------------------------

    def _owner(self, host: dict[str, Any] | None) -> str | None:
        """The other register whose host this is (``None``: ours, unstamped or no host)."""
        if host is None:
            return None
        tags = {str(t["tag"]): str(t["value"]) for t in host.get("tags") or []}
        return foreign_owner(tags, self.register_id)

    def _tags(self, link: MonitoredLink) -> list[dict[str, str]]:
        tags = host_tags(link)
        if self.register_id:
            tags.append({"tag": REGISTER_LABEL, "value": self.register_id})
        return tags

    def _refuse_foreign(self, request_id: str, host: dict[str, Any] | None) -> None:
        owner = self._owner(host)
        if owner is not None:
            raise conflict(request_id, f"Zabbix host {request_id}", owner, self.register_id)

    def find(self, request_id: str) -> Registration | None:
        """The link's host, unless another register made it."""
        host = self._host(check_request_id(request_id))
        if host is None or self._owner(host) is not None:
            return None
        return self._registration(host, created=False)

    def _registration(self, host: dict[str, Any], created: bool) -> Registration:
        interfaces = host.get("interfaces") or []
        groups = host.get("groups") or host.get("hostgroups") or []
        ids = {"hostid": str(host["hostid"])}
        if groups:
            ids["groupid"] = str(groups[0]["groupid"])
        if interfaces:
            ids["interfaceid"] = str(interfaces[0]["interfaceid"])
        labels = {t["tag"]: t["value"] for t in host.get("tags") or [] if t["tag"] != MANAGED_TAG[0]}
        return Registration(
            backend=self.name,
            request_id=str(host["host"]),
            created=created,
            ids=ids,
            address=str(interfaces[0]["ip"]) if interfaces else None,
            labels=labels,
        )

    def register(self, link: MonitoredLink) -> Registration:
        """Create the host (or update it: whole tag and macro lists, interface IP, group).

        Zabbix checks name uniqueness without locking, so registers of the same request at
        the same moment can see "already exists" or a database conflict: such a call is
        retried (it is idempotent).
        """
        attempts = 5
        for attempt in range(1, attempts + 1):
            try:
                return self._register_once(link)
            except MonitoringError as exc:
                if not _transient(exc) or attempt == attempts:
                    raise
                time.sleep(0.2 * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _register_once(self, link: MonitoredLink) -> Registration:
        template_id = self._template_id()
        group_id, group_created = self._group(group_name(link))
        try:
            existing = self._host(link.request_id)
            self._refuse_foreign(link.request_id, existing)
            if existing is None:
                try:
                    mine = self._create_host(link, group_id, template_id)
                    created = True
                    winner = self._host(link.request_id)
                    if winner is not None and str(winner["hostid"]) != mine:
                        # Zabbix 6.0 let a concurrent register create the same host name:
                        # the lowest id wins, this call removes its own and updates that one.
                        self.call("host.delete", [mine], f"remove duplicate host {link.request_id}")
                        self._update_host(link, winner, group_id, template_id)
                        created = False
                except MonitoringError as exc:
                    if "already exists" not in str(exc):
                        raise
                    # Someone registered the same request at the same moment: update it.
                    existing = self._host(link.request_id)
                    if existing is None:
                        raise
                    self._refuse_foreign(link.request_id, existing)
                    self._update_host(link, existing, group_id, template_id)
                    created = False
            else:
                self._update_host(link, existing, group_id, template_id)
                created = False
        except BaseException:
            if group_created:
                self._delete_group_if_empty(group_id)
            raise
        host = self._host(link.request_id)
        if host is None:
            raise MonitoringError(
                f"Zabbix at {self.url} lost host {link.request_id} right after registering it"
            )
        if created:
            self._first_check_now(str(host["hostid"]))
        return self._registration(host, created=created)

    def _first_check_now(self, hostid: str) -> None:
        """Ask for the new host's first ping at once ("check now") instead of at the item's
        scheduled time; the server drops it if its configuration cache has not seen the host
        yet, so :meth:`status` keeps asking until the item has a value."""
        item = self._ping_item(hostid)
        if item is not None:
            self._check_now(str(item["itemid"]))

    def _create_host(self, link: MonitoredLink, group_id: str, template_id: str) -> str:
        made = self.call(
            "host.create", self.host_params(link, group_id, template_id), f"create host {link.request_id}"
        )
        return str(made["hostids"][0])

    def host_params(self, link: MonitoredLink, group_id: str, template_id: str) -> dict[str, Any]:
        """``host.create``'s parameters for the link (one element of a bulk create's array)."""
        return {
            "host": host_name(link),
            "name": visible_name(link),
            "groups": [{"groupid": group_id}],
            "templates": [{"templateid": template_id}],
            "interfaces": [agent_interface(link)],
            "tags": self._tags(link),
            "macros": host_macros(link),
            "inventory_mode": 0,
            "inventory": host_inventory(link),
            "description": f"netprov: {link.opd_name}, {link.site}; circuit {link.circuit}",
        }

    def _update_host(
        self, link: MonitoredLink, host: dict[str, Any], group_id: str, template_id: str
    ) -> None:
        hostid = str(host["hostid"])
        old_groups = [str(g["groupid"]) for g in host.get("groups") or []]
        templates = [{"templateid": str(t["templateid"])} for t in host.get("parentTemplates") or []]
        if template_id not in {t["templateid"] for t in templates}:
            templates.append({"templateid": template_id})
        update: dict[str, Any] = {"hostid": hostid}
        if str(host.get("name")) != visible_name(link):
            update["name"] = visible_name(link)  # only when it changes: see register()
        self.call(
            "host.update",
            {
                **update,
                "status": 0,
                "groups": [{"groupid": group_id}],
                "templates": templates,
                "tags": self._tags(link),
                "macros": host_macros(link),
                "inventory_mode": 0,
                "inventory": host_inventory(link),
                "description": f"netprov: {link.opd_name}, {link.site}; circuit {link.circuit}",
            },
            f"update host {link.request_id}",
        )
        interfaces = host.get("interfaces") or []
        main = next((i for i in interfaces if str(i.get("type")) == "1" and str(i.get("main")) == "1"), None)
        if main is None:
            self.call(
                "hostinterface.create",
                {"hostid": hostid, **agent_interface(link)},
                f"add the interface of {link.request_id}",
            )
        elif str(main["ip"]) != str(link.address):
            self.call(
                "hostinterface.update",
                {"interfaceid": str(main["interfaceid"]), "ip": str(link.address)},
                f"change the address of {link.request_id}",
            )
        for old in old_groups:
            if old != group_id:
                self._delete_group_if_empty(old)

    def deregister(self, request_id: str) -> bool:
        """Delete the link's host (never another register's)."""
        hosts = [h for h in self._hosts(check_request_id(request_id)) if self._owner(h) is None]
        if not hosts:
            return False
        self.call("host.delete", [str(h["hostid"]) for h in hosts], f"delete host {request_id}")
        for gid in {str(g["groupid"]) for h in hosts for g in h.get("groups") or []}:
            self._delete_group_if_empty(gid)
        return True

    def _ping_item(self, hostid: str) -> dict[str, Any] | None:
        items = self.call(
            "item.get",
            {
                "hostids": [hostid],
                "filter": {"key_": PING_KEY},
                "output": ["itemid", "lastvalue", "lastclock", "state", "error", "status"],
            },
            "read the icmpping item",
        )
        return dict(items[0]) if items else None

    def _since(self, itemid: str, value: str) -> dt.datetime | None:
        history = self.call(
            "history.get",
            {
                "itemids": [itemid],
                "history": HISTORY_UNSIGNED,
                "sortfield": "clock",
                "sortorder": "DESC",
                "limit": 500,
                "output": ["clock", "value"],
            },
            "read the icmpping history",
        )
        since: str | None = None
        for row in history:
            if str(row["value"]) != value:
                break
            since = str(row["clock"])
        return _ts(since)

    def status(self, request_id: str, wait_seconds: float = 0.0, until_up: bool = True) -> ProbeStatus:
        """Check now on ``icmpping`` until it has a value (and, with ``until_up``, says up)."""
        t0 = time.monotonic()
        deadline = t0 + max(0.0, wait_seconds)
        host = self._host(check_request_id(request_id))
        if host is None:
            return ProbeStatus(
                backend=self.name, request_id=request_id, up=None, detail="not registered in Zabbix"
            )
        owner = self._owner(host)
        if owner is not None:
            return ProbeStatus(
                backend=self.name,
                request_id=request_id,
                up=None,
                detail="not registered in Zabbix by this register: "
                + not_ours(request_id, "the host", owner, self.register_id),
            )
        hostid = str(host["hostid"])
        last_task = -1e9
        while True:
            item = self._ping_item(hostid)
            if item is None:
                return ProbeStatus(
                    backend=self.name,
                    request_id=request_id,
                    up=None,
                    waited_seconds=round(time.monotonic() - t0, 1),
                    detail=f"host has no {PING_KEY} item (template missing?)",
                )
            has_value = int(item.get("lastclock") or 0) > 0
            if has_value:
                value = str(item["lastvalue"])
                up = value == "1"
                if up or not until_up or time.monotonic() >= deadline:
                    return ProbeStatus(
                        backend=self.name,
                        request_id=request_id,
                        up=up,
                        since=self._since(str(item["itemid"]), value),
                        last_value=float(value),
                        last_checked=_ts(str(item["lastclock"])),
                        waited_seconds=round(time.monotonic() - t0, 1),
                        detail=_detail(up, item, host),
                    )
            elif time.monotonic() >= deadline:
                error = str(item.get("error") or "")
                return ProbeStatus(
                    backend=self.name,
                    request_id=request_id,
                    up=None,
                    waited_seconds=round(time.monotonic() - t0, 1),
                    detail=f"no {PING_KEY} value yet after {wait_seconds:.0f}s"
                    + (f": {error}" if error else ""),
                )
            now = time.monotonic()
            if now - last_task >= self.poll_interval:  # each poll until the first value
                self._check_now(str(item["itemid"]))
                last_task = now
            time.sleep(min(self.poll_interval, max(0.05, deadline - time.monotonic())))

    def _check_now(self, itemid: str) -> None:
        """Ask the server to poll the item now (ignored until the item is in its cache)."""
        try:
            self.call(
                "task.create", [{"type": TASK_CHECK_NOW, "request": {"itemid": itemid}}], "request check now"
            )
        except MonitoringError as exc:
            if "authorized" in str(exc).lower() or "not reachable" in str(exc):
                raise
