"""Step 4 of a change request: what a decommission will remove, or the headroom of a new rate.

Reads only: the register (the link's live run), NetBox (its objects, the uplink's committed
bandwidth) and monitoring (its entries). The device lines are the link's own, from its run's
journal and its intended config now, the lines the decommission's ``remove-lines`` stage will
take off (that stage reads the devices again under their locks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netprov.domain.resources import Feasibility, Finding
from netprov.errors import NetBoxError
from netprov.pipeline.link_stages import render_intended
from netprov.platforms import get_platform
from netprov.platforms.config_undo import parse
from netprov.render.playbook import load_playbook

if TYPE_CHECKING:
    from netprov.domain.topology import Topology
    from netprov.netbox.port import Ipam
    from netprov.settings import Settings
    from netprov.sop.record import RequestRecord
    from netprov.sop.service import RequestService


def _paths(text: str, comments: tuple[str, ...]) -> set[tuple[str, ...]]:
    return {ln.path for ln in parse(text, comments) if not ln.structural}


def link_lines(
    settings: Settings, svc: RequestService, ipam: Ipam, topology: Topology, link_id: str
) -> tuple[RequestRecord, dict[str, list[str]], Any]:
    """The link's request, its own lines per device (``section > line``) and its allocation."""
    from netprov.pipeline.drift import provisioned_link

    link, live = provisioned_link(svc, link_id)
    allocation = ipam.find_allocation(link_id)
    if allocation is None:
        raise NetBoxError(f"NetBox holds no allocation for {link_id}: nothing to change")
    playbook = load_playbook(settings, link.letter.service)
    out: dict[str, list[str]] = {}
    for cfg in render_intended(settings, ipam, topology, link, allocation, playbook):
        comments = get_platform(cfg.platform).comment_prefixes
        before = _paths(live.snapshots.get(cfg.device, ""), comments)
        mine = _paths(live.afters.get(cfg.device, ""), comments)
        if cfg.mode == "merge":
            mine |= _paths(cfg.text, comments)
        own = sorted(mine - before)
        if own:
            out[cfg.device] = [" > ".join(p) for p in own]
    return link, out, allocation


def decommission_check(
    settings: Settings,
    svc: RequestService,
    ipam: Ipam,
    topology: Topology,
    record: RequestRecord,
    monitors: list[Any],
) -> Feasibility:
    """What the decommission of ``record``'s link will remove: device lines, NetBox objects,
    monitoring entries. Feasible when the link is live and NetBox holds its allocation."""
    link_id = str(record.request.letter["of"])
    link, lines, allocation = link_lines(settings, svc, ipam, topology, link_id)
    findings = [
        Finding(check="link", ok=True, detail=f"{link_id}: {link.letter.opd}, LAN {allocation.lan_prefix}"),
    ]
    for device, own in lines.items():
        shown = "; ".join(own[:12]) + (f"; and {len(own) - 12} more" if len(own) > 12 else "")
        findings.append(Finding(check="devices", ok=True, detail=f"{device}: {len(own)} baris: {shown}"))
    objs = ipam.tagged_objects(link_id)
    netbox = ", ".join(f"{o['kind']} {o['display']}" for o in objs) or "none"
    findings.append(Finding(check="netbox", ok=bool(objs), detail=f"dilepas: {netbox} (kabel tetap)"))
    regs = [b.name for b in monitors if b.find(link_id) is not None]
    findings.append(
        Finding(
            check="monitoring", ok=True, detail="dihapus dari: " + (", ".join(regs) or "(tidak terdaftar)")
        )
    )
    return Feasibility(
        feasible=all(f.ok for f in findings),
        service=link.letter.service,
        hosts=link.letter.hosts,
        bandwidth_mbps=allocation.bandwidth_mbps,
        prefix_length=allocation.lan_prefix.prefixlen,
        findings=findings,
        removes={
            "devices": lines,
            "netbox": [f"{o['kind']} {o['display']}" for o in objs],
            "monitoring": regs,
        },
    )


def bandwidth_check(svc: RequestService, ipam: Ipam, record: RequestRecord) -> Feasibility:
    """A new rate for a link: an increase needs the difference free on the link's uplink
    (NetBox's committed bandwidth counts the link's current rate); a decrease always fits.
    Step 7 checks it again under the allocation lock (:meth:`NetBoxAllocator.change_bandwidth`)."""
    from netprov.pipeline.drift import provisioned_link
    from netprov.sop.changes import effective_bandwidth

    link_id = str(record.request.letter["of"])
    link, _ = provisioned_link(svc, link_id)
    letter = record.letter
    old, new = effective_bandwidth(link), letter.bandwidth_mbps
    up = ipam.headroom(letter)
    delta = new - old
    if delta <= 0:
        ok, detail = True, f"penurunan {old} -> {new} Mbps: tidak memerlukan kapasitas uplink"
    elif up is None:
        ok, detail = False, f"kapasitas uplink layanan {letter.service} tidak tercatat di NetBox"
    else:
        ok = up.headroom_mbps >= delta
        where = (
            f"uplink {up.device} {up.interface} {up.capacity_mbps} Mbps, terpakai {up.committed_mbps} Mbps"
        )
        verdict = "cukup" if ok else "tidak cukup"
        detail = f"bandwidth {verdict}: {where}, sisa {up.headroom_mbps} Mbps, "
        detail += f"kenaikan {old} -> {new} = {delta} Mbps"
    findings = [
        Finding(check="link", ok=True, detail=f"{link_id}: {link.letter.opd}, kini {old} Mbps"),
        Finding(check="bandwidth", ok=ok, detail=detail),
    ]
    allocation = ipam.find_allocation(link_id)
    return Feasibility(
        feasible=ok and allocation is not None,
        service=letter.service,
        hosts=letter.hosts,
        bandwidth_mbps=new,
        prefix_length=allocation.lan_prefix.prefixlen if allocation else 0,
        findings=findings,
        uplink=up,
    )
