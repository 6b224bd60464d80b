"""What a request needs and what it was given: feasibility findings and allocations.

These are the contracts between the NetBox adapter (which fills them), the renderer, the
pipeline, the documents and the audit. Frozen, typed, JSON round-trippable.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from netprov.domain.services import ServiceName as Service

MIN_LAN_PREFIXLEN = 22  # a department LAN is never larger than a /22
MAX_LAN_PREFIXLEN = 30


def lan_prefix_length(hosts: int) -> int:
    """Smallest IPv4 prefix holding ``hosts`` devices plus gateway, network and broadcast.

    >>> lan_prefix_length(20)
    27
    >>> lan_prefix_length(1)
    30
    """
    if hosts < 1:
        raise ValueError("hosts must be at least 1")
    needed = hosts + 3
    length = 32 - math.ceil(math.log2(needed))
    return min(length, MAX_LAN_PREFIXLEN)


def lan_fits(hosts: int) -> bool:
    return lan_prefix_length(hosts) >= MIN_LAN_PREFIXLEN


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


CheckName = Literal[
    "opd",
    "site",
    "specification",
    "purpose",
    "prefix",
    "port",
    "vlan",
    "bandwidth",
    "link",
    "devices",
    "netbox",
    "monitoring",
]


class Finding(_Frozen):
    """One check of step 4: what was checked, whether it passed, and why."""

    check: CheckName
    ok: bool
    detail: str


class UplinkHeadroom(_Frozen):
    device: str
    interface: str
    capacity_mbps: int
    committed_mbps: int
    requested_mbps: int

    @property
    def headroom_mbps(self) -> int:
        return self.capacity_mbps - self.committed_mbps


class Candidate(_Frozen):
    """Resources a check found free (nothing is reserved by a check)."""

    lan_prefix: ipaddress.IPv4Network | None = None
    transfer_prefix: ipaddress.IPv4Network | None = None
    vlan_id: int | None = None
    dist_device: str | None = None
    dist_interface: str | None = None
    cpe_device: str | None = None


class Feasibility(_Frozen):
    """The step-4 result: feasible or not, each reason, and the candidates."""

    feasible: bool
    service: Service
    hosts: int
    bandwidth_mbps: int
    prefix_length: int
    findings: list[Finding]
    candidate: Candidate = Candidate()
    uplink: UplinkHeadroom | None = None
    source: Literal["netbox", "manual"] = "netbox"
    #: A decommission's step 4: what it will remove (device lines per device, NetBox, monitoring).
    removes: dict[str, Any] = {}
    checked_at: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def reasons(self) -> list[str]:
        return [f.detail for f in self.findings if not f.ok]


class Allocation(_Frozen):
    """What NetBox reserved for one request (SOP step 7, "assign the address")."""

    request_id: str
    service: Service
    opd_slug: str
    opd_name: str
    site_slug: str
    site_name: str
    bandwidth_mbps: int
    lan_prefix: ipaddress.IPv4Network
    lan_gateway: ipaddress.IPv4Interface  # on the department router's LAN interface
    transfer_prefix: ipaddress.IPv4Network
    dist_address: ipaddress.IPv4Interface  # distribution side of the transfer net
    cpe_address: ipaddress.IPv4Interface  # department side of the transfer net
    vlan_id: int
    vlan_name: str
    dist_device: str
    dist_interface: str
    cpe_device: str
    cpe_interface: str
    cpe_lan_interface: str
    access_switch: str | None = None
    access_uplink: str | None = None
    access_ports: list[str] = []
    netbox_ids: dict[str, list[int]] = {}  # kind ("prefix", "ip", "vlan", ...) -> ids
