"""``netprov provision``: SOP step 7."""

from __future__ import annotations

from pathlib import Path

import typer

from netprov.cli.common import console, invocation, print_json
from netprov.errors import InputError
from netprov.sop.service import RequestService


def register(app: typer.Typer) -> None:
    """Add the top-level ``provision`` command to the root app."""

    @app.command("provision")
    def provision(
        ctx: typer.Context,
        request_id: str,
        manual: bool = typer.Option(False, "--manual", help="Record step 7 done by hand."),
        evidence: Path | None = typer.Option(None, "--evidence", help="With --manual: the proof (file)."),
        note: str = typer.Option("", "--note"),
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Step 7 (staff): build the connection, assign addresses, register monitoring."""
        inv = invocation(ctx)
        svc = RequestService.from_settings(inv.settings)
        if manual:
            if evidence is None:
                raise InputError(["--evidence: manual provisioning needs an evidence file"])
            record = svc.provision_manual(request_id, inv.require_actor(), evidence, note)
            if json_out:
                print_json(record.detail_json())
            else:
                console.print(f"{record.id}: step 7 recorded (manual) → {record.state.value}")
            return
        raise InputError(["--manual: the automated pipeline is not available yet"])
