"""Template data: one pure function from a request and its allocation to typed, frozen data.

Templates never compute anything: every address, mask, wildcard, number and name they print
is a field here, already validated (``ipaddress`` types, ``int``, names checked by regex) or
reduced to safe text (:func:`netprov.render.safe.safe_text`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from netprov.domain.letters import CompletenessForm, Letter
from netprov.domain.resources import Allocation
from netprov.domain.topology import Topology
from netprov.errors import RenderError
from netprov.render.consistency import check_inputs
from netprov.render.playbook import Playbook
from netprov.render.safe import (
    REQUEST_ID_RE,
    SLUG_RE,
    VLAN_NAME_RE,
    check_name,
    safe_text,
)

#: Everything inside the city network; it never leaves toward the ISP (private space).
INTRANET_AGGREGATE = ipaddress.IPv4Network("10.0.0.0/8")
#: The core's outbound prefix-list toward the ISP (the device baseline defines seq 5 deny).
PREFIX_LIST_OUT = "NETPROV-INTERNET-OUT"
OSPF_AREA = 0
BURST_SECONDS_MS = 200  # policer burst: 200 ms of the granted rate


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Net(_Frozen):
    """A prefix with every form a template may need, pre-computed."""

    prefix: ipaddress.IPv4Network
    network: ipaddress.IPv4Address
    prefixlen: int
    netmask: ipaddress.IPv4Address
    wildcard: ipaddress.IPv4Address

    @classmethod
    def of(cls, prefix: ipaddress.IPv4Network) -> Net:
        return cls(
            prefix=prefix,
            network=prefix.network_address,
            prefixlen=prefix.prefixlen,
            netmask=prefix.netmask,
            wildcard=prefix.hostmask,
        )


class Lan(Net):
    """The department LAN behind the CPE."""

    gateway: ipaddress.IPv4Interface  # on the CPE's LAN interface
    gateway_ip: ipaddress.IPv4Address


class Transfer(Net):
    """The point-to-point network between distribution and CPE."""

    dist: ipaddress.IPv4Interface
    dist_ip: ipaddress.IPv4Address
    cpe: ipaddress.IPv4Interface
    cpe_ip: ipaddress.IPv4Address


class Bandwidth(_Frozen):
    mbps: int
    kbps: int
    bps: int
    burst_bytes: int  # policer committed burst (200 ms at the granted rate)
    burst_kbytes: int


class Vlan(_Frozen):
    id: int
    name: str


class Endpoint(_Frozen):
    device: str
    interface: str


class Cpe(Endpoint):
    lan_interface: str


class Access(_Frozen):
    switch: str
    uplink: str
    ports: tuple[str, ...]


class Routing(_Frozen):
    """Routing facts from the topology (the same for every link)."""

    city_asn: int
    provider_asn: int
    ospf_area: int
    ospf_area_id: ipaddress.IPv4Address  # the area in dotted form (Junos)
    core_device: str
    core_router_id: ipaddress.IPv4Address
    core_loopback: ipaddress.IPv4Interface
    core_isp_interface: str
    core_isp_address: ipaddress.IPv4Interface  # core side of the core-ISP link
    provider_device: str
    provider_router_id: ipaddress.IPv4Address
    provider_loopback: ipaddress.IPv4Interface
    provider_isp_address: ipaddress.IPv4Interface  # provider side of the core-ISP link
    intranet_aggregate: Net  # never leaves toward the ISP
    intranet_lans: Net  # the first LAN pool inside intranet_aggregate (private LANs)
    prefix_list_out: str
    prefix_list_seq: int  # this link's permit entry in prefix_list_out (0: not announced)
    internet_prefixes: tuple[Net, ...]  # every announced LAN of the service, this one included


class Text(_Frozen):
    """Free text reduced to safe, one-line descriptions."""

    description: str  # "<request id> <department>": for interfaces, VLANs, policies
    opd: str
    site: str
    purpose: str
    contact: str  # the PIC from the completeness form, or the letter's contact
    location: str  # building/room from the form, or the site address


class TemplateData(_Frozen):
    """Everything a device template may use. Field names are the template variables."""

    request_id: str
    name: str  # a config-object name derived from the request id, e.g. NETPROV-PJB-2026-0001
    service: str
    is_internet: bool  # the playbook announces the LAN to the provider (announce: provider)
    opd_slug: str
    site_slug: str
    text: Text
    bandwidth: Bandwidth
    lan: Lan
    transfer: Transfer
    vlan: Vlan
    dist: Endpoint
    cpe: Cpe
    access: Access | None
    routing: Routing

    def variables(self) -> dict[str, Any]:
        """The template context: top-level fields, keeping their types."""
        return {name: getattr(self, name) for name in type(self).model_fields}


def prefix_list_seq(prefix: ipaddress.IPv4Network, pool: ipaddress.IPv4Network) -> int:
    """The sequence number of a LAN's permit entry in the outbound prefix-list.

    ``10 + offset of the network address inside the internet pool``: allocations in a pool
    never overlap, so two active links never get the same number, and it stays above the
    baseline's ``seq 5 deny`` and below 65536 (the smallest range among the platforms).

    >>> import ipaddress as ip
    >>> prefix_list_seq(ip.ip_network("203.0.113.32/27"), ip.ip_network("203.0.113.0/24"))
    42
    """
    if not prefix.subnet_of(pool):
        raise RenderError(f"lan_prefix {prefix} is not inside the internet pool {pool}")
    seq = 10 + int(prefix.network_address) - int(pool.network_address)
    if seq > 65535:
        raise RenderError(f"lan_prefix {prefix}: internet pool {pool} is too large")
    return seq


def _loopback(topology: Topology, device: str) -> ipaddress.IPv4Interface:
    lo = topology.device(device).loopback
    if lo is None:
        raise RenderError(f"topology: device {device} has no loopback")
    return lo


def private_lan_pool(topology: Topology) -> ipaddress.IPv4Network:
    """The first LAN pool inside :data:`INTRANET_AGGREGATE` (what internet LANs may not reach)."""
    for pool in topology.pools.lan_pools().values():
        if pool.prefix.subnet_of(INTRANET_AGGREGATE):
            return pool.prefix
    raise RenderError(f"topology: no LAN pool inside {INTRANET_AGGREGATE}")


def _announced(
    alloc: Allocation,
    topology: Topology,
    playbook: Playbook,
    internet_prefixes: Iterable[ipaddress.IPv4Network | str],
) -> tuple[set[ipaddress.IPv4Network], int]:
    try:
        prefixes = {ipaddress.IPv4Network(str(p)) for p in internet_prefixes}
    except ValueError as exc:
        raise RenderError(f"internet_prefixes: {exc}") from exc
    seq = 0
    if playbook.announced:
        prefixes.add(alloc.lan_prefix)
        seq = prefix_list_seq(alloc.lan_prefix, topology.pools[playbook.lan_pool].prefix)
    for p in prefixes:
        if p.subnet_of(INTRANET_AGGREGATE):
            raise RenderError(f"internet_prefixes: {p} is intranet space and may never leave")
    return prefixes, seq


def _routing(
    alloc: Allocation,
    topology: Topology,
    playbook: Playbook,
    internet_prefixes: Iterable[ipaddress.IPv4Network | str],
) -> Routing:
    core = topology.core()
    provider = topology.provider()
    isp_link = next((b for b in topology.backbone_links if b.ebgp), None)
    if isp_link is None or isp_link.a.address is None or isp_link.b.address is None:
        raise RenderError("topology: no addressed eBGP link between core and provider")
    core_end, prov_end = (
        (isp_link.a, isp_link.b) if isp_link.a.device == core.name else (isp_link.b, isp_link.a)
    )
    assert core_end.address is not None and prov_end.address is not None
    if provider.asn is None or core.router_id is None or provider.router_id is None:
        raise RenderError("topology: core/provider need router_id and the provider an asn")
    prefixes, seq = _announced(alloc, topology, playbook, internet_prefixes)
    return Routing(
        city_asn=topology.asn,
        provider_asn=provider.asn,
        ospf_area=OSPF_AREA,
        ospf_area_id=ipaddress.IPv4Address(OSPF_AREA),
        core_device=check_name(core.name, "core device"),
        core_router_id=core.router_id,
        core_loopback=_loopback(topology, core.name),
        core_isp_interface=check_name(core_end.interface, "core ISP interface"),
        core_isp_address=core_end.address,
        provider_device=check_name(provider.name, "provider device"),
        provider_router_id=provider.router_id,
        provider_loopback=_loopback(topology, provider.name),
        provider_isp_address=prov_end.address,
        intranet_aggregate=Net.of(INTRANET_AGGREGATE),
        intranet_lans=Net.of(private_lan_pool(topology)),
        prefix_list_out=PREFIX_LIST_OUT,
        prefix_list_seq=seq,
        internet_prefixes=tuple(
            Net.of(p) for p in sorted(prefixes, key=lambda n: (int(n.network_address), n.prefixlen))
        ),
    )


def _contact(letter: Letter, form: CompletenessForm | None) -> str:
    if form is not None:
        return safe_text(f"{form.pic.name} {form.pic.phone}", 60)
    return safe_text(f"{letter.contact.name} {letter.contact.phone}", 60)


def _location(letter: Letter, form: CompletenessForm | None) -> str:
    if form is not None:
        return safe_text(f"{form.location.building} {form.location.room}", 60)
    return safe_text(letter.site.address, 60)


def build_template_data(
    request_id: str,
    letter: Letter,
    allocation: Allocation,
    topology: Topology,
    form: CompletenessForm | None = None,
    internet_prefixes: Iterable[ipaddress.IPv4Network | str] = (),
    playbook: Playbook | None = None,
) -> TemplateData:
    """Build the typed data every device template of one link renders from.

    Args:
        request_id: the SOP request id (``PJB-2026-0001``); must match the allocation's.
        letter: the department's request letter (its free text is reduced to safe text).
        allocation: what NetBox reserved for the request.
        topology: the city network (ASNs, core, provider, core-ISP link, pools).
        form: the completeness form, if returned (contact and location come from it).
        internet_prefixes: every announced LAN prefix of the service (this link's is added
            when the playbook announces; see :func:`netprov.render.playbook.announced_prefixes`).
        playbook: the link's playbook (pool, announce); default: the playbook of the
            allocation's service in the playbooks directory.

    Raises:
        RenderError: an id, name or address is invalid or inconsistent (names the field).
    """
    rid = check_name(request_id, "request_id", REQUEST_ID_RE)
    pb = check_inputs(rid, letter, allocation, topology, form, playbook)
    a = allocation
    access = _access(a)
    opd = safe_text(a.opd_name or letter.opd, 40)
    bw = a.bandwidth_mbps
    burst = bw * 1_000_000 // 8 * BURST_SECONDS_MS // 1000
    return TemplateData(
        request_id=rid,
        name=f"NETPROV-{rid}",
        service=a.service,
        is_internet=pb.announced,
        opd_slug=check_name(a.opd_slug, "opd_slug", SLUG_RE),
        site_slug=check_name(a.site_slug, "site_slug", SLUG_RE),
        text=Text(
            description=safe_text(f"{rid} {opd} {a.service}", 72),
            opd=opd,
            site=safe_text(a.site_name or letter.site.name, 60),
            purpose=safe_text(letter.purpose, 60),
            contact=_contact(letter, form),
            location=_location(letter, form),
        ),
        bandwidth=Bandwidth(
            mbps=bw,
            kbps=bw * 1000,
            bps=bw * 1_000_000,
            burst_bytes=burst,
            burst_kbytes=max(1, burst // 1000),
        ),
        lan=Lan(**_net_fields(a.lan_prefix), gateway=a.lan_gateway, gateway_ip=a.lan_gateway.ip),
        transfer=Transfer(
            **_net_fields(a.transfer_prefix),
            dist=a.dist_address,
            dist_ip=a.dist_address.ip,
            cpe=a.cpe_address,
            cpe_ip=a.cpe_address.ip,
        ),
        vlan=Vlan(id=a.vlan_id, name=check_name(a.vlan_name, "vlan_name", VLAN_NAME_RE)),
        dist=Endpoint(
            device=check_name(a.dist_device, "dist_device"),
            interface=check_name(a.dist_interface, "dist_interface"),
        ),
        cpe=Cpe(
            device=check_name(a.cpe_device, "cpe_device"),
            interface=check_name(a.cpe_interface, "cpe_interface"),
            lan_interface=check_name(a.cpe_lan_interface, "cpe_lan_interface"),
        ),
        access=access,
        routing=_routing(a, topology, pb, internet_prefixes),
    )


def _access(a: Allocation) -> Access | None:
    if not a.access_switch:
        return None
    if not a.access_uplink:
        raise RenderError("access_uplink is required when access_switch is set")
    return Access(
        switch=check_name(a.access_switch, "access_switch"),
        uplink=check_name(a.access_uplink, "access_uplink"),
        ports=tuple(check_name(p, "access_ports") for p in a.access_ports),
    )


def _net_fields(prefix: ipaddress.IPv4Network) -> Mapping[str, Any]:
    return Net.of(prefix).model_dump()
