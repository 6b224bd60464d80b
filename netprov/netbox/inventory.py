"""A Nornir inventory read from NetBox (plugin ``NetBoxInventoryNetprov``).

Two list calls (devices, platforms), cached in-process and in a small JSON file for
``cache_ttl`` seconds. Hosts are devices that have a platform; the platform's NAPALM driver
becomes ``host.platform``; the management address is the device's ``netprov_ssh_host``
custom field (the lab: 127.0.0.1) or its primary IPv4; the SSH port goes into each host's
own ``connection_options["napalm"].extras["optional_args"]["port"]`` (nornir-napalm 0.6
writes ``port`` into a shared dict when it is set on a group) and ``connection_options
["netmiko"]``.

Usage::

    InitNornir(inventory={"plugin": "NetBoxInventoryNetprov"})           # settings from env/lab
    InitNornir(inventory={"plugin": "NetBoxInventoryNetprov",
                          "options": {"cache_ttl": 0}})                    # always fresh
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nornir.core.inventory import (
    ConnectionOptions,
    Defaults,
    Group,
    Groups,
    Host,
    Hosts,
    Inventory,
    ParentGroups,
)

from netprov.netbox import naming as nm
from netprov.netbox.client import connect, credentials, netbox_errors
from netprov.settings import Settings, load_settings

PAGE = 1000
_MEMO: dict[str, tuple[float, list[HostSpec]]] = {}
_MEMO_LOCK = threading.Lock()


@dataclass(frozen=True)
class HostSpec:
    """One Nornir host as read from NetBox (pure data; JSON-cacheable)."""

    name: str
    hostname: str
    port: int | None
    platform: str | None
    data: dict[str, Any] = field(default_factory=dict)


def host_specs(
    devices: Iterable[Mapping[str, Any]], platforms: Iterable[Mapping[str, Any]]
) -> list[HostSpec]:
    """Turn NetBox device and platform rows into host specs (pure)."""
    drivers: dict[int, str] = {}
    for p in platforms:
        driver = p.get("napalm_driver") or (p.get("custom_fields") or {}).get(nm.CF_NAPALM_DRIVER)
        drivers[int(p["id"])] = str(driver or p.get("slug") or "")
    out = []
    for d in devices:
        plat = d.get("platform")
        if not isinstance(plat, dict) or not d.get("name"):
            continue
        cfs = d.get("custom_fields") or {}
        primary = d.get("primary_ip4") or d.get("primary_ip")
        address = str(primary.get("address", "")).split("/")[0] if isinstance(primary, dict) else ""
        hostname = str(cfs.get(nm.CF_SSH_HOST) or address or d["name"])
        port = cfs.get(nm.CF_SSH_PORT)

        def slug(key: str, row: Mapping[str, Any] = d) -> str | None:
            v = row.get(key)
            return str(v.get("slug")) if isinstance(v, dict) and v.get("slug") else None

        out.append(
            HostSpec(
                name=str(d["name"]),
                hostname=hostname,
                port=int(port) if isinstance(port, int) else None,
                platform=drivers.get(int(plat["id"])) or str(plat.get("slug") or "") or None,
                data={
                    "role": slug("role"),
                    "site": slug("site"),
                    "tenant": slug("tenant"),
                    "platform_slug": slug("platform"),
                    "netbox_id": int(d["id"]),
                    "primary_ip4": address or None,
                },
            )
        )
    return sorted(out, key=lambda h: h.name)


def build_inventory(
    specs: Iterable[HostSpec], *, username: str | None = None, password: str | None = None
) -> Inventory:
    """A Nornir Inventory with per-host ports (groups by role, never holding a port)."""
    defaults = Defaults(username=username, password=password)
    groups = Groups()
    hosts = Hosts()
    for spec in specs:
        role = spec.data.get("role")
        parent = ParentGroups()
        if role:
            gname = f"role_{role}"
            if gname not in groups:
                groups[gname] = Group(name=gname, data={"role": role}, defaults=defaults)
            parent.append(groups[gname])
        options: dict[str, ConnectionOptions] = {
            "napalm": ConnectionOptions(extras={"optional_args": {"port": spec.port} if spec.port else {}}),
            "netmiko": ConnectionOptions(port=spec.port),
        }
        hosts[spec.name] = Host(
            name=spec.name,
            hostname=spec.hostname,
            port=spec.port,
            platform=spec.platform,
            groups=parent,
            data=dict(spec.data),
            connection_options=options,
            defaults=defaults,
        )
    return Inventory(hosts=hosts, groups=groups, defaults=defaults)


class NetBoxInventory:
    """Nornir inventory plugin: devices from NetBox, cached briefly."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        cache_ttl: float = 60,
        cache_file: str | None = None,
        filters: dict[str, Any] | None = None,
        settings: Settings | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        if url and token:
            self.url, self.token = url.rstrip("/"), token
        else:
            self.url, self.token = credentials(self.settings)
        self.cache_ttl = float(cache_ttl)
        self.cache_file = (
            Path(cache_file) if cache_file else (self.settings.cache_dir / "netbox-inventory.json")
        )
        self.filters = dict(filters or {})
        self.username = username or self.settings.device_username
        pw = self.settings.device_password
        self.password = password or (pw.get_secret_value() if pw else None)
        self.api_calls = 0

    def _key(self) -> str:
        return json.dumps([self.url, sorted(self.filters.items())], default=str)

    def _fetch(self) -> list[HostSpec]:
        api, counter = connect(self.url, self.token)
        with netbox_errors("reading devices for the Nornir inventory"):
            rows = (
                api.dcim.devices.filter(limit=PAGE, **self.filters)
                if self.filters
                else api.dcim.devices.all(limit=PAGE)
            )
            devices = [dict(d) for d in rows]
            platforms = [dict(p) for p in api.dcim.platforms.all(limit=PAGE)]
        self.api_calls += counter.count
        return host_specs(devices, platforms)

    def _from_file(self, key: str) -> list[HostSpec] | None:
        try:
            data = json.loads(self.cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("key") != key or time.time() - float(data.get("at", 0)) > self.cache_ttl:
            return None
        return [HostSpec(**h) for h in data.get("hosts", [])]

    def _to_file(self, key: str, specs: list[HostSpec]) -> None:
        try:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.cache_file.with_name(f".{self.cache_file.name}.{os.getpid()}.tmp")
            tmp.write_text(
                json.dumps({"key": key, "at": time.time(), "hosts": [asdict(s) for s in specs]}),
                encoding="utf-8",
            )
            tmp.replace(self.cache_file)
        except OSError:
            pass

    def specs(self) -> list[HostSpec]:
        """Host specs from the cache when fresh, else from NetBox (2 calls)."""
        key = self._key()
        if self.cache_ttl > 0:
            with _MEMO_LOCK:
                hit = _MEMO.get(key)
            if hit and time.time() - hit[0] <= self.cache_ttl:
                return hit[1]
            cached = self._from_file(key)
            if cached is not None:
                return cached
        specs = self._fetch()
        with _MEMO_LOCK:
            _MEMO[key] = (time.time(), specs)
        if self.cache_ttl > 0:
            self._to_file(key, specs)
        return specs

    def load(self) -> Inventory:
        return build_inventory(self.specs(), username=self.username, password=self.password)


def clear_cache() -> None:
    """Forget the in-process cache (the file cache expires by its TTL)."""
    with _MEMO_LOCK:
        _MEMO.clear()
