"""The device lab as a plan: pure functions from the topology to namespaces, links and configs.

Nothing here touches the system; :mod:`netprov_lab.devices` carries the plan out. Keeping the
plan pure lets unit tests check the baseline configs (the conventions the device templates
build on) without root.

Conventions of the baseline FRR configs (the templates rely on them, keep them):

* ``frr defaults traditional``, ``hostname <name>``, ``service integrated-vtysh-config``;
* core and distribution routers: ``interface lo`` / ``ip address <loopback>``; backbone
  interfaces addressed in FRR (zebra) with ``ip ospf network point-to-point`` (no DR election
  wait on a two-router link);
* ``router ospf`` / ``ospf router-id`` / ``network <subnet> area 0`` statements (never
  interface-level ``ip ospf area``); the core also announces the probe net and
  ``default-information originate always``;
* core BGP: ``router bgp 65010`` to the provider (``neighbor 198.51.100.1 remote-as 64500``) with
  the ``NETPROV-INTERNET-OUT`` prefix-list outbound whose ``seq 5`` denies all of 10.0.0.0/8;
* CPE routers: hostname and ``router ospf`` with a router-id only. The topology gives CPEs no
  router-id, so the lab derives ``10.254.0.<ssh_port - 2200>`` (cpe ports 2211-2215 give
  .11-.15, outside the core/distribution loopbacks .1-.3).

bgpd listens on the standard port 179: every router has its own network namespace, so the
port is free in each of them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from netprov.domain.topology import Device, Topology

NS_PREFIX = "np-"
VETH_PREFIX = "npv"
FRR_DAEMONS = ("zebra", "staticd", "ospfd", "bgpd")
SSH_PORT_IN_NS = 22
PROBE_ROUTES = ("10.0.0.0/8", "198.51.100.0/24", "203.0.113.0/24")


@dataclass(frozen=True)
class Router:
    """One router of the lab (FRR or BIRD) in its own network namespace."""

    name: str
    platform: str  # frr | bird2
    role: str
    port: int
    netns: str
    interfaces: tuple[str, ...]
    kernel_addresses: tuple[tuple[str, str], ...] = ()  # (ifname, cidr) set with `ip`, not FRR
    dummies: tuple[str, ...] = ()
    baseline: str = ""


@dataclass(frozen=True)
class Veth:
    """A cable: a veth pair whose ends are renamed to the routers' interface names."""

    a_ns: str
    a_if: str
    b_ns: str
    b_if: str
    tmp_a: str
    tmp_b: str


@dataclass(frozen=True)
class Switch:
    """A fake-switches device (Cisco IOS syntax over SSH on 127.0.0.1)."""

    name: str
    model: str
    port: int
    role: str = "access"
    platform: str = "ios"


@dataclass(frozen=True)
class LabPlan:
    """Everything `up` builds."""

    routers: tuple[Router, ...]
    veths: tuple[Veth, ...]
    switches: tuple[Switch, ...]
    probe_ns: str
    probe_core: str
    probe_core_if: str
    probe_core_address: str
    probe_if: str
    probe_address: str
    probe_gateway: str
    probe_routes: tuple[str, ...] = field(default=PROBE_ROUTES)

    def router(self, name: str) -> Router:
        for r in self.routers:
            if r.name == name:
                return r
        raise KeyError(name)


def netns_name(device: str) -> str:
    return f"{NS_PREFIX}{device}"


def cpe_router_id(device: Device) -> ipaddress.IPv4Address:
    """A CPE's OSPF router-id: ``10.254.0.<ssh_port - 2200>`` (the topology gives none)."""
    if device.router_id is not None:
        return device.router_id
    host = device.ssh_port - 2200
    if not 1 <= host <= 254:
        raise ValueError(f"{device.name}: cannot derive a router-id from ssh_port {device.ssh_port}")
    return ipaddress.IPv4Address(f"10.254.0.{host}")


def _frr_interfaces(topo: Topology, name: str) -> dict[str, str | None]:
    """Interfaces of an FRR router -> backbone address (or None for pre-cabled, unaddressed)."""
    out: dict[str, str | None] = {}
    for link in topo.backbone_links:
        for end in (link.a, link.b):
            if end.device == name:
                out[end.interface] = str(end.address) if end.address else None
    for c in topo.cpe_links:
        for end in (c.dist, c.cpe):
            if end.device == name:
                out[end.interface] = None
    if topo.probe.core.device == name:
        out[topo.probe.core.interface] = str(topo.probe.core.address)
    return out


def _ospf_interfaces(topo: Topology, name: str) -> set[str]:
    """Backbone interfaces of ``name`` that run OSPF (both ends FRR, ospf_area set)."""
    out: set[str] = set()
    for link in topo.backbone_links:
        if link.ospf_area is None:
            continue
        for end in (link.a, link.b):
            if end.device == name:
                out.add(end.interface)
    return out


def frr_baseline(topo: Topology, device: Device) -> str:
    """The startup ``frr.conf`` of an FRR router (see the module docstring for conventions)."""
    lines = ["frr defaults traditional", f"hostname {device.name}", "service integrated-vtysh-config", "!"]
    ifaces = _frr_interfaces(topo, device.name)
    ospf_ifs = _ospf_interfaces(topo, device.name)
    networks: list[str] = []
    for ifname in sorted(ifaces):
        addr = ifaces[ifname]
        if addr is None:
            continue
        lines.append(f"interface {ifname}")
        lines.append(f" ip address {addr}")
        if ifname in ospf_ifs:
            lines.append(" ip ospf network point-to-point")
            lines.append(" ip ospf hello-interval 1")
            lines.append(" ip ospf dead-interval 4")
            lines.append(" ip ospf retransmit-interval 1")
            networks.append(str(ipaddress.IPv4Interface(addr).network))
        lines += ["exit", "!"]
    if device.role in ("core", "distribution") and device.loopback is not None:
        lines += ["interface lo", f" ip address {device.loopback}", "exit", "!"]
        networks.append(str(device.loopback.network))
    if device.role == "core":
        networks.append(str(topo.probe.core.address.network) if topo.probe.core.address else "")
        networks = [n for n in networks if n]
        bgp = _core_bgp(topo, device)
        lines += bgp
    router_id = device.router_id if device.router_id is not None else cpe_router_id(device)
    lines += ["router ospf", f" ospf router-id {router_id}"]
    if device.role in ("core", "distribution"):
        # FRR re-originates a router LSA at most every 5 s by default: at start-up, with links
        # coming up one by one, that delays convergence by 10+ s
        lines += [" timers throttle lsa all 0", " timers throttle spf 0 50 1000", " timers lsa min-arrival 0"]
    for net in sorted(set(networks), key=lambda n: ipaddress.IPv4Network(n)):
        lines.append(f" network {net} area 0")
    if device.role == "core":
        lines.append(" default-information originate always")
    lines += ["exit", "!"]
    if device.role == "core":
        lines += ["ip prefix-list NETPROV-INTERNET-OUT seq 5 deny 10.0.0.0/8 le 32", "!"]
    return "\n".join(lines) + "\nend\n"


def _ebgp_link(topo: Topology) -> tuple[str, str, str, str]:
    """(core if, core address, provider if, provider address) of the eBGP link."""
    provider = topo.provider().name
    for link in topo.backbone_links:
        if not link.ebgp:
            continue
        a, b = (link.a, link.b) if link.b.device == provider else (link.b, link.a)
        if a.address is None or b.address is None:
            raise ValueError("the eBGP backbone link needs addresses on both ends")
        return a.interface, str(a.address), b.interface, str(b.address)
    raise ValueError("topology has no eBGP backbone link")


def _core_bgp(topo: Topology, core: Device) -> list[str]:
    _, _, _, peer_addr = _ebgp_link(topo)
    peer = str(ipaddress.IPv4Interface(peer_addr).ip)
    provider = topo.provider()
    return [
        f"router bgp {topo.asn}",
        f" bgp router-id {core.router_id}",
        " no bgp ebgp-requires-policy",
        f" neighbor {peer} remote-as {provider.asn}",
        " !",
        " address-family ipv4 unicast",
        f"  neighbor {peer} prefix-list NETPROV-INTERNET-OUT out",
        " exit-address-family",
        "exit",
        "!",
    ]


def bird_baseline(topo: Topology) -> str:
    """The provider edge's ``bird.conf``: eBGP to the core, exports its /32, imports customers."""
    provider = topo.provider()
    core_if, core_addr, _, pe_addr = _ebgp_link(topo)
    del core_if
    core_ip = ipaddress.IPv4Interface(core_addr).ip
    pe_ip = ipaddress.IPv4Interface(pe_addr).ip
    internet = topo.pools["internet"].prefix
    loopback = provider.loopback
    return (
        f"# netprov lab baseline: {provider.name} (BIRD 2), AS {provider.asn}\n"
        f"router id {provider.router_id};\n"
        "\n"
        "protocol device {\n}\n"
        "\n"
        'protocol direct {\n  ipv4;\n  interface "lo", "eth*";\n}\n'
        "\n"
        "protocol kernel {\n  ipv4 { import none; export where source = RTS_BGP; };\n}\n"
        "\n"
        "filter netprov_customers_in {\n"
        f"  if net ~ [ {internet}{{{internet.prefixlen},32}} ] then accept;\n"
        "  reject;\n"
        "}\n"
        "\n"
        "filter netprov_provider_out {\n"
        f"  if net = {loopback.network if loopback else '198.51.100.254/32'} then accept;\n"
        "  reject;\n"
        "}\n"
        "\n"
        "protocol bgp city {\n"
        f"  local {pe_ip} as {provider.asn};\n"
        f"  neighbor {core_ip} as {topo.asn};\n"
        "  ipv4 {\n"
        "    import filter netprov_customers_in;\n"
        "    export filter netprov_provider_out;\n"
        "  };\n"
        "}\n"
    )


def build_plan(topo: Topology) -> LabPlan:
    """Turn the topology into namespaces, veth cables, baseline configs and switches."""
    routers: list[Router] = []
    provider = topo.provider()
    _, _, pe_if, pe_addr = _ebgp_link(topo)
    for d in topo.devices:
        if d.platform == "frr":
            ifaces = tuple(sorted(_frr_interfaces(topo, d.name)))
            dummies = (d.lan_interface,) if d.role == "cpe" and d.lan_interface else ()
            routers.append(
                Router(
                    d.name,
                    "frr",
                    d.role,
                    d.ssh_port,
                    netns_name(d.name),
                    ifaces,
                    (),
                    dummies,
                    frr_baseline(topo, d),
                )
            )
        elif d.platform == "bird2":
            kernel = [(pe_if, pe_addr)]
            if d.loopback is not None:
                kernel.append(("lo", str(d.loopback)))
            routers.append(
                Router(
                    d.name,
                    "bird2",
                    d.role,
                    d.ssh_port,
                    netns_name(d.name),
                    (pe_if,),
                    tuple(kernel),
                    (),
                    bird_baseline(topo),
                )
            )
    del provider
    veths: list[Veth] = []
    cables = [(link.a, link.b) for link in topo.backbone_links]
    cables += [(c.dist, c.cpe) for c in topo.cpe_links]
    for i, (a, b) in enumerate(cables, start=1):
        veths.append(
            Veth(
                netns_name(a.device),
                a.interface,
                netns_name(b.device),
                b.interface,
                f"{VETH_PREFIX}{i}a",
                f"{VETH_PREFIX}{i}b",
            )
        )
    switches = tuple(
        Switch(d.name, d.model or "cisco_generic", d.ssh_port) for d in topo.devices if d.platform == "ios"
    )
    probe = topo.probe
    if probe.core.address is None:
        raise ValueError("topology probe.core needs an address")
    return LabPlan(
        routers=tuple(routers),
        veths=tuple(veths),
        switches=switches,
        probe_ns=probe.namespace,
        probe_core=netns_name(probe.core.device),
        probe_core_if=probe.core.interface,
        probe_core_address=str(probe.core.address),
        probe_if="eth0",
        probe_address=str(probe.probe_address),
        probe_gateway=str(probe.core.address.ip),
    )
