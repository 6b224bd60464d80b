"""Step 4 against NetBox: uplink capacity, committed bandwidth, the survey, check and plan.

Which uplink a service's bandwidth counts against is the playbook's ``uplink`` rule
(:class:`~netprov.domain.planning.ServiceRule`): ``area`` = the distribution router serving
the site, bandwidth committed in the site's region; ``global`` = every uplink of the service.
"""

from __future__ import annotations

from typing import Any

from netprov.domain.feasibility import evaluate
from netprov.domain.letters import Letter
from netprov.domain.planning import (
    LinkRow,
    SiteRow,
    Survey,
    UplinkRow,
    build_allocation,
    committed_bandwidth,
    lan_gateway,
    transfer_addresses,
)
from netprov.domain.resources import Allocation, Feasibility, UplinkHeadroom
from netprov.errors import NotFeasibleError
from netprov.netbox import naming as nm
from netprov.netbox.reads import NetBoxReads
from netprov.netbox.records import ACTIVE_STATUSES, cf, obj_id


def _service_filter(services: list[str]) -> str | list[str]:
    """One value as a plain filter (what NetBox has always been asked), several as a list."""
    return services[0] if len(services) == 1 else services


class NetBoxSurvey(NetBoxReads):
    """Bandwidth headroom and the step-4 survey (writes nothing)."""

    def _uplinks(self, service: str, link: LinkRow | None) -> tuple[UplinkRow, ...]:
        rule = self._rule(service)
        rows = self._static_read(
            ("uplinks", rule.uplink_service),
            lambda: self._list(
                self._api.dcim.interfaces,
                "reading uplinks",
                fields="id,name,device,custom_fields",
                **{f"cf_{nm.CF_SERVICE}": rule.uplink_service},
            ),
        )
        out = []
        for r in rows:
            cap = cf(r, nm.CF_UPLINK_CAPACITY)
            if not isinstance(cap, int):
                continue
            if rule.uplink_scope == "area" and (
                link is None or obj_id(r.get("device")) != link.dist_device_id
            ):
                continue
            out.append(
                UplinkRow(device=str(r["device"]["name"]), interface=str(r["name"]), capacity_mbps=cap)
            )
        return tuple(out)

    def _committed(self, service: str, site: SiteRow | None) -> int:
        rule = self._rule(service)
        filters: dict[str, Any] = {
            f"cf_{nm.CF_SERVICE}": _service_filter(self._sharing(rule.uplink_service)),
            "status": ACTIVE_STATUSES,
        }
        if rule.uplink_scope == "area" and site is not None and site.region_id is not None:
            filters["region_id"] = site.region_id
        rows = self._list(self._api.ipam.prefixes, "reading committed bandwidth", **filters)
        return committed_bandwidth((r.get("custom_fields") or {} for r in rows), nm.CF_BANDWIDTH)

    def _survey(self, request_id: str, letter: Letter) -> tuple[Survey, dict[str, Any]]:
        """Read everything step 4 needs. Returns the survey and the records allocate uses."""
        tenant = self._tenant(letter.opd)
        site = self._site(letter.site.name)
        link = self._link(site) if site is not None else None
        pools, tpools = self._pools(letter.service)
        vg = self._vlan_group(link, site) if (link is not None and site is not None) else None
        survey = Survey(
            request_id=request_id,
            service=letter.service,
            tenant=tenant,
            site=site,
            link=link,
            pools=tuple(self._pool_row(p) for p in pools),
            transfer_pools=tuple(self._pool_row(p) for p in tpools),
            vlan_group=vg[1] if vg else None,
            uplinks=self._uplinks(letter.service, link),
            committed_mbps=self._committed(letter.service, site),
            uplink_scope=self._rule(letter.service).uplink_scope,
        )
        return survey, {"pools": pools, "transfer_pools": tpools, "vlan_group": vg[0] if vg else None}

    def headroom(self, letter: Letter) -> UplinkHeadroom | None:
        """The uplink ``letter``'s link counts against, its capacity and committed bandwidth
        (the letter's own link included); None when NetBox records no such uplink."""
        site = self._site(letter.site.name)
        link = self._link(site) if site is not None else None
        uplinks = self._uplinks(letter.service, link)
        if not uplinks:
            return None
        return UplinkHeadroom(
            device=uplinks[0].device,
            interface=uplinks[0].interface,
            capacity_mbps=sum(u.capacity_mbps for u in uplinks),
            committed_mbps=self._committed(letter.service, site),
            requested_mbps=letter.bandwidth_mbps,
        )

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
            request_id=request_id,
            service=letter.service,
            bandwidth_mbps=letter.bandwidth_mbps,
            tenant=survey.tenant,
            site=survey.site,
            link=survey.link,
            lan_prefix=cand.lan_prefix,
            lan_gateway_address=lan_gateway(cand.lan_prefix),
            transfer_prefix=cand.transfer_prefix,
            dist_address=dist,
            cpe_address=cpe,
            vlan_id=cand.vlan_id,
            vlan_name_=nm.vlan_name(survey.site.slug),
        )
