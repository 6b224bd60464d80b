"""Zabbix backend: a host per link, in a host group per department, with the "ICMP Ping" template.

The host's technical name is the request id (the key: registering twice updates the host,
never duplicates it). Tags, macros and inventory carry the request id, department, site,
service, bandwidth and circuit. ``status`` asks the server to "check now" (``task.create``
type 6) on the ``icmpping`` item until the item has a value, within a bound.

Talks to the API through ``zabbix-utils`` with an API token (6.0 takes it in the JSON ``auth``
field, which zabbix-utils does for versions below 6.4). Every API failure becomes a
:class:`~netprov.errors.MonitoringError` whose message never contains the token.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from pydantic import SecretStr
from zabbix_utils import ZabbixAPI
from zabbix_utils.exceptions import APIRequestError, ModuleBaseException

from netprov.errors import MonitoringError
from netprov.monitoring.base import (
    MonitoredLink,
    ProbeStatus,
    Registration,
    check_request_id,
)

TEMPLATE_NAME = "ICMP Ping"
PING_KEY = "icmpping"
GROUP_PREFIX = "OPD/"
MACRO_PREFIX = "NETPROV."
MANAGED_TAG = ("managed-by", "netprov")
TASK_CHECK_NOW = 6
HISTORY_UNSIGNED = 3

# Inventory fields that exist in Zabbix 6.0 (host inventory, manual mode) and their lengths.
_INVENTORY_LIMITS = {
    "name": 128, "type": 64, "tag": 64, "contact": 2000, "location": 2000,
    "site_address_a": 128, "site_city": 128, "host_networks": 2000, "notes": 2000,
    "deployment_status": 64,
}


def _clip(value: str, limit: int) -> str:
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
        "REQUEST_ID": link.request_id, "OPD": link.opd, "SITE": link.site,
        "SERVICE": link.service, "BANDWIDTH_MBPS": str(link.bandwidth_mbps),
        "CIRCUIT": link.circuit,
    }
    return [
        {"macro": "{$" + MACRO_PREFIX + k + "}", "value": _clip(v, 2048),
         "description": "netprov"}
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
    return {"type": 1, "main": 1, "useip": 1, "ip": str(link.address), "dns": "",
            "port": "10050"}


class ZabbixBackend:
    """A :class:`~netprov.monitoring.base.MonitoringBackend` on Zabbix 6.0."""

    def __init__(self, url: str, token: SecretStr | str, timeout: int = 15,
                 poll_interval: float = 2.0) -> None:
        self.url = url.rstrip("/")
        self._token = token.get_secret_value() if isinstance(token, SecretStr) else token
        self.timeout = timeout
        self.poll_interval = poll_interval
        self._api: ZabbixAPI | None = None

    @property
    def name(self) -> str:
        return "zabbix"

    def __repr__(self) -> str:
        return f"ZabbixBackend(url={self.url!r})"

    # --- API plumbing --------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def _error(self, action: str, exc: BaseException) -> MonitoringError:
        if isinstance(exc, APIRequestError):
            message = str(getattr(exc, "message", "") or "").strip()
            data = str(getattr(exc, "data", "") or "").strip()
            raw = f"{message} {data}".strip() or str(exc)
            if "not authorized" in raw.lower() or "session terminated" in raw.lower():
                return MonitoringError(self._scrub(
                    f"Zabbix at {self.url} refused the API token while trying to {action} "
                    "(Not authorized): set a valid NETPROV_ZABBIX_TOKEN / "
                    "NETPROV_ZABBIX_TOKEN_FILE, or run `netprov lab up monitoring` for the lab"
                ))
            return MonitoringError(self._scrub(
                f"Zabbix at {self.url} refused to {action}: {raw}"))
        if isinstance(exc, TimeoutError):
            return MonitoringError(
                f"Zabbix at {self.url} did not answer within {self.timeout}s while trying to "
                f"{action}")
        reason = self._scrub(" ".join(str(a) for a in getattr(exc, "args", ()) if a) or str(exc))
        return MonitoringError(
            f"Zabbix API at {self.url} is not reachable while trying to {action} "
            f"({type(exc).__name__}: {reason}); is the server up (`netprov lab status`)?")

    def _connect(self, action: str) -> ZabbixAPI:
        if self._api is None:
            try:
                self._api = ZabbixAPI(url=self.url, token=self._token, timeout=self.timeout)
            except (ModuleBaseException, OSError) as exc:
                raise self._error(action, exc) from None
        return self._api

    def call(self, method: str, params: Any, action: str | None = None) -> Any:
        """One API call; any failure becomes a MonitoringError naming ``action``."""
        what = action or method
        api = self._connect(what)
        try:
            return api.send_api_request(method, params)["result"]
        except (ModuleBaseException, OSError) as exc:
            raise self._error(what, exc) from None

    # --- lookups -------------------------------------------------------------------------------

    def _template_id(self) -> str:
        found = self.call("template.get", {"filter": {"host": TEMPLATE_NAME},
                                           "output": ["templateid"]}, "find the ICMP template")
        if not found:
            found = self.call("template.get", {"filter": {"name": TEMPLATE_NAME},
                                               "output": ["templateid"]},
                              "find the ICMP template")
        if not found:
            raise MonitoringError(
                f"Zabbix at {self.url} has no template named {TEMPLATE_NAME!r}; import it "
                "(it ships with Zabbix 6.0) before registering links")
        return str(found[0]["templateid"])

    def _hosts(self, request_id: str) -> list[dict[str, Any]]:
        """Hosts named ``request_id``, lowest id first (more than one only in a race)."""
        hosts = self.call("host.get", {
            "filter": {"host": request_id},
            "output": ["hostid", "host", "name", "status"],
            "selectInterfaces": ["interfaceid", "ip", "type", "main"],
            "selectGroups": ["groupid", "name"],
            "selectParentTemplates": ["templateid", "name"],
            "selectTags": ["tag", "value"],
        }, f"look up host {request_id}")
        return sorted((dict(h) for h in hosts), key=lambda h: int(h["hostid"]))

    def _host(self, request_id: str) -> dict[str, Any] | None:
        hosts = self._hosts(request_id)
        return hosts[0] if hosts else None

    def _groups_named(self, name: str) -> list[str]:
        found = self.call("hostgroup.get", {"filter": {"name": name}, "output": ["groupid"]},
                          f"look up host group {name!r}")
        return sorted((str(g["groupid"]) for g in found), key=int)

    def _group(self, name: str) -> tuple[str, bool]:
        """The group's id, creating it if missing. Returns (groupid, created).

        Zabbix 6.0 does not stop two concurrent creates of one name; the lowest id wins and
        a creator that lost removes its own (still empty) group.
        """
        found = self._groups_named(name)
        if found:
            return found[0], False
        try:
            made = self.call("hostgroup.create", {"name": name}, f"create host group {name!r}")
        except MonitoringError as exc:
            if "already exists" not in str(exc):
                raise
            found = self._groups_named(name)  # another register created it a moment ago
            if not found:
                raise
            return found[0], False
        mine = str(made["groupids"][0])
        winner = self._groups_named(name)[0]
        if winner != mine:
            self.call("hostgroup.delete", [mine], f"remove duplicate host group {name!r}")
            return winner, False
        return mine, True

    # --- the interface -------------------------------------------------------------------------

    def find(self, request_id: str) -> Registration | None:
        host = self._host(check_request_id(request_id))
        return self._registration(host, created=False) if host else None

    def _registration(self, host: dict[str, Any], created: bool) -> Registration:
        interfaces = host.get("interfaces") or []
        groups = host.get("groups") or host.get("hostgroups") or []
        ids = {"hostid": str(host["hostid"])}
        if groups:
            ids["groupid"] = str(groups[0]["groupid"])
        if interfaces:
            ids["interfaceid"] = str(interfaces[0]["interfaceid"])
        labels = {t["tag"]: t["value"] for t in host.get("tags") or []
                  if t["tag"] != MANAGED_TAG[0]}
        return Registration(
            backend=self.name, request_id=str(host["host"]), created=created, ids=ids,
            address=str(interfaces[0]["ip"]) if interfaces else None, labels=labels,
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
            if existing is None:
                try:
                    mine = self._create_host(link, group_id, template_id)
                    created = True
                    winner = self._host(link.request_id)
                    if winner is not None and str(winner["hostid"]) != mine:
                        # Zabbix 6.0 let a concurrent register create the same host name:
                        # the lowest id wins, this call removes its own and updates that one.
                        self.call("host.delete", [mine],
                                  f"remove duplicate host {link.request_id}")
                        self._update_host(link, winner, group_id, template_id)
                        created = False
                except MonitoringError as exc:
                    if "already exists" not in str(exc):
                        raise
                    # Someone registered the same request at the same moment: update it.
                    existing = self._host(link.request_id)
                    if existing is None:
                        raise
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
            raise MonitoringError(f"Zabbix at {self.url} lost host {link.request_id} "
                                  "right after registering it")
        return self._registration(host, created=created)

    def _create_host(self, link: MonitoredLink, group_id: str, template_id: str) -> str:
        made = self.call("host.create", {
            "host": host_name(link),
            "name": visible_name(link),
            "groups": [{"groupid": group_id}],
            "templates": [{"templateid": template_id}],
            "interfaces": [agent_interface(link)],
            "tags": host_tags(link),
            "macros": host_macros(link),
            "inventory_mode": 0,
            "inventory": host_inventory(link),
            "description": f"netprov: {link.opd_name}, {link.site}; circuit {link.circuit}",
        }, f"create host {link.request_id}")
        return str(made["hostids"][0])

    def _update_host(self, link: MonitoredLink, host: dict[str, Any], group_id: str,
                     template_id: str) -> None:
        hostid = str(host["hostid"])
        old_groups = [str(g["groupid"]) for g in host.get("groups") or []]
        templates = [{"templateid": str(t["templateid"])}
                     for t in host.get("parentTemplates") or []]
        if template_id not in {t["templateid"] for t in templates}:
            templates.append({"templateid": template_id})
        update: dict[str, Any] = {"hostid": hostid}
        if str(host.get("name")) != visible_name(link):
            update["name"] = visible_name(link)  # only when it changes: see register()
        self.call("host.update", {
            **update,
            "status": 0,
            "groups": [{"groupid": group_id}],
            "templates": templates,
            "tags": host_tags(link),
            "macros": host_macros(link),
            "inventory_mode": 0,
            "inventory": host_inventory(link),
            "description": f"netprov: {link.opd_name}, {link.site}; circuit {link.circuit}",
        }, f"update host {link.request_id}")
        interfaces = host.get("interfaces") or []
        main = next((i for i in interfaces if str(i.get("type")) == "1"
                     and str(i.get("main")) == "1"), None)
        if main is None:
            self.call("hostinterface.create", {"hostid": hostid, **agent_interface(link)},
                      f"add the interface of {link.request_id}")
        elif str(main["ip"]) != str(link.address):
            self.call("hostinterface.update",
                      {"interfaceid": str(main["interfaceid"]), "ip": str(link.address)},
                      f"change the address of {link.request_id}")
        for old in old_groups:
            if old != group_id:
                self._delete_group_if_empty(old)

    def _delete_group_if_empty(self, group_id: str) -> None:
        """Remove a department group netprov made once no host is left in it (best effort)."""
        try:
            groups = self.call("hostgroup.get", {"groupids": [group_id], "output": ["name"],
                                                 "selectHosts": "count"}, "check a host group")
            if (groups and str(groups[0]["name"]).startswith(GROUP_PREFIX)
                    and int(groups[0].get("hosts", 0)) == 0):
                self.call("hostgroup.delete", [group_id], "delete an empty host group")
        except MonitoringError:
            pass

    def deregister(self, request_id: str) -> bool:
        hosts = self._hosts(check_request_id(request_id))
        if not hosts:
            return False
        self.call("host.delete", [str(h["hostid"]) for h in hosts], f"delete host {request_id}")
        for gid in {str(g["groupid"]) for h in hosts for g in h.get("groups") or []}:
            self._delete_group_if_empty(gid)
        return True

    def _ping_item(self, hostid: str) -> dict[str, Any] | None:
        items = self.call("item.get", {
            "hostids": [hostid], "filter": {"key_": PING_KEY},
            "output": ["itemid", "lastvalue", "lastclock", "state", "error", "status"],
        }, "read the icmpping item")
        return dict(items[0]) if items else None

    def _since(self, itemid: str, value: str) -> dt.datetime | None:
        history = self.call("history.get", {
            "itemids": [itemid], "history": HISTORY_UNSIGNED, "sortfield": "clock",
            "sortorder": "DESC", "limit": 500, "output": ["clock", "value"],
        }, "read the icmpping history")
        since: str | None = None
        for row in history:
            if str(row["value"]) != value:
                break
            since = str(row["clock"])
        return _ts(since)

    def status(self, request_id: str, wait_seconds: float = 0.0,
               until_up: bool = True) -> ProbeStatus:
        """Check now on ``icmpping`` until it has a value (and, with ``until_up``, says up)."""
        t0 = time.monotonic()
        deadline = t0 + max(0.0, wait_seconds)
        host = self._host(check_request_id(request_id))
        if host is None:
            return ProbeStatus(backend=self.name, request_id=request_id, up=None,
                               detail="not registered in Zabbix")
        hostid = str(host["hostid"])
        last_task = -1e9
        while True:
            item = self._ping_item(hostid)
            if item is None:
                return ProbeStatus(backend=self.name, request_id=request_id, up=None,
                                   waited_seconds=round(time.monotonic() - t0, 1),
                                   detail=f"host has no {PING_KEY} item (template missing?)")
            has_value = int(item.get("lastclock") or 0) > 0
            if has_value:
                value = str(item["lastvalue"])
                up = value == "1"
                if up or not until_up or time.monotonic() >= deadline:
                    return ProbeStatus(
                        backend=self.name, request_id=request_id, up=up,
                        since=self._since(str(item["itemid"]), value),
                        last_value=float(value), last_checked=_ts(str(item["lastclock"])),
                        waited_seconds=round(time.monotonic() - t0, 1),
                        detail=_detail(up, item, host),
                    )
            elif time.monotonic() >= deadline:
                error = str(item.get("error") or "")
                return ProbeStatus(
                    backend=self.name, request_id=request_id, up=None,
                    waited_seconds=round(time.monotonic() - t0, 1),
                    detail=f"no {PING_KEY} value yet after {wait_seconds:.0f}s"
                           + (f": {error}" if error else ""),
                )
            now = time.monotonic()
            if now - last_task >= 2 * self.poll_interval:
                self._check_now(str(item["itemid"]))
                last_task = now
            time.sleep(min(self.poll_interval, max(0.05, deadline - time.monotonic())))

    def _check_now(self, itemid: str) -> None:
        """Ask the server to poll the item now (ignored until the item is in its cache)."""
        try:
            self.call("task.create", [{"type": TASK_CHECK_NOW, "request": {"itemid": itemid}}],
                      "request check now")
        except MonitoringError as exc:
            if "authorized" in str(exc).lower() or "not reachable" in str(exc):
                raise


_TRANSIENT = ("already exists", "database is not working properly",
              "SQL statement execution has failed")


def _transient(exc: MonitoringError) -> bool:
    """A conflict with a concurrent call (Zabbix has no locking for these): worth a retry."""
    return any(t in str(exc) for t in _TRANSIENT)


def _ts(clock: str | None) -> dt.datetime | None:
    if not clock or clock == "0":
        return None
    return dt.datetime.fromtimestamp(int(clock), tz=dt.UTC)


def _detail(up: bool, item: dict[str, Any], host: dict[str, Any]) -> str:
    ip = (host.get("interfaces") or [{}])[0].get("ip", "?")
    if up:
        return f"{PING_KEY}=1: {ip} answers ping from the probe namespace"
    error = str(item.get("error") or "")
    return (f"{PING_KEY}=0: {ip} does not answer ping from the probe namespace"
            + (f" ({error})" if error else ""))
