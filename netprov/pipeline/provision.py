"""The provisioning saga: SOP step 7 done by software, all or nothing.

Stages run in order; each is journaled (``begin``/``done``/``failed``) in the register before and
after it runs, with the data its undo needs. On any failure every begun stage with an undo is
undone in reverse (devices back to their saved configs, confirmed by a compare; NetBox
reservation released; monitoring deregistered), the failure is appended to the request's
trail, and the request stays at step 7. A run killed midway is finished by ``--resume``: it
rolls back what the dead run began (from the journal), then runs again; no half-step is
repeated on top of itself.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from nornir.core import Nornir
from nornir.core.task import AggregatedResult

from netprov.domain.resources import Allocation
from netprov.domain.sop import State
from netprov.domain.topology import Topology, load_topology
from netprov.errors import ConcurrencyError, NetprovError, PipelineError, WorkflowError
from netprov.netbox.port import Ipam
from netprov.pipeline import device_ops
from netprov.pipeline.nornir_setup import build_nornir, only
from netprov.render.link import RenderedConfig, announced_prefixes, render_link
from netprov.render.playbook import Playbook, ResolvedCheck, load_playbook, resolve_checks
from netprov.render.validate import validate_config
from netprov.settings import Settings
from netprov.sop.record import RequestRecord
from netprov.sop.service import RequestService
from netprov.store.db import JournalEntry

Progress = Callable[[str, str, str], None]  # (stage, device or "", message)

STAGES = [
    "allocate",
    "render",
    "validate",
    "snapshot",
    "diff",
    "push",
    "verify",
    "monitor",
    "confirm",
    "record-netbox",
    "record",
]
CONVERGE_SECONDS = 90.0


def _quiet(stage: str, device: str, message: str) -> None:
    return None


@dataclass
class DeviceDiff:
    device: str
    platform: str
    role: str
    mode: str
    diff: str


@dataclass
class DryRunResult:
    request_id: str
    allocation: Allocation
    allocated: bool  # True: NetBox already holds it; False: what allocate would take now
    configs: list[RenderedConfig]
    diffs: list[DeviceDiff]

    @property
    def changes_pending(self) -> bool:
        return (not self.allocated) or any(d.diff.strip() for d in self.diffs)


@dataclass
class RunResult:
    request_id: str
    run_id: str
    status: str  # "provisioned" | "already-provisioned"
    seconds: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Run:
    record: RequestRecord
    run_id: str
    actor: str
    playbook: Playbook
    allocation: Allocation | None = None
    configs: list[RenderedConfig] = field(default_factory=list)
    snapshots: dict[str, str] = field(default_factory=dict)
    devices: list[dict[str, Any]] = field(default_factory=list)
    verification: list[dict[str, Any]] = field(default_factory=list)
    monitoring: list[dict[str, Any]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def _holder(actor: str) -> str:
    return f"{actor}@{socket.gethostname()}:{os.getpid()}"


def _holder_dead(holder: str) -> bool:
    """True when the lock holder was a process on this machine that no longer runs."""
    try:
        host, pid = holder.rsplit("@", 1)[1].rsplit(":", 1)
    except (IndexError, ValueError):
        return False
    if host != socket.gethostname():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False


def _raise_failures(result: AggregatedResult, what: str) -> None:
    failed = {name: r for name, r in result.items() if r.failed}
    if not failed:
        return
    parts = []
    for name, multi in failed.items():
        exc = next((r.exception for r in multi if r.exception is not None), None)
        msg = str(exc).strip().splitlines()[0] if exc and str(exc).strip() else type(exc).__name__
        parts.append(f"{name}: {msg[:300]}")
    raise PipelineError(f"{what} failed on " + "; ".join(parts))


class Provisioner:
    """Runs step 7 for one request against NetBox, the devices and monitoring."""

    def __init__(
        self,
        settings: Settings,
        service: RequestService,
        ipam: Ipam,
        monitors: list[Any] | None = None,
        topology: Topology | None = None,
        nornir_factory: Callable[[bool], Nornir] | None = None,
        progress: Progress = _quiet,
        revert_in: int | None = None,
        fault: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.svc = service
        self.ipam = ipam
        self._monitors = monitors
        self.topology = topology or load_topology(settings.topology_file)
        self._nornir_factory = nornir_factory or (lambda dry: build_nornir(settings, dry_run=dry))
        self.progress = progress
        self.revert_in = revert_in or settings.commit_confirm_seconds
        self.fault = fault or (lambda stage: None)  # test hook: raise to inject a fault at a stage

    @property
    def monitors(self) -> list[Any]:
        if self._monitors is None:
            from netprov.monitoring.factory import backends_from_settings

            self._monitors = list(backends_from_settings(self.settings))
        return self._monitors

    # --- shared pure-ish steps -------------------------------------------------------------
    def _render(
        self, record: RequestRecord, allocation: Allocation, playbook: Playbook
    ) -> list[RenderedConfig]:
        internet = announced_prefixes(playbook, self.ipam.active_prefixes, allocation)
        return render_link(
            record.id,
            record.letter,
            allocation,
            self.topology,
            playbook,
            form=record.form,
            internet_prefixes=internet,
            templates_dir=self.settings.templates_dir / "devices",
        )

    def _validate(self, configs: list[RenderedConfig]) -> None:
        problems = []
        for cfg in configs:
            for res in validate_config(cfg):
                if not res.ok:
                    problems.append(f"{cfg.device} ({res.validator}): {'; '.join(res.messages)[:300]}")
        if problems:
            raise PipelineError("rendered configs failed validation: " + " | ".join(problems))

    def _diffs(self, nr: Nornir, configs: list[RenderedConfig]) -> list[DeviceDiff]:
        out = []
        for cfg in configs:
            res = only(nr, [cfg.device]).run(task=device_ops.diff_config, config=cfg.text, mode=cfg.mode)
            _raise_failures(res, "diff")
            out.append(
                DeviceDiff(cfg.device, cfg.platform, cfg.role, cfg.mode, str(res[cfg.device][0].result))
            )
            self.progress("diff", cfg.device, "changes" if out[-1].diff.strip() else "no change")
        return out

    # --- dry run ------------------------------------------------------------------------------
    def dry_run(self, request_id: str) -> DryRunResult:
        """Allocations it would make and the diff per device; changes nothing anywhere."""
        record = self.svc.get(request_id)
        if record.state is not State.FORM_COMPLETE and record.state not in _DONE_STATES:
            raise WorkflowError(_not_ready(record))
        playbook = load_playbook(self.settings, record.letter.service)
        existing = self.ipam.find_allocation(request_id)
        allocation = existing or self.ipam.plan(request_id, record.letter)
        self.progress(
            "allocate", "", f"{'reserved' if existing else 'would reserve'} {allocation.lan_prefix}"
        )
        configs = self._render(record, allocation, playbook)
        self.progress("render", "", f"{len(configs)} configs")
        self._validate(configs)
        self.progress("validate", "", "ok")
        nr = self._nornir_factory(True)
        try:
            diffs = self._diffs(nr, configs)
        finally:
            nr.close_connections()
        return DryRunResult(request_id, allocation, existing is not None, configs, diffs)

    # --- the real run ---------------------------------------------------------------------------
    def run(self, request_id: str, actor: str, resume: bool = False) -> RunResult:
        record = self.svc.get(request_id)
        if record.state in _DONE_STATES:
            return RunResult(request_id, "", "already-provisioned")
        if record.state is not State.FORM_COMPLETE:
            raise WorkflowError(_not_ready(record))
        self.svc.users.get(actor)
        with self._lock(request_id, actor, resume):
            interrupted = self._interrupted_run(request_id)
            if interrupted and not resume:
                raise PipelineError(
                    f"{request_id}: run {interrupted} was interrupted; use --resume to roll it back "
                    "and provision again"
                )
            if interrupted:
                self.rollback_interrupted(request_id, interrupted, actor)
                record = self.svc.get(request_id)
                if record.state in _DONE_STATES:
                    return RunResult(request_id, interrupted, "already-provisioned")
            return self._run(record, actor)

    @contextlib.contextmanager
    def _lock(self, request_id: str, actor: str, resume: bool) -> Iterator[None]:
        store = self.svc.store
        try:
            token = store.acquire_lock(request_id, _holder(actor))
        except ConcurrencyError:
            held = store.lock_holder(request_id)
            if not (resume and held and _holder_dead(held[0])):
                raise
            store.release_lock(request_id)
            token = store.acquire_lock(request_id, _holder(actor))
        try:
            yield
        finally:
            store.release_lock(request_id, token)

    def _journal(self, run: _Run, stage: str, phase: str, data: dict[str, Any] | None = None) -> None:
        self.svc.store.journal(run.record.id, run.run_id, stage, phase, data)

    def _run(self, record: RequestRecord, actor: str) -> RunResult:
        run = _Run(
            record=record,
            run_id=uuid.uuid4().hex[:12],
            actor=actor,
            playbook=load_playbook(self.settings, record.letter.service),
        )
        self._journal(run, "run", "start", {"actor": actor})
        self.progress("run", "", f"run {run.run_id}")
        nr = self._nornir_factory(False)
        begun: list[str] = []
        try:
            for stage in STAGES:
                begun.append(stage)
                self._journal(run, stage, "begin", self._begin_data(run, stage))
                t0 = time.monotonic()
                data = getattr(self, "_do_" + stage.replace("-", "_"))(run, nr)
                self.fault(stage)
                run.seconds[stage] = round(time.monotonic() - t0, 2)
                self._journal(run, stage, "done", data)
                self.progress(stage, "", f"done in {run.seconds[stage]:.1f}s")
        except BaseException as exc:
            failed_stage = begun[-1] if begun else "run"
            message = _message(exc)
            self._journal(run, failed_stage, "failed", {"error": message})
            self.progress(failed_stage, "", f"FAILED: {message}")
            undo_errors = self._undo(run, nr, begun)
            nr.close_connections()
            if isinstance(exc, KeyboardInterrupt | SystemExit) and not undo_errors:
                self._journal(run, "run", "rolled-back", {"stage": failed_stage})
                raise
            self._journal(
                run,
                "run",
                "rolled-back" if not undo_errors else "rollback-incomplete",
                {"stage": failed_stage, "error": message, "undo_errors": undo_errors},
            )
            with contextlib.suppress(NetprovError):
                self.svc.annotate(
                    record.id,
                    actor,
                    "provision-failed",
                    f"Tahap {failed_stage} gagal: {message}"[:2000],
                    {
                        "run_id": run.run_id,
                        "stage": failed_stage,
                        "error": message,
                        "rolled_back": not undo_errors,
                        "undo_errors": undo_errors,
                    },
                )
            tail = (
                "; everything was rolled back"
                if not undo_errors
                else "; ROLLBACK INCOMPLETE: " + "; ".join(undo_errors)
            )
            raise PipelineError(f"{record.id}: stage {failed_stage} failed: {message}{tail}") from exc
        nr.close_connections()
        self._journal(run, "run", "finished", {"seconds": run.seconds})
        return RunResult(record.id, run.run_id, "provisioned", run.seconds, self._outputs(run))

    def _begin_data(self, run: _Run, stage: str) -> dict[str, Any]:
        if stage == "push":
            return {"devices": [c.device for c in run.configs]}
        return {}

    # --- stages ------------------------------------------------------------------------------------
    def _do_allocate(self, run: _Run, nr: Nornir) -> dict[str, Any]:
        run.allocation = self.ipam.allocate(run.record.id, run.record.letter)
        self.progress(
            "allocate",
            "",
            f"LAN {run.allocation.lan_prefix}, transfer {run.allocation.transfer_prefix}, "
            f"VLAN {run.allocation.vlan_id}",
        )
        return {"allocation": run.allocation.model_dump(mode="json")}

    def _do_render(self, run: _Run, nr: Nornir) -> dict[str, Any]:
        assert run.allocation is not None
        run.configs = self._render(run.record, run.allocation, run.playbook)
        return {"configs": {c.device: c.text for c in run.configs}}

    def _do_validate(self, run: _Run, nr: Nornir) -> dict[str, Any]:
        self._validate(run.configs)
        return {}

    def _do_snapshot(self, run: _Run, nr: Nornir) -> dict[str, Any]:
        res = only(nr, [c.device for c in run.configs]).run(task=device_ops.running_config)
        _raise_failures(res, "saving the running configs")
        run.snapshots = {name: str(r[0].result) for name, r in res.items()}
        return {"snapshots": run.snapshots}

    def _do_diff(self, run: _Run, nr: Nornir) -> dict[str, Any]:
        diffs = self._diffs(nr, run.configs)
        return {"diffs": {d.device: d.diff for d in diffs}}

    def _do_push(self, run: _Run, nr: Nornir) -> dict[str, Any]:
        run.devices = []
        for cfg in run.configs:  # in playbook order: each device only after the one before it
            res = only(nr, [cfg.device]).run(
                task=device_ops.push_config,
                config=cfg.text,
                mode=cfg.mode,
                message=f"netprov {run.record.id} run {run.run_id}",
                revert_in=self.revert_in,
            )
            _raise_failures(res, f"commit on {cfg.device}")
            out = res[cfg.device][0].result
            run.devices.append(
                {
                    "name": cfg.device,
                    "platform": cfg.platform,
                    "diff": out["diff"],
                    "committed_at": out["committed_at"],
                }
            )
            self.progress("push", cfg.device, "committed" if out["committed_at"] else "no change")
        return {"devices": run.devices}

    def _do_verify(self, run: _Run, nr: Nornir) -> dict[str, Any]:
        assert run.allocation is not None
        checks = resolve_checks(run.playbook, run.allocation, self.topology)
        run.verification = []
        for check in checks:
            ok, detail = self._verify_one(nr, check)
            label = _check_label(check)
            run.verification.append({"check": label, "ok": ok, "detail": detail})
            self.progress(
                "verify", check.device or check.from_device or "", f"{'ok' if ok else 'FAILED'} {label}"
            )
            if not ok:
                raise PipelineError(f"check failed: {label}: {detail}")
        return {"verification": run.verification}

    def _verify_one(self, nr: Nornir, check: ResolvedCheck) -> tuple[bool, str]:
        device = check.device or check.from_device
        assert device is not None
        host = only(nr, [device])

        def attempt() -> tuple[bool, str]:
            res = host.run(task=_verify_task, check=check)
            if res[device].failed:
                exc = res[device][0].exception
                return False, f"{type(exc).__name__}: {exc}"[:300]
            ok, detail = res[device][0].result
            return bool(ok), str(detail)

        timeout = CONVERGE_SECONDS if check.kind in {"route", "ping", "bgp_announced"} else 10.0
        return device_ops.wait_until(attempt, timeout)

    def _do_monitor(self, run: _Run, nr: Nornir) -> dict[str, Any]:
        from netprov.monitoring.base import MonitoredLink
        from netprov.monitoring.factory import register_all, status_all

        assert run.allocation is not None
        link = MonitoredLink.from_allocation(run.allocation)
        regs = register_all(self.monitors, link)
        self.progress("monitor", "", "registered in " + ", ".join(r.backend for r in regs))
        statuses = status_all(self.monitors, run.record.id, self.settings.monitoring_wait_seconds)
        run.monitoring = []
        for reg, st in zip(regs, statuses, strict=True):
            run.monitoring.append(
                {
                    "backend": reg.backend,
                    "id": ",".join(f"{k}={v}" for k, v in reg.ids.items()) or reg.request_id,
                    "status": "up" if st.up else "down",
                    "waited_seconds": st.waited_seconds,
                    "detail": st.detail,
                }
            )
            self.progress(
                "monitor", "", f"{st.backend}: {'up' if st.up else 'NOT up'} after {st.waited_seconds:.0f}s"
            )
        down = [s for s in statuses if not s.up]
        if down:
            raise PipelineError(
                "monitoring does not see the link up: "
                + "; ".join(f"{s.backend}: {s.detail or 'no good probe'}" for s in down)
            )
        return {"monitoring": run.monitoring}

    def _do_confirm(self, run: _Run, nr: Nornir) -> dict[str, Any]:
        committed = [d["name"] for d in run.devices if d["committed_at"]]
        if not committed:
            return {"confirmed": []}
        res = only(nr, committed).run(task=device_ops.confirm)
        _raise_failures(res, "confirming the commits")
        return {"confirmed": sorted(res)}

    def _do_record_netbox(self, run: _Run, nr: Nornir) -> dict[str, Any]:
        assert run.allocation is not None
        self.ipam.activate(run.allocation, 7, f"Dibangun oleh netprov (run {run.run_id}) oleh {run.actor}")
        return {}

    def _do_record(self, run: _Run, nr: Nornir) -> dict[str, Any]:
        self.svc.record_provisioned(run.record.id, run.actor, self._outputs(run))
        return {}

    def _outputs(self, run: _Run) -> dict[str, Any]:
        return {
            "run_id": run.run_id,
            "playbook": run.playbook.service,
            "allocation": run.allocation.model_dump(mode="json") if run.allocation else None,
            "devices": run.devices,
            "verification": run.verification,
            "monitoring": run.monitoring,
            "seconds": run.seconds,
        }

    # --- undo ---------------------------------------------------------------------------------------
    def _undo(self, run: _Run, nr: Nornir, begun: list[str]) -> list[str]:
        errors: list[str] = []
        for stage in reversed(begun):
            undo = getattr(self, "_undo_" + stage.replace("-", "_"), None)
            if undo is None:
                continue
            self._journal(run, stage, "undo-begin")
            try:
                undo(run, nr)
            except Exception as exc:  # keep undoing the rest; report every failure
                errors.append(f"{stage}: {_message(exc)}")
                self._journal(run, stage, "undo-failed", {"error": _message(exc)})
                continue
            self._journal(run, stage, "undo-done")
            self.progress(stage, "", "undone")
        return errors

    def _undo_allocate(self, run: _Run, nr: Nornir) -> None:
        self.ipam.release(run.record.id)

    def _undo_push(self, run: _Run, nr: Nornir) -> None:
        if not run.snapshots:
            return
        names = list(run.snapshots)
        for name in reversed(names):
            res = only(nr, [name]).run(task=device_ops.restore, snapshot=run.snapshots[name])
            _raise_failures(res, f"restoring {name}")
            self.progress("push", name, "restored to its saved config")

    def _undo_monitor(self, run: _Run, nr: Nornir) -> None:
        from netprov.monitoring.factory import deregister_all

        deregister_all(self.monitors, run.record.id)

    def _undo_record_netbox(self, run: _Run, nr: Nornir) -> None:
        return None  # release (undo of allocate) removes what activate marked

    # --- resume -------------------------------------------------------------------------------------
    def _interrupted_run(self, request_id: str) -> str | None:
        """The run id of a run that started and neither finished nor rolled back."""
        entries = self.svc.store.journal_entries(request_id)
        runs: dict[str, list[JournalEntry]] = {}
        for e in entries:
            runs.setdefault(e.run_id, []).append(e)
        for run_id, items in reversed(list(runs.items())):
            ends = {(e.stage, e.phase) for e in items}
            if ("run", "finished") in ends or ("run", "rolled-back") in ends:
                return None
            return run_id
        return None

    def undo_finished_run(self, request_id: str, actor: str) -> list[str]:
        """Take a provisioned link back out (devices, NetBox, monitoring) from its run's journal.

        Not an SOP step (decommissioning is its own SOP); used to reset a lab and by tests.
        """
        runs = [
            e.run_id
            for e in self.svc.store.journal_entries(request_id)
            if e.stage == "run" and e.phase == "finished"
        ]
        if not runs:
            raise PipelineError(f"{request_id} has no finished provisioning run")
        return self.rollback_interrupted(request_id, runs[-1], actor, finished_ok=True)

    def rollback_interrupted(
        self, request_id: str, run_id: str, actor: str, finished_ok: bool = False
    ) -> list[str]:
        """Undo what an interrupted run began, from its journal; the register says so."""
        entries = [e for e in self.svc.store.journal_entries(request_id) if e.run_id == run_id]
        record = self.svc.get(request_id)
        run = _Run(
            record=record,
            run_id=run_id,
            actor=actor,
            playbook=load_playbook(self.settings, record.letter.service),
        )
        begun = [s for s in STAGES if any(e.stage == s and e.phase == "begin" for e in entries)]
        if "record" in begun and record.state in _DONE_STATES and not finished_ok:
            self._journal(run, "run", "finished", {"resumed": True})
            self.progress("resume", "", f"run {run_id} had already recorded step 7")
            return []
        for e in entries:
            if e.phase == "done" and "snapshots" in e.data:
                run.snapshots = dict(e.data["snapshots"])
        self.progress(
            "resume", "", f"rolling back interrupted run {run_id} ({', '.join(begun) or 'nothing'})"
        )
        nr = self._nornir_factory(False)
        try:
            errors = self._undo(run, nr, begun)
        finally:
            nr.close_connections()
        self._journal(
            run,
            "run",
            "rolled-back" if not errors else "rollback-incomplete",
            {"resumed": True, "undo_errors": errors},
        )
        with contextlib.suppress(NetprovError):
            self.svc.annotate(
                request_id,
                actor,
                "provision-resumed",
                f"Run {run_id} terputus; dibatalkan " + ("lengkap" if not errors else "SEBAGIAN"),
                {"run_id": run_id, "undone": begun, "undo_errors": errors},
            )
        if errors:
            raise PipelineError(f"{request_id}: rolling back run {run_id} failed: " + "; ".join(errors))
        return errors


_DONE_STATES = {State.PROVISIONED, State.REPORTED, State.FORWARDED, State.REVIEWED, State.DONE}


def _not_ready(record: RequestRecord) -> str:
    return (
        f"{record.id} is {record.state.value}: provisioning (step 7) needs an accepted request whose "
        "completeness form is complete (state form_complete)"
    )


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:500]


def _check_label(check: ResolvedCheck) -> str:
    if check.kind == "ping":
        src = f" from {check.source}" if check.source else ""
        return f"ping {check.from_device}{src} → {check.target}"
    if check.kind == "interface_address":
        return f"{check.device} {check.interface} has {check.address}"
    if check.kind == "route":
        return f"{check.device} has route {check.prefix} ({check.protocol})"
    return f"{check.device} learned {check.prefix} by BGP"


def _verify_task(task: Any, check: ResolvedCheck) -> Any:
    """One verification, on the device it names. Result: (ok, detail)."""
    from nornir.core.task import Result

    drv = task.host.get_connection("napalm", task.nornir.config)
    if check.kind == "interface_address":
        assert check.interface and check.address
        addrs = drv.get_interfaces_ip().get(check.interface, {}).get("ipv4", {})
        ok = (
            str(check.address.ip) in addrs
            and addrs[str(check.address.ip)].get("prefix_length") == check.address.network.prefixlen
        )
        return Result(host=task.host, result=(ok, f"{check.interface}: {', '.join(addrs) or 'no address'}"))
    if check.kind == "route":
        routes = drv.get_route_to(destination=str(check.prefix), protocol=check.protocol or "")
        entries = routes.get(str(check.prefix), [])
        ok = any(r.get("current_active") for r in entries)
        via = ", ".join(f"{r.get('protocol')} via {r.get('next_hop')}" for r in entries) or "no route"
        return Result(host=task.host, result=(ok, via))
    if check.kind == "ping":
        res = drv.ping(
            str(check.target), source=str(check.source) if check.source else "", count=3, timeout=1
        )
        ok_part = res.get("success", {})
        ok = bool(ok_part) and ok_part.get("packet_loss", 3) < ok_part.get("probes_sent", 3)
        detail = (
            f"{ok_part.get('probes_sent', 0) - ok_part.get('packet_loss', 0)}/{ok_part.get('probes_sent', 0)}"
            f" replies, rtt {ok_part.get('rtt_avg', 0):.2f} ms"
            if ok_part
            else str(res.get("error", res))
        )
        return Result(host=task.host, result=(ok, detail))
    if check.kind == "bgp_announced":
        out = drv._send_bird_command(f"show route {check.prefix} all")  # napalm-bird2: birdc over SSH
        ok = str(check.prefix) in out and "BGP" in out
        first = next((ln.strip() for ln in out.splitlines() if str(check.prefix) in ln), "not in the table")
        return Result(host=task.host, result=(ok, first[:200]))
    raise ValueError(f"unknown check kind {check.kind}")
