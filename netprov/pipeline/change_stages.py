"""The stages of a change of a built link (SOP step 7 of a decommission or a bandwidth change).

A change request ``C`` changes the link of request ``L`` (``C``'s letter ``of``). Its run is a
saga in ``C``'s own journal, built from the stages its kind's playbook lists
(``playbooks/changes/<kind>.yaml``, :mod:`netprov.pipeline.change_run`). The device stages are
the new link's (``snapshot``, ``diff``, ``push`` with commit-confirm and its undo, ``confirm``);
what differs is what is pushed:

* **decommission**: each device's running config (read under its lock) without ``L``'s own
  lines (:func:`netprov.platforms.config_undo.without_link`: what ``L``'s push added, plus its
  intended lines now, minus what was there before ``L``), pushed whole (``replace``); then
  ``L`` leaves Zabbix and Prometheus and NetBox releases its prefixes, addresses and VLAN
  (a journal entry on the port, which stays with its cable and is free again).
* **bandwidth-change**: ``L``'s intended config rendered with the new rate, merged (the
  templates' rate lines change, nothing else), ``L``'s own checks, the monitoring entries
  registered again with the new rate, NetBox's committed bandwidth updated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netprov.errors import NetBoxError, PipelineError
from netprov.pipeline import device_ops
from netprov.pipeline.link_run import LinkRun, raise_failures
from netprov.pipeline.link_stages import changes_nothing, render_intended
from netprov.pipeline.nornir_setup import only
from netprov.pipeline.saga import JournalData
from netprov.platforms import get_platform
from netprov.platforms.config_undo import parse, without_link
from netprov.render.link import RenderedConfig

if TYPE_CHECKING:
    from netprov.domain.resources import Allocation
    from netprov.pipeline.drift import LiveRun
    from netprov.sop.record import RequestRecord


@dataclass
class ChangeRun(LinkRun):
    """A change run's context: ``link`` is the changed link's request, ``live`` its run."""

    link: RequestRecord | None = None
    live: LiveRun | None = None
    removed: dict[str, list[str]] = field(default_factory=dict)
    released: list[str] = field(default_factory=list)
    old_bandwidth: int = 0

    @property
    def link_id(self) -> str:
        of = self.record.request.letter.get("of")
        if not of:
            raise PipelineError(f"{self.record.id} names no link to change (letter field of)")
        return str(of)

    def locked_or_all(self) -> list[str]:
        """The devices the lock stage locked (every device of the link before it ran)."""
        return list(self.locked) if self.locked is not None else [c.device for c in self.configs]

    def the_link(self) -> RequestRecord:
        if self.link is None:
            raise PipelineError(f"{self.record.id}: the plan stage did not run")
        return self.link

    def the_allocation(self) -> Allocation:
        if self.allocation is None:
            raise PipelineError(f"{self.record.id}: the plan stage found no allocation")
        return self.allocation


def _as_change(run: LinkRun) -> ChangeRun:
    if not isinstance(run, ChangeRun):
        raise PipelineError(f"{run.record.id}: a change stage needs a change run")
    return run


# --- shared ---------------------------------------------------------------------------------------
def plan(run: LinkRun) -> JournalData:
    """The link, its live run, its allocation in NetBox and its intended configs now."""
    from netprov.pipeline.drift import provisioned_link
    from netprov.sop.changes import decommissioned_by, effective_bandwidth

    r = _as_change(run)
    link, live = provisioned_link(r.deps.service, r.link_id)
    if by := decommissioned_by(link):
        raise PipelineError(f"{r.link_id} was decommissioned by {by}")
    allocation = r.deps.ipam.find_allocation(r.link_id)
    if allocation is None:
        raise NetBoxError(f"NetBox holds no allocation for {r.link_id}: nothing to change")
    r.link, r.live, r.old_bandwidth = link, live, effective_bandwidth(link)
    new_rate = int(r.record.letter.bandwidth_mbps)
    if r.record.request.letter.get("kind") == "bandwidth-change":
        allocation = allocation.model_copy(update={"bandwidth_mbps": new_rate})
    r.allocation = allocation
    r.configs = render_intended(r.deps.settings, r.deps.ipam, r.deps.topology, link, allocation, r.playbook)
    r.progress("plan", "", f"{r.link_id}: {len(r.configs)} devices, LAN {allocation.lan_prefix}")
    return {"allocation": allocation.model_dump(mode="json"), "link": r.link_id, "old": r.old_bandwidth}


def reload_plan(run: LinkRun, data: JournalData) -> None:
    from netprov.domain.resources import Allocation

    r = _as_change(run)
    if data.get("allocation"):
        r.allocation = Allocation.model_validate(data["allocation"])
    r.old_bandwidth = int(data.get("old") or 0)


def lock(run: LinkRun) -> JournalData:
    """The locks of every device the change may touch (sorted, all or none)."""
    run.locked = [c.device for c in run.configs if not changes_nothing(c)]
    run.hold_devices(run.locked)
    return {"devices": run.locked}


# --- decommission ---------------------------------------------------------------------------------
def remove_lines(run: LinkRun) -> JournalData:
    """Per device: its config (the snapshot, read under the lock) without the link's lines."""
    r = _as_change(run)
    if r.live is None:
        raise PipelineError(f"{r.record.id}: the plan stage did not run")
    targets: list[RenderedConfig] = []
    for cfg in r.configs:
        if cfg.device not in r.locked_or_all():
            continue
        comments = get_platform(cfg.platform).comment_prefixes
        before = r.live.snapshots.get(cfg.device)
        after = r.live.afters.get(cfg.device)
        if before is None or after is None:
            raise PipelineError(f"{r.link_id}'s run journaled no config of {cfg.device}: lines unknown")
        intended = cfg.text if cfg.mode == "merge" else ""  # a whole config lists other links too
        text, gone = without_link(before, after, intended, r.snapshots[cfg.device], comments)
        if not gone:
            continue
        r.removed[cfg.device] = [" > ".join(p) for p in gone]
        targets.append(cfg.model_copy(update={"mode": "replace", "text": text, "template": "decommission"}))
        r.progress("remove-lines", cfg.device, f"{len(gone)} lines of {r.link_id} to take off")
    r.configs = targets
    return {"configs": {c.device: c.text for c in targets}, "removed": r.removed}


def verify_removed(run: LinkRun) -> JournalData:
    """Each device's running config holds none of the lines taken off."""
    r = _as_change(run)
    r.verification = []
    for cfg in r.configs:
        res = only(r.nr, [cfg.device]).run(task=device_ops.running_config)
        raise_failures(res, f"reading {cfg.device}")
        comments = get_platform(cfg.platform).comment_prefixes
        paths = {" > ".join(ln.path) for ln in parse(str(res[cfg.device][0].result), comments)}
        left = [p for p in r.removed.get(cfg.device, []) if p in paths]
        ok = not left
        detail = "every line of the link is gone" if ok else "still there: " + "; ".join(left)[:250]
        r.verification.append({"check": f"{cfg.device}: {r.link_id} removed", "ok": ok, "detail": detail})
        r.progress("verify", cfg.device, f"{'ok' if ok else 'FAILED'}: {detail}")
        if not ok:
            raise PipelineError(f"{cfg.device}: {detail}")
    return {"verification": r.verification}


def monitor_deregister(run: LinkRun) -> JournalData:
    from netprov.monitoring.factory import deregister_all

    r = _as_change(run)
    gone = deregister_all(r.deps.monitors(), r.link_id)
    r.monitoring = [
        {"backend": b, "id": r.link_id, "status": "removed" if ok else "absent"} for b, ok in gone.items()
    ]
    r.progress("monitor-deregister", "", ", ".join(f"{m['backend']}: {m['status']}" for m in r.monitoring))
    return {"monitoring": r.monitoring}


def undo_monitor_deregister(run: LinkRun) -> None:
    """Register the link again as it was (its allocation and rate)."""
    _register(_as_change(run), bandwidth=None)


def release_netbox(run: LinkRun) -> JournalData:
    """A journal entry on the link's objects (the port keeps it), then release them."""
    r = _as_change(run)
    note = f"dibongkar oleh {r.record.id} (run {r.run_id}, {r.actor}): {r.record.letter.reason or ''}"
    r.deps.ipam.journal(r.link_id, 7, note[:900])
    r.released = r.deps.ipam.release(r.link_id)
    r.progress("release-netbox", "", "released " + ", ".join(r.released))
    return {"released": r.released}


# --- bandwidth change -----------------------------------------------------------------------------
def _register(r: ChangeRun, bandwidth: int | None) -> list[dict[str, Any]]:
    from netprov.monitoring.base import MonitoredLink
    from netprov.monitoring.factory import register_all

    alloc = r.the_allocation()
    rate = bandwidth if bandwidth is not None else (r.old_bandwidth or alloc.bandwidth_mbps)
    link = MonitoredLink.from_allocation(alloc.model_copy(update={"bandwidth_mbps": rate}))
    regs = register_all(r.deps.monitors(), link)
    return [
        {"backend": g.backend, "id": r.link_id, "status": f"updated: {rate} Mbps", "bandwidth_mbps": rate}
        for g in regs
    ]


def monitor_update(run: LinkRun) -> JournalData:
    """The link's monitoring entries registered again with the new rate (macros, thresholds)."""
    r = _as_change(run)
    r.monitoring = _register(r, r.the_allocation().bandwidth_mbps)
    shown = ", ".join(f"{m['backend']}: {m['bandwidth_mbps']} Mbps" for m in r.monitoring)
    r.progress("monitor-update", "", shown)
    return {"monitoring": r.monitoring}


def undo_monitor_update(run: LinkRun) -> None:
    r = _as_change(run)
    _register(r, r.old_bandwidth or None)


def netbox_bandwidth(run: LinkRun) -> JournalData:
    """NetBox's committed bandwidth of the link (its LAN prefix) set to the new rate."""
    r = _as_change(run)
    rate = r.the_allocation().bandwidth_mbps
    note = f"{r.record.id}: bandwidth {r.old_bandwidth} -> {rate} Mbps"
    r.deps.ipam.change_bandwidth(r.link_id, r.record.letter, r.old_bandwidth, note)
    return {"bandwidth_mbps": rate}


def undo_netbox_bandwidth(run: LinkRun) -> None:
    r = _as_change(run)
    if r.old_bandwidth:
        r.deps.ipam.set_bandwidth(r.link_id, r.old_bandwidth, f"{r.record.id}: undone")


# --- the record ----------------------------------------------------------------------------------
def record(run: LinkRun) -> JournalData:
    """Step 7 of the change in its own trail, and an annotation on the changed link."""
    from netprov.pipeline.link_stages import outputs
    from netprov.sop.changes import BANDWIDTH_CHANGED, DECOMMISSIONED

    r = _as_change(run)
    kind = str(r.record.request.letter.get("kind"))
    out = {**outputs(r), "playbook": kind, "of": r.link_id, "removed": r.removed, "released": r.released}
    svc = r.deps.service
    if kind == "decommission":
        svc.record_provisioned(r.record.id, r.actor, out, note=f"Jaringan {r.link_id} dibongkar (netprov)")
        svc.annotate(r.link_id, r.actor, DECOMMISSIONED, f"Dibongkar oleh {r.record.id}", {"by": r.record.id})
    else:
        rate = r.the_allocation().bandwidth_mbps
        out["bandwidth"] = {"from_mbps": r.old_bandwidth, "to_mbps": rate}
        note = f"Bandwidth {r.link_id}: {r.old_bandwidth} -> {rate} Mbps (netprov)"
        svc.record_provisioned(r.record.id, r.actor, out, note=note)
        svc.annotate(r.link_id, r.actor, BANDWIDTH_CHANGED, note, {"by": r.record.id, "bandwidth_mbps": rate})
    return {}
