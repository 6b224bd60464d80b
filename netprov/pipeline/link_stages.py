"""The 14 stages of provisioning one link (SOP step 7), as saga stages with their undo.

allocate → render → validate → lock → snapshot → diff → push → release → monitor-register →
verify → monitor → confirm → record-netbox → record. ``monitor-register`` comes before ``verify`` so the
monitoring systems warm up (Zabbix loads the new host into its configuration cache, Prometheus
discovers the target) while the checks run; ``monitor`` then only waits for the first good
probe. ``monitor-register``'s undo deregisters, so a failed ``verify`` (or a kill anywhere
after it began) takes the monitoring entries off too.
Each stage works on a :class:`LinkRun` (the run's context) and returns the
data the journal keeps; ``snapshot``'s ``done`` data (``{"snapshots": {device: config}}``) and
``push``'s (``{"after": {device: config after this run's commit}}``) are what ``push``'s undo
works from, also from another process after a kill (``reload``).

``lock`` takes the per-device locks (:mod:`netprov.pipeline.device_locks`) of every device of the
link, in sorted order, and renders again under them; ``release`` confirms the commits and
releases them right after the push (with ``device_locks_through_checks``, ``confirm`` does; after a
failed run's undo, ``lock``'s undo does). ``push``'s undo takes only this run's own change off
(:mod:`netprov.pipeline.device_stages`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from netprov.errors import PipelineError
from netprov.pipeline import device_ops
from netprov.pipeline.checks import check_label, check_timeout, verify_task
from netprov.pipeline.device_stages import (
    confirm_commits,
    release,
    reload_lock,
    reload_push,
    reload_release,
    undo_lock,
    undo_push,
)
from netprov.pipeline.link_run import DeviceDiff, LinkDeps, LinkRun, raise_failures
from netprov.pipeline.nornir_setup import only
from netprov.pipeline.saga import JournalData, Progress, Stage
from netprov.platforms import get_platform
from netprov.platforms.config_undo import parse
from netprov.render.link import RenderedConfig, announced_prefixes, render_link
from netprov.render.playbook import Playbook, ResolvedCheck, resolve_checks
from netprov.render.validate import validate_config

if TYPE_CHECKING:
    from nornir.core import Nornir

    from netprov.domain.resources import Allocation
    from netprov.domain.topology import Topology
    from netprov.monitoring.base import ProbeStatus, Registration
    from netprov.netbox.port import Ipam
    from netprov.settings import Settings
    from netprov.sop.record import RequestRecord

__all__ = [
    "LINK_STAGES",
    "STAGES",
    "DeviceDiff",
    "LinkDeps",
    "LinkRun",
    "device_diffs",
    "outputs",
    "raise_failures",
    "render_configs",
    "render_intended",
    "validate_configs",
]


def render_configs(
    deps: LinkDeps, record: RequestRecord, allocation: Allocation, playbook: Playbook
) -> list[RenderedConfig]:
    """Every device's config for the link (a playbook that announces lists the active prefixes)."""
    return render_intended(deps.settings, deps.ipam, deps.topology, record, allocation, playbook)


def render_intended(
    settings: Settings,
    ipam: Ipam,
    topology: Topology,
    record: RequestRecord,
    allocation: Allocation,
    playbook: Playbook,
) -> list[RenderedConfig]:
    """:func:`render_configs` from its parts (``netprov drift`` renders the same way)."""
    internet = announced_prefixes(playbook, ipam.active_prefixes, allocation)
    return render_link(
        record.id,
        record.letter,
        allocation,
        topology,
        playbook,
        form=record.form,
        internet_prefixes=internet,
        templates_dir=settings.templates_dir / "devices",
    )


def validate_configs(configs: list[RenderedConfig]) -> None:
    """Raise ``PipelineError`` listing every validator that rejected a rendered config."""
    problems = []
    for cfg in configs:
        for res in validate_config(cfg):
            if not res.ok:
                problems.append(f"{cfg.device} ({res.validator}): {'; '.join(res.messages)[:300]}")
    if problems:
        raise PipelineError("rendered configs failed validation: " + " | ".join(problems))


def device_diffs(nr: Nornir, configs: list[RenderedConfig], progress: Progress) -> list[DeviceDiff]:
    """What each device would change to take its config."""
    out = []
    for cfg in configs:
        res = only(nr, [cfg.device]).run(task=device_ops.diff_config, config=cfg.text, mode=cfg.mode)
        raise_failures(res, "diff")
        out.append(DeviceDiff(cfg.device, cfg.platform, cfg.role, cfg.mode, str(res[cfg.device][0].result)))
        progress("diff", cfg.device, "changes" if out[-1].diff.strip() else "no change")
    return out


def registration_line(reg: Registration) -> dict[str, Any]:
    """A backend's line of the register's monitoring evidence, before its first probe."""
    return {"backend": reg.backend, "id": ",".join(f"{k}={v}" for k, v in reg.ids.items()) or reg.request_id}


def with_statuses(lines: list[dict[str, Any]], statuses: list[ProbeStatus]) -> list[dict[str, Any]]:
    """The registration lines with each backend's probe: up or down, how long it waited.

    A backend with a status but no line (its registration was journaled by an older run)
    gets a line named by the request id.
    """
    by_backend = {line["backend"]: line for line in lines}
    return [
        {
            **by_backend.get(st.backend, {"backend": st.backend, "id": st.request_id}),
            "status": "up" if st.up else "down",
            "waited_seconds": st.waited_seconds,
            "detail": st.detail,
        }
        for st in statuses
    ]


def monitoring_evidence(regs: list[Registration], statuses: list[ProbeStatus]) -> list[dict[str, Any]]:
    """One line per backend for the register: its ids, up or down, how long it waited."""
    return with_statuses([registration_line(r) for r in regs], statuses)


def outputs(run: LinkRun) -> dict[str, Any]:
    """What step 7 records in the register (and ``RunResult.outputs``)."""
    return {
        "run_id": run.run_id,
        "playbook": run.playbook.service,
        "allocation": run.allocation.model_dump(mode="json") if run.allocation else None,
        "devices": run.devices,
        "verification": run.verification,
        "monitoring": run.monitoring,
        "seconds": run.seconds,
    }


def _allocation(run: LinkRun) -> Allocation:
    if run.allocation is None:
        raise PipelineError(f"{run.record.id}: no allocation yet (the allocate stage did not run)")
    return run.allocation


# --- the stages ----------------------------------------------------------------------------------
def allocate(run: LinkRun) -> JournalData:
    gathered = run.deps.batch_netbox  # in a batch: one call set with the batch's other requests
    rid, letter = run.record.id, run.record.letter
    a = gathered.allocate(rid, letter) if gathered is not None else run.deps.ipam.allocate(rid, letter)
    run.allocation = a
    run.progress("allocate", "", f"LAN {a.lan_prefix}, transfer {a.transfer_prefix}, VLAN {a.vlan_id}")
    return {"allocation": a.model_dump(mode="json")}


def undo_allocate(run: LinkRun) -> None:
    run.deps.ipam.release(run.record.id)


def render(run: LinkRun) -> JournalData:
    run.configs = render_configs(run.deps, run.record, _allocation(run), run.playbook)
    return {"configs": {c.device: c.text for c in run.configs}}


def validate(run: LinkRun) -> JournalData:
    validate_configs(run.configs)
    return {}


def lock(run: LinkRun) -> JournalData:
    """Take the locks of every device the link may change (sorted), then render again: NetBox
    as seen under them. A merge fragment of comments only (the core of an intranet link)
    changes nothing, so its device is not locked: runs that only share it do not wait."""
    run.locked = [c.device for c in run.configs if not changes_nothing(c)]
    run.hold_devices(run.locked)
    before = {c.device: c.text for c in run.configs}
    configs = render_configs(run.deps, run.record, _allocation(run), run.playbook)
    validate_configs(configs)
    run.configs = configs
    changed = {c.device: c.text for c in configs if before.get(c.device) != c.text}
    return {"devices": run.locked, "configs": changed}


def changes_nothing(cfg: RenderedConfig) -> bool:
    """A merge of nothing but comments and separators: pushing it cannot change the device."""
    if cfg.mode != "merge":
        return False
    comments = get_platform(cfg.platform).comment_prefixes
    return all(ln.structural for ln in parse(cfg.text, comments))


def snapshot(run: LinkRun) -> JournalData:
    res = only(run.nr, [c.device for c in run.configs]).run(task=device_ops.running_config)
    raise_failures(res, "saving the running configs")
    run.snapshots = {name: str(r[0].result) for name, r in res.items()}
    return {"snapshots": run.snapshots}


def reload_snapshot(run: LinkRun, data: JournalData) -> None:
    if "snapshots" in data:
        run.snapshots = dict(data["snapshots"])


def diff(run: LinkRun) -> JournalData:
    diffs = device_diffs(run.nr, run.configs, run.progress)
    return {"diffs": {d.device: d.diff for d in diffs}}


def push_begin(run: LinkRun) -> JournalData:
    return {"devices": [c.device for c in run.configs]}


def push(run: LinkRun) -> JournalData:
    run.devices = []
    for cfg in run.configs:  # in playbook order: each device only after the one before it
        run.fence()
        res = only(run.nr, [cfg.device]).run(
            task=device_ops.push_config,
            config=cfg.text,
            mode=cfg.mode,
            message=f"netprov {run.record.id} run {run.run_id}",
            revert_in=run.deps.revert_in,
            pending_wait=run.deps.pending_wait_seconds,
            on_pending=lambda device: run.progress(
                "push", device, "a commit of another run is pending confirmation: waiting"
            ),
        )
        raise_failures(res, f"commit on {cfg.device}")
        out = res[cfg.device][0].result
        if out["committed_at"]:
            run.afters[cfg.device] = out["after"]
        run.devices.append(
            {
                "name": cfg.device,
                "platform": cfg.platform,
                "diff": out["diff"],
                "committed_at": out["committed_at"],
            }
        )
        run.progress("push", cfg.device, "committed" if out["committed_at"] else "no change")
    return {"devices": run.devices, "after": run.afters}


def verify_one(run: LinkRun, check: ResolvedCheck) -> tuple[bool, str]:
    """Retry one check on its device until it passes or its timeout ends."""
    device = check.device or check.from_device
    if device is None:
        raise PipelineError(f"check {check.kind} names no device")
    host = only(run.nr, [device])

    def attempt() -> tuple[bool, str]:
        # on_failed: a check that raised marks the host failed, and Nornir would skip it on the
        # next try (a KeyError instead of a retry)
        res = host.run(task=verify_task, check=check, on_failed=True)
        if res[device].failed:
            exc = res[device][0].exception
            return False, f"{type(exc).__name__}: {exc}"[:300]
        ok, detail = res[device][0].result
        return bool(ok), str(detail)

    return device_ops.wait_until(attempt, check_timeout(check, run.deps.converge_seconds))


def verify(run: LinkRun) -> JournalData:
    run.verification = []
    for check in resolve_checks(run.playbook, _allocation(run), run.deps.topology):
        t0 = time.monotonic()
        ok, detail = verify_one(run, check)
        label = check_label(check)
        seconds = round(time.monotonic() - t0, 2)
        run.verification.append({"check": label, "ok": ok, "detail": detail, "seconds": seconds})
        run.progress("verify", check.device or check.from_device or "", f"{'ok' if ok else 'FAILED'} {label}")
        if not ok:
            raise PipelineError(f"check failed: {label}: {detail}")
    return {"verification": run.verification}


def monitor_register(run: LinkRun) -> JournalData:
    """Register the link in every monitoring system right after the push, so their warm-up
    (Zabbix's configuration cache, Prometheus' target discovery) runs while ``verify`` does.
    Its undo deregisters: a failed verify or a failed first probe takes the entries off."""
    from netprov.monitoring.base import MonitoredLink
    from netprov.monitoring.factory import register_all

    link, gathered = MonitoredLink.from_allocation(_allocation(run)), run.deps.batch_netbox
    if gathered is not None and gathered.gathers_monitoring:  # in bulk with the batch's others
        regs = gathered.register_monitoring(link)
    else:
        regs = register_all(run.deps.monitors(), link)
    run.monitoring = [registration_line(reg) for reg in regs]
    run.progress("monitor-register", "", "registered in " + ", ".join(r.backend for r in regs))
    return {"monitoring": run.monitoring}


def reload_monitor_register(run: LinkRun, data: JournalData) -> None:
    if "monitoring" in data:
        run.monitoring = [dict(line) for line in data["monitoring"]]


def monitor(run: LinkRun) -> JournalData:
    """Wait (after ``verify``) for the first good probe in every system ``monitor-register`` used."""
    from netprov.monitoring.factory import status_all

    statuses = status_all(run.deps.monitors(), run.record.id, run.deps.settings.monitoring_wait_seconds)
    run.monitoring = with_statuses(run.monitoring, statuses)
    for st in statuses:
        run.progress(
            "monitor", "", f"{st.backend}: {'up' if st.up else 'NOT up'} after {st.waited_seconds:.1f}s"
        )
    down = [s for s in statuses if not s.up]
    if down:
        raise PipelineError(
            "monitoring does not see the link up: "
            + "; ".join(f"{s.backend}: {s.detail or 'no good probe'}" for s in down)
        )
    return {"monitoring": run.monitoring}


def undo_monitor(run: LinkRun) -> None:
    from netprov.monitoring.factory import deregister_all

    deregister_all(run.deps.monitors(), run.record.id)


def confirm(run: LinkRun) -> JournalData:
    """Confirm what ``release`` did not (all of it with ``device_locks_through_checks``), then
    let the devices go: the change is final."""
    confirmed = confirm_commits(run)
    run.release_devices()
    return {"confirmed": sorted(confirmed)}


def record_netbox(run: LinkRun) -> JournalData:
    note = f"Dibangun oleh netprov (run {run.run_id}) oleh {run.actor}"
    gathered = run.deps.batch_netbox
    if gathered is not None:
        gathered.activate(_allocation(run), 7, note)
    else:
        run.deps.ipam.activate(_allocation(run), 7, note)
    return {}


def undo_record_netbox(run: LinkRun) -> None:
    return None  # release (undo of allocate) removes what activate marked


def record(run: LinkRun) -> JournalData:
    run.deps.service.record_provisioned(run.record.id, run.actor, outputs(run))
    return {}


LINK_STAGES: tuple[Stage[LinkRun], ...] = (
    Stage("allocate", allocate, undo=undo_allocate),
    Stage("render", render),
    Stage("validate", validate),
    Stage("lock", lock, undo=undo_lock, reload=reload_lock),
    Stage("snapshot", snapshot, reload=reload_snapshot),
    Stage("diff", diff),
    Stage("push", push, undo=undo_push, begin=push_begin, reload=reload_push),
    Stage("release", release, reload=reload_release),
    Stage("monitor-register", monitor_register, undo=undo_monitor, reload=reload_monitor_register),
    Stage("verify", verify),
    Stage("monitor", monitor),
    Stage("confirm", confirm),
    Stage("record-netbox", record_netbox, undo=undo_record_netbox),
    Stage("record", record),
)
STAGES = [s.name for s in LINK_STAGES]
