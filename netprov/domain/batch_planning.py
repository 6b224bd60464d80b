"""The allocations of a batch planned together (pure): what one lock hold may reserve.

A batch reads NetBox once (:class:`~netprov.domain.planning.Survey` per request, from shared
reads) and reserves for every feasible request at once. The surveys were read before any of
the batch's reservations, so each is evaluated in turn against what the requests before it in
the batch take: their LAN and transfer prefixes are no longer free, their bandwidth counts
against the uplink they share, their site's VLAN name (and department port) is held.

:func:`plan_batch` gives each request its feasibility (reasons when not) and groups what the
feasible ones take by pool, in the order NetBox's list-POST on the pool's ``available-prefixes``
hands the blocks out (the first fit of each, in turn), so the results of one list-POST per pool
map back onto the requests.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from netprov.domain.feasibility import evaluate
from netprov.domain.letters import Letter
from netprov.domain.planning import Net, PoolRow, Survey
from netprov.domain.resources import Feasibility

__all__ = ["BatchPlan", "carve", "plan_batch"]


def carve(available: Iterable[Net], taken: Net) -> tuple[Net, ...]:
    """The free blocks once ``taken`` is reserved out of them.

    >>> import ipaddress
    >>> n = ipaddress.ip_network
    >>> carve([n("10.0.0.0/24"), n("10.0.2.0/30")], n("10.0.0.0/26"))
    (IPv4Network('10.0.0.64/26'), IPv4Network('10.0.0.128/25'), IPv4Network('10.0.2.0/30'))
    """
    out: list[Net] = []
    for block in available:
        if taken.subnet_of(block):
            out.extend(block.address_exclude(taken) if block != taken else ())
        elif not block.subnet_of(taken):
            out.append(block)
    return tuple(sorted(out, key=lambda b: (int(b.network_address), b.prefixlen)))


def _pool_of(pools: Sequence[PoolRow], prefix: Net) -> PoolRow | None:
    return next((p for p in pools if prefix.subnet_of(p.prefix)), None)


@dataclass
class BatchPlan:
    """What the feasible requests of a batch take, grouped for one list-POST per pool/group.

    ``lan``/``transfer``: pool id -> the request ids whose block comes from it, in order;
    ``vlan``: VLAN group id -> the request ids, in order; ``results``: each request's
    feasibility, in the order given.
    """

    results: dict[str, Feasibility] = field(default_factory=dict)
    lan: dict[int, list[str]] = field(default_factory=dict)
    transfer: dict[int, list[str]] = field(default_factory=dict)
    vlan: dict[int, list[str]] = field(default_factory=dict)

    @property
    def feasible(self) -> list[str]:
        return [rid for rid, fe in self.results.items() if fe.feasible]


@dataclass
class _Taken:
    """What the requests planned so far hold: free space per pool, bandwidth per uplink, sites."""

    free: dict[int, tuple[Net, ...]] = field(default_factory=dict)
    mbps: dict[tuple[str, ...], int] = field(default_factory=dict)
    site_holder: dict[int, str] = field(default_factory=dict)

    def pools(self, pools: Sequence[PoolRow]) -> tuple[PoolRow, ...]:
        return tuple(dataclasses.replace(p, available=self.free.get(p.id, p.available)) for p in pools)


def _uplink_key(survey: Survey) -> tuple[str, ...]:
    return (survey.uplink_scope, *sorted(f"{u.device} {u.interface}" for u in survey.uplinks))


def _as_now(survey: Survey, taken: _Taken) -> Survey:
    """The survey as it reads once the requests planned before it hold their objects."""
    group = survey.vlan_group
    if group is not None and survey.site is not None and survey.site.id in taken.site_holder:
        group = dataclasses.replace(group, port_vlan_holder=taken.site_holder[survey.site.id])
    return dataclasses.replace(
        survey,
        pools=taken.pools(survey.pools),
        transfer_pools=taken.pools(survey.transfer_pools),
        committed_mbps=survey.committed_mbps + taken.mbps.get(_uplink_key(survey), 0),
        vlan_group=group,
    )


def plan_batch(items: Sequence[tuple[Survey, Letter]]) -> BatchPlan:
    """Each request's feasibility, in turn, given what the ones before it take."""
    plan, taken = BatchPlan(), _Taken()
    for survey0, letter in items:
        survey = _as_now(survey0, taken)
        fe = evaluate(survey, letter)
        rid = survey.request_id
        plan.results[rid] = fe
        if not fe.feasible:
            continue
        cand = fe.candidate
        assert cand.lan_prefix is not None and cand.transfer_prefix is not None
        assert survey.site is not None and survey.vlan_group is not None
        for pools, prefix, groups in (
            (survey.pools, cand.lan_prefix, plan.lan),
            (survey.transfer_pools, cand.transfer_prefix, plan.transfer),
        ):
            pool = _pool_of(pools, prefix)
            assert pool is not None
            taken.free[pool.id] = carve(taken.free.get(pool.id, pool.available), prefix)
            groups.setdefault(pool.id, []).append(rid)
        plan.vlan.setdefault(survey.vlan_group.id, []).append(rid)
        key = _uplink_key(survey)
        taken.mbps[key] = taken.mbps.get(key, 0) + letter.bandwidth_mbps
        taken.site_holder[survey.site.id] = rid
    return plan
