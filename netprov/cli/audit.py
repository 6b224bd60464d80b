"""``netprov audit``: every record the SOP requires, present or missing (exit 1 if any)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from netprov.cli.common import EXIT_ERROR, console, invocation, print_json

if TYPE_CHECKING:
    from netprov.audit import AuditReport


def register(app: typer.Typer) -> None:
    @app.command("audit")
    def audit(
        ctx: typer.Context,
        request_id: str | None = typer.Argument(None, help="One request (default: every request)."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """For each request: every record the SOP requires, present or missing."""
        from netprov.app import App
        from netprov.audit import LiveMonitors, audit_record

        app = App(invocation(ctx).settings)
        svc = app.service
        records = [svc.get(request_id)] if request_id else svc.find()
        netbox = app.ipam if app.netbox_configured else None
        backends = app.monitors_if_configured()
        monitors = LiveMonitors(list(backends)) if backends is not None else None
        reports = [audit_record(r, netbox, monitors) for r in records]
        if json_out:
            print_json([r.to_json() for r in reports])
        else:
            for rep in reports:
                _print(rep)
        if any(not r.ok for r in reports):
            raise typer.Exit(EXIT_ERROR)


def _print(rep: AuditReport) -> None:
    verdict = "[green]complete[/green]" if rep.ok else f"[red]{len(rep.missing)} missing[/red]"
    console.print(f"[bold]{rep.request_id}[/bold] ({rep.state}): {verdict}")
    for item in rep.items:
        mark = "[green]present[/green]" if item.ok else "[red]MISSING[/red]"
        console.print(f"  {mark} {escape(item.record)}: {escape(item.detail)}", highlight=False)
