"""Load the city network (``inventory/topology.yaml``) into NetBox, idempotently.

Each kind of object is read with one list call, compared with what the topology wants, and
written with at most one bulk create and one bulk update. A second run writes nothing
(``created == updated == 0``). Fields that allocations change (port marks, interface tags)
are not managed here, so a seed never clobbers a reservation.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from netprov.domain.topology import Topology, load_topology
from netprov.errors import NetBoxError
from netprov.lab import Progress
from netprov.netbox import naming as nm
from netprov.netbox.client import connect, credentials, netbox_errors
from netprov.platforms import netbox_model
from netprov.settings import Settings

PAGE = 1000

ROLE_COLORS = {"core": "f44336", "distribution": "ff9800", "cpe": "4caf50",
               "provider": "9e9e9e", "access": "2196f3"}
ROLE_NAMES = {"core": "Core", "distribution": "Distribution", "cpe": "CPE OPD",
              "provider": "Provider", "access": "Access switch"}
PLATFORM_MODELS = {"frr": "FRR router (netns)", "bird2": "BIRD 2 router (netns)",
                   "ios": "IOS switch"}

CUSTOM_FIELDS: list[dict[str, Any]] = [
    {"name": nm.CF_REQUEST, "label": "netprov request", "type": "text", "filter_logic": "exact",
     "object_types": ["ipam.prefix", "ipam.ipaddress", "ipam.vlan", "dcim.interface"],
     "description": "Request (Permohonan Jaringan Baru) that reserved this object"},
    {"name": nm.CF_BANDWIDTH, "label": "Bandwidth (Mbps)", "type": "integer",
     "object_types": ["ipam.prefix"], "description": "Committed bandwidth of the link"},
    {"name": nm.CF_SERVICE, "label": "netprov service", "type": "text", "filter_logic": "exact",
     "object_types": ["ipam.prefix", "dcim.interface"],
     "description": "intranet or internet"},
    {"name": nm.CF_UPLINK_CAPACITY, "label": "Uplink capacity (Mbps)", "type": "integer",
     "object_types": ["dcim.interface"],
     "description": "Capacity that requests of this service may commit (step 4 headroom)"},
    {"name": nm.CF_SSH_PORT, "label": "SSH port", "type": "integer",
     "object_types": ["dcim.device"], "description": "Management SSH port"},
    {"name": nm.CF_SSH_HOST, "label": "SSH host", "type": "text", "filter_logic": "exact",
     "object_types": ["dcim.device"],
     "description": "Management host (the lab exposes devices on 127.0.0.1)"},
]
NAPALM_DRIVER_CF = {"name": nm.CF_NAPALM_DRIVER, "label": "NAPALM driver", "type": "text",
                    "object_types": ["dcim.platform"],
                    "description": "NAPALM driver name (NetBox 4 has no platform field)"}


# ------------------------------------------------------------------------------ pure comparison


def _norm(value: Any) -> Any:
    """Existing NetBox values in the shape we write: choices -> value, objects -> id."""
    if isinstance(value, dict):
        if "value" in value and "label" in value:
            return value["value"]
        if "id" in value:
            return value["id"]
        return value
    if isinstance(value, list):
        items = [_norm(v) for v in value]
        if all(isinstance(i, int | str) for i in items):
            return sorted(items, key=str)
        return items
    return value


def _want(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(i, int | str) for i in value):
        return sorted(value, key=str)
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv4Interface):
        return str(value)
    return value


def diff(desired: dict[str, Any], existing: dict[str, Any]) -> dict[str, Any]:
    """Fields of ``desired`` whose value differs in ``existing`` (custom fields per key).

    >>> diff({"status": "active", "tenant": 3}, {"status": {"value": "active", "label": "A"},
    ...                                          "tenant": {"id": 4, "name": "x"}})
    {'tenant': 3}
    """
    out: dict[str, Any] = {}
    for key, want in desired.items():
        have = existing.get(key)
        if key == "custom_fields":
            have_cf = have if isinstance(have, dict) else {}
            if any(have_cf.get(k) != v for k, v in want.items()):
                out[key] = want
            continue
        if _want(want) != _norm(have):
            out[key] = want
    return out


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    per_kind: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, created: int, updated: int, unchanged: int) -> None:
        self.created += created
        self.updated += updated
        self.unchanged += unchanged
        kind = kind.lower().replace(" ", "_")
        if created:
            self.per_kind[f"{kind}_created"] = self.per_kind.get(f"{kind}_created", 0) + created
        if updated:
            self.per_kind[f"{kind}_updated"] = self.per_kind.get(f"{kind}_updated", 0) + updated


# ------------------------------------------------------------------------------ the seeder


class Seeder:
    """Reconciles NetBox with the topology, one kind of object at a time."""

    def __init__(self, api: Any, topo: Topology, progress: Progress) -> None:
        self.api = api
        self.topo = topo
        self.progress = progress
        self.counts = Counts()
        self.ids: dict[str, dict[Hashable, int]] = {}

    def sync(self, kind: str, endpoint: Any, desired: list[dict[str, Any]],
             key: Callable[[dict[str, Any]], Hashable], **list_filters: Any) -> dict[Hashable, int]:
        """Create missing objects, update differing ones; return key -> id."""
        with netbox_errors(f"reading {kind}"):
            existing = {key(dict(r)): dict(r) for r in endpoint.filter(limit=PAGE, **list_filters)}
        creates: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        ids: dict[Hashable, int] = {}
        for want in desired:
            k = key(want)
            have = existing.get(k)
            if have is None:
                creates.append(want)
                continue
            ids[k] = int(have["id"])
            changed = diff(want, have)
            if changed:
                updates.append({"id": int(have["id"]), **changed})
        with netbox_errors(f"writing {kind}"):
            if creates:
                made = endpoint.create(creates)
                for rec in made if isinstance(made, list) else [made]:
                    ids[key(dict(rec))] = int(rec.id)
            if updates:
                endpoint.update(updates)
        self.counts.add(kind, len(creates), len(updates), len(desired) - len(creates) - len(updates))
        if creates or updates:
            self.progress(f"{kind}: {len(creates)} created, {len(updates)} updated")
        self.ids[kind] = ids
        return ids

    # -------------------------------------------------------------------- kinds

    def run(self) -> None:
        api, topo = self.api, self.topo
        tag_id = self.sync("tags", api.extras.tags, [
            {"name": nm.TAG, "slug": nm.TAG, "color": nm.TAG_COLOR,
             "description": "Managed by netprov"}], key=lambda r: r["slug"])[nm.TAG]
        platform_has_driver = self._platform_has_napalm_field()
        cfs = list(CUSTOM_FIELDS) + ([] if platform_has_driver else [NAPALM_DRIVER_CF])
        self.sync("custom fields", api.extras.custom_fields, cfs, key=lambda r: r["name"])

        # organisation
        areas = sorted({s.area for s in topo.sites if s.area})
        regions = self.sync("regions", api.dcim.regions, [
            {"name": self._area_name(a), "slug": a} for a in areas], key=lambda r: r["slug"])
        tenants = self.sync("tenants", api.tenancy.tenants, [
            {"name": t.name, "slug": t.slug} for t in topo.tenants], key=lambda r: r["slug"])
        sites = self.sync("sites", api.dcim.sites, [
            {"name": s.name, "slug": s.slug, "status": "active", "tenant": tenants[s.tenant],
             "region": regions[s.area] if s.area else None, "physical_address": s.address,
             "tags": [tag_id]} for s in topo.sites], key=lambda r: r["slug"])

        # device catalogue
        makers = sorted({p.manufacturer for p in topo.platforms})
        mfr = self.sync("manufacturers", api.dcim.manufacturers, [
            {"name": m, "slug": nm.slugify(m)} for m in makers], key=lambda r: r["slug"])
        roles_used = sorted({d.role for d in topo.devices})
        droles = self.sync("device roles", api.dcim.device_roles, [
            {"name": ROLE_NAMES.get(r, r.title()), "slug": r, "color": ROLE_COLORS.get(r, "9e9e9e")}
            for r in roles_used], key=lambda r: r["slug"])
        plats = []
        for p in topo.platforms:
            want: dict[str, Any] = {"name": p.name, "slug": p.slug,
                                    "manufacturer": mfr[nm.slugify(p.manufacturer)]}
            if platform_has_driver:
                want["napalm_driver"] = p.napalm_driver
            else:
                want["custom_fields"] = {nm.CF_NAPALM_DRIVER: p.napalm_driver}
            plats.append(want)
        platforms = self.sync("platforms", api.dcim.platforms, plats, key=lambda r: r["slug"])
        dtypes_wanted: dict[str, dict[str, Any]] = {}
        for d in topo.devices:
            model = d.model or netbox_model(d.platform)
            maker = topo.platform(d.platform).manufacturer
            slug = nm.slugify(f"{maker}-{model}")
            dtypes_wanted[slug] = {"manufacturer": mfr[nm.slugify(maker)], "model": model,
                                   "slug": slug}
        dtypes = self.sync("device types", api.dcim.device_types, list(dtypes_wanted.values()),
                           key=lambda r: r["slug"])

        # devices (primary IPs are set after the addresses exist)
        devs: list[dict[str, Any]] = []
        for d in topo.devices:
            model = d.model or netbox_model(d.platform)
            maker = topo.platform(d.platform).manufacturer
            site = topo.site(d.site)
            tenant = site.tenant if d.role in ("cpe", "access") else topo.sites[0].tenant
            devs.append({
                "name": d.name, "role": droles[d.role], "platform": platforms[d.platform],
                "device_type": dtypes[nm.slugify(f"{maker}-{model}")], "site": sites[d.site],
                "tenant": tenants[tenant], "status": "active", "tags": [tag_id],
                "custom_fields": {nm.CF_SSH_PORT: d.ssh_port, nm.CF_SSH_HOST: "127.0.0.1"},
            })
        devices = self.sync("devices", api.dcim.devices, devs, key=lambda r: r["name"],
                            name=[d.name for d in topo.devices])
        dev_ids = {str(k): v for k, v in devices.items()}

        ifaces = self._interfaces(dev_ids)
        self._cables(ifaces)
        self._prefixes(tag_id, tenants, sites)
        ips = self._addresses(tag_id, ifaces)
        self._primary_ips(dev_ids, ips)
        self.sync("VLAN groups", api.ipam.vlan_groups, [
            {"name": g.name, "slug": g.slug, "scope_type": "dcim.site",
             "scope_id": sites[g.site], "vid_ranges": [[g.min_vid, g.max_vid]],
             "tags": [tag_id]} for g in topo.vlan_groups], key=lambda r: r["slug"])

    def _area_name(self, area: str) -> str:
        for s in self.topo.sites:
            if s.area == area and s.slug.startswith("pop-"):
                return s.name.replace("POP Distribusi", "").strip() or area
        return area.title()

    def _platform_has_napalm_field(self) -> bool:
        with netbox_errors("reading platforms"):
            sample = list(self.api.dcim.platforms.filter(limit=1))
        if sample:
            return "napalm_driver" in dict(sample[0])
        # no platform yet: NetBox 4.x dropped the field; use the custom field
        return False

    def _interfaces(self, dev_ids: dict[str, int]) -> dict[tuple[str, str], int]:
        topo = self.topo
        want: dict[tuple[str, str], dict[str, Any]] = {}

        def add(device: str, name: str, **extra: Any) -> None:
            key = (device, name)
            if key not in want:
                kind = "virtual" if name == "lo" else (
                    "100base-tx" if name.startswith("FastEthernet") else "1000base-t")
                want[key] = {"device": dev_ids[device], "name": name, "type": kind}
            want[key].update(extra)

        for d in topo.devices:
            if d.loopback is not None:
                add(d.name, "lo", description="Loopback")
            if d.lan_interface:
                add(d.name, d.lan_interface, label=nm.LAN_LABEL)
        for b in topo.backbone_links:
            add(b.a.device, b.a.interface, description=f"ke {b.b.device} {b.b.interface}")
            add(b.b.device, b.b.interface, description=f"ke {b.a.device} {b.a.interface}")
        for c in topo.cpe_links:
            add(c.dist.device, c.dist.interface)
            add(c.cpe.device, c.cpe.interface, description=f"ke {c.dist.device} {c.dist.interface}")
        for a in topo.access_links:
            add(a.cpe.device, a.cpe.interface, label=nm.LAN_LABEL)
            add(a.switch.device, a.switch.interface,
                description=f"uplink ke {a.cpe.device} {a.cpe.interface}")
            for port in a.access_ports:
                add(a.switch.device, port, description="port akses OPD")
        add(topo.probe.core.device, topo.probe.core.interface, description="probe monitoring")
        for u in topo.uplinks:
            add(u.device, u.interface, description=u.description, custom_fields={
                nm.CF_UPLINK_CAPACITY: u.capacity_mbps, nm.CF_SERVICE: u.service})
        name_of = {v: k for k, v in dev_ids.items()}
        ids = self.sync("interfaces", self.api.dcim.interfaces, list(want.values()),
                        key=lambda r: (name_of.get(_ref(r["device"]) or 0, str(r["device"])),
                                       r["name"]),
                        device_id=list(dev_ids.values()))
        return {(str(k[0]), str(k[1])): v for k, v in ids.items() if isinstance(k, tuple)}

    def _cables(self, ifaces: dict[tuple[str, str], int]) -> None:
        topo = self.topo
        pairs = [(b.a.device, b.a.interface, b.b.device, b.b.interface) for b in topo.backbone_links]
        pairs += [(c.dist.device, c.dist.interface, c.cpe.device, c.cpe.interface)
                  for c in topo.cpe_links]
        pairs += [(a.cpe.device, a.cpe.interface, a.switch.device, a.switch.interface)
                  for a in topo.access_links]
        with netbox_errors("reading cabled interfaces"):
            cabled = {int(r.id): dict(r) for r in self.api.dcim.interfaces.filter(
                limit=PAGE, id=list(ifaces.values()), cabled=True)}
        creates = []
        unchanged = conflicts = 0
        for ad, ai, bd, bi in pairs:
            a, b = ifaces[(ad, ai)], ifaces[(bd, bi)]
            have_a, have_b = cabled.get(a), cabled.get(b)
            if have_a is None and have_b is None:
                creates.append({
                    "a_terminations": [{"object_type": "dcim.interface", "object_id": a}],
                    "b_terminations": [{"object_type": "dcim.interface", "object_id": b}],
                    "status": "connected", "label": f"{ad}:{ai}-{bd}:{bi}"[:100]})
            elif have_a is not None and any(_ref(p) == b for p in have_a.get("link_peers") or []):
                unchanged += 1
            else:
                conflicts += 1
                self.progress(f"cable {ad} {ai} - {bd} {bi}: ports cabled elsewhere, left as is")
        if creates:
            with netbox_errors("creating cables"):
                self.api.dcim.cables.create(creates)
            self.progress(f"cables: {len(creates)} created")
        self.counts.add("cables", len(creates), 0, unchanged + conflicts)

    def _prefixes(self, tag_id: int, tenants: dict[Hashable, int],
                  sites: dict[Hashable, int]) -> None:
        topo = self.topo
        roles_wanted = {}
        for name in ("intranet", "internet", "transfer", "backbone", "loopback", "management"):
            pool = getattr(topo.pools, name)
            roles_wanted[pool.role] = {"name": pool.role.replace("-", " ").title().replace(
                "Opd", "OPD"), "slug": pool.role, "description": pool.description}
        roles = self.sync("prefix roles", self.api.ipam.roles, list(roles_wanted.values()),
                          key=lambda r: r["slug"])
        want: list[dict[str, Any]] = []
        for name in ("intranet", "internet", "transfer", "backbone", "loopback", "management"):
            pool = getattr(topo.pools, name)
            want.append({"prefix": str(pool.prefix), "status": "container",
                         "role": roles[pool.role], "description": pool.description,
                         "tags": [tag_id]})
        for b in topo.backbone_links:
            if b.a.address is None:
                continue
            net = b.a.address.network
            role = topo.pools.backbone.role
            desc = f"{b.a.device} {b.a.interface} - {b.b.device} {b.b.interface}"
            want.append({"prefix": str(net), "status": "active", "role": roles[role],
                         "description": desc, "tags": [tag_id]})
        probe_net = topo.probe.probe_address.network
        want.append({"prefix": str(probe_net), "status": "active",
                     "role": roles[topo.pools.management.role],
                     "description": "Probe monitoring (netprov-mon)", "tags": [tag_id]})
        for link in topo.existing_links:
            pool = getattr(topo.pools, link.service)
            want.append({
                "prefix": str(link.prefix), "status": "active", "role": roles[pool.role],
                "tenant": tenants[link.opd], "scope_type": "dcim.site",
                "scope_id": sites[link.site], "description": link.description,
                "tags": [tag_id],
                "custom_fields": {nm.CF_REQUEST: link.request,
                                  nm.CF_BANDWIDTH: link.bandwidth_mbps,
                                  nm.CF_SERVICE: link.service},
            })
        self.sync("prefixes", self.api.ipam.prefixes, want, key=lambda r: str(r["prefix"]),
                  prefix=[w["prefix"] for w in want])

    def _addresses(self, tag_id: int, ifaces: dict[tuple[str, str], int]) -> dict[str, int]:
        topo = self.topo
        want: list[dict[str, Any]] = []

        def add(address: ipaddress.IPv4Interface, device: str, iface: str, desc: str,
                role: str | None = None) -> None:
            body: dict[str, Any] = {
                "address": str(address), "status": "active", "description": desc,
                "assigned_object_type": "dcim.interface",
                "assigned_object_id": ifaces[(device, iface)], "tags": [tag_id]}
            if role:
                body["role"] = role
            want.append(body)

        for d in topo.devices:
            if d.loopback is not None:
                add(d.loopback, d.name, "lo", f"loopback {d.name}", role="loopback")
        for b in topo.backbone_links:
            for end, other in ((b.a, b.b), (b.b, b.a)):
                if end.address is not None:
                    add(end.address, end.device, end.interface, f"ke {other.device}")
        core = topo.probe.core
        if core.address is not None:
            add(core.address, core.device, core.interface, "probe monitoring")
        ids = self.sync("IP addresses", self.api.ipam.ip_addresses, want,
                        key=lambda r: str(r["address"]), address=[w["address"] for w in want])
        return {str(k): v for k, v in ids.items()}

    def _primary_ips(self, dev_ids: dict[str, int], ips: dict[str, int]) -> None:
        want = []
        for d in self.topo.devices:
            if d.loopback is not None:
                want.append({"name": d.name, "primary_ip4": ips[str(d.loopback)]})
        self.sync("primary IPs", self.api.dcim.devices, want, key=lambda r: r["name"],
                  name=[w["name"] for w in want])


def _ref(value: Any) -> int | None:
    if isinstance(value, dict):
        v = value.get("id")
        return int(v) if v is not None else None
    if isinstance(value, int):
        return value
    return None


def seed_netbox(settings: Settings, progress: Progress) -> dict[str, int]:
    """Load the topology into NetBox; returns counts (created, updated, unchanged, api_calls)."""
    url, token = credentials(settings)
    topo = load_topology(settings.topology_file)
    api, counter = connect(url, token)
    seeder = Seeder(api, topo, progress)
    try:
        seeder.run()
    except KeyError as exc:
        raise NetBoxError(f"seed: topology refers to an unknown object {exc}") from exc
    c = seeder.counts
    progress(f"seed done: {c.created} created, {c.updated} updated, {c.unchanged} unchanged, "
             f"{counter.count} API calls")
    return {"created": c.created, "updated": c.updated, "unchanged": c.unchanged,
            "api_calls": counter.count, **c.per_kind}
