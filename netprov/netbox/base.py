"""The shared state of the NetBox adapter: the API, service rules, paged reads, journal."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from netprov.domain.planning import ServiceRule
from netprov.errors import ConfigError
from netprov.netbox.client import netbox_errors
from netprov.netbox.lock import NetBoxLockTags
from netprov.netbox.records import PAGE, raw

T = TypeVar("T")


class NetBoxBase:
    """API handle, per-service rules (from the playbooks) and the low-level reads."""

    _KIND_TYPES: ClassVar[dict[str, str]] = {
        "prefix": "ipam.prefix",
        "ip": "ipam.ipaddress",
        "vlan": "ipam.vlan",
        "interface": "dcim.interface",
    }

    def __init__(
        self,
        api: Any,
        counter: Any,
        *,
        pool_roles: dict[str, str] | None = None,
        transfer_role: str,
        transfer_length: int = 30,
        url: str = "",
        rules: dict[str, ServiceRule] | None = None,
    ) -> None:
        """Args:
        api: a pynetbox API.
        counter: counts HTTP calls (``.count``).
        pool_roles: service -> NetBox prefix role of its LAN pool (old form of ``rules``;
            each service's uplink is then area-scoped and tagged with its own name).
        transfer_role, transfer_length: the transfer pool's role and prefix length.
        url: NetBox's URL (for links in documents).
        rules: service -> :class:`~netprov.domain.planning.ServiceRule` (from playbooks).
        """
        self._api = api
        self._counter = counter
        self._lock_tags = NetBoxLockTags(api)
        if rules is None:
            rules = {s: ServiceRule(pool_role=r, uplink_service=s) for s, r in (pool_roles or {}).items()}
        self.rules = dict(rules)
        self.pool_roles = {s: r.pool_role for s, r in self.rules.items()}
        self.transfer_role = transfer_role
        self.transfer_length = transfer_length
        self.url = url
        self._static: dict[tuple[Any, ...], tuple[float, Any]] = {}
        self._static_lock = threading.Lock()

    def _rule(self, service: str) -> ServiceRule:
        try:
            rule = self.rules[service]
        except KeyError:
            known = ", ".join(sorted(self.rules)) or "(none)"
            raise ConfigError(f"no playbook for service {service!r} (services: {known})") from None
        return rule if rule.uplink_service else dataclasses.replace(rule, uplink_service=service)

    def _sharing(self, uplink_service: str) -> list[str]:
        """The services whose bandwidth counts against uplinks tagged ``uplink_service``."""
        return sorted(
            {s for s in self.rules if self._rule(s).uplink_service == uplink_service} | {uplink_service}
        )

    @property
    def lock_tags(self) -> NetBoxLockTags:
        """The lock tags on this adapter's own NetBox session (its calls counted here too)."""
        return self._lock_tags

    @property
    def api_calls(self) -> int:
        """HTTP calls made so far by this adapter (every page and every retry counts)."""
        return int(self._counter.count)

    STATIC_TTL_S: ClassVar[float] = 30.0

    def _static_read(self, key: tuple[Any, ...], read: Callable[[], T]) -> T:
        """A read of what provisioning never changes (tenants, pool containers, VLAN groups,
        uplink capacities, a device's site), kept ``STATIC_TTL_S`` seconds: the requests of a
        batch read it once. Free space, holders, marks and committed bandwidth are never kept."""
        now = time.monotonic()
        with self._static_lock:
            hit = self._static.get(key)
            if hit is not None and now - hit[0] < self.STATIC_TTL_S:
                return hit[1]  # type: ignore[no-any-return]
        value = read()
        with self._static_lock:
            self._static[key] = (now, value)
        return value

    def _list(self, endpoint: Any, what: str, **filters: Any) -> list[dict[str, Any]]:
        with netbox_errors(what):
            return [raw(r) for r in endpoint.filter(limit=PAGE, **filters)]

    def _records(self, endpoint: Any, what: str, **filters: Any) -> list[Any]:
        with netbox_errors(what):
            return list(endpoint.filter(limit=PAGE, **filters))

    def _journal_ids(self, ids: dict[str, list[int]], comments: str, kind: str = "info") -> None:
        entries = [
            {
                "assigned_object_type": self._KIND_TYPES[k],
                "assigned_object_id": i,
                "kind": kind,
                "comments": comments,
            }
            for k, v in ids.items()
            if k in self._KIND_TYPES
            for i in v
        ]
        if entries:
            with netbox_errors("writing journal entries"):
                self._api.extras.journal_entries.create(entries)
