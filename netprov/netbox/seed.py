"""Load the city network (``inventory/topology.yaml``) into NetBox, idempotently.

Each kind of object is read with one list call, compared with what the topology wants, and
written with at most one bulk create and one bulk update. A second run writes nothing
(``created == updated == 0``). Fields that allocations change (port marks, interface tags)
are not managed here, so a seed never clobbers a reservation.

The comparison is in :mod:`~netprov.netbox.seed_diff`, the generic reconcile in
:mod:`~netprov.netbox.seed_sync`, the network kinds in :mod:`~netprov.netbox.seed_network`.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from netprov.domain.topology import load_topology
from netprov.errors import NetBoxError
from netprov.netbox import naming as nm
from netprov.netbox import seed_diff, seed_fields, seed_network, seed_sync
from netprov.netbox.client import connect, credentials, netbox_errors
from netprov.platforms import netbox_model
from netprov.progress import Progress
from netprov.settings import Settings

Ids = dict[Hashable, int]  # what Seeder.sync returns: key -> NetBox id

# Re-exported: they lived here before the split.
PAGE = seed_sync.PAGE
SyncBase = seed_sync.SyncBase
NetworkSeeder = seed_network.NetworkSeeder
Counts = seed_diff.Counts
diff = seed_diff.diff
_norm = seed_diff._norm
_want = seed_diff._want
_ref = seed_sync._ref
CUSTOM_FIELDS = seed_fields.CUSTOM_FIELDS
NAPALM_DRIVER_CF = seed_fields.NAPALM_DRIVER_CF

__all__ = [
    "CUSTOM_FIELDS",
    "NAPALM_DRIVER_CF",
    "PAGE",
    "ROLE_COLORS",
    "ROLE_NAMES",
    "Counts",
    "NetworkSeeder",
    "Seeder",
    "SyncBase",
    "_norm",
    "_ref",
    "_want",
    "diff",
    "seed_netbox",
]

ROLE_COLORS = {
    "core": "f44336",
    "distribution": "ff9800",
    "cpe": "4caf50",
    "provider": "9e9e9e",
    "access": "2196f3",
}
ROLE_NAMES = {
    "core": "Core",
    "distribution": "Distribution",
    "cpe": "CPE OPD",
    "provider": "Provider",
    "access": "Access switch",
}

# ------------------------------------------------------------------------------ the seeder


class Seeder(seed_network.NetworkSeeder):
    """Reconciles NetBox with the topology, one kind of object at a time."""

    def run(self) -> None:
        """Seed every kind, in dependency order (a kind refers to ids of the ones before)."""
        tag_id, platform_has_driver = self._tags_and_fields()
        tenants, sites = self._organisation(tag_id)
        droles, platforms, dtypes = self._catalogue(platform_has_driver)
        dev_ids = self._devices(tag_id, tenants, sites, droles, platforms, dtypes)
        ifaces = self._interfaces(dev_ids)
        self._cables(ifaces)
        self._prefixes(tag_id, tenants, sites)
        ips = self._addresses(tag_id, ifaces)
        self._primary_ips(dev_ids, ips)
        self.sync(
            "VLAN groups",
            self.api.ipam.vlan_groups,
            [
                {
                    "name": g.name,
                    "slug": g.slug,
                    "scope_type": "dcim.site",
                    "scope_id": sites[g.site],
                    "vid_ranges": [[g.min_vid, g.max_vid]],
                    "tags": [tag_id],
                }
                for g in self.topo.vlan_groups
            ],
            key=lambda r: r["slug"],
        )

    def _tags_and_fields(self) -> tuple[int, bool]:
        """The netprov tag and the custom fields; returns (tag id, platforms have a NAPALM field)."""
        api = self.api
        tag_id = self.sync(
            "tags",
            api.extras.tags,
            [{"name": nm.TAG, "slug": nm.TAG, "color": nm.TAG_COLOR, "description": "Managed by netprov"}],
            key=lambda r: r["slug"],
        )[nm.TAG]
        platform_has_driver = self._platform_has_napalm_field()
        cfs = list(CUSTOM_FIELDS) + ([] if platform_has_driver else [NAPALM_DRIVER_CF])
        self.sync("custom fields", api.extras.custom_fields, cfs, key=lambda r: r["name"])
        return tag_id, platform_has_driver

    def _organisation(self, tag_id: int) -> tuple[Ids, Ids]:
        """Regions, tenants (departments) and sites; returns (tenant ids, site ids)."""
        api, topo = self.api, self.topo
        # organisation
        areas = sorted({s.area for s in topo.sites if s.area})
        regions = self.sync(
            "regions",
            api.dcim.regions,
            [{"name": self._area_name(a), "slug": a} for a in areas],
            key=lambda r: r["slug"],
        )
        tenants = self.sync(
            "tenants",
            api.tenancy.tenants,
            [{"name": t.name, "slug": t.slug} for t in topo.tenants],
            key=lambda r: r["slug"],
        )
        sites = self.sync(
            "sites",
            api.dcim.sites,
            [
                {
                    "name": s.name,
                    "slug": s.slug,
                    "status": "active",
                    "tenant": tenants[s.tenant],
                    "region": regions[s.area] if s.area else None,
                    "physical_address": s.address,
                    "tags": [tag_id],
                }
                for s in topo.sites
            ],
            key=lambda r: r["slug"],
        )
        return tenants, sites

    def _catalogue(self, platform_has_driver: bool) -> tuple[Ids, Ids, Ids]:
        """Manufacturers, device roles, platforms, device types; returns roles, platforms, types."""
        api, topo = self.api, self.topo
        # device catalogue
        makers = sorted({p.manufacturer for p in topo.platforms})
        mfr = self.sync(
            "manufacturers",
            api.dcim.manufacturers,
            [{"name": m, "slug": nm.slugify(m)} for m in makers],
            key=lambda r: r["slug"],
        )
        roles_used = sorted({d.role for d in topo.devices})
        droles = self.sync(
            "device roles",
            api.dcim.device_roles,
            [
                {"name": ROLE_NAMES.get(r, r.title()), "slug": r, "color": ROLE_COLORS.get(r, "9e9e9e")}
                for r in roles_used
            ],
            key=lambda r: r["slug"],
        )
        plats = []
        for p in topo.platforms:
            want: dict[str, Any] = {
                "name": p.name,
                "slug": p.slug,
                "manufacturer": mfr[nm.slugify(p.manufacturer)],
            }
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
            dtypes_wanted[slug] = {"manufacturer": mfr[nm.slugify(maker)], "model": model, "slug": slug}
        dtypes = self.sync(
            "device types", api.dcim.device_types, list(dtypes_wanted.values()), key=lambda r: r["slug"]
        )
        return droles, platforms, dtypes

    def _devices(
        self, tag_id: int, tenants: Ids, sites: Ids, droles: Ids, platforms: Ids, dtypes: Ids
    ) -> dict[str, int]:
        """The devices; returns name -> id."""
        api, topo = self.api, self.topo
        # devices (primary IPs are set after the addresses exist)
        devs: list[dict[str, Any]] = []
        for d in topo.devices:
            model = d.model or netbox_model(d.platform)
            maker = topo.platform(d.platform).manufacturer
            site = topo.site(d.site)
            tenant = site.tenant if d.role in ("cpe", "access") else topo.sites[0].tenant
            devs.append(
                {
                    "name": d.name,
                    "role": droles[d.role],
                    "platform": platforms[d.platform],
                    "device_type": dtypes[nm.slugify(f"{maker}-{model}")],
                    "site": sites[d.site],
                    "tenant": tenants[tenant],
                    "status": "active",
                    "tags": [tag_id],
                    "custom_fields": {nm.CF_SSH_PORT: d.ssh_port, nm.CF_SSH_HOST: "127.0.0.1"},
                }
            )
        devices = self.sync(
            "devices", api.dcim.devices, devs, key=lambda r: r["name"], name=[d.name for d in topo.devices]
        )
        return {str(k): v for k, v in devices.items()}

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

    def _prefixes(self, tag_id: int, tenants: dict[Hashable, int], sites: dict[Hashable, int]) -> None:
        topo = self.topo
        roles_wanted = {}
        for pool in topo.pools.root.values():  # LAN pools (named by playbooks) and infra
            roles_wanted[pool.role] = {
                "name": pool.role.replace("-", " ").title().replace("Opd", "OPD"),
                "slug": pool.role,
                "description": pool.description,
            }
        roles = self.sync(
            "prefix roles", self.api.ipam.roles, list(roles_wanted.values()), key=lambda r: r["slug"]
        )
        want: list[dict[str, Any]] = []
        for pool in topo.pools.root.values():
            want.append(
                {
                    "prefix": str(pool.prefix),
                    "status": "container",
                    "role": roles[pool.role],
                    "description": pool.description,
                    "tags": [tag_id],
                }
            )
        for b in topo.backbone_links:
            if b.a.address is None:
                continue
            net = b.a.address.network
            role = topo.pools.backbone.role
            desc = f"{b.a.device} {b.a.interface} - {b.b.device} {b.b.interface}"
            want.append(
                {
                    "prefix": str(net),
                    "status": "active",
                    "role": roles[role],
                    "description": desc,
                    "tags": [tag_id],
                }
            )
        probe_net = topo.probe.probe_address.network
        want.append(
            {
                "prefix": str(probe_net),
                "status": "active",
                "role": roles[topo.pools.management.role],
                "description": "Probe monitoring (netprov-mon)",
                "tags": [tag_id],
            }
        )
        for link in topo.existing_links:
            pool = topo.pools[link.service]  # existing links: the pool named like the service
            want.append(
                {
                    "prefix": str(link.prefix),
                    "status": "active",
                    "role": roles[pool.role],
                    "tenant": tenants[link.opd],
                    "scope_type": "dcim.site",
                    "scope_id": sites[link.site],
                    "description": link.description,
                    "tags": [tag_id],
                    "custom_fields": {
                        nm.CF_REQUEST: link.request,
                        nm.CF_BANDWIDTH: link.bandwidth_mbps,
                        nm.CF_SERVICE: link.service,
                    },
                }
            )
        self.sync(
            "prefixes",
            self.api.ipam.prefixes,
            want,
            key=lambda r: str(r["prefix"]),
            prefix=[w["prefix"] for w in want],
        )


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
    progress(
        f"seed done: {c.created} created, {c.updated} updated, {c.unchanged} unchanged, "
        f"{counter.count} API calls"
    )
    return {
        "created": c.created,
        "updated": c.updated,
        "unchanged": c.unchanged,
        "api_calls": counter.count,
        **c.per_kind,
    }
