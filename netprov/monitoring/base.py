"""What monitoring knows about a link, and the interface every monitoring backend implements.

Pure: no I/O here. A backend (Zabbix, Prometheus, ...) is one module implementing
:class:`MonitoringBackend`; the request id is the key in every backend, so registering twice
updates and never duplicates.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from netprov.domain.resources import Allocation

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_request_id(request_id: str) -> str:
    """A request id usable as a Zabbix host name and a file name (``PJB-2026-0001``)."""
    if not REQUEST_ID_RE.match(request_id):
        raise ValueError(
            f"request id {request_id!r} must be letters, digits, '-', '_' or '.' "
            "(at most 64), such as 'PJB-2026-0001'"
        )
    return request_id


class MonitoredLink(BaseModel):
    """One department link as monitoring sees it: what to probe, and the facts to label it with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: str
    opd: str = Field(description="department slug, e.g. 'disdik'")
    opd_name: str = Field(description="department name, e.g. 'Dinas Pendidikan'")
    site: str = Field(description="site name")
    service: str
    bandwidth_mbps: int = Field(gt=0)
    circuit: str = Field(description="e.g. 'dist-batamkota1:eth2 ↔ cpe-disdik-bk:eth1'")
    address: ipaddress.IPv4Address = Field(description="what the probes ping")
    device: str = Field(description="the department router (CPE) name")
    network: ipaddress.IPv4Network | None = Field(default=None, description="the department LAN")

    @field_validator("request_id")
    @classmethod
    def _request_id(cls, v: str) -> str:
        return check_request_id(v)

    @classmethod
    def from_allocation(cls, allocation: Allocation) -> MonitoredLink:
        """The link an allocation made: probe the CPE's LAN gateway address."""
        a = allocation
        return cls(
            request_id=a.request_id,
            opd=a.opd_slug,
            opd_name=a.opd_name,
            site=a.site_name,
            service=a.service,
            bandwidth_mbps=a.bandwidth_mbps,
            circuit=f"{a.dist_device}:{a.dist_interface} ↔ {a.cpe_device}:{a.cpe_interface}",
            address=a.lan_gateway.ip,
            device=a.cpe_device,
            network=a.lan_prefix,
        )

    def labels(self) -> dict[str, str]:
        """The facts as string labels/tags (the same set in every backend)."""
        return {
            "request_id": self.request_id,
            "opd": self.opd,
            "site": self.site,
            "service": self.service,
            "bandwidth_mbps": str(self.bandwidth_mbps),
            "circuit": self.circuit,
            "device": self.device,
        }


class Registration(BaseModel):
    """What a backend holds for one link (its ids), as returned by register/find."""

    model_config = ConfigDict(frozen=True)

    backend: str
    request_id: str
    created: bool = Field(description="True if this call created it, False if it updated it")
    ids: dict[str, str] = Field(default_factory=dict, description="backend object ids")
    address: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class ProbeStatus(BaseModel):
    """What a backend says about a link now.

    ``up`` is None when the backend has no value yet (not registered, or not probed within
    the wait).
    """

    model_config = ConfigDict(frozen=True)

    backend: str
    request_id: str
    up: bool | None
    since: dt.datetime | None = None
    last_value: float | None = None
    last_checked: dt.datetime | None = None
    waited_seconds: float = 0.0
    detail: str = ""


@runtime_checkable
class MonitoringBackend(Protocol):
    """One monitoring system. Every method is safe to retry."""

    @property
    def name(self) -> str: ...

    def register(self, link: MonitoredLink) -> Registration:
        """Create or update what monitors ``link`` (request id is the key)."""
        ...

    def deregister(self, request_id: str) -> bool:
        """Remove what register made; False if there was nothing."""
        ...

    def status(self, request_id: str, wait_seconds: float = 0.0, until_up: bool = True) -> ProbeStatus:
        """Whether the probe sees the link; wait up to ``wait_seconds`` for a value.

        With ``until_up`` the wait continues while the value says down (the pipeline's last
        verification); otherwise the first value is returned.
        """
        ...

    def find(self, request_id: str) -> Registration | None:
        """What the backend holds for ``request_id``, or None."""
        ...
