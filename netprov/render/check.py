"""``templates check``: every template x every sample, rendered and validated.

The matrix: for each sample, the link's devices as the lab has them (FRR, BIRD, IOS access
switch), then the same link for every other vendor (IOS, EOS, Junos, RouterOS as core,
distribution, CPE and access). Each (sample, template) pair appears once.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from netprov.domain.topology import Topology
from netprov.errors import NetprovError
from netprov.platforms import get_platform, platform_names
from netprov.render.data import build_template_data
from netprov.render.link import RenderedConfig, render_targets
from netprov.render.playbook import Playbook, plan_devices
from netprov.render.samples import Sample
from netprov.render.validate import LineSender, ValidationResult, validate_config

VENDOR_ROLES = ("core", "distribution", "cpe", "access")


class MatrixEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sample: str
    config: RenderedConfig

    @property
    def golden_name(self) -> str:
        """``<sample>/<platform>/<role>.txt`` under tests/golden."""
        return f"{self.sample}/{self.config.platform}/{self.config.role}.txt"


class CheckRow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sample: str
    template: str
    device: str
    ok: bool
    seconds: float
    results: tuple[ValidationResult, ...] = ()
    error: str = ""


class CheckReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool
    rows: tuple[CheckRow, ...]
    uncovered: tuple[str, ...]  # templates no sample rendered
    seconds: float
    render_seconds: float
    validate_seconds: float


def vendor_platforms() -> list[str]:
    """Platforms rendered for every router role (``Platform.vendor_matrix``), from the registry:
    provisionable ones first, then validate-only, each by name."""
    plats = [get_platform(n) for n in platform_names()]
    chosen = [p for p in plats if p.vendor_matrix]
    return [p.name for p in sorted(chosen, key=lambda p: (not p.provisionable, p.name))]


def platform_overrides() -> list[Mapping[str, str] | None]:
    """The lab's own platforms first, then each vendor platform for every router role."""
    return [None, *({role: p for role in VENDOR_ROLES} for p in vendor_platforms())]


def iter_matrix(
    samples: Iterable[Sample],
    topology: Topology,
    playbooks: Mapping[str, Playbook],
    templates_dir: Path,
) -> Iterator[MatrixEntry | tuple[str, str, NetprovError]]:
    """Render every (sample, template); yields an entry or (sample, what, error)."""
    for s in samples:
        try:
            data = build_template_data(
                s.request_id,
                s.letter,
                s.allocation,
                topology,
                form=s.form,
                internet_prefixes=s.internet_prefixes,
            )
            pb = playbooks[s.allocation.service]
        except NetprovError as exc:
            yield (s.name, "(template data)", exc)
            continue
        seen: set[str] = set()
        for override in platform_overrides():
            try:
                targets = plan_devices(pb, s.allocation, topology, override)
            except NetprovError as exc:
                yield (s.name, "(plan)", exc)
                continue
            for t in targets:
                if t.template in seen:
                    continue
                seen.add(t.template)
                try:
                    (cfg,) = render_targets(data, [t], templates_dir)
                except NetprovError as exc:
                    yield (s.name, t.template, exc)
                    continue
                yield MatrixEntry(sample=s.name, config=cfg)


def render_matrix(
    samples: Iterable[Sample],
    topology: Topology,
    playbooks: Mapping[str, Playbook],
    templates_dir: Path,
) -> list[MatrixEntry]:
    """Every (sample, template) rendered; the first render error is raised."""
    out = []
    for item in iter_matrix(samples, topology, playbooks, templates_dir):
        if isinstance(item, tuple):
            raise item[2]
        out.append(item)
    return out


def all_templates(templates_dir: Path) -> list[str]:
    return sorted(str(p.relative_to(templates_dir)) for p in templates_dir.glob("*/*.j2"))


def check_templates(
    samples: Iterable[Sample],
    topology: Topology,
    playbooks: Mapping[str, Playbook],
    templates_dir: Path,
    switch: AbstractContextManager[LineSender | None] | None = None,
) -> CheckReport:
    """Render and validate the whole matrix; ``ok`` is False on any failure.

    Args:
        switch: a context manager yielding a fake-switches session for IOS access configs
            (``netprov_lab.fakeswitch.validation_switch``), or None to skip that check.
    """
    t0 = time.perf_counter()
    rows: list[CheckRow] = []
    rendered: set[str] = set()
    render_s = validate_s = 0.0
    with switch if switch is not None else nullcontext(None) as sw:
        items = iter_matrix(samples, topology, playbooks, templates_dir)
        while True:
            t1 = time.perf_counter()
            item = next(items, None)
            render_s += time.perf_counter() - t1
            if item is None:
                break
            if isinstance(item, tuple):
                name, what, exc = item
                rows.append(
                    CheckRow(sample=name, template=what, device="", ok=False, seconds=0.0, error=str(exc))
                )
                continue
            rendered.add(item.config.template)
            t2 = time.perf_counter()
            results = validate_config(item.config, sw)
            dt = time.perf_counter() - t2
            validate_s += dt
            rows.append(
                CheckRow(
                    sample=item.sample,
                    template=item.config.template,
                    device=item.config.device,
                    ok=all(r.ok for r in results),
                    seconds=round(dt, 4),
                    results=tuple(results),
                )
            )
    uncovered = tuple(t for t in all_templates(templates_dir) if t not in rendered)
    return CheckReport(
        ok=bool(rows) and all(r.ok for r in rows) and not uncovered,
        rows=tuple(rows),
        uncovered=uncovered,
        seconds=round(time.perf_counter() - t0, 3),
        render_seconds=round(render_s, 3),
        validate_seconds=round(validate_s, 3),
    )
