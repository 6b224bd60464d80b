"""The reads of a batch's allocation, shared by its requests (issue 13: NetBox calls).

One :class:`BatchReads` per batch allocation, inside its lock hold: every site in one call,
the interfaces of all the batch's sites in one, their distribution ports in one, the
distribution routers in one, the free space of each pool and VLAN group once, the VLAN names
held in one, the committed bandwidth once per (uplink service, region). From them one
:class:`~netprov.domain.planning.Survey` per request, as ``_survey`` reads it for one.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from netprov.domain.letters import Letter
from netprov.domain.planning import LinkRow, PoolRow, SiteRow, Survey, VlanGroupRow
from netprov.netbox import naming as nm
from netprov.netbox.client import netbox_errors
from netprov.netbox.reads import DIST_IFACE_FIELDS, SITE_IFACE_FIELDS, link_row, uplink_peer
from netprov.netbox.records import cf, obj_id, raw

if TYPE_CHECKING:
    from netprov.netbox.allocation import NetBoxAllocator

__all__ = ["BatchReads"]


class BatchReads:
    def __init__(self, ipam: NetBoxAllocator) -> None:
        self._ipam = ipam
        self._pool_rows: dict[int, PoolRow] = {}
        self._pool_recs: dict[int, Any] = {}

    def pool_record(self, pool_id: int) -> Any:
        return self._pool_recs[pool_id]

    def _sites(self, letters: dict[str, Letter]) -> dict[str, SiteRow | None]:
        ipam = self._ipam
        rows = ipam._static_read(("sites",), lambda: ipam._list(ipam._api.dcim.sites, "reading sites"))
        by_name = {str(r["name"]).strip().lower(): r for r in rows}
        by_slug = {str(r["slug"]): r for r in rows}
        out: dict[str, SiteRow | None] = {}
        for rid, letter in letters.items():
            name = letter.site.name.strip()
            r = by_name.get(name.lower()) or by_slug.get(nm.slugify(name))
            out[rid] = ipam._site_row(r) if r is not None else None
        return out

    def _links(self, sites: list[SiteRow]) -> dict[int, LinkRow | None]:
        ipam, api = self._ipam, self._ipam._api
        if not sites:
            return {}
        ifaces = ipam._list(
            api.dcim.interfaces,
            "reading site interfaces",
            site_id=[s.id for s in sites],
            fields=SITE_IFACE_FIELDS,
        )
        site_devices = ipam._list(
            api.dcim.devices, "reading the sites' devices", site_id=[s.id for s in sites], fields="id,site"
        )
        site_of = {int(d["id"]): obj_id(d.get("site")) for d in site_devices}
        by_site: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
        for i in ifaces:
            by_site[site_of.get(obj_id(i.get("device")) or 0)].append(i)
        peers = {s.id: uplink_peer(by_site.get(s.id, [])) for s in sites}
        peer_ids = sorted({int(p["id"]) for p in peers.values() if p is not None})
        dist = (
            {
                int(d["id"]): d
                for d in ipam._list(
                    api.dcim.interfaces,
                    "reading the distribution ports",
                    id=peer_ids,
                    fields=DIST_IFACE_FIELDS,
                )
            }
            if peer_ids
            else {}
        )
        dev_ids = sorted({obj_id(d.get("device")) or 0 for d in dist.values()})
        devs = (
            {
                int(d["id"]): d
                for d in ipam._list(
                    api.dcim.devices, "reading the distribution routers", id=dev_ids, fields="id,name,site"
                )
            }
            if dev_ids
            else {}
        )
        out: dict[int, LinkRow | None] = {}
        for s in sites:
            peer = peers[s.id]
            d = dist.get(int(peer["id"])) if peer is not None else None
            out[s.id] = (
                link_row(by_site[s.id], d, devs.get(obj_id(d.get("device")) or 0)) if d is not None else None
            )
        return out

    def _pools(self, service: str) -> tuple[tuple[PoolRow, ...], tuple[PoolRow, ...]]:
        pools, tpools = self._ipam._pools(service)
        rows = []
        for group in (pools, tpools):
            for rec in group:
                if int(rec.id) not in self._pool_rows:
                    self._pool_rows[int(rec.id)] = self._ipam._pool_row(rec)
                    self._pool_recs[int(rec.id)] = rec
            rows.append(tuple(self._pool_rows[int(r.id)] for r in group))
        return rows[0], rows[1]

    def _vlan_groups(
        self, links: dict[int, LinkRow | None], sites: list[SiteRow]
    ) -> dict[int, tuple[Any, VlanGroupRow]]:
        """The VLAN group of each site's distribution router, by site id."""
        ipam, api = self._ipam, self._ipam._api
        records: dict[int, Any] = {}
        group_of: dict[int, Any] = {}
        for s in sites:
            link = links.get(s.id)
            if link is None or link.dist_site_id is None:
                continue
            dsid = link.dist_site_id
            groups = ipam._static_read(
                ("vlan_groups", dsid),
                lambda dsid=dsid: ipam._records(api.ipam.vlan_groups, "reading VLAN groups", site=dsid),  # type: ignore[misc]
            )
            if groups:
                group_of[s.id] = groups[0]
                records[int(groups[0].id)] = groups[0]
        free: dict[int, int | None] = {}
        for gid, rec in records.items():
            with netbox_errors(f"reading free VLANs of {rec.name}"):
                vids = sorted(
                    int(v["vid"]) for v in (raw(x) for x in rec.available_vlans.list()) if "vid" in v
                )
            free[gid] = vids[0] if vids else None
        names = sorted({nm.vlan_name(s.slug) for s in sites if s.id in group_of})
        held: dict[tuple[int, str], str] = {}
        if names:
            rows = ipam._list(api.ipam.vlans, "reading VLANs", group_id=sorted(records), name=names)
            for v in rows:
                held[(obj_id(v.get("group")) or 0, str(v["name"]))] = str(cf(v, nm.CF_REQUEST) or "?")
        out = {}
        for s in sites:
            if s.id not in group_of:
                continue
            g = group_of[s.id]
            gid = int(g.id)
            holder = held.get((gid, nm.vlan_name(s.slug)))
            out[s.id] = (
                g,
                VlanGroupRow(id=gid, name=str(g.name), first_free_vid=free[gid], port_vlan_holder=holder),
            )
        return out

    def surveys(self, letters: dict[str, Letter]) -> tuple[dict[str, Survey], dict[int, Any]]:
        """One survey per request, and the VLAN group records by id (for the list-POSTs)."""
        ipam = self._ipam
        sites = self._sites(letters)
        distinct = list({s.id: s for s in sites.values() if s is not None}.values())
        links = self._links(distinct)
        groups = self._vlan_groups(links, distinct)
        committed: dict[tuple[str, int | None], int] = {}
        out: dict[str, Survey] = {}
        for rid, letter in letters.items():
            site = sites[rid]
            link = links.get(site.id) if site is not None else None
            vg = groups.get(site.id) if site is not None else None
            pools, tpools = self._pools(letter.service)
            key = (ipam._rule(letter.service).uplink_service, site.region_id if site is not None else None)
            if key not in committed:
                committed[key] = ipam._committed(letter.service, site)
            out[rid] = Survey(
                request_id=rid,
                service=letter.service,
                tenant=ipam._tenant(letter.opd),
                site=site,
                link=link,
                pools=pools,
                transfer_pools=tpools,
                vlan_group=vg[1] if vg else None,
                uplinks=ipam._uplinks(letter.service, link),
                committed_mbps=committed[key],
                uplink_scope=ipam._rule(letter.service).uplink_scope,
            )
        recs = {int(g.id): g for g, _ in groups.values()}
        return out, recs
