"""The allocations of a batch in one lock hold, with list-POSTs (issue 13: NetBox calls).

:meth:`NetBoxBatch.allocate_many` reserves for many requests at once what
:meth:`~netprov.netbox.allocation.NetBoxAllocator.allocate` reserves for one: the reads are
shared (all sites in one call, all their interfaces in one, the distribution ports in one, the
free space of each pool and VLAN group once, the committed bandwidth once per uplink), the
planning is :func:`netprov.domain.batch_planning.plan_batch` (each request in turn against what
the ones before it take), and the writes are one list-POST per kind: the request tags, the
VLANs per group (``available-vlans``), the LAN and transfer prefixes per pool
(``available-prefixes``: NetBox still picks the blocks under its own lock), every address,
the port marks (a list-PATCH) and the journal. :meth:`NetBoxBatch.activate_many` is
``record-netbox`` for many: three list-PATCHes and one journal POST.

Each request stays its own: an infeasible one gets its own ``NotFeasibleError`` while the others
are reserved; its objects carry its own request tag and custom field, so its saga's undo
(:meth:`release`) takes off its objects alone. If a combined write fails, everything the batch
call created is deleted and each request is allocated alone, as before (so one request's
problem, a taken port say, fails that request only).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from netprov.domain.batch_planning import plan_batch
from netprov.domain.letters import Letter
from netprov.domain.planning import (
    LinkRow,
    Survey,
    build_allocation,
    lan_gateway,
    transfer_addresses,
)
from netprov.domain.resources import Allocation, lan_prefix_length
from netprov.errors import NotFeasibleError
from netprov.netbox import naming as nm
from netprov.netbox.allocation import NetBoxAllocator, Undo
from netprov.netbox.batch_activate import NetBoxBatchActivate
from netprov.netbox.batch_reads import BatchReads
from netprov.netbox.client import netbox_errors
from netprov.netbox.lock import holder_gone, holder_name, netbox_lock
from netprov.netbox.records import net

log = logging.getLogger(__name__)

Result = Allocation | BaseException

__all__ = ["NetBoxBatch"]


class NetBoxBatch(NetBoxAllocator, NetBoxBatchActivate):
    """Allocate and activate many requests with one set of calls.

    ``batch_fallbacks``: why a combined call fell back to each request alone (for reports).
    """

    def allocate_many(self, letters: dict[str, Letter]) -> dict[str, Result]:
        """Each request's allocation (or its exception), reserved together when possible."""
        if len(letters) < 2:
            return self._one_by_one(letters)
        netprov_tag = self._netprov_tag()
        tags = self._new_request_tags(list(letters))
        if tags is None:  # some request holds a tag already (a resume): each alone, as before
            self.batch_fallbacks.append("allocate: a request tag exists already")
            return self._one_by_one(letters)
        undo: Undo = [("tag", t) for t in tags.values()]
        out: dict[str, Result] = {}
        try:
            locks = sorted({f"allocate-{self._rule(lt.service).uplink_service}" for lt in letters.values()})
            with _nested_locks(self, locks, holder_name(_batch_holder(list(letters)))):
                out = self._reserve_batch(letters, tags, netprov_tag, undo)
        except BaseException as exc:
            log.warning("batch allocation failed (%s): allocating each request alone", exc)
            self.batch_fallbacks.append(f"allocate: {type(exc).__name__}: {exc}"[:300])
            self._undo(undo)
            return self._one_by_one(letters)
        for rid, res in out.items():
            if isinstance(res, BaseException):  # not feasible: its tag goes, the others stay
                self._undo([("tag", tags[rid])])
        return out

    def _one_by_one(self, letters: dict[str, Letter]) -> dict[str, Result]:
        out: dict[str, Result] = {}
        for rid, letter in letters.items():
            try:
                out[rid] = self.allocate(rid, letter)
            except Exception as exc:  # this request's own failure
                out[rid] = exc
        return out

    def _new_request_tags(self, ids: list[str]) -> dict[str, int] | None:
        """Every request's tag in one list-POST; None when one of them exists (none made)."""
        body = [
            {
                "name": rid,
                "slug": nm.request_tag_slug(rid),
                "color": nm.REQUEST_TAG_COLOR,
                "description": f"Objects reserved for request {rid}",
            }
            for rid in ids
        ]
        try:
            made = self._api.extras.tags.create(body)
        except Exception as exc:  # a slug taken: NetBox made none of them
            log.info("request tags not made in one call: %s", exc)
            return None
        return {str(t.name): int(t.id) for t in made}

    def _reserve_batch(
        self, letters: dict[str, Letter], tags: dict[str, int], netprov_tag: int, undo: Undo
    ) -> dict[str, Result]:
        reads = BatchReads(self)
        surveys, recs = reads.surveys(letters)
        plan = plan_batch([(surveys[rid], letters[rid]) for rid in letters])
        out: dict[str, Result] = {
            rid: NotFeasibleError(f"{rid} is not feasible: " + "; ".join(fe.reasons))
            for rid, fe in plan.results.items()
            if not fe.feasible
        }
        ok = plan.feasible
        if not ok:
            return out
        common = {rid: self._common(rid, surveys[rid], [netprov_tag, tags[rid]]) for rid in ok}
        vlans = self._post_vlans(plan.vlan, recs, surveys, common, undo)
        lans = self._post_prefixes(plan.lan, reads, surveys, letters, common, vlans, undo, lan=True)
        transfers = self._post_prefixes(
            plan.transfer, reads, surveys, letters, common, vlans, undo, lan=False
        )
        ips = self._post_ips(ok, surveys, common, lans, transfers, undo)
        self._mark_ports(ok, surveys, common, undo)
        ids = {
            rid: self._ids(surveys[rid].link, lans[rid], transfers[rid], ips[rid], vlans[rid]) for rid in ok
        }
        self._journal_many(ids, "langkah 7: dialokasikan (reserved) oleh netprov")
        for rid in ok:
            out[rid] = self._build(
                rid, letters[rid], surveys[rid], lans[rid], transfers[rid], vlans[rid], ids[rid]
            )
        return out

    def _common(self, rid: str, survey: Survey, tags: list[int]) -> dict[str, Any]:
        assert survey.tenant is not None
        cfs: dict[str, str | None] = {nm.CF_REQUEST: rid, nm.CF_REGISTER: self.register_id or None}
        return {"tenant": survey.tenant.id, "tags": tags, "custom_fields": cfs}

    def _desc(self, rid: str, survey: Survey, what: str = "") -> str:
        assert survey.tenant is not None and survey.site is not None
        return nm.allocation_description(rid, survey.tenant.name, survey.site.name, *([what] if what else []))

    def _post_vlans(
        self,
        groups: dict[int, list[str]],
        recs: dict[int, Any],
        surveys: dict[str, Survey],
        common: dict[str, dict[str, Any]],
        undo: Undo,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for gid, rids in groups.items():
            body = []
            for rid in rids:
                site = surveys[rid].site
                assert site is not None
                name = nm.vlan_name(site.slug)
                body.append(
                    {
                        "name": name,
                        "status": "reserved",
                        "description": self._desc(rid, surveys[rid]),
                        **common[rid],
                    }
                )
            with netbox_errors(f"reserving {len(body)} VLANs in group {gid}"):
                made = recs[gid].available_vlans.create(body)
            for rid, vlan in zip(rids, made, strict=True):
                undo.append(("vlan", int(vlan.id)))
                out[rid] = vlan
        return out

    def _post_prefixes(
        self,
        pools: dict[int, list[str]],
        reads: BatchReads,
        surveys: dict[str, Survey],
        letters: dict[str, Letter],
        common: dict[str, dict[str, Any]],
        vlans: dict[str, Any],
        undo: Undo,
        *,
        lan: bool,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for pid, rids in pools.items():
            body = [
                self._prefix_body(rid, surveys[rid], letters[rid], common[rid], vlans[rid], lan)
                for rid in rids
            ]
            with netbox_errors(f"reserving {len(body)} prefixes in pool {pid}"):
                made = reads.pool_record(pid).available_prefixes.create(body)
            made = made if isinstance(made, list) else [made]
            for rid, rec in zip(rids, made, strict=True):
                undo.append(("prefix", int(rec.id)))
                out[rid] = rec
        return out

    def _prefix_body(
        self, rid: str, survey: Survey, letter: Letter, common: dict[str, Any], vlan: Any, lan: bool
    ) -> dict[str, Any]:
        assert survey.site is not None
        body: dict[str, Any] = {
            **common,
            "status": "reserved",
            "scope_type": "dcim.site",
            "scope_id": survey.site.id,
        }
        if not lan:
            length = self.transfer_length
            return {
                **body,
                "prefix_length": length,
                "description": self._desc(rid, survey, "transfer"),
                "role": {"slug": self.transfer_role},
            }
        return {
            **body,
            "prefix_length": lan_prefix_length(letter.hosts),
            "vlan": int(vlan.id),
            "description": self._desc(rid, survey),
            "role": {"slug": self._rule(letter.service).pool_role},
            "custom_fields": {
                **common["custom_fields"],
                nm.CF_BANDWIDTH: letter.bandwidth_mbps,
                nm.CF_SERVICE: letter.service,
            },
        }

    def _post_ips(
        self,
        ok: list[str],
        surveys: dict[str, Survey],
        common: dict[str, dict[str, Any]],
        lans: dict[str, Any],
        transfers: dict[str, Any],
        undo: Undo,
    ) -> dict[str, list[Any]]:
        """Every address of the batch in one list-POST: both transfer ends (the first two hosts,
        what ``available-ips`` gives in a new /30) and the LAN gateway (its first host)."""
        body, owner = [], []
        for rid in ok:
            link = surveys[rid].link
            assert link is not None
            dist, cpe = transfer_addresses(net(transfers[rid].prefix))
            gw = lan_gateway(net(lans[rid].prefix))
            for addr, what in (
                (dist, f"{link.dist_device} {link.dist_interface}"),
                (cpe, f"{link.cpe_device} {link.cpe_interface}"),
                (gw, f"gateway {link.cpe_device} {link.cpe_lan_interface}"),
            ):
                body.append(
                    {
                        "address": str(addr),
                        "status": "reserved",
                        "description": self._desc(rid, surveys[rid], what),
                        **common[rid],
                    }
                )
                owner.append(rid)
        with netbox_errors(f"reserving {len(body)} addresses"):
            made = self._api.ipam.ip_addresses.create(body)
        out: dict[str, list[Any]] = {rid: [] for rid in ok}
        for rid, ip in zip(owner, made, strict=True):
            undo.append(("ip", int(ip.id)))
            out[rid].append(ip)
        return out

    def _mark_ports(
        self, ok: list[str], surveys: dict[str, Survey], common: dict[str, dict[str, Any]], undo: Undo
    ) -> None:
        body = []
        for rid in ok:
            link = surveys[rid].link
            assert link is not None
            c = common[rid]
            body.append(
                {
                    "id": link.dist_interface_id,
                    "description": self._desc(rid, surveys[rid]),
                    "tags": c["tags"],
                    "custom_fields": c["custom_fields"],
                }
            )
        with netbox_errors(f"marking {len(body)} distribution ports"):
            self._api.dcim.interfaces.update(body)
        undo.extend(("mark", b["id"]) for b in body)

    @staticmethod
    def _ids(
        link: LinkRow | None, lan: Any, transfer: Any, ips: list[Any], vlan: Any
    ) -> dict[str, list[int]]:
        assert link is not None
        return {
            "prefix": [int(lan.id), int(transfer.id)],
            "ip": [int(i.id) for i in ips],  # dist end, CPE end, LAN gateway
            "vlan": [int(vlan.id)],
            "interface": [link.dist_interface_id],
            nm.IP_PORTS_KEY: nm.ip_ports(link),
        }

    def _journal_many(self, ids: dict[str, dict[str, list[int]]], what: str) -> None:
        entries = [
            {
                "assigned_object_type": self._KIND_TYPES[k],
                "assigned_object_id": i,
                "kind": "info",
                "comments": f"{rid} · {what}",
            }
            for rid, by_kind in ids.items()
            for k, v in by_kind.items()
            if k in self._KIND_TYPES
            for i in v
        ]
        if entries:
            with netbox_errors("writing journal entries"):
                self._api.extras.journal_entries.create(entries)

    def _build(
        self,
        rid: str,
        letter: Letter,
        survey: Survey,
        lan: Any,
        transfer: Any,
        vlan: Any,
        ids: dict[str, list[int]],
    ) -> Allocation:
        assert survey.tenant is not None and survey.site is not None and survey.link is not None
        dist, cpe = transfer_addresses(net(transfer.prefix))
        return build_allocation(
            request_id=rid,
            service=letter.service,
            bandwidth_mbps=letter.bandwidth_mbps,
            tenant=survey.tenant,
            site=survey.site,
            link=survey.link,
            lan_prefix=net(lan.prefix),
            lan_gateway_address=lan_gateway(net(lan.prefix)),
            transfer_prefix=net(transfer.prefix),
            dist_address=dist,
            cpe_address=cpe,
            vlan_id=int(vlan.vid),
            vlan_name_=str(vlan.name),
            netbox_ids=ids,
        )


def _batch_holder(ids: list[str]) -> str:
    """Who holds the allocation lock for a batch (short: a NetBox tag description is 200 chars).

    >>> _batch_holder(["PJB-2026-0001", "PJB-2026-0002", "PJB-2026-0009"])
    'batch of 3 (PJB-2026-0001..PJB-2026-0009)'
    """
    return f"batch of {len(ids)} ({ids[0]}..{ids[-1]})"


@contextlib.contextmanager
def _nested_locks(ipam: NetBoxAllocator, keys: list[str], holder: str) -> Iterator[None]:
    """Every allocation lock of the batch, taken in sorted order, released in reverse."""
    with contextlib.ExitStack() as stack:
        for key in keys:
            stack.enter_context(netbox_lock(ipam.lock_tags, key, holder, stale=holder_gone))
        yield
