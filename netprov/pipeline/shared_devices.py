"""The other live links on a decommissioned link's devices, from the register alone.

A decommission takes off only its link's own lines, never one another live link needs
(:mod:`netprov.platforms.shared_lines`). What those links need comes from their provisioning
runs' journals (what each pushed, each device before and after); the lines earlier
decommissions kept for them come from those decommissions' step-7 records (``kept``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netprov.platforms.shared_lines import OtherLink

if TYPE_CHECKING:
    from netprov.pipeline.drift import LiveRun
    from netprov.platforms.config_undo import Path
    from netprov.sop.service import RequestService


def other_live_runs(service: RequestService, link_id: str) -> dict[str, LiveRun]:
    """Every other link the pipeline provisioned whose run is on the devices, by request id."""
    from netprov.pipeline.drift import live_run, provisioned_ids

    out: dict[str, LiveRun] = {}
    for rid in provisioned_ids(service):
        live = live_run(service.runs.entries(rid)) if rid != link_id else None
        if live is not None:
            out[rid] = live
    return out


def others_on(runs: dict[str, LiveRun], device: str) -> list[OtherLink]:
    """The other links' runs that changed ``device``."""
    return [
        OtherLink(rid, live.pushed.get(device, ""), live.snapshots[device], live.afters[device])
        for rid, live in sorted(runs.items())
        if device in live.snapshots and device in live.afters
    ]


def kept_by_decommissions(service: RequestService) -> dict[str, set[Path]]:
    """Per device: the lines finished decommissions left on it because another link needed them."""
    from netprov.pipeline.provision import PROVISIONED_STATES
    from netprov.sop.changes import kind_of

    out: dict[str, set[Path]] = {}
    for rec in service.find():
        if kind_of(rec) != "decommission" or rec.state not in PROVISIONED_STATES:
            continue
        ev = next((e for e in reversed(rec.events) if e.action == "provision"), None)
        kept = (ev.outputs.get("kept") if ev else None) or {}
        for device, lines in dict(kept).items():
            out.setdefault(str(device), set()).update(tuple(str(p) for p in path) for path in lines)
    return out
