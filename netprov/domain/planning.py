"""Address planning without NetBox (pure): survey rows, first fit, transfer addressing.

The NetBox adapter reads NetBox into a :class:`Survey`;
:func:`netprov.domain.feasibility.evaluate` turns it into a
:class:`~netprov.domain.resources.Feasibility`, and :func:`build_allocation` assembles the
allocation contract. Everything here is testable without a server.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from netprov.domain.resources import Allocation

Net = ipaddress.IPv4Network


@dataclass(frozen=True)
class TenantRow:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class SiteRow:
    id: int
    slug: str
    name: str
    tenant_slug: str | None = None
    region_id: int | None = None


@dataclass(frozen=True)
class LinkRow:
    """A site's pre-cabled department link: distribution port <-> department router."""

    dist_device: str
    dist_device_id: int
    dist_site_id: int | None
    dist_interface: str
    dist_interface_id: int
    dist_mark: str  # request id holding the port, "" when free
    cpe_device: str
    cpe_device_id: int
    cpe_interface: str
    cpe_interface_id: int
    cpe_lan_interface: str
    cpe_lan_interface_id: int | None = None
    access_switch: str | None = None
    access_uplink: str | None = None
    access_ports: tuple[str, ...] = ()


@dataclass(frozen=True)
class PoolRow:
    id: int
    prefix: Net
    role: str
    available: tuple[Net, ...] = ()


@dataclass(frozen=True)
class VlanGroupRow:
    id: int
    name: str
    first_free_vid: int | None
    port_vlan_holder: str | None = None  # request holding this site's VLAN name, if any


@dataclass(frozen=True)
class ServiceRule:
    """What the IPAM needs from a service's playbook.

    Attributes:
        pool_role: NetBox prefix role of the pool the LAN comes from.
        uplink_scope: ``area`` (the site's distribution uplink, bandwidth committed in the
            site's region) or ``global`` (every uplink of the service, all committed).
        uplink_service: the service tag (custom field) of the uplinks and of the prefixes
            whose bandwidth counts against them ("": the service itself).
        announced: the playbook announces the LAN to the provider.
    """

    pool_role: str
    uplink_scope: Literal["area", "global"] = "area"
    uplink_service: str = ""
    announced: bool = False


@dataclass(frozen=True)
class UplinkRow:
    device: str
    interface: str
    capacity_mbps: int


@dataclass(frozen=True)
class Survey:
    """What step 4 read from NetBox for one request (nothing is reserved)."""

    request_id: str
    service: str
    tenant: TenantRow | None
    site: SiteRow | None
    link: LinkRow | None
    pools: tuple[PoolRow, ...] = ()
    transfer_pools: tuple[PoolRow, ...] = ()
    vlan_group: VlanGroupRow | None = None
    uplinks: tuple[UplinkRow, ...] = ()
    committed_mbps: int = 0
    uplink_scope: Literal["area", "global"] = "area"  # the playbook's uplink.scope
    problems: tuple[str, ...] = field(default_factory=tuple)


# ------------------------------------------------------------------------------ small pure helpers


def first_fit(available: Iterable[Net], length: int) -> Net | None:
    """The block NetBox's ``available-prefixes`` POST would give: the first free block that
    holds a /length, cut at its start (NetBox walks free blocks in address order).

    >>> first_fit([ipaddress.ip_network("10.0.0.8/29"), ipaddress.ip_network("10.0.0.32/27")], 28)
    IPv4Network('10.0.0.32/28')
    """
    for block in sorted(available, key=lambda n: (int(n.network_address), n.prefixlen)):
        if block.prefixlen <= length:
            return ipaddress.IPv4Network(f"{block.network_address}/{length}")
    return None


def largest_free(available: Iterable[Net]) -> int | None:
    """Prefix length of the largest free block, or None when nothing is free.

    >>> largest_free([ipaddress.ip_network("10.0.0.0/28"), ipaddress.ip_network("10.0.1.0/25")])
    25
    >>> largest_free([]) is None
    True
    """
    lengths = [n.prefixlen for n in available]
    return min(lengths) if lengths else None


def transfer_addresses(net: Net) -> tuple[ipaddress.IPv4Interface, ipaddress.IPv4Interface]:
    """Distribution side (first host) and department side (second host) of a transfer net.

    >>> transfer_addresses(ipaddress.ip_network("10.250.0.4/30"))
    (IPv4Interface('10.250.0.5/30'), IPv4Interface('10.250.0.6/30'))
    """
    hosts = list(net.hosts()) if net.prefixlen < 31 else list(net)
    return (
        ipaddress.IPv4Interface(f"{hosts[0]}/{net.prefixlen}"),
        ipaddress.IPv4Interface(f"{hosts[1]}/{net.prefixlen}"),
    )


def lan_gateway(net: Net) -> ipaddress.IPv4Interface:
    """The department router's address on its LAN: the first usable address.

    >>> lan_gateway(ipaddress.ip_network("10.100.0.0/27"))
    IPv4Interface('10.100.0.1/27')
    """
    return ipaddress.IPv4Interface(f"{next(net.hosts())}/{net.prefixlen}")


def match_tenant(tenants: Iterable[TenantRow], opd: str) -> TenantRow | None:
    """The tenant whose name or slug equals ``opd``, case-insensitive.

    >>> match_tenant([TenantRow(1, "disdik", "Dinas Pendidikan")], " dinas pendidikan ")
    TenantRow(id=1, slug='disdik', name='Dinas Pendidikan')
    """
    wanted = opd.strip().casefold()
    for t in tenants:
        if t.name.casefold() == wanted or t.slug.casefold() == wanted:
            return t
    return None


def committed_bandwidth(custom_fields: Iterable[Mapping[str, object]], cf_name: str) -> int:
    """Sum of the bandwidth custom field over prefixes (missing or empty counts as 0).

    >>> committed_bandwidth([{"bw": 50}, {"bw": None}, {}, {"bw": 25.0}, {"bw": True}], "bw")
    75
    """
    total = 0
    for cf in custom_fields:
        value = cf.get(cf_name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            total += int(value)
    return total


def build_allocation(
    *,
    request_id: str,
    service: str,
    bandwidth_mbps: int,
    tenant: TenantRow,
    site: SiteRow,
    link: LinkRow,
    lan_prefix: Net,
    lan_gateway_address: ipaddress.IPv4Interface,
    transfer_prefix: Net,
    dist_address: ipaddress.IPv4Interface,
    cpe_address: ipaddress.IPv4Interface,
    vlan_id: int,
    vlan_name_: str,
    netbox_ids: Mapping[str, list[int]] | None = None,
) -> Allocation:
    """Assemble the Allocation contract from what NetBox holds (or would give)."""
    return Allocation(
        request_id=request_id,
        service=service,
        opd_slug=tenant.slug,
        opd_name=tenant.name,
        site_slug=site.slug,
        site_name=site.name,
        bandwidth_mbps=bandwidth_mbps,
        lan_prefix=lan_prefix,
        lan_gateway=lan_gateway_address,
        transfer_prefix=transfer_prefix,
        dist_address=dist_address,
        cpe_address=cpe_address,
        vlan_id=vlan_id,
        vlan_name=vlan_name_,
        dist_device=link.dist_device,
        dist_interface=link.dist_interface,
        cpe_device=link.cpe_device,
        cpe_interface=link.cpe_interface,
        cpe_lan_interface=link.cpe_lan_interface,
        access_switch=link.access_switch,
        access_uplink=link.access_uplink,
        access_ports=list(link.access_ports),
        netbox_ids={k: list(v) for k, v in (netbox_ids or {}).items()},
    )


def interface_sort_key(name: str) -> tuple[object, ...]:
    """Natural order for interface names: eth2 < eth10, Fa0/2 < Fa0/10.

    >>> sorted(["eth10", "eth2", "FastEthernet0/10", "FastEthernet0/2"], key=interface_sort_key)
    ['FastEthernet0/2', 'FastEthernet0/10', 'eth2', 'eth10']
    """
    parts = re.split(r"(\d+)", name)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p != "")
