"""``netprov drift``: provisioned links against their devices' running configs.

Exit 0: no drift; 3 (:data:`EXIT_DRIFT`, the code of ``provision --dry-run``'s pending
changes, so a usage error, click's 2, never reads as drift): drift found; 1: an error. Every
link checked gets a ``drift`` annotation in its trail (no state change), clean or not.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from netprov.cli.common import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, console, invocation, print_json
from netprov.errors import ConcurrencyError, InputError

if TYPE_CHECKING:
    from netprov.app import App
    from netprov.pipeline.drift import DriftChecker, LinkDrift
    from netprov.sop.service import RequestService

EXIT_DRIFT = EXIT_CHANGES


def register(app: typer.Typer) -> None:
    """Add the top-level ``drift`` command to the root app."""

    @app.command("drift")
    def drift(
        ctx: typer.Context,
        request_ids: list[str] | None = typer.Argument(None, help="Requests to check, e.g. PJB-2026-0001."),
        all_links: bool = typer.Option(False, "--all", help="Every provisioned link."),
        remediate: bool = typer.Option(
            False, "--remediate", help="Push the intended lines back (through the saga), diff first."
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="With --remediate: only show the diffs."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Intended config (NetBox + register) against each device's running config.

        Exit 0 no drift, 3 drift found, 1 error.
        """
        from netprov.app import App
        from netprov.sop.intake import check_request_id

        ids = list(request_ids or [])
        if bool(ids) == all_links:
            raise InputError(["request ids: give one or more request ids, or --all (not both)"])
        if dry_run and not remediate:
            raise InputError(["--dry-run: only with --remediate (a drift check changes nothing anyway)"])
        inv = invocation(ctx)
        for rid in ids:
            check_request_id(rid, inv.settings.id_prefix)
        actor = inv.require_actor()
        root = App(inv.settings)
        try:
            links = _check(root, ids, all_links)
            _record(root, actor, links)
            code = exit_code(links)
            if remediate and code == EXIT_DRIFT:
                code = _remediate(root, actor, links, dry_run, json_out, inv.quiet)
            else:
                _report(links, json_out)
        finally:
            root.close()
        raise typer.Exit(code)


def checker(root: App) -> DriftChecker:
    """The app's drift checker (device locks looked at in NetBox)."""
    from netprov.netbox.device_locks import NetBoxDeviceLocks
    from netprov.pipeline.drift import DriftChecker

    locks: list[NetBoxDeviceLocks] = []

    def holder(device: str) -> str | None:
        if not locks:
            locks.append(NetBoxDeviceLocks.from_settings(root.settings))
        return locks[0].holder(device)

    return DriftChecker(root.settings, root.service, root.ipam, lock_holder=holder)


def _check(root: App, ids: list[str], all_links: bool) -> list[LinkDrift]:
    """Prepare (named requests must all be provisioned: else an error, nothing written), check."""
    from netprov.pipeline.drift import provisioned_ids, provisioned_link

    if all_links:
        found = provisioned_ids(root.service)
        return checker(root).run(found) if found else []
    for rid in ids:  # an unknown or unprovisioned id: refused from the register alone
        provisioned_link(root.service, rid)
    chk = checker(root)
    return chk.check([chk.prepare(rid) for rid in ids])


def _record(root: App, actor: str, links: list[LinkDrift]) -> None:
    """One ``drift`` annotation per link that was checked."""
    for link in links:
        if not link.error:
            annotate(root.service, link.request_id, actor, link.note(), {"drift": link.to_json()})


def annotate(
    svc: RequestService, request_id: str, actor: str, note: str, outputs: dict[str, Any], attempts: int = 5
) -> None:
    """A ``drift`` annotation, appended again if another process appended to the trail first
    (two checks at once): an annotation depends on no state, so the retry is safe."""
    from netprov.pipeline.drift import ANNOTATION

    for attempt in range(1, attempts + 1):
        try:
            svc.annotate(request_id, actor, ANNOTATION, note, outputs)
            return
        except ConcurrencyError:
            if attempt == attempts:
                raise
            time.sleep(0.05 * attempt)


def exit_code(links: list[LinkDrift]) -> int:
    """1 if any link could not be checked, else 3 if any drifted, else 0."""
    if any(link.error for link in links):
        return EXIT_ERROR
    return EXIT_DRIFT if any(link.drifted for link in links) else EXIT_OK


def _report(links: list[LinkDrift], json_out: bool) -> None:
    if json_out:
        print_json({"links": [link.to_json() for link in links], "drifted": any(x.drifted for x in links)})
    else:
        print_table(links)


def print_table(links: list[LinkDrift]) -> None:
    """One row per request and device: status, then each missing (-) and extra (+) line."""
    if not links:
        console.print("no provisioned links to check")
        return
    table = Table(show_header=True)
    for col in ("request", "device", "status", "lines"):
        table.add_column(col)
    for link in links:
        if link.error:
            table.add_row(link.request_id, "", "[red]ERROR[/red]", escape(link.error))
            continue
        for d in link.devices:
            rows = [f"- {m.display()}" for m in d.missing] + [f"+ {e.display()}" for e in d.extra]
            if d.busy:
                status = f"[yellow]busy[/yellow] ({escape(d.busy)})"
            elif d.drifted:
                status = "[red]DRIFT[/red]"
            else:
                status = "[green]ok[/green]" + ("" if d.extra_checked else " (missing only)")
            table.add_row(link.request_id, d.device, status, escape("\n".join(rows)))
    console.print(table)
    drifted = sum(1 for x in links if x.drifted)
    console.print(f"{len(links)} links checked, {drifted} with drift ('-' missing, '+' extra)")


def _remediate(
    root: App, actor: str, links: list[LinkDrift], dry_run: bool, json_out: bool, quiet: bool
) -> int:
    from netprov.cli.drift_remediate import remediate

    return remediate(root, actor, [x for x in links if x.drifted], dry_run, json_out, quiet)
