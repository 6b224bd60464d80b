"""Step 7 against NetBox: race-free, idempotent allocation with undo on failure.

Uniqueness across requests comes from NetBox itself: ``available-prefixes``,
``available-ips`` and ``available-vlans`` POSTs take a server-side advisory lock, and the VLAN
of a department link is named after the site (unique per VLAN group), so two requests for
one port cannot both get it. The bandwidth committed against an uplink (a sum over prefixes)
is read and reserved under a lock kept in NetBox (:mod:`netprov.netbox.lock`), one per
uplink service.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pynetbox.core.query import AllocationError, RequestError

from netprov.domain.feasibility import evaluate
from netprov.domain.letters import Letter
from netprov.domain.planning import LinkRow, SiteRow, TenantRow, build_allocation
from netprov.domain.resources import Allocation, lan_prefix_length
from netprov.errors import NetBoxError, NotFeasibleError
from netprov.netbox import naming as nm
from netprov.netbox.client import describe, netbox_errors
from netprov.netbox.lifecycle import NetBoxLifecycle
from netprov.netbox.lock import holder_name, netbox_lock, slug_taken
from netprov.netbox.records import cf, iface, net

log = logging.getLogger(__name__)

Undo = list[tuple[str, Any]]


@dataclass(frozen=True)
class _Ctx:
    """One allocation in progress: who it is for and the common NetBox fields."""

    request_id: str
    letter: Letter
    tenant: TenantRow
    site: SiteRow
    link: LinkRow
    common: dict[str, Any]  # tenant, tags, custom fields

    def desc(self, what: str = "") -> str:
        return nm.allocation_description(
            self.request_id, self.tenant.name, self.site.name, *([what] if what else [])
        )


class NetBoxAllocator(NetBoxLifecycle):
    """Reserve, and undo what a failed reservation made."""

    def _new_request_tag(self, request_id: str) -> int | None:
        """Create the request's tag (the first object a request holds, deleted last); its id,
        or None when the request has it already."""
        slug = nm.request_tag_slug(request_id)
        try:
            tag = self._api.extras.tags.create(
                name=request_id,
                slug=slug,
                color=nm.REQUEST_TAG_COLOR,
                description=f"Objects reserved for request {request_id}",
            )
        except RequestError as exc:
            if slug_taken(exc.req.status_code, str(exc.error)):
                return None
            raise NetBoxError(f"NetBox: creating tag {request_id}: {describe(exc)}") from exc
        return int(tag.id)

    def allocate(self, request_id: str, letter: Letter) -> Allocation:
        """Reserve LAN prefix, transfer /30, three addresses, VLAN and port for a request.

        Idempotent (a re-run returns the same objects) and race-free (NetBox allocates under
        its own lock; the bandwidth headroom is read and taken under netprov's lock in NetBox).
        A full pool, a taken port or a full uplink raises NotFeasibleError; a failure midway
        undoes what this call created.
        """
        netprov_tag = self._netprov_tag()
        req_tag = self._new_request_tag(request_id)
        if req_tag is None:
            # the tag is made first and deleted last: with it the request may hold objects
            objs = self._request_objects(request_id)
            if self._complete(objs):
                return self._from_objects(request_id, objs)
            log.info("request %s holds a partial allocation; releasing it first", request_id)
            self.release(request_id)
            req_tag = self._new_request_tag(request_id)
            if req_tag is None:
                raise NetBoxError(f"NetBox: the tag of {request_id} is back right after its release")
        undo: Undo = [("tag", req_tag)]
        from netprov.netbox.lock import holder_gone

        try:
            # Read the committed bandwidth and reserve under one lock per uplink service: NetBox
            # guards each prefix, address and VLAN, but not the sum of bandwidth on an uplink.
            lock = f"allocate-{self._rule(letter.service).uplink_service}"
            # a holder that died on this host (a SIGKILLed worker) is taken over at once
            with netbox_lock(self._lock_tags, lock, holder_name(request_id), stale=holder_gone):
                survey, recs = self._survey(request_id, letter)
                fe = evaluate(survey, letter)
                if not fe.feasible:
                    raise NotFeasibleError(f"{request_id} is not feasible: " + "; ".join(fe.reasons))
                tenant, site, link = survey.tenant, survey.site, survey.link
                assert tenant is not None and site is not None and link is not None
                tags = [netprov_tag, req_tag]
                return self._allocate(request_id, letter, tenant, site, link, recs, tags, undo)
        except BaseException:
            self._undo(undo)
            raise

    def change_bandwidth(self, request_id: str, letter: Letter, old_mbps: int, note: str) -> None:
        """Set the link's committed bandwidth to ``letter.bandwidth_mbps``; an increase first
        checks the uplink's headroom under the same NetBox lock as :meth:`allocate` (two
        increases, or an increase and a new link, never both take the last Mbps).

        Raises:
            NotFeasibleError: the uplink has less headroom than the increase.
        """
        delta = letter.bandwidth_mbps - old_mbps
        lock = f"allocate-{self._rule(letter.service).uplink_service}"
        with netbox_lock(self._lock_tags, lock, holder_name(request_id)):
            up = self.headroom(letter) if delta > 0 else None
            if up is not None and up.headroom_mbps < delta:
                raise NotFeasibleError(
                    f"{request_id}: uplink {up.device} {up.interface} has {up.headroom_mbps} Mbps left, "
                    f"the increase needs {delta} Mbps"
                )
            self.set_bandwidth(request_id, letter.bandwidth_mbps, note)

    def _allocate(
        self,
        request_id: str,
        letter: Letter,
        tenant: TenantRow,
        site: SiteRow,
        link: LinkRow,
        recs: dict[str, Any],
        tags: list[int],
        undo: Undo,
    ) -> Allocation:
        # an adapter without an identity still overwrites a stale owner left on a port
        cfs: dict[str, str | None] = {nm.CF_REQUEST: request_id, nm.CF_REGISTER: self.register_id or None}
        ctx = _Ctx(
            request_id, letter, tenant, site, link, {"tenant": tenant.id, "tags": tags, "custom_fields": cfs}
        )
        vlan = self._reserve_vlan(ctx, recs["vlan_group"], undo)
        lan, transfer = self._reserve_prefixes(ctx, recs, int(vlan.id), undo)
        tips, gws = self._reserve_addresses(ctx, lan, transfer, undo)
        with netbox_errors(f"marking {link.dist_device} {link.dist_interface}"):
            self._api.dcim.interfaces.update(
                [
                    {
                        "id": link.dist_interface_id,
                        "description": ctx.desc(),
                        "tags": tags,
                        "custom_fields": cfs,
                    }
                ]
            )
        undo.append(("mark", link.dist_interface_id))
        ids = {
            "prefix": [int(lan.id), int(transfer.id)],
            "ip": [int(i.id) for i in sorted(tips, key=lambda r: int(iface(r.address).ip))]
            + [int(i.id) for i in gws],
            "vlan": [int(vlan.id)],
            "interface": [link.dist_interface_id],
            nm.IP_PORTS_KEY: nm.ip_ports(link),
        }
        self._journal_ids(ids, f"{request_id} · langkah 7: dialokasikan (reserved) oleh netprov")
        dist_ip, cpe_ip = sorted((iface(i.address) for i in tips), key=lambda a: int(a.ip))
        return build_allocation(
            request_id=request_id,
            service=letter.service,
            bandwidth_mbps=letter.bandwidth_mbps,
            tenant=tenant,
            site=site,
            link=link,
            lan_prefix=net(lan.prefix),
            lan_gateway_address=iface(gws[0].address),
            transfer_prefix=net(transfer.prefix),
            dist_address=dist_ip,
            cpe_address=cpe_ip,
            vlan_id=int(vlan.vid),
            vlan_name_=str(vlan.name),
            netbox_ids=ids,
        )

    def _reserve_vlan(self, ctx: _Ctx, group: Any, undo: Undo) -> Any:
        """The VLAN, named after the site: reserving it also claims the department port."""
        vname = nm.vlan_name(ctx.site.slug)
        try:
            vlan = group.available_vlans.create(
                {"name": vname, "status": "reserved", "description": ctx.desc(), **ctx.common}
            )
        except AllocationError as exc:
            raise NotFeasibleError(f"VLAN group {group.name} is full ({ctx.request_id})") from exc
        except RequestError as exc:
            if exc.req.status_code == 400 and "name" in str(exc.error).lower():
                holder = self._list(self._api.ipam.vlans, "reading VLANs", group_id=int(group.id), name=vname)
                who = str(cf(holder[0], nm.CF_REQUEST)) if holder else "another request"
                owner = str(cf(holder[0], nm.CF_REGISTER) or "") if holder else ""
                if owner and self.register_id and owner != self.register_id:
                    who += f" of register {owner} (this register is {self.register_id})"
                raise NotFeasibleError(
                    f"port {ctx.link.dist_device} {ctx.link.dist_interface} for "
                    f"{ctx.site.name} is already reserved by {who}"
                ) from exc
            raise NetBoxError(f"NetBox: reserving a VLAN: {describe(exc)}") from exc
        undo.append(("vlan", int(vlan.id)))
        return vlan

    def _reserve_prefixes(self, ctx: _Ctx, recs: dict[str, Any], vlan_id: int, undo: Undo) -> tuple[Any, Any]:
        """The LAN prefix (from the playbook's pool) and the transfer net, one POST each."""
        letter = ctx.letter
        scope = {"status": "reserved", "scope_type": "dcim.site", "scope_id": ctx.site.id}
        lan = self._carve(
            recs["pools"],
            lan_prefix_length(letter.hosts),
            ctx.request_id,
            {
                **ctx.common,
                **scope,
                "vlan": vlan_id,
                "description": ctx.desc(),
                "role": {"slug": self._rule(letter.service).pool_role},
                "custom_fields": {
                    **ctx.common["custom_fields"],
                    nm.CF_BANDWIDTH: letter.bandwidth_mbps,
                    nm.CF_SERVICE: letter.service,
                },
            },
            undo,
        )
        transfer = self._carve(
            recs["transfer_pools"],
            self.transfer_length,
            ctx.request_id,
            {
                **ctx.common,
                **scope,
                "description": ctx.desc("transfer"),
                "role": {"slug": self.transfer_role},
            },
            undo,
        )
        return lan, transfer

    def _reserve_addresses(
        self, ctx: _Ctx, lan: Any, transfer: Any, undo: Undo
    ) -> tuple[list[Any], list[Any]]:
        """One list-POST for both transfer ends, one for the LAN gateway."""
        link = ctx.link
        ends = [f"{link.dist_device} {link.dist_interface}", f"{link.cpe_device} {link.cpe_interface}"]
        try:
            with netbox_errors(f"reserving transfer addresses in {transfer.prefix}"):
                tips = transfer.available_ips.create(
                    [{"status": "reserved", "description": ctx.desc(d), **ctx.common} for d in ends]
                )
            for ip in tips:
                undo.append(("ip", int(ip.id)))
            gw_desc = ctx.desc(f"gateway {link.cpe_device} {link.cpe_lan_interface}")
            with netbox_errors(f"reserving the LAN gateway in {lan.prefix}"):
                gws = lan.available_ips.create([{"status": "reserved", "description": gw_desc, **ctx.common}])
            for ip in gws:
                undo.append(("ip", int(ip.id)))
        except AllocationError as exc:
            raise NotFeasibleError(f"no free addresses for {ctx.request_id}: {describe(exc)}") from exc
        return list(tips), list(gws)

    def _carve(self, pools: list[Any], length: int, request_id: str, body: dict[str, Any], undo: Undo) -> Any:
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

    def _undo(self, undo: Undo) -> None:
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
