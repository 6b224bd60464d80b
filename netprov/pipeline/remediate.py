"""The remediation saga of ``netprov drift --remediate``: the link's intended lines pushed again.

The stages are the provisioning saga's own (:data:`netprov.pipeline.link_stages.LINK_STAGES`),
the device part of it: ``lock`` (the locks of the drifted devices, then render again under
them) → ``snapshot`` → ``diff`` → ``push`` (commit-confirm; its undo takes this run's change
off) → ``verify`` (the link's checks) → ``confirm``. Nothing of NetBox or monitoring changes.
The runs go to the request's journal as remediation runs (``RequestService.remediation_runs``):
a provisioning run's view never sees them, and they share the request's lock, so a remediation
never runs beside a provisioning or another remediation of the same request.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from netprov.pipeline.link_stages import LINK_STAGES, LinkRun, lock
from netprov.pipeline.saga import JournalData, Progress, Saga, Stage
from netprov.sop.runs import REMEDIATE_PREFIX

if TYPE_CHECKING:
    from netprov.sop.service import RequestService

REMEDIATE_STAGES = ("lock", "snapshot", "diff", "push", "verify", "confirm")


def _new_run_id() -> str:
    return REMEDIATE_PREFIX + uuid.uuid4().hex[:12]


def remediation_stages(devices: Sequence[str]) -> list[Stage[LinkRun]]:
    """The provisioning stages of :data:`REMEDIATE_STAGES`; ``lock`` keeps only ``devices``
    (its render under the locks gives every device of the link)."""
    wanted = set(devices)
    by_name = {s.name: s for s in LINK_STAGES}

    def lock_drifted(run: LinkRun) -> JournalData:
        data = lock(run)
        run.configs = [c for c in run.configs if c.device in wanted]
        return data

    stages = [by_name[name] for name in REMEDIATE_STAGES]
    first = stages[0]
    stages[0] = Stage(first.name, lock_drifted, undo=first.undo, begin=first.begin, reload=first.reload)
    return stages


def remediation_saga(service: RequestService, progress: Progress, devices: Sequence[str]) -> Saga[LinkRun]:
    """The saga over the register's remediation journal (never "already finished")."""
    return Saga(
        service.remediation_runs,
        remediation_stages(devices),
        progress=progress,
        completed=lambda subject: False,
        new_run_id=_new_run_id,
    )
