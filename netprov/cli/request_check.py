"""``netprov request check`` (step 4): findings from NetBox, or given by hand with --manual."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from netprov.cli.common import console, invocation, print_json
from netprov.cli.request_common import JSON, service
from netprov.cli.request_common import done as _done
from netprov.domain.sop import Action
from netprov.errors import ConfigError, InputError

if TYPE_CHECKING:  # imported where used: `netprov --help` stays fast
    from netprov.domain.resources import Feasibility
    from netprov.settings import Settings
    from netprov.sop.record import RequestRecord


def check(
    ctx: typer.Context,
    request_id: str,
    manual: bool = typer.Option(False, "--manual", help="Record findings given as options, not NetBox."),
    spec_ok: bool = typer.Option(True, "--spec-ok/--spec-bad", help="Manual: specification acceptable."),
    purpose_ok: bool = typer.Option(True, "--purpose-ok/--purpose-bad", help="Manual: purpose acceptable."),
    bandwidth_ok: bool | None = typer.Option(
        None, "--bandwidth-ok/--no-bandwidth", help="Manual: bandwidth available."
    ),
    ip_ok: bool | None = typer.Option(None, "--ip-ok/--no-ip", help="Manual: IP addresses available."),
    note: str = typer.Option("", "--note"),
    json_out: bool = JSON,
) -> None:
    """Step 4 (staff): check specification, purpose, bandwidth and free IP addresses."""
    inv = invocation(ctx)
    svc = service(ctx)
    actor = inv.require_actor()
    # before any remote call: NetBox is asked only if the check counts (role, state, assignment)
    record = svc.ensure_may(Action.CHECK, request_id, actor)
    if manual:
        feasibility = manual_feasibility(record, spec_ok, purpose_ok, bandwidth_ok, ip_ok, note)
    else:
        feasibility = netbox_feasibility(inv.settings, record)
    record = svc.check(request_id, actor, feasibility, note)
    if json_out:
        print_json(
            {
                "id": record.id,
                "state": record.state.value,
                **feasibility.model_dump(mode="json"),
                "documents": record.documents,
            }
        )
        return
    verdict = "[green]feasible[/green]" if feasibility.feasible else "[red]NOT feasible[/red]"
    console.print(f"{record.id}: checked ({feasibility.source}): {verdict}")
    for f in feasibility.findings:
        mark = "[green]ok[/green]" if f.ok else "[red]no[/red]"
        console.print(f"  {mark} {f.check}: {escape(f.detail)}", highlight=False)
    _done(record, False, "inspection recorded")


def manual_feasibility(
    record: RequestRecord,
    spec_ok: bool,
    purpose_ok: bool,
    bandwidth_ok: bool | None,
    ip_ok: bool | None,
    note: str,
) -> Feasibility:
    from netprov.domain.resources import Feasibility, Finding, lan_prefix_length

    missing = [
        name
        for name, v in (("--bandwidth-ok/--no-bandwidth", bandwidth_ok), ("--ip-ok/--no-ip", ip_ok))
        if v is None
    ]
    if missing:
        raise InputError([f"{m}: a manual check must state this finding" for m in missing])
    letter = record.letter
    assert bandwidth_ok is not None and ip_ok is not None
    findings = [
        Finding(
            check="specification",
            ok=spec_ok,
            detail=f"{letter.service}, {letter.bandwidth_mbps} Mbps, {letter.hosts} host"
            + ("" if spec_ok else ": tidak sesuai"),
        ),
        Finding(
            check="purpose",
            ok=purpose_ok,
            detail="peruntukan sesuai" if purpose_ok else "peruntukan tidak sesuai",
        ),
        Finding(
            check="bandwidth",
            ok=bandwidth_ok,
            detail=f"bandwidth {letter.bandwidth_mbps} Mbps "
            + ("tersedia" if bandwidth_ok else "tidak tersedia"),
        ),
        Finding(
            check="prefix",
            ok=ip_ok,
            detail=f"alamat IP /{lan_prefix_length(letter.hosts)} "
            + ("tersedia" if ip_ok else "tidak tersedia"),
        ),
    ]
    return Feasibility(
        feasible=all(f.ok for f in findings),
        service=letter.service,
        hosts=letter.hosts,
        bandwidth_mbps=letter.bandwidth_mbps,
        prefix_length=lan_prefix_length(letter.hosts),
        findings=findings,
        source="manual",
    )


def netbox_feasibility(settings: Settings, record: RequestRecord) -> Feasibility:
    if not settings.netbox_url or settings.netbox_token is None:
        raise ConfigError(
            "NetBox is not configured: set NETPROV_NETBOX_URL and NETPROV_NETBOX_TOKEN "
            "(or run `netprov lab up netbox`), or record findings with --manual"
        )
    from netprov.app import App

    app = App(settings)
    kind = str(record.request.letter.get("kind") or "new-link")
    if kind == "decommission":
        from netprov.pipeline.change_check import decommission_check

        prov = app.provisioner()
        return decommission_check(settings, prov.svc, prov.ipam, prov.topology, record, prov.monitors)
    if kind == "bandwidth-change":
        from netprov.pipeline.change_check import bandwidth_check

        prov = app.provisioner()
        return bandwidth_check(prov.svc, prov.ipam, record)
    return app.ipam.check(record.id, record.letter)
