"""Consistency of one link's inputs before rendering: ids, services, addresses, pool.

Every check raises :class:`~netprov.errors.RenderError` naming the field.
"""

from __future__ import annotations

from netprov.domain.letters import CompletenessForm, Letter
from netprov.domain.resources import Allocation
from netprov.domain.topology import Topology
from netprov.errors import RenderError
from netprov.render.playbook import Playbook, default_playbook


def _check_pool(alloc: Allocation, topology: Topology, playbook: Playbook) -> None:
    """The LAN must be inside the playbook's pool."""
    name = playbook.lan_pool
    if name not in topology.pools:
        raise RenderError(f"playbook {playbook.service}: pool {name!r} is not in the topology")
    pool = topology.pools[name].prefix
    if not alloc.lan_prefix.subnet_of(pool):
        raise RenderError(
            f"lan_prefix {alloc.lan_prefix} of a {alloc.service} link is not inside its pool {name} ({pool})"
        )


def _check_allocation(alloc: Allocation) -> None:
    lan, gw = alloc.lan_prefix, alloc.lan_gateway
    if gw.network != lan or gw.ip in (lan.network_address, lan.broadcast_address):
        raise RenderError(f"lan_gateway {gw} is not a host address of lan_prefix {lan}")
    tr = alloc.transfer_prefix
    for field, addr in (("dist_address", alloc.dist_address), ("cpe_address", alloc.cpe_address)):
        if addr.network != tr:
            raise RenderError(f"{field} {addr} is not in transfer_prefix {tr}")
    if alloc.dist_address.ip == alloc.cpe_address.ip:
        raise RenderError("dist_address and cpe_address are the same address")
    if not 1 <= alloc.vlan_id <= 4094:
        raise RenderError(f"vlan_id {alloc.vlan_id} is outside 1-4094")
    if not 1 <= alloc.bandwidth_mbps <= 100_000:
        raise RenderError(f"bandwidth_mbps {alloc.bandwidth_mbps} is outside 1-100000")


def check_inputs(
    rid: str,
    letter: Letter,
    allocation: Allocation,
    topology: Topology,
    form: CompletenessForm | None,
    playbook: Playbook | None,
) -> Playbook:
    """Check that the request's parts agree; return the playbook to render with."""
    if allocation.request_id != rid:
        raise RenderError(f"allocation is for {allocation.request_id!r}, not {rid!r}")
    if allocation.service != letter.service:
        raise RenderError(
            f"allocation service {allocation.service} differs from the letter's {letter.service}"
        )
    if form is not None and form.request != rid:
        raise RenderError(f"completeness form is for {form.request!r}, not {rid!r}")
    pb = playbook or default_playbook(allocation.service)
    if pb.service != allocation.service:
        raise RenderError(f"playbook is for {pb.service} links, the allocation is {allocation.service}")
    _check_allocation(allocation)
    _check_pool(allocation, topology, pb)
    return pb
