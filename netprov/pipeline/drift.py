"""``netprov drift``: a provisioned link's intended config against its devices' running configs.

The intended config is rendered now, the way step 7 renders it
(:func:`netprov.pipeline.link_stages.render_configs`): the allocation NetBox holds for the
request, the register's letter and form, the playbook, the templates. The running configs come
through the platform seam (``device_ops.running_config``, what the ``snapshot`` stage reads),
one read per device however many links share it. The comparison is pure
(:mod:`netprov.platforms.config_drift`); the provisioning run's journal gives, per device, the
config before the link's push (which blocks are the link's own) and right after it (what the
device itself added), so extra lines are reported only where that is safe.

Nothing here writes to a device or NetBox. A device whose lock another run holds is being
changed: it is reported ``busy`` and not compared (the lock is looked at before the read and
after it).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netprov.domain.sop import State
from netprov.errors import NetprovError, NotFoundError, WorkflowError
from netprov.pipeline import device_ops
from netprov.pipeline.drift_report import DeviceDrift, LinkDrift
from netprov.pipeline.link_stages import render_intended
from netprov.pipeline.nornir_setup import build_nornir, only
from netprov.pipeline.saga import ENDS, RUN, JournalData, JournalRecord
from netprov.platforms import get_platform
from netprov.platforms.config_drift import compare, content_paths, owned_sections
from netprov.sop.runs import REMEDIATE_PREFIX

if TYPE_CHECKING:
    from nornir.core import Nornir

    from netprov.domain.topology import Topology
    from netprov.netbox.port import Ipam
    from netprov.pipeline.link_run import DeviceDiff
    from netprov.render.link import RenderedConfig
    from netprov.settings import Settings
    from netprov.sop.record import RequestRecord
    from netprov.sop.service import RequestService

__all__ = ["ANNOTATION", "DeviceDrift", "DriftChecker", "LinkDrift", "LiveRun", "compare_device", "live_run"]

ANNOTATION = "drift"
"""The trail action of a drift check (an annotation: the request's state does not change)."""

Holder = Callable[[str], "str | None"]
"""Who holds a device's lock now (None: nobody)."""


def _nobody(device: str) -> str | None:
    return None


@dataclass(frozen=True)
class LiveRun:
    """The provisioning run whose change is on the devices: its configs before and after."""

    run_id: str
    snapshots: dict[str, str]
    afters: dict[str, str]


def live_run(entries: Sequence[JournalRecord]) -> LiveRun | None:
    """The newest provisioning run that finished and was not rolled back since (else None).

    Remediation runs (ids starting with :data:`REMEDIATE_PREFIX`) are not provisioning runs.
    """
    ends: dict[str, str] = {}
    done: dict[str, dict[str, JournalData]] = {}
    for e in entries:
        if e.run_id.startswith(REMEDIATE_PREFIX):
            continue
        stages = done.setdefault(e.run_id, {})
        if e.stage == RUN and e.phase in ENDS:
            ends[e.run_id] = e.phase
        elif e.phase == "done":
            stages[e.stage] = dict(e.data)
    finished = [rid for rid in done if ends.get(rid) == "finished"]
    if not finished:
        return None
    rid = finished[-1]
    snaps = done[rid].get("snapshot", {}).get("snapshots") or {}
    afters = done[rid].get("push", {}).get("after") or {}
    return LiveRun(rid, dict(snaps), {k: v for k, v in dict(afters).items() if v is not None})


def compare_device(cfg: RenderedConfig, running: str, live: LiveRun | None) -> DeviceDrift:
    """One device's drift: the intended ``cfg`` against its ``running`` config (pure)."""
    platform = get_platform(cfg.platform)
    comments = platform.comment_prefixes
    run_text, intended = platform.comparable(running, cfg.text)
    before = live.snapshots.get(cfg.device) if live else None
    after = live.afters.get(cfg.device) if live else None
    checked = cfg.mode == "replace" or (before is not None and after is not None)
    owned: set[tuple[str, ...]] = set()
    known: list[tuple[str, ...]] = []
    if cfg.mode != "replace" and checked:
        assert before is not None and after is not None
        owned = owned_sections(intended, platform.comparable(before, cfg.text)[0], comments)
        known = content_paths(platform.comparable(after, cfg.text)[0], comments)
    result = compare(intended, run_text, cfg.mode, comments=comments, owned=owned, known=known)
    return DeviceDrift(
        cfg.device, cfg.platform, str(cfg.role), cfg.mode, result.missing, result.extra, checked
    )


class DriftChecker:
    """Checks provisioned links against their devices; reads only.

    Args:
        settings, service, ipam, topology: as the provisioner's.
        nornir_factory: builds the Nornir to read with (default: the settings' inventory).
        lock_holder: who holds a device's lock now (default: nobody is asked).
    """

    def __init__(
        self,
        settings: Settings,
        service: RequestService,
        ipam: Ipam,
        topology: Topology | None = None,
        nornir_factory: Callable[[], Nornir] | None = None,
        lock_holder: Holder = _nobody,
    ) -> None:
        from netprov.domain.topology import load_topology

        self.settings, self.svc, self.ipam = settings, service, ipam
        self.topology = topology or load_topology(settings.topology_file)
        self._nornir = nornir_factory or (lambda: build_nornir(settings, dry_run=True))
        self.lock_holder = lock_holder
        self._live: dict[str, LiveRun] = {}

    # --- which links --------------------------------------------------------------------------
    def provisioned_ids(self) -> list[str]:
        """Every request whose link the pipeline provisioned and that is still on the devices."""
        return provisioned_ids(self.svc)

    def prepare(self, request_id: str) -> LinkDrift:
        """The link's intended configs, rendered now; refuses a request with no live link.

        Raises:
            NotFoundError: no such request, or NetBox holds no allocation for it.
            WorkflowError: not provisioned by the pipeline, or its link was taken out.
            NetprovError: rendering failed.
        """
        from netprov.render.playbook import load_playbook

        record, live = provisioned_link(self.svc, request_id)
        allocation = self.ipam.find_allocation(request_id)
        if allocation is None:
            raise NotFoundError(f"NetBox holds no allocation for {request_id}: nothing to compare")
        playbook = load_playbook(self.settings, record.letter.service)
        configs = render_intended(self.settings, self.ipam, self.topology, record, allocation, playbook)
        link = LinkDrift(request_id, live.run_id, configs=configs, allocation=allocation)
        link.devices = [DeviceDrift(c.device, c.platform, str(c.role), c.mode) for c in configs]
        self._live[request_id] = live
        return link

    # --- the check ----------------------------------------------------------------------------
    def check(self, links: Sequence[LinkDrift]) -> list[LinkDrift]:
        """Read every device of ``links`` once and compare (links with an error are kept as is).

        Who holds each device's lock, and which runs of the register are in flight, is looked
        at before the read and after it: a device being changed at either time is ``busy``.
        """
        devices = sorted({c.device for link in links if not link.error for c in link.configs})
        held = self._held(devices)
        flight = self.in_flight()
        unheld = [d for d in devices if d not in held]
        running, failed = self._read(unheld) if unheld else ({}, {})
        held.update(self._held(list(running)))
        flight.update(self.in_flight())
        for link in links:
            if link.error:
                continue
            broken = sorted({c.device for c in link.configs} & set(failed))
            if broken:
                link.error = "; ".join(f"{d}: {failed[d]}" for d in broken)
                continue
            busy = {**held, **_whole_configs_busy(link, flight)}
            live = self._live.get(link.request_id)
            link.devices = [
                DeviceDrift(c.device, c.platform, str(c.role), c.mode, busy=busy[c.device])
                if c.device in busy
                else compare_device(c, running[c.device], live)
                for c in link.configs
            ]
        return list(links)

    def _held(self, devices: list[str]) -> dict[str, str]:
        return {d: f"locked by {h}" for d in devices if (h := self.lock_holder(d))}

    def in_flight(self) -> dict[str, str]:
        """Requests of this register whose run holds the request's lock now (request -> holder).

        Such a run may have reserved (or be releasing) a LAN the whole (``replace``) configs of
        other links list, before (or after) it holds the device's lock.
        """
        out = {}
        for rec in self.svc.find():
            if rec.state is not State.CLOSED and (holder := self.svc.runs.lock_holder(rec.id)):
                out[rec.id] = holder
        return out

    def _read(self, devices: list[str]) -> tuple[dict[str, str], dict[str, str]]:
        with drivers_talk_to_stderr():
            nr = self._nornir()
            try:
                res = only(nr, devices).run(task=device_ops.running_config)
            finally:
                nr.close_connections()
        running, failed = {}, {}
        for name, multi in res.items():
            if multi.failed:
                exc = multi[0].exception
                failed[name] = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            else:
                running[name] = str(multi[0].result)
        return running, failed

    def diffs(self, link: LinkDrift, devices: Sequence[str]) -> list[DeviceDiff]:
        """What pushing the intended config would change on ``devices`` (changes nothing)."""
        from netprov.pipeline.link_stages import device_diffs

        configs = [c for c in link.configs if c.device in set(devices)]
        with drivers_talk_to_stderr():
            nr = self._nornir()
            try:
                return device_diffs(nr, configs, lambda stage, device, message: None)
            finally:
                nr.close_connections()

    def run(self, request_ids: Sequence[str]) -> list[LinkDrift]:
        """Prepare and check; a link that cannot be prepared carries its error."""
        links = []
        for rid in request_ids:
            try:
                links.append(self.prepare(rid))
            except NetprovError as exc:
                links.append(LinkDrift(rid, error=str(exc)))
        return self.check(links)


def drivers_talk_to_stderr() -> contextlib.AbstractContextManager[object]:
    """While devices are driven: what a driver prints goes to stderr, not stdout, which
    carries ``--json`` (napalm-bird2 prints its version when it first connects)."""
    return contextlib.redirect_stdout(sys.stderr)


def provisioned_ids(service: RequestService) -> list[str]:
    """Every request whose link the pipeline provisioned and whose run is still on the devices
    (from the register alone)."""
    from netprov.pipeline.provision import PROVISIONED_STATES
    from netprov.sop.changes import decommissioned_by, kind_of

    out = []
    for rec in service.find():
        if kind_of(rec) != "new-link" or decommissioned_by(rec):
            continue  # a change has no link of its own; a decommissioned link is on no device
        live = rec.state in PROVISIONED_STATES and _by_pipeline(rec)
        if live and live_run(service.runs.entries(rec.id)) is not None:
            out.append(rec.id)
    return out


def _whole_configs_busy(link: LinkDrift, flight: dict[str, str]) -> dict[str, str]:
    """The link's ``replace`` devices while another request's run is in flight: a whole
    config lists other links' lines, which such a run is adding or taking off."""
    others = sorted((rid, h) for rid, h in flight.items() if rid != link.request_id)
    if not others:
        return {}
    why = "another run is in flight: " + ", ".join(f"{rid} ({h})" for rid, h in others)
    return {c.device: why for c in link.configs if c.mode == "replace"}


def provisioned_link(service: RequestService, request_id: str) -> tuple[RequestRecord, LiveRun]:
    """The request and its live provisioning run, from the register alone (no device, no NetBox).

    Raises:
        NotFoundError: no such request.
        WorkflowError: not provisioned by the pipeline, or its run was rolled back since.
    """
    from netprov.pipeline.provision import PROVISIONED_STATES
    from netprov.sop.changes import decommissioned_by, kind_of

    record = service.get(request_id)
    if kind_of(record) != "new-link":
        raise WorkflowError(
            f"{request_id} is a {kind_of(record)}: it changes {record.request.letter.get('of')}"
        )
    if by := decommissioned_by(record):
        raise WorkflowError(f"{request_id}'s link was decommissioned by {by}: it is on no device")
    if record.state not in PROVISIONED_STATES or not _by_pipeline(record):
        raise WorkflowError(_not_provisioned(record))
    live = live_run(service.runs.entries(request_id))
    if live is None:
        raise WorkflowError(f"{request_id} has no provisioning run on the devices (its run was rolled back)")
    return record, live


def _by_pipeline(record: RequestRecord) -> bool:
    ev = next((e for e in reversed(record.events) if e.action == "provision"), None)
    return ev is not None and ev.outputs.get("mode") == "pipeline"


def _not_provisioned(record: RequestRecord) -> str:
    from netprov.pipeline.provision import PROVISIONED_STATES

    if record.state in PROVISIONED_STATES:
        return f"{record.id} was provisioned by hand (step 7 manual): netprov has no intended config for it"
    return f"{record.id} is {record.state.value}: drift checks links provisioned by step 7"
