"""NetBox as netprov's IPAM: step-4 check, race-free allocation, release, journal, audit.

Uniqueness across requests comes from NetBox itself: ``available-prefixes``,
``available-ips`` and ``available-vlans`` POSTs take a server-side advisory lock, and the VLAN
of a department link is named after the site (unique per VLAN group), so two requests for
one port cannot both get it. The one thing NetBox does not guard, the bandwidth committed
against an uplink (a sum over prefixes), is checked and reserved under a lock kept in NetBox
(:mod:`netprov.netbox.lock`). Re-runs of one request (the pipeline holds a per-request lock)
find the request's objects by its custom field and return them.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
from collections.abc import Iterable
from typing import Any, ClassVar

from pynetbox.core.query import AllocationError, RequestError

from netprov.domain.letters import Letter, Service
from netprov.domain.resources import Allocation, Feasibility, lan_prefix_length
from netprov.domain.topology import load_topology
from netprov.errors import ConfigError, NetBoxError, NotFeasibleError
from netprov.netbox import naming as nm
from netprov.netbox.client import connect, credentials, describe, netbox_errors
from netprov.netbox.lock import NetBoxLockTags, holder_name, netbox_lock
from netprov.netbox.planning import (
    LinkRow,
    PoolRow,
    SiteRow,
    Survey,
    TenantRow,
    UplinkRow,
    VlanGroupRow,
    build_allocation,
    committed_bandwidth,
    evaluate,
    interface_sort_key,
    lan_gateway,
    match_tenant,
    transfer_addresses,
)
from netprov.settings import Settings

log = logging.getLogger(__name__)

ACTIVE_STATUSES = ["reserved", "active"]
PAGE = 1000


def raw(rec: Any) -> dict[str, Any]:
    """A pynetbox record as plain dicts (no lazy follow-up GETs)."""
    if rec is None:
        return {}
    if isinstance(rec, dict):
        return rec
    return dict(rec)


def _id(obj: Any) -> int | None:
    if isinstance(obj, dict):
        value = obj.get("id")
        return int(value) if value is not None else None
    return None


def _cf(obj: dict[str, Any], name: str) -> Any:
    cfs = obj.get("custom_fields") or {}
    return cfs.get(name) if isinstance(cfs, dict) else None


def _net(value: Any) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(str(value))


def _iface(value: Any) -> ipaddress.IPv4Interface:
    return ipaddress.IPv4Interface(str(value))


class NetBoxIpam:
    """The IPAM port (:class:`netprov.netbox.port.Ipam`) implemented with NetBox."""

    def __init__(self, api: Any, counter: Any, *, pool_roles: dict[str, str],
                 transfer_role: str, transfer_length: int = 30, url: str = "") -> None:
        self._api = api
        self._counter = counter
        self._lock_tags = NetBoxLockTags(api)
        self.pool_roles = dict(pool_roles)
        self.transfer_role = transfer_role
        self.transfer_length = transfer_length
        self.url = url

    @classmethod
    def from_settings(cls, settings: Settings) -> NetBoxIpam:
        """Connect with ``NETPROV_NETBOX_URL``/``NETPROV_NETBOX_TOKEN`` (or the lab's)."""
        url, token = credentials(settings)
        pool_roles = {"intranet": "intranet-opd", "internet": "internet-opd"}
        transfer_role, transfer_length = "transfer", 30
        try:
            topo = load_topology(settings.topology_file)
            pool_roles = {"intranet": topo.pools.intranet.role,
                          "internet": topo.pools.internet.role}
            transfer_role = topo.pools.transfer.role
            transfer_length = topo.pools.transfer.prefix_length or 30
        except ConfigError:
            log.warning("topology file unreadable; using default pool roles")
        api, counter = connect(url, token)
        return cls(api, counter, pool_roles=pool_roles, transfer_role=transfer_role,
                   transfer_length=transfer_length, url=url)

    @property
    def api_calls(self) -> int:
        """HTTP calls made so far by this adapter (every page and every retry counts)."""
        return int(self._counter.count)

    # ---------------------------------------------------------------------------- reads

    def _list(self, endpoint: Any, what: str, **filters: Any) -> list[dict[str, Any]]:
        with netbox_errors(what):
            return [raw(r) for r in endpoint.filter(limit=PAGE, **filters)]

    def _records(self, endpoint: Any, what: str, **filters: Any) -> list[Any]:
        with netbox_errors(what):
            return list(endpoint.filter(limit=PAGE, **filters))

    def _tenant(self, opd: str) -> TenantRow | None:
        rows = self._list(self._api.tenancy.tenants, "reading tenants")
        return match_tenant(
            (TenantRow(id=int(r["id"]), slug=str(r["slug"]), name=str(r["name"])) for r in rows),
            opd,
        )

    def _site(self, name: str) -> SiteRow | None:
        rows = self._list(self._api.dcim.sites, "reading sites", name__ie=name.strip())
        if not rows:
            rows = self._list(self._api.dcim.sites, "reading sites",
                              slug=nm.slugify(name))
        if not rows:
            return None
        return self._site_row(rows[0])

    @staticmethod
    def _site_row(r: dict[str, Any]) -> SiteRow:
        tenant = r.get("tenant") or {}
        return SiteRow(id=int(r["id"]), slug=str(r["slug"]), name=str(r["name"]),
                       tenant_slug=tenant.get("slug") if isinstance(tenant, dict) else None,
                       region_id=_id(r.get("region")))

    def _link(self, site: SiteRow) -> LinkRow | None:
        """The site's department link, read from cables in NetBox (3 calls)."""
        ifaces = self._list(self._api.dcim.interfaces, "reading site interfaces", site_id=site.id,
                            fields="id,name,label,device,link_peers,custom_fields")
        local_devices = {_id(i.get("device")) for i in ifaces}
        uplinks = []
        for i in ifaces:
            for peer in i.get("link_peers") or []:
                if isinstance(peer, dict) and _id(peer.get("device")) not in local_devices:
                    uplinks.append((i, peer))
        if not uplinks:
            return None
        uplinks.sort(key=lambda ip: (str(ip[0]["device"]["name"]),
                                     interface_sort_key(str(ip[0]["name"]))))
        cpe_if, peer = uplinks[0]
        cpe_dev = cpe_if["device"]
        dist_ifs = self._list(self._api.dcim.interfaces, "reading the distribution port",
                              id=int(peer["id"]), fields="id,name,device,custom_fields")
        if not dist_ifs:
            return None
        dist_if = dist_ifs[0]
        dist_dev_id = _id(dist_if.get("device"))
        dist_devs = self._list(self._api.dcim.devices, "reading the distribution router",
                               id=dist_dev_id, fields="id,name,site")
        dist_site = _id(dist_devs[0].get("site")) if dist_devs else None
        # the department router's LAN interface and the access switch behind it
        cpe_ifs = [i for i in ifaces if _id(i.get("device")) == _id(cpe_dev)]
        lan = next((i for i in cpe_ifs if str(i.get("label") or "") == nm.LAN_LABEL), None)
        if lan is None:
            lan = next((i for i in cpe_ifs if str(i["name"]).startswith("lan")), None)
        switch = uplink = None
        ports: list[str] = []
        if lan is not None:
            for sp in lan.get("link_peers") or []:
                if isinstance(sp, dict) and _id(sp.get("device")) in local_devices:
                    switch = str(sp["device"]["name"])
                    uplink = str(sp["name"])
                    sw_id = _id(sp.get("device"))
                    ports = sorted(
                        (str(i["name"]) for i in ifaces
                         if _id(i.get("device")) == sw_id and str(i["name"]) != uplink),
                        key=interface_sort_key,
                    )
                    break
        return LinkRow(
            dist_device=str(dist_if["device"]["name"]),
            dist_device_id=int(dist_dev_id or 0),
            dist_site_id=dist_site,
            dist_interface=str(dist_if["name"]),
            dist_interface_id=int(dist_if["id"]),
            dist_mark=str(_cf(dist_if, nm.CF_REQUEST) or ""),
            cpe_device=str(cpe_dev["name"]),
            cpe_device_id=int(cpe_dev["id"]),
            cpe_interface=str(cpe_if["name"]),
            cpe_interface_id=int(cpe_if["id"]),
            cpe_lan_interface=str(lan["name"]) if lan else "lan1",
            cpe_lan_interface_id=int(lan["id"]) if lan else None,
            access_switch=switch,
            access_uplink=uplink,
            access_ports=tuple(ports),
        )

    def _pools(self, service: Service) -> tuple[list[Any], list[Any]]:
        """Container prefixes of the service pool and of the transfer pool (records)."""
        role = self.pool_roles[service]
        recs = self._records(self._api.ipam.prefixes, "reading prefix pools",
                             role=[role, self.transfer_role], status="container")
        service_pools = [r for r in recs if (raw(r).get("role") or {}).get("slug") == role]
        transfer_pools = [r for r in recs
                          if (raw(r).get("role") or {}).get("slug") == self.transfer_role]
        key = lambda r: int(ipaddress.IPv4Network(str(r.prefix)).network_address)  # noqa: E731
        return sorted(service_pools, key=key), sorted(transfer_pools, key=key)

    def _pool_row(self, rec: Any) -> PoolRow:
        with netbox_errors(f"reading free space in {rec.prefix}"):
            avail = [ipaddress.IPv4Network(str(raw(a).get("prefix")))
                     for a in rec.available_prefixes.list()]
        role = (raw(rec).get("role") or {}).get("slug", "")
        return PoolRow(id=int(rec.id), prefix=_net(rec.prefix), role=str(role),
                       available=tuple(avail))

    def _vlan_group(self, link: LinkRow, site: SiteRow) -> tuple[Any, VlanGroupRow] | None:
        if link.dist_site_id is None:
            return None
        groups = self._records(self._api.ipam.vlan_groups, "reading VLAN groups",
                               site=link.dist_site_id)
        if not groups:
            return None
        group = groups[0]
        with netbox_errors(f"reading free VLANs of {group.name}"):
            free = [raw(v) for v in group.available_vlans.list()]
        vids = sorted(int(v["vid"]) for v in free if "vid" in v)
        holders = self._list(self._api.ipam.vlans, "reading VLANs", group_id=int(group.id),
                             name=nm.vlan_name(site.slug))
        holder = str(_cf(holders[0], nm.CF_REQUEST) or "?") if holders else None
        return group, VlanGroupRow(id=int(group.id), name=str(group.name),
                                   first_free_vid=vids[0] if vids else None,
                                   port_vlan_holder=holder)

    def _uplinks(self, service: Service, link: LinkRow | None) -> tuple[UplinkRow, ...]:
        rows = self._list(self._api.dcim.interfaces, "reading uplinks",
                          fields="id,name,device,custom_fields",
                          **{f"cf_{nm.CF_SERVICE}": service})
        out = []
        for r in rows:
            cap = _cf(r, nm.CF_UPLINK_CAPACITY)
            if not isinstance(cap, int):
                continue
            if service == "intranet" and (link is None or _id(r.get("device")) != link.dist_device_id):
                continue
            out.append(UplinkRow(device=str(r["device"]["name"]), interface=str(r["name"]),
                                 capacity_mbps=cap))
        return tuple(out)

    def _committed(self, service: Service, site: SiteRow | None) -> int:
        filters: dict[str, Any] = {f"cf_{nm.CF_SERVICE}": service, "status": ACTIVE_STATUSES}
        if service == "intranet" and site is not None and site.region_id is not None:
            filters["region_id"] = site.region_id
        rows = self._list(self._api.ipam.prefixes, "reading committed bandwidth", **filters)
        return committed_bandwidth((r.get("custom_fields") or {} for r in rows), nm.CF_BANDWIDTH)

    def _survey(self, request_id: str, letter: Letter) -> tuple[Survey, dict[str, Any]]:
        """Read everything step 4 needs. Returns the survey and the records allocate uses."""
        tenant = self._tenant(letter.opd)
        site = self._site(letter.site.name)
        link = self._link(site) if site is not None else None
        pools, tpools = self._pools(letter.service)
        pool_rows = tuple(self._pool_row(p) for p in pools)
        tpool_rows = tuple(self._pool_row(p) for p in tpools)
        vg = self._vlan_group(link, site) if (link is not None and site is not None) else None
        uplinks = self._uplinks(letter.service, link)
        committed = self._committed(letter.service, site)
        survey = Survey(
            request_id=request_id, service=letter.service, tenant=tenant, site=site, link=link,
            pools=pool_rows, transfer_pools=tpool_rows,
            vlan_group=vg[1] if vg else None, uplinks=uplinks, committed_mbps=committed,
        )
        return survey, {"pools": pools, "transfer_pools": tpools,
                        "vlan_group": vg[0] if vg else None}

    # ---------------------------------------------------------------------------- step 4

    def check(self, request_id: str, letter: Letter) -> Feasibility:
        """Step 4: tenant, site, free prefix, port, VLAN and bandwidth. Writes nothing."""
        survey, _ = self._survey(request_id, letter)
        return evaluate(survey, letter)

    def plan(self, request_id: str, letter: Letter) -> Allocation:
        """What ``allocate`` would give now (or the existing allocation). Writes nothing."""
        existing = self.find_allocation(request_id)
        if existing is not None:
            return existing
        survey, _ = self._survey(request_id, letter)
        fe = evaluate(survey, letter)
        if not fe.feasible:
            raise NotFeasibleError(f"{request_id} is not feasible: " + "; ".join(fe.reasons))
        cand = fe.candidate
        assert survey.tenant and survey.site and survey.link and survey.vlan_group
        assert cand.lan_prefix and cand.transfer_prefix and cand.vlan_id is not None
        dist, cpe = transfer_addresses(cand.transfer_prefix)
        return build_allocation(
            request_id=request_id, service=letter.service, bandwidth_mbps=letter.bandwidth_mbps,
            tenant=survey.tenant, site=survey.site, link=survey.link,
            lan_prefix=cand.lan_prefix, lan_gateway_address=lan_gateway(cand.lan_prefix),
            transfer_prefix=cand.transfer_prefix, dist_address=dist, cpe_address=cpe,
            vlan_id=cand.vlan_id, vlan_name_=nm.vlan_name(survey.site.slug),
        )

    # ---------------------------------------------------------------------------- step 7

    def _request_objects(self, request_id: str) -> dict[str, list[dict[str, Any]]]:
        """Every object carrying the request's custom field (4 calls)."""
        f = {f"cf_{nm.CF_REQUEST}": request_id}
        return {
            "prefix": self._list(self._api.ipam.prefixes, "reading the request's prefixes", **f),
            "ip": self._list(self._api.ipam.ip_addresses, "reading the request's addresses", **f),
            "vlan": self._list(self._api.ipam.vlans, "reading the request's VLAN", **f),
            "interface": self._list(self._api.dcim.interfaces, "reading the request's port",
                                    fields="id,name,display,display_url,device,custom_fields",
                                    **f),
        }

    @staticmethod
    def _complete(objs: dict[str, list[dict[str, Any]]]) -> bool:
        return (len(objs["prefix"]) == 2 and len(objs["ip"]) == 3 and len(objs["vlan"]) == 1
                and len(objs["interface"]) == 1)

    def _from_objects(self, request_id: str, objs: dict[str, list[dict[str, Any]]]) -> Allocation:
        prefixes = objs["prefix"]
        transfer = next((p for p in prefixes
                         if (p.get("role") or {}).get("slug") == self.transfer_role), None)
        lan = next((p for p in prefixes if p is not transfer), None)
        if lan is None or transfer is None:
            raise NetBoxError(f"NetBox holds an incomplete allocation for {request_id}")
        lan_net, t_net = _net(lan["prefix"]), _net(transfer["prefix"])
        ips = sorted((_iface(i["address"]), i) for i in objs["ip"])
        gw = next((a for a, _ in ips if a.ip in lan_net), None)
        tips = [a for a, _ in ips if a.ip in t_net]
        if gw is None or len(tips) != 2:
            raise NetBoxError(f"NetBox holds an incomplete allocation for {request_id}")
        tenant_d = lan.get("tenant") or {}
        scope = lan.get("scope") or {}
        tenant = TenantRow(id=int(tenant_d.get("id", 0)), slug=str(tenant_d.get("slug", "")),
                           name=str(tenant_d.get("name", "")))
        site_rows = self._list(self._api.dcim.sites, "reading the request's site",
                               id=int(lan.get("scope_id") or scope.get("id") or 0))
        if not site_rows:
            raise NetBoxError(f"the LAN prefix of {request_id} has no site scope")
        site = self._site_row(site_rows[0])
        link = self._link(site)
        if link is None:
            raise NetBoxError(f"site {site.name} of {request_id} has no cabled department link")
        vlan = objs["vlan"][0]
        service = str(_cf(lan, nm.CF_SERVICE) or "")
        if service not in ("intranet", "internet"):
            service = next((s for s, r in self.pool_roles.items()
                            if (lan.get("role") or {}).get("slug") == r), "intranet")
        return build_allocation(
            request_id=request_id, service=service,  # type: ignore[arg-type]
            bandwidth_mbps=int(_cf(lan, nm.CF_BANDWIDTH) or 0),
            tenant=tenant, site=site, link=link,
            lan_prefix=lan_net, lan_gateway_address=gw, transfer_prefix=t_net,
            dist_address=tips[0], cpe_address=tips[1],
            vlan_id=int(vlan["vid"]), vlan_name_=str(vlan["name"]),
            netbox_ids={
                "prefix": [int(lan["id"]), int(transfer["id"])],
                "ip": [int(i["id"]) for a, i in ips if a.ip in t_net]
                + [int(i["id"]) for a, i in ips if a.ip in lan_net],
                "vlan": [int(vlan["id"])],
                "interface": [int(i["id"]) for i in objs["interface"]],
            },
        )

    def find_allocation(self, request_id: str) -> Allocation | None:
        """The complete allocation the request holds in NetBox, or None."""
        objs = self._request_objects(request_id)
        if not self._complete(objs):
            return None
        return self._from_objects(request_id, objs)

    def _tags(self, request_id: str) -> dict[str, int]:
        """Ids of the ``netprov`` tag and the request's tag (when they exist), by slug."""
        slug = nm.request_tag_slug(request_id)
        tags = self._list(self._api.extras.tags, "reading tags", slug=[nm.TAG, slug])
        by_slug = {str(t["slug"]): int(t["id"]) for t in tags}
        if nm.TAG not in by_slug:
            raise ConfigError("NetBox has no 'netprov' tag: run `netprov lab seed` first")
        return by_slug

    def _ensure_tag(self, request_id: str, by_slug: dict[str, int]) -> tuple[int, int, bool]:
        """(netprov tag id, request tag id, request tag created now)."""
        slug = nm.request_tag_slug(request_id)
        if slug in by_slug:
            return by_slug[nm.TAG], by_slug[slug], False
        with netbox_errors(f"creating tag {request_id}"):
            tag = self._api.extras.tags.create(
                name=request_id, slug=slug, color=nm.REQUEST_TAG_COLOR,
                description=f"Objects reserved for request {request_id}")
        return by_slug[nm.TAG], int(tag.id), True

    def allocate(self, request_id: str, letter: Letter) -> Allocation:
        """Reserve LAN prefix, transfer /30, three addresses, VLAN and port for a request.

        Idempotent (a re-run returns the same objects) and race-free (NetBox allocates under
        its own lock; the bandwidth headroom is read and taken under netprov's lock in NetBox).
        A full pool, a taken port or a full uplink raises NotFeasibleError; a failure midway
        undoes what this call created.
        """
        tags = self._tags(request_id)
        if nm.request_tag_slug(request_id) in tags:
            # the tag is made first and deleted last: without it the request holds nothing
            objs = self._request_objects(request_id)
            if self._complete(objs):
                return self._from_objects(request_id, objs)
            log.info("request %s holds a partial allocation; releasing it first", request_id)
            self.release(request_id)
            tags.pop(nm.request_tag_slug(request_id), None)
        # Read the committed bandwidth and reserve under one lock per service: NetBox guards
        # each prefix, address and VLAN, but not the sum of bandwidth on an uplink.
        with netbox_lock(self._lock_tags, f"allocate-{letter.service}", holder_name(request_id)):
            survey, recs = self._survey(request_id, letter)
            fe = evaluate(survey, letter)
            if not fe.feasible:
                raise NotFeasibleError(f"{request_id} is not feasible: " + "; ".join(fe.reasons))
            tenant, site, link = survey.tenant, survey.site, survey.link
            assert tenant is not None and site is not None and link is not None
            undo: list[tuple[str, Any]] = []
            try:
                return self._allocate(request_id, letter, tenant, site, link, recs, tags, undo)
            except BaseException:
                self._undo(undo)
                raise

    def _allocate(self, request_id: str, letter: Letter, tenant: TenantRow, site: SiteRow,
                  link: LinkRow, recs: dict[str, Any], known_tags: dict[str, int],
                  undo: list[tuple[str, Any]]) -> Allocation:
        api = self._api
        netprov_tag, req_tag, tag_created = self._ensure_tag(request_id, known_tags)
        if tag_created:
            undo.append(("tag", req_tag))
        tags = [netprov_tag, req_tag]
        desc = nm.allocation_description(request_id, tenant.name, site.name)
        cf = {nm.CF_REQUEST: request_id}
        common = {"tenant": tenant.id, "tags": tags, "custom_fields": cf}
        # 1. the VLAN: named after the site, so it also claims the department port
        group = recs["vlan_group"]
        vname = nm.vlan_name(site.slug)
        try:
            vlan = group.available_vlans.create(
                {"name": vname, "status": "reserved", "description": desc, **common})
        except AllocationError as exc:
            raise NotFeasibleError(f"VLAN group {group.name} is full ({request_id})") from exc
        except RequestError as exc:
            if exc.req.status_code == 400 and "name" in str(exc.error).lower():
                holder = self._list(api.ipam.vlans, "reading VLANs", group_id=int(group.id),
                                    name=vname)
                who = str(_cf(holder[0], nm.CF_REQUEST)) if holder else "another request"
                raise NotFeasibleError(
                    f"port {link.dist_device} {link.dist_interface} for {site.name} is already "
                    f"reserved by {who}") from exc
            raise NetBoxError(f"NetBox: reserving a VLAN: {describe(exc)}") from exc
        undo.append(("vlan", int(vlan.id)))
        # 2. the LAN prefix and the transfer net, each by one POST under NetBox's lock
        length = lan_prefix_length(letter.hosts)
        lan = self._carve(recs["pools"], length, request_id, {
            **common, "status": "reserved", "scope_type": "dcim.site", "scope_id": site.id,
            "vlan": int(vlan.id), "description": desc,
            "role": {"slug": self.pool_roles[letter.service]},
            "custom_fields": {**cf, nm.CF_BANDWIDTH: letter.bandwidth_mbps,
                              nm.CF_SERVICE: letter.service},
        }, undo)
        transfer = self._carve(recs["transfer_pools"], self.transfer_length, request_id, {
            **common, "status": "reserved", "scope_type": "dcim.site", "scope_id": site.id,
            "description": nm.allocation_description(request_id, tenant.name, site.name,
                                                     "transfer"),
            "role": {"slug": self.transfer_role},
        }, undo)
        # 3. addresses: one list-POST for both transfer ends, one for the LAN gateway
        t_desc = [f"{link.dist_device} {link.dist_interface}", f"{link.cpe_device} {link.cpe_interface}"]
        try:
            with netbox_errors(f"reserving transfer addresses in {transfer.prefix}"):
                tips = transfer.available_ips.create([
                    {"status": "reserved", "description": nm.allocation_description(
                        request_id, tenant.name, site.name, d), **common} for d in t_desc])
            for ip in tips:
                undo.append(("ip", int(ip.id)))
            with netbox_errors(f"reserving the LAN gateway in {lan.prefix}"):
                gws = lan.available_ips.create([
                    {"status": "reserved", "description": nm.allocation_description(
                        request_id, tenant.name, site.name,
                        f"gateway {link.cpe_device} {link.cpe_lan_interface}"), **common}])
            for ip in gws:
                undo.append(("ip", int(ip.id)))
        except AllocationError as exc:
            raise NotFeasibleError(f"no free addresses for {request_id}: {describe(exc)}") from exc
        # 4. mark the distribution port
        with netbox_errors(f"marking {link.dist_device} {link.dist_interface}"):
            api.dcim.interfaces.update([{
                "id": link.dist_interface_id, "description": desc, "tags": tags,
                "custom_fields": cf}])
        undo.append(("mark", link.dist_interface_id))
        ids = {
            "prefix": [int(lan.id), int(transfer.id)],
            "ip": [int(i.id) for i in sorted(tips, key=lambda r: int(_iface(r.address).ip))]
            + [int(i.id) for i in gws],
            "vlan": [int(vlan.id)],
            "interface": [link.dist_interface_id],
        }
        # 5. one journal entry on each object
        self._journal_ids(ids, f"{request_id} · langkah 7: dialokasikan (reserved) oleh netprov")
        dist_ip, cpe_ip = sorted((_iface(i.address) for i in tips), key=lambda a: int(a.ip))
        return build_allocation(
            request_id=request_id, service=letter.service, bandwidth_mbps=letter.bandwidth_mbps,
            tenant=tenant, site=site, link=link, lan_prefix=_net(lan.prefix),
            lan_gateway_address=_iface(gws[0].address), transfer_prefix=_net(transfer.prefix),
            dist_address=dist_ip, cpe_address=cpe_ip, vlan_id=int(vlan.vid),
            vlan_name_=str(vlan.name), netbox_ids=ids,
        )

    def _carve(self, pools: list[Any], length: int, request_id: str, body: dict[str, Any],
               undo: list[tuple[str, Any]]) -> Any:
        """One ``available-prefixes`` POST per pool until one has room (409 = full)."""
        for pool in pools:
            try:
                with netbox_errors(f"reserving a /{length} in {pool.prefix}"):
                    created = pool.available_prefixes.create({"prefix_length": length, **body})
            except AllocationError:
                continue
            rec = created[0] if isinstance(created, list) else created
            undo.append(("prefix", int(rec.id)))
            return rec
        names = ", ".join(str(p.prefix) for p in pools) or "(none)"
        raise NotFeasibleError(f"pool {names} has no free /{length} for {request_id}")

    def _undo(self, undo: list[tuple[str, Any]]) -> None:
        """Best effort: delete what this call created, newest first."""
        api = self._api
        for kind, oid in reversed(undo):
            try:
                if kind == "ip":
                    api.ipam.ip_addresses.delete([oid])
                elif kind == "prefix":
                    api.ipam.prefixes.delete([oid])
                elif kind == "vlan":
                    api.ipam.vlans.delete([oid])
                elif kind == "tag":
                    api.extras.tags.delete([oid])
                elif kind == "mark":
                    self._clear_marks([oid])
            except Exception as exc:  # undo continues with the rest
                log.warning("undo of %s %s failed: %s", kind, oid, describe(exc))

    def _clear_marks(self, interface_ids: Iterable[int]) -> None:
        ids = list(interface_ids)
        if not ids:
            return
        tags = self._list(self._api.extras.tags, "reading tags", slug=nm.TAG)
        keep = [int(tags[0]["id"])] if tags else []
        with netbox_errors("clearing port marks"):
            self._api.dcim.interfaces.update([
                {"id": i, "description": "", "tags": keep, "custom_fields": {nm.CF_REQUEST: None}}
                for i in ids])

    def release(self, request_id: str) -> list[str]:
        """Delete the request's addresses, prefixes and VLAN, clear its port mark, drop its tag."""
        objs = self._request_objects(request_id)
        done: list[str] = []
        api = self._api
        with netbox_errors(f"releasing {request_id}"):
            if objs["ip"]:
                api.ipam.ip_addresses.delete([int(i["id"]) for i in objs["ip"]])
                done += [f"ip {i['address']}" for i in objs["ip"]]
            if objs["prefix"]:
                api.ipam.prefixes.delete([int(p["id"]) for p in objs["prefix"]])
                done += [f"prefix {p['prefix']}" for p in objs["prefix"]]
            if objs["vlan"]:
                api.ipam.vlans.delete([int(v["id"]) for v in objs["vlan"]])
                done += [f"vlan {v['vid']} {v['name']}" for v in objs["vlan"]]
        if objs["interface"]:
            self._clear_marks(int(i["id"]) for i in objs["interface"])
            done += [f"interface {i['device']['name']} {i['name']} (mark cleared)"
                     for i in objs["interface"]]
        tags = self._list(api.extras.tags, "reading tags", slug=nm.request_tag_slug(request_id))
        if tags:
            with netbox_errors(f"deleting tag {request_id}"):
                api.extras.tags.delete([int(t["id"]) for t in tags])
            done.append(f"tag {request_id}")
        return done

    def activate(self, allocation: Allocation, step: int, note: str) -> None:
        """reserved -> active, addresses assigned to the interfaces, a journal entry on each."""
        objs = self._request_objects(allocation.request_id)
        if not self._complete(objs):
            raise NetBoxError(f"{allocation.request_id} holds no complete allocation to activate")
        a = allocation
        ifaces = self._list(self._api.dcim.interfaces, "reading link interfaces",
                            device=[a.dist_device, a.cpe_device],
                            name=[a.dist_interface, a.cpe_interface, a.cpe_lan_interface])
        by_name = {(str(i["device"]["name"]), str(i["name"])): int(i["id"]) for i in ifaces}
        where = {
            str(a.dist_address): by_name.get((a.dist_device, a.dist_interface)),
            str(a.cpe_address): by_name.get((a.cpe_device, a.cpe_interface)),
            str(a.lan_gateway): by_name.get((a.cpe_device, a.cpe_lan_interface)),
        }
        ip_updates = []
        for ip in objs["ip"]:
            upd: dict[str, Any] = {"id": int(ip["id"]), "status": "active"}
            target = where.get(str(ip["address"]))
            if target is not None:
                upd.update(assigned_object_type="dcim.interface", assigned_object_id=target)
            ip_updates.append(upd)
        with netbox_errors(f"activating {a.request_id}"):
            self._api.ipam.ip_addresses.update(ip_updates)
            self._api.ipam.prefixes.update(
                [{"id": int(p["id"]), "status": "active"} for p in objs["prefix"]])
            self._api.ipam.vlans.update(
                [{"id": int(v["id"]), "status": "active"} for v in objs["vlan"]])
        ids = {k: [int(o["id"]) for o in v] for k, v in objs.items()}
        self._journal_ids(ids, f"{a.request_id} · langkah {step}: aktif · {note}")

    _KIND_TYPES: ClassVar[dict[str, str]] = {
        "prefix": "ipam.prefix", "ip": "ipam.ipaddress", "vlan": "ipam.vlan",
        "interface": "dcim.interface",
    }

    def _journal_ids(self, ids: dict[str, list[int]], comments: str, kind: str = "info") -> None:
        entries = [{"assigned_object_type": self._KIND_TYPES[k], "assigned_object_id": i,
                    "kind": kind, "comments": comments}
                   for k, v in ids.items() if k in self._KIND_TYPES for i in v]
        if entries:
            with netbox_errors("writing journal entries"):
                self._api.extras.journal_entries.create(entries)

    def journal(self, request_id: str, step: int, message: str) -> None:
        """A journal entry naming the request and the step on every object of the request."""
        objs = self._request_objects(request_id)
        ids = {k: [int(o["id"]) for o in v] for k, v in objs.items()}
        self._journal_ids(ids, f"{request_id} · langkah {step}: {message}")

    def tagged_objects(self, request_id: str) -> list[dict[str, object]]:
        """The request's objects for the audit: kind, id, display, url, journaled."""
        objs = self._request_objects(request_id)
        entries = self._list(self._api.extras.journal_entries, "reading journal entries",
                             q=request_id)
        journaled = {(str(e.get("assigned_object_type")), _id({"id": e.get("assigned_object_id")}))
                     for e in entries}
        out: list[dict[str, object]] = []
        for kind, rows in objs.items():
            for r in rows:
                out.append({
                    "kind": kind,
                    "id": int(r["id"]),
                    "display": str(r.get("display") or ""),
                    "url": str(r.get("display_url") or r.get("url") or ""),
                    "journaled": (self._KIND_TYPES[kind], int(r["id"])) in journaled,
                })
        return out

    def active_internet_prefixes(self) -> list[ipaddress.IPv4Network]:
        """Internet LAN prefixes that are reserved or active (what the border announces)."""
        rows = self._list(self._api.ipam.prefixes, "reading internet prefixes",
                          **{f"cf_{nm.CF_SERVICE}": "internet"}, status=ACTIVE_STATUSES)
        nets = {_net(r["prefix"]) for r in rows}
        return sorted(nets, key=lambda n: (int(n.network_address), n.prefixlen))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._api.http_session.close()
