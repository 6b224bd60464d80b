"""Reads of the NetBox adapter: tenants, sites, the cabled department link, pools, VLANs,
and the objects a request holds (turned back into an :class:`Allocation`)."""

from __future__ import annotations

import ipaddress
from typing import Any

from netprov.domain.planning import (
    LinkRow,
    PoolRow,
    SiteRow,
    TenantRow,
    VlanGroupRow,
    build_allocation,
    interface_sort_key,
    match_tenant,
)
from netprov.domain.resources import Allocation
from netprov.errors import ConfigError, NetBoxError, RegisterConflict
from netprov.netbox import naming as nm
from netprov.netbox.base import NetBoxBase
from netprov.netbox.client import netbox_errors
from netprov.netbox.records import cf, display, iface, made_by_another, net, obj_id, raw, role_slug

Objects = dict[str, list[dict[str, Any]]]


def _access_behind(
    lan: dict[str, Any] | None, ifaces: list[dict[str, Any]], local_devices: set[int | None]
) -> tuple[str | None, str | None, list[str]]:
    """The access switch behind the CPE's LAN port: (switch, its uplink, its other ports)."""
    if lan is None:
        return None, None, []
    for sp in lan.get("link_peers") or []:
        if isinstance(sp, dict) and obj_id(sp.get("device")) in local_devices:
            switch, uplink, sw_id = str(sp["device"]["name"]), str(sp["name"]), obj_id(sp.get("device"))
            ports = sorted(
                (
                    str(i["name"])
                    for i in ifaces
                    if obj_id(i.get("device")) == sw_id and str(i["name"]) != uplink
                ),
                key=interface_sort_key,
            )
            return switch, uplink, ports
    return None, None, []


def _cpe_lan(cpe_ifs: list[dict[str, Any]]) -> dict[str, Any] | None:
    lan = next((i for i in cpe_ifs if str(i.get("label") or "") == nm.LAN_LABEL), None)
    if lan is None:
        lan = next((i for i in cpe_ifs if str(i["name"]).startswith("lan")), None)
    return lan


SITE_IFACE_FIELDS = "id,name,label,device,link_peers,custom_fields"
DIST_IFACE_FIELDS = "id,name,device,custom_fields"


def _uplinks_of(ifaces: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    local_devices = {obj_id(i.get("device")) for i in ifaces}
    uplinks = [
        (i, peer)
        for i in ifaces
        for peer in i.get("link_peers") or []
        if isinstance(peer, dict) and obj_id(peer.get("device")) not in local_devices
    ]
    uplinks.sort(key=lambda ip: (str(ip[0]["device"]["name"]), interface_sort_key(str(ip[0]["name"]))))
    return uplinks


def uplink_peer(ifaces: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The far end (a distribution port) of the site's cabled uplink, from its interfaces."""
    uplinks = _uplinks_of(ifaces)
    return uplinks[0][1] if uplinks else None


def link_row(
    ifaces: list[dict[str, Any]], dist_if: dict[str, Any], dist_dev: dict[str, Any] | None
) -> LinkRow:
    """The department link from the site's interfaces, its distribution port and router."""
    local_devices = {obj_id(i.get("device")) for i in ifaces}
    cpe_if, _ = _uplinks_of(ifaces)[0]
    cpe_dev = cpe_if["device"]
    dist_dev_id = obj_id(dist_if.get("device"))
    lan = _cpe_lan([i for i in ifaces if obj_id(i.get("device")) == obj_id(cpe_dev)])
    switch, uplink, ports = _access_behind(lan, ifaces, local_devices)
    return LinkRow(
        dist_device=str(dist_if["device"]["name"]),
        dist_device_id=int(dist_dev_id or 0),
        dist_site_id=obj_id(dist_dev.get("site")) if dist_dev else None,
        dist_interface=str(dist_if["name"]),
        dist_interface_id=int(dist_if["id"]),
        dist_mark=str(cf(dist_if, nm.CF_REQUEST) or ""),
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


class NetBoxReads(NetBoxBase):
    """What the adapter reads from NetBox (writes nothing).

    ``register_id`` is the identity of the register this adapter works for ("" = unchecked):
    a request's objects stamped by another register are refused, never adopted or released.
    """

    register_id: str = ""

    def _stamp(self) -> dict[str, str]:
        """The custom field that names this register (none when it has no identity)."""
        return {nm.CF_REGISTER: self.register_id} if self.register_id else {}

    def _tenant(self, opd: str) -> TenantRow | None:
        rows = self._static_read(
            ("tenants",), lambda: self._list(self._api.tenancy.tenants, "reading tenants")
        )
        return match_tenant(
            (TenantRow(id=int(r["id"]), slug=str(r["slug"]), name=str(r["name"])) for r in rows),
            opd,
        )

    def tenant_names(self) -> list[str]:
        """Every tenant (department) name, for matching a scanned letter's sender."""
        rows = self._static_read(
            ("tenants",), lambda: self._list(self._api.tenancy.tenants, "reading tenants")
        )
        return sorted(str(r["name"]) for r in rows)

    def site_names(self) -> list[str]:
        """Every site name, for matching a scanned letter's site."""
        return sorted(str(r["name"]) for r in self._list(self._api.dcim.sites, "reading sites"))

    def _site(self, name: str) -> SiteRow | None:
        rows = self._list(self._api.dcim.sites, "reading sites", name__ie=name.strip())
        if not rows:
            rows = self._list(self._api.dcim.sites, "reading sites", slug=nm.slugify(name))
        if not rows:
            return None
        return self._site_row(rows[0])

    @staticmethod
    def _site_row(r: dict[str, Any]) -> SiteRow:
        tenant = r.get("tenant") or {}
        return SiteRow(
            id=int(r["id"]),
            slug=str(r["slug"]),
            name=str(r["name"]),
            tenant_slug=tenant.get("slug") if isinstance(tenant, dict) else None,
            region_id=obj_id(r.get("region")),
        )

    def _link(self, site: SiteRow) -> LinkRow | None:
        """The site's department link, read from cables in NetBox (3 calls)."""
        ifaces = self._list(
            self._api.dcim.interfaces,
            "reading site interfaces",
            site_id=site.id,
            fields=SITE_IFACE_FIELDS,
        )
        peer = uplink_peer(ifaces)
        if peer is None:
            return None
        dist_ifs = self._list(
            self._api.dcim.interfaces,
            "reading the distribution port",
            id=int(peer["id"]),
            fields=DIST_IFACE_FIELDS,
        )
        if not dist_ifs:
            return None
        dist_dev_id = obj_id(dist_ifs[0].get("device"))
        dist_devs = self._static_read(
            ("device", dist_dev_id),
            lambda: self._list(
                self._api.dcim.devices,
                "reading the distribution router",
                id=dist_dev_id,
                fields="id,name,site",
            ),
        )
        return link_row(ifaces, dist_ifs[0], dist_devs[0] if dist_devs else None)

    def _pools(self, service: str) -> tuple[list[Any], list[Any]]:
        """Container prefixes of the service's pool and of the transfer pool (records)."""
        role = self._rule(service).pool_role
        recs = self._static_read(
            ("pools", role),
            lambda: self._records(
                self._api.ipam.prefixes,
                "reading prefix pools",
                role=[role, self.transfer_role],
                status="container",
            ),
        )
        key = lambda r: int(ipaddress.IPv4Network(str(r.prefix)).network_address)  # noqa: E731
        service_pools = sorted((r for r in recs if role_slug(r) == role), key=key)
        transfer_pools = sorted((r for r in recs if role_slug(r) == self.transfer_role), key=key)
        return service_pools, transfer_pools

    def _pool_row(self, rec: Any) -> PoolRow:
        with netbox_errors(f"reading free space in {rec.prefix}"):
            avail = [ipaddress.IPv4Network(str(raw(a).get("prefix"))) for a in rec.available_prefixes.list()]
        return PoolRow(id=int(rec.id), prefix=net(rec.prefix), role=role_slug(rec), available=tuple(avail))

    def _vlan_group(self, link: LinkRow, site: SiteRow) -> tuple[Any, VlanGroupRow] | None:
        if link.dist_site_id is None:
            return None
        groups = self._static_read(
            ("vlan_groups", link.dist_site_id),
            lambda: self._records(self._api.ipam.vlan_groups, "reading VLAN groups", site=link.dist_site_id),
        )
        if not groups:
            return None
        group = groups[0]
        with netbox_errors(f"reading free VLANs of {group.name}"):
            free = [raw(v) for v in group.available_vlans.list()]
        vids = sorted(int(v["vid"]) for v in free if "vid" in v)
        holders = self._list(
            self._api.ipam.vlans, "reading VLANs", group_id=int(group.id), name=nm.vlan_name(site.slug)
        )
        holder = str(cf(holders[0], nm.CF_REQUEST) or "?") if holders else None
        return group, VlanGroupRow(
            id=int(group.id),
            name=str(group.name),
            first_free_vid=vids[0] if vids else None,
            port_vlan_holder=holder,
        )

    # ------------------------------------------------------------------- a request's objects

    def _request_objects(self, request_id: str) -> Objects:
        """Every object carrying the request's custom field (4 calls).

        Raises:
            RegisterConflict: one of them was made by another register (names both).
        """
        objs = self._request_objects_any(request_id)
        other = made_by_another(objs, self.register_id)
        if other is not None:
            kind, obj, owner = other
            raise RegisterConflict(
                f"{request_id}: NetBox {display(kind, obj)} was made for {request_id} by "
                f"register {owner}, not by this register {self.register_id}; two registers "
                "share this NetBox and both use this request id"
            )
        return objs

    def _request_objects_any(self, request_id: str) -> Objects:
        """Every object carrying the request's custom field, whichever register made it."""
        f = {f"cf_{nm.CF_REQUEST}": request_id}
        return {
            "prefix": self._list(self._api.ipam.prefixes, "reading the request's prefixes", **f),
            "ip": self._list(self._api.ipam.ip_addresses, "reading the request's addresses", **f),
            "vlan": self._list(self._api.ipam.vlans, "reading the request's VLAN", **f),
            "interface": self._list(
                self._api.dcim.interfaces,
                "reading the request's port",
                fields="id,name,display,display_url,device,custom_fields",
                **f,
            ),
        }

    @staticmethod
    def _complete(objs: Objects) -> bool:
        return (
            len(objs["prefix"]) == 2
            and len(objs["ip"]) == 3
            and len(objs["vlan"]) == 1
            and len(objs["interface"]) == 1
        )

    def _service_of(self, lan: dict[str, Any]) -> str:
        """The LAN prefix's service: its custom field, else the service whose pool role it has."""
        service = str(cf(lan, nm.CF_SERVICE) or "")
        if service in self.rules:
            return service
        by_role = [s for s, r in sorted(self.rules.items()) if r.pool_role == role_slug(lan)]
        if by_role:
            return by_role[0]
        if service:
            return service
        raise NetBoxError(f"prefix {lan.get('prefix')} names no service")

    def _from_objects(self, request_id: str, objs: Objects) -> Allocation:
        prefixes = objs["prefix"]
        transfer = next((p for p in prefixes if role_slug(p) == self.transfer_role), None)
        lan = next((p for p in prefixes if p is not transfer), None)
        if lan is None or transfer is None:
            raise NetBoxError(f"NetBox holds an incomplete allocation for {request_id}")
        lan_net, t_net = net(lan["prefix"]), net(transfer["prefix"])
        ips = sorted((iface(i["address"]), i) for i in objs["ip"])
        gw = next((a for a, _ in ips if a.ip in lan_net), None)
        tips = [a for a, _ in ips if a.ip in t_net]
        if gw is None or len(tips) != 2:
            raise NetBoxError(f"NetBox holds an incomplete allocation for {request_id}")
        tenant_d = lan.get("tenant") or {}
        tenant = TenantRow(
            id=int(tenant_d.get("id", 0)),
            slug=str(tenant_d.get("slug", "")),
            name=str(tenant_d.get("name", "")),
        )
        site_rows = self._list(
            self._api.dcim.sites,
            "reading the request's site",
            id=int(lan.get("scope_id") or (lan.get("scope") or {}).get("id") or 0),
        )
        if not site_rows:
            raise NetBoxError(f"the LAN prefix of {request_id} has no site scope")
        site = self._site_row(site_rows[0])
        link = self._link(site)
        if link is None:
            raise NetBoxError(f"site {site.name} of {request_id} has no cabled department link")
        vlan = objs["vlan"][0]
        return build_allocation(
            request_id=request_id,
            service=self._service_of(lan),
            bandwidth_mbps=int(cf(lan, nm.CF_BANDWIDTH) or 0),
            tenant=tenant,
            site=site,
            link=link,
            lan_prefix=lan_net,
            lan_gateway_address=gw,
            transfer_prefix=t_net,
            dist_address=tips[0],
            cpe_address=tips[1],
            vlan_id=int(vlan["vid"]),
            vlan_name_=str(vlan["name"]),
            netbox_ids={
                "prefix": [int(lan["id"]), int(transfer["id"])],
                "ip": [int(i["id"]) for a, i in ips if a.ip in t_net]
                + [int(i["id"]) for a, i in ips if a.ip in lan_net],
                "vlan": [int(vlan["id"])],
                "interface": [int(i["id"]) for i in objs["interface"]],
                nm.IP_PORTS_KEY: nm.ip_ports(link),
            },
        )

    def find_allocation(self, request_id: str) -> Allocation | None:
        """The complete allocation the request holds in NetBox, or None."""
        objs = self._request_objects(request_id)
        if not self._complete(objs):
            return None
        return self._from_objects(request_id, objs)

    def _netprov_tag(self) -> int:
        """The id of the ``netprov`` tag (made by the seed, read once per ``STATIC_TTL_S``)."""
        tags = self._static_read(
            ("tag", nm.TAG), lambda: self._list(self._api.extras.tags, "reading tags", slug=nm.TAG)
        )
        if not tags:
            self._static.pop(("tag", nm.TAG), None)
            raise ConfigError("NetBox has no 'netprov' tag: run `netprov lab seed` first")
        return int(tags[0]["id"])
