"""Step-4 logic without NetBox: prefix sizing, first fit, headroom, findings (pure).

The adapter reads NetBox into a :class:`Survey`; :func:`evaluate` turns it into a
:class:`~netprov.domain.resources.Feasibility`. Everything here is testable without a server.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from netprov.domain.letters import Letter, Service
from netprov.domain.resources import (
    MIN_LAN_PREFIXLEN,
    Allocation,
    Candidate,
    Feasibility,
    Finding,
    UplinkHeadroom,
    lan_prefix_length,
)

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
    """Prefix length of the largest free block, or None when nothing is free."""
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
    """The tenant whose name or slug equals ``opd``, case-insensitive."""
    wanted = opd.strip().casefold()
    for t in tenants:
        if t.name.casefold() == wanted or t.slug.casefold() == wanted:
            return t
    return None


def committed_bandwidth(custom_fields: Iterable[Mapping[str, object]], cf_name: str) -> int:
    """Sum of the bandwidth custom field over prefixes (missing or empty counts as 0)."""
    total = 0
    for cf in custom_fields:
        value = cf.get(cf_name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            total += int(value)
    return total


# ------------------------------------------------------------------------------ evaluation


def evaluate(survey: Survey, letter: Letter) -> Feasibility:
    """Turn a survey into the step-4 result: one finding per check, candidates, headroom."""
    findings: list[Finding] = []
    candidate: dict[str, object] = {}
    length = lan_prefix_length(letter.hosts)

    # opd
    if survey.tenant is None:
        findings.append(Finding(check="opd", ok=False,
                                detail=f"OPD '{letter.opd}' tidak terdaftar sebagai tenant di NetBox"))
    else:
        findings.append(Finding(check="opd", ok=True,
                                detail=f"OPD terdaftar: tenant {survey.tenant.name} ({survey.tenant.slug})"))

    # site
    if survey.site is None:
        findings.append(Finding(
            check="site", ok=False,
            detail=f"lokasi '{letter.site.name}' tidak ada di NetBox (belum disurvei/dikabel)"))
    elif (survey.tenant is not None and survey.site.tenant_slug
          and survey.site.tenant_slug != survey.tenant.slug):
        findings.append(Finding(
            check="site", ok=False,
            detail=f"lokasi {survey.site.name} milik tenant {survey.site.tenant_slug}, "
                   f"bukan {survey.tenant.slug}"))
    else:
        findings.append(Finding(check="site", ok=True, detail=f"lokasi ditemukan: {survey.site.name}"))

    # specification (LAN size)
    if length < MIN_LAN_PREFIXLEN:
        findings.append(Finding(
            check="specification", ok=False,
            detail=f"{letter.hosts} host butuh /{length}, lebih besar dari batas /{MIN_LAN_PREFIXLEN} "
                   "per LAN OPD"))
    else:
        findings.append(Finding(
            check="specification", ok=True,
            detail=f"{letter.hosts} host -> LAN /{length}, layanan {letter.service}, "
                   f"{letter.bandwidth_mbps} Mbps"))

    # prefix (LAN) in the service pool
    if not survey.pools:
        findings.append(Finding(check="prefix", ok=False,
                                detail=f"tidak ada pool prefix untuk layanan {letter.service} di NetBox"))
    elif length >= MIN_LAN_PREFIXLEN:
        found = None
        for pool in survey.pools:
            found = first_fit(pool.available, length)
            if found is not None:
                candidate["lan_prefix"] = found
                findings.append(Finding(
                    check="prefix", ok=True,
                    detail=f"prefix LAN tersedia: {found} dari pool {pool.prefix}"))
                break
        if found is None:
            names = ", ".join(str(p.prefix) for p in survey.pools)
            biggest = largest_free(n for p in survey.pools for n in p.available)
            rest = f"blok bebas terbesar /{biggest}" if biggest is not None else "pool penuh"
            findings.append(Finding(
                check="prefix", ok=False,
                detail=f"pool {names} ({letter.service}) tidak punya /{length} bebas ({rest})"))

    # prefix (transfer /30)
    if not survey.transfer_pools:
        findings.append(Finding(check="prefix", ok=False,
                                detail="tidak ada pool transfer (/30) di NetBox"))
    else:
        tnet = None
        for pool in survey.transfer_pools:
            tnet = first_fit(pool.available, 30)
            if tnet is not None:
                candidate["transfer_prefix"] = tnet
                findings.append(Finding(check="prefix", ok=True,
                                        detail=f"jaringan transfer tersedia: {tnet} dari pool {pool.prefix}"))
                break
        if tnet is None:
            names = ", ".join(str(p.prefix) for p in survey.transfer_pools)
            findings.append(Finding(check="prefix", ok=False,
                                    detail=f"pool transfer {names} tidak punya /30 bebas"))

    # port
    link = survey.link
    if survey.site is not None and link is None:
        findings.append(Finding(
            check="port", ok=False,
            detail=f"lokasi {survey.site.name} belum punya port terkabel ke router distribusi"))
    elif link is not None:
        candidate.update(dist_device=link.dist_device, dist_interface=link.dist_interface,
                         cpe_device=link.cpe_device)
        if link.dist_mark and link.dist_mark != survey.request_id:
            findings.append(Finding(
                check="port", ok=False,
                detail=f"port {link.dist_device} {link.dist_interface} sudah dipakai permohonan "
                       f"{link.dist_mark}"))
        else:
            findings.append(Finding(
                check="port", ok=True,
                detail=f"port tersedia: {link.dist_device} {link.dist_interface} -> "
                       f"{link.cpe_device} {link.cpe_interface}"))

    # vlan
    group = survey.vlan_group
    if link is not None and group is None:
        findings.append(Finding(check="vlan", ok=False,
                                detail=f"tidak ada VLAN group untuk {link.dist_device}"))
    elif group is not None:
        if group.port_vlan_holder and group.port_vlan_holder != survey.request_id:
            findings.append(Finding(
                check="vlan", ok=False,
                detail=f"VLAN lokasi ini di {group.name} sudah dipakai permohonan "
                       f"{group.port_vlan_holder}"))
        elif group.first_free_vid is None:
            findings.append(Finding(check="vlan", ok=False,
                                    detail=f"VLAN group {group.name} penuh"))
        else:
            candidate["vlan_id"] = group.first_free_vid
            findings.append(Finding(check="vlan", ok=True,
                                    detail=f"VLAN {group.first_free_vid} tersedia di {group.name}"))

    # bandwidth
    uplink: UplinkHeadroom | None = None
    if not survey.uplinks:
        if link is not None or letter.service == "internet":
            findings.append(Finding(
                check="bandwidth", ok=False,
                detail=f"kapasitas uplink layanan {letter.service} tidak tercatat di NetBox "
                       "(custom field uplink_capacity_mbps)"))
    else:
        capacity = sum(u.capacity_mbps for u in survey.uplinks)
        first = survey.uplinks[0]
        uplink = UplinkHeadroom(device=first.device, interface=first.interface,
                                capacity_mbps=capacity, committed_mbps=survey.committed_mbps,
                                requested_mbps=letter.bandwidth_mbps)
        where = f"{first.device} {first.interface}"
        if uplink.headroom_mbps >= letter.bandwidth_mbps:
            findings.append(Finding(
                check="bandwidth", ok=True,
                detail=f"bandwidth cukup: uplink {where} {capacity} Mbps, terpakai "
                       f"{survey.committed_mbps} Mbps, sisa {uplink.headroom_mbps} Mbps >= "
                       f"{letter.bandwidth_mbps} Mbps"))
        else:
            findings.append(Finding(
                check="bandwidth", ok=False,
                detail=f"bandwidth tidak cukup: uplink {where} {capacity} Mbps, terpakai "
                       f"{survey.committed_mbps} Mbps, sisa {uplink.headroom_mbps} Mbps < "
                       f"diminta {letter.bandwidth_mbps} Mbps"))

    for problem in survey.problems:
        findings.append(Finding(check="specification", ok=False, detail=problem))

    return Feasibility(
        feasible=all(f.ok for f in findings),
        service=letter.service,
        hosts=letter.hosts,
        bandwidth_mbps=letter.bandwidth_mbps,
        prefix_length=length,
        findings=findings,
        candidate=Candidate.model_validate(candidate),
        uplink=uplink,
        source="netbox",
    )


def build_allocation(
    *,
    request_id: str,
    service: Service,
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
