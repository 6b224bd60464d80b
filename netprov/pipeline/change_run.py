"""Step 7 of a change request (decommission, bandwidth change): its playbook, its saga, its dry run.

The kind's playbook (``<playbooks>/changes/<kind>.yaml``) lists the saga's stages by name; the
names come from :data:`STAGE_LIBRARY` (the new link's device stages and the change stages of
:mod:`netprov.pipeline.change_stages`). The saga is the provisioner's (the register's journal
and lock, the request's trail, ``--resume``); the context is a
:class:`~netprov.pipeline.change_stages.ChangeRun` over the changed link.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from netprov.domain.sop import Action, State
from netprov.errors import ConfigError, NotFoundError, WorkflowError
from netprov.pipeline import change_stages as cs
from netprov.pipeline import link_stages as ls
from netprov.pipeline.device_stages import reload_lock, reload_push, undo_lock, undo_push
from netprov.pipeline.saga import Stage, StageFailed
from netprov.render.playbook import load_playbook

if TYPE_CHECKING:
    from netprov.pipeline.link_run import LinkRun
    from netprov.pipeline.provision import DryRunResult, Provisioner, RunResult
    from netprov.settings import Settings
    from netprov.sop.record import RequestRecord

STAGE_LIBRARY: dict[str, Stage[LinkRun]] = {
    s.name: s
    for s in (
        Stage("plan", cs.plan, reload=cs.reload_plan),
        Stage("lock", cs.lock, undo=undo_lock, reload=reload_lock),
        Stage("snapshot", ls.snapshot, reload=ls.reload_snapshot),
        Stage("remove-lines", cs.remove_lines),
        Stage("validate", ls.validate),
        Stage("diff", ls.diff),
        Stage("push", ls.push, undo=undo_push, begin=ls.push_begin, reload=reload_push),
        Stage("verify", ls.verify),
        Stage("verify-removed", cs.verify_removed),
        Stage("monitor-deregister", cs.monitor_deregister, undo=cs.undo_monitor_deregister),
        Stage("monitor-update", cs.monitor_update, undo=cs.undo_monitor_update),
        Stage("confirm", ls.confirm),
        Stage("release-netbox", cs.release_netbox),
        Stage("netbox-bandwidth", cs.netbox_bandwidth, undo=cs.undo_netbox_bandwidth),
        Stage("record", cs.record),
    )
}
#: Stages a change playbook must list (the saga records nothing without ``record``).
REQUIRED = ("plan", "lock", "snapshot", "push", "confirm", "record")


def change_playbook_path(settings: Settings, kind: str) -> Path:
    return settings.playbooks_dir / "changes" / f"{kind}.yaml"


def change_stages(settings: Settings, kind: str) -> list[Stage[LinkRun]]:
    """The saga's stages of ``kind``, as its playbook lists them.

    Raises:
        NotFoundError: no playbook for the kind.
        ConfigError: the playbook is not valid (names the field).
    """
    path = change_playbook_path(settings, kind)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFoundError(f"no playbook for request kind {kind!r} ({path})") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"playbook {path}: cannot be read: {exc}") from exc
    if not isinstance(data, dict) or data.get("kind") != kind:
        raise ConfigError(f"playbook {path}: kind: must be {kind!r}")
    names = data.get("stages")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"playbook {path}: stages: must be a list of stage names")
    unknown = [n for n in names if n not in STAGE_LIBRARY]
    if unknown:
        raise ConfigError(f"playbook {path}: stages: unknown {unknown}; known: {sorted(STAGE_LIBRARY)}")
    missing = [n for n in REQUIRED if n not in names]
    if missing or len(set(names)) != len(names):
        need = list(REQUIRED)
        raise ConfigError(f"playbook {path}: stages: must list each of {need} once (missing {missing})")
    return [STAGE_LIBRARY[n] for n in names]


def _kind(record: RequestRecord) -> str:
    return str(record.request.letter.get("kind") or "new-link")


@contextlib.contextmanager
def change_context(prov: Provisioner, request_id: str, run_id: str, actor: str) -> Iterator[cs.ChangeRun]:
    record = prov.svc.get(request_id)
    run = cs.ChangeRun(
        deps=prov.deps(),
        record=record,
        run_id=run_id,
        actor=actor,
        playbook=load_playbook(prov.settings, record.letter.service),
        nornir_factory=prov.nornir_factory,
    )
    try:
        yield run
    finally:
        run.close()


def run_change(prov: Provisioner, request_id: str, actor: str, resume: bool = False) -> RunResult:
    """Step 7 of a change request, all or nothing (see :mod:`netprov.pipeline.change_stages`)."""
    from netprov.pipeline.provision import PROVISIONED_STATES, RunResult, not_ready

    record = prov.svc.get(request_id)
    if record.state in PROVISIONED_STATES:
        return RunResult(request_id, "", "already-provisioned")
    if record.state is not State.FORM_COMPLETE:
        raise WorkflowError(not_ready(record))
    prov.svc.ensure_may(Action.PROVISION, request_id, actor)
    stages = change_stages(prov.settings, _kind(record))
    runs: list[cs.ChangeRun] = []

    @contextlib.contextmanager
    def context(run_id: str) -> Iterator[cs.ChangeRun]:
        with change_context(prov, request_id, run_id, actor) as run:
            runs.append(run)
            yield run

    try:
        result = prov.saga(actor, stages).run(request_id, actor, context, resume=resume)
    except StageFailed as exc:
        exc.seconds = dict(runs[-1].seconds) if runs else {}
        raise
    if result.status != "finished":
        return RunResult(request_id, result.run_id, "already-provisioned")
    return RunResult(request_id, result.run_id, "provisioned", result.seconds, ls.outputs(runs[-1]))


def dry_run_change(prov: Provisioner, request_id: str) -> DryRunResult:
    """What the change would push, as diffs per device; changes nothing anywhere."""
    from netprov.pipeline.provision import PROVISIONED_STATES, DryRunResult, not_ready

    record = prov.svc.get(request_id)
    if record.state is not State.FORM_COMPLETE and record.state not in PROVISIONED_STATES:
        raise WorkflowError(not_ready(record))
    kind = _kind(record)
    names = [s.name for s in change_stages(prov.settings, kind)]
    with change_context(prov, request_id, "dry-run", "dry-run") as run:
        run.nornir_factory = lambda _dry: prov.nornir_factory(True)
        cs.plan(run)
        run.locked = None
        ls.snapshot(run)
        if "remove-lines" in names:
            cs.remove_lines(run)
        else:
            ls.validate_configs(run.configs)
        diffs = ls.device_diffs(run.nr, run.configs, prov.progress)
        return DryRunResult(request_id, run.the_allocation(), True, run.configs, diffs)


def rollback_change(
    prov: Provisioner, request_id: str, run_id: str, actor: str, finished_ok: bool
) -> list[str]:
    """Undo what an interrupted change run began, from its journal."""
    kind = _kind(prov.svc.get(request_id))
    with change_context(prov, request_id, run_id, actor) as run:
        saga = prov.saga(actor, change_stages(prov.settings, kind))
        return saga.rollback(request_id, run_id, run, finished_ok=finished_ok)
