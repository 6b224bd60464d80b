"""``netprov render`` and ``netprov templates``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from netprov.cli.common import EXIT_ERROR, console, invocation, print_json
from netprov.errors import NetprovError

templates_app = typer.Typer(no_args_is_help=True)


def _templates_dir(settings_templates: Path) -> Path:
    return settings_templates / "devices"


@templates_app.command("check")
def check(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    samples_dir: Path | None = typer.Option(
        None, "--samples", help="Directory of sample requests (default tests/data/samples)."
    ),
    no_switch: bool = typer.Option(
        False, "--no-switch", help="Skip sending IOS access configs to a fake-switches device."
    ),
) -> None:
    """Render every template for every sample and validate it; exit 1 on any failure."""
    from netprov.domain.topology import load_topology
    from netprov.render.check import check_templates
    from netprov.render.playbook import load_playbooks
    from netprov.render.samples import load_samples
    from netprov_lab.fakeswitch import validation_switch  # the lab's tooling, loaded lazily
    from netprov_lab.samples import DEFAULT_SAMPLES_DIR

    settings = invocation(ctx).settings
    topology = load_topology(settings.topology_file)
    samples = load_samples(samples_dir or DEFAULT_SAMPLES_DIR)
    if not samples:
        raise NetprovError(f"no samples (*.yaml) in {samples_dir or DEFAULT_SAMPLES_DIR}")
    playbooks = load_playbooks(settings.playbooks_dir)  # every service found
    switch = None if no_switch else validation_switch(settings)
    report = check_templates(samples, topology, playbooks, _templates_dir(settings.templates_dir), switch)
    if as_json:
        print_json(report)
    else:
        table = Table(title="netprov templates check")
        for col in ("sample", "template", "device", "validators", "result", "ms"):
            table.add_column(col)
        for row in report.rows:
            validators = ", ".join(r.validator for r in row.results) or "-"
            problems = [m for r in row.results for m in r.messages if not r.ok]
            result = (
                "[green]ok[/green]" if row.ok else "[red]FAIL[/red] " + (row.error or "; ".join(problems[:3]))
            )
            table.add_row(
                row.sample, row.template, row.device, validators, result, f"{row.seconds * 1000:.0f}"
            )
        Console(width=max(console.width, 150)).print(table)
        for t in report.uncovered:
            console.print(f"[red]FAIL[/red] template {t} is not rendered by any sample")
        failed = sum(1 for r in report.rows if not r.ok) + len(report.uncovered)
        console.print(
            f"{len(report.rows)} configs, {failed} failed; render {report.render_seconds:.2f} s, "
            f"validate {report.validate_seconds:.2f} s, total {report.seconds:.2f} s"
        )
    if not report.ok:
        raise typer.Exit(EXIT_ERROR)


@templates_app.command("list")
def list_templates(ctx: typer.Context) -> None:
    """List the device templates (platform/role)."""
    from netprov.render.check import all_templates

    settings = invocation(ctx).settings
    for t in all_templates(_templates_dir(settings.templates_dir)):
        console.print(t, highlight=False)


def render_command(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., help="The request, e.g. PJB-2026-0001."),
    device: str | None = typer.Option(None, "--device", help="Only this device."),
    out: Path | None = typer.Option(None, "--out", help="Write one file per device here."),
    as_json: bool = typer.Option(False, "--json", help="Print the configs as JSON."),
) -> None:
    """Show the configs SOP step 7 would push for a request (writes nothing to devices)."""
    from netprov.app import App
    from netprov.domain.topology import load_topology
    from netprov.render.link import announced_prefixes, render_link
    from netprov.render.playbook import load_playbook

    settings = invocation(ctx).settings
    app = App(settings)
    rec = app.service.get(request_id)
    letter = rec.letter
    ipam = app.ipam
    try:
        # no allocation yet: what allocate would give now (writes nothing)
        alloc = rec.allocation or ipam.plan(request_id, letter)
        playbook = load_playbook(settings, alloc.service)
        announced = announced_prefixes(playbook, ipam.active_prefixes, alloc)
    finally:
        app.close()
    configs = render_link(
        request_id,
        letter,
        alloc,
        load_topology(settings.topology_file),
        playbook,
        form=rec.form,
        internet_prefixes=announced,
        templates_dir=_templates_dir(settings.templates_dir),
        device=device,
    )
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for c in configs:
            (out / c.filename).write_text(c.text, encoding="utf-8")
    if as_json:
        print_json(configs)
        return
    if out is not None:
        for c in configs:
            line = f"{out / c.filename}  ({c.role}, {c.template}, {c.mode})"
            console.print(line, highlight=False, markup=False)  # a path may hold "[/]"
        return
    for c in configs:
        console.rule(f"{c.device}  {c.role}  {c.template}  ({c.mode})")
        console.print(c.text, markup=False, highlight=False, end="")


def register(app: typer.Typer) -> None:
    """Add the top-level ``render`` command to the root app."""
    app.command("render")(render_command)
