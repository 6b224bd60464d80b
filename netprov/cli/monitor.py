"""``netprov monitor``: register, status and deregister a link in monitoring.

The link comes from the request's allocation (SOP step 7). Every change is recorded in the
request's audit trail as a ``monitor`` annotation (no state change).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from netprov.cli.common import EXIT_ERROR, console, invocation, print_json
from netprov.errors import NotFoundError, WorkflowError
from netprov.monitoring import (
    MonitoredLink,
    ProbeStatus,
    Registration,
    deregister_all,
    evidence_entries,
    register_all,
    status_all,
)

if TYPE_CHECKING:
    from netprov.app import App

app = typer.Typer(no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print JSON for scripts.")
ACTION = "monitor"


def _app(ctx: typer.Context) -> App:
    from netprov.app import App

    return App(invocation(ctx).settings)


@app.command("register")
def register(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., help="The request, e.g. PJB-2026-0001."),
    wait: float = typer.Option(
        0.0, "--wait", min=0, help="Then wait up to SECONDS for each backend to see the link up."
    ),
    json_out: bool = JSON,
) -> None:
    """Register (or update) the request's link in every configured backend (idempotent)."""
    actor = invocation(ctx).require_actor()
    root = _app(ctx)
    svc = root.service
    record = svc.get(request_id)
    allocation = record.allocation
    if allocation is None:
        raise WorkflowError(
            f"{request_id} has no allocation yet (state {record.state.value}): monitoring "
            "registers a link after step 7 allocated its resources"
        )
    link = MonitoredLink.from_allocation(allocation)
    backends = root.monitors
    regs = register_all(backends, link)
    statuses = status_all(backends, request_id, wait) if wait > 0 else []
    verbs = ", ".join(f"{r.backend} ({'created' if r.created else 'updated'})" for r in regs)
    svc.annotate(
        request_id,
        actor,
        action=ACTION,
        note=f"Pemantauan didaftarkan: {verbs}",
        outputs={
            "monitoring": evidence_entries(regs, statuses or None),
            "monitoring_registrations": [r.model_dump(mode="json") for r in regs],
            "monitoring_status": [s.model_dump(mode="json") for s in statuses],
        },
    )
    if json_out:
        print_json({"link": link, "registrations": regs, "status": statuses})
    else:
        _print_registrations(link, regs)
        if statuses:
            _print_statuses(statuses)
    if statuses and not all(s.up for s in statuses):
        raise typer.Exit(EXIT_ERROR)


@app.command("status")
def status(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., help="The request, e.g. PJB-2026-0001."),
    wait: float = typer.Option(
        30.0,
        "--wait",
        min=0,
        help="Wait up to SECONDS per backend for a value (and for 'up'); 0 = what is known now.",
    ),
    first_value: bool = typer.Option(
        False, "--first-value", help="Return the first value even if it says down."
    ),
    json_out: bool = JSON,
) -> None:
    """Whether each backend's probe sees the link up, since when. Exit 1 unless all say up."""
    backends = _app(ctx).monitors
    statuses = status_all(backends, request_id, wait, until_up=not first_value)
    if json_out:
        print_json(statuses)
    else:
        _print_statuses(statuses)
    if not all(s.up for s in statuses):
        raise typer.Exit(EXIT_ERROR)


@app.command("deregister")
def deregister(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., help="The request, e.g. PJB-2026-0001."),
    json_out: bool = JSON,
) -> None:
    """Remove the link from every configured backend (what register made; idempotent)."""
    actor = invocation(ctx).require_actor()
    root = _app(ctx)
    backends = root.monitors
    svc = root.service
    try:
        svc.get(request_id)
        known = True
    except NotFoundError:
        known = False  # a repair: objects left behind for a request the register lacks
    removed = deregister_all(backends, request_id)
    if known:
        gone = ", ".join(f"{k} ({'removed' if v else 'absent'})" for k, v in removed.items())
        svc.annotate(
            request_id,
            actor,
            action=ACTION,
            note=f"Pemantauan dihapus: {gone}",
            outputs={"monitoring_deregistered": removed},
        )
    if json_out:
        print_json({"request_id": request_id, "removed": removed})
        return
    for name, was in removed.items():
        console.print(f"{request_id}: {name}: {'removed' if was else 'was not registered'}", highlight=False)


def _print_registrations(link: MonitoredLink, regs: list[Registration]) -> None:
    console.print(
        f"{link.request_id}: {escape(link.opd_name)} - {escape(link.site)}, "
        f"{link.service} {link.bandwidth_mbps} Mbps, probe {link.address} ({link.device})",
        highlight=False,
    )
    table = Table(show_header=True)
    for col in ("backend", "action", "ids", "address"):
        table.add_column(col)
    for r in regs:
        table.add_row(
            r.backend,
            "created" if r.created else "updated",
            " ".join(f"{k}={v}" for k, v in r.ids.items()),
            r.address or "",
        )
    console.print(table)


def _print_statuses(statuses: list[ProbeStatus]) -> None:
    table = Table(show_header=True)
    for col in ("backend", "state", "since", "last checked", "waited", "detail"):
        table.add_column(col)
    for s in statuses:
        state = (
            "[green]UP[/green]"
            if s.up
            else "[red]DOWN[/red]"
            if s.up is False
            else "[yellow]UNKNOWN[/yellow]"
        )
        table.add_row(
            s.backend,
            state,
            f"{s.since:%Y-%m-%d %H:%M:%S %Z}" if s.since else "",
            f"{s.last_checked:%H:%M:%S %Z}" if s.last_checked else "",
            f"{s.waited_seconds:.1f}s",
            escape(s.detail),
        )
    console.print(table)
