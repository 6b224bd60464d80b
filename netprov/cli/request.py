"""``netprov request``: the SOP register, one command per step, plus list/show/sla."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from netprov.cli import documents
from netprov.cli.common import console, invocation, print_json
from netprov.domain.sop import STEPS, State
from netprov.errors import ConfigError, InputError
from netprov.settings import Settings

if TYPE_CHECKING:  # imported where used: `netprov --help` stays fast
    from netprov.domain.resources import Feasibility
    from netprov.sop.record import RequestRecord
    from netprov.sop.service import RequestService

app = typer.Typer(no_args_is_help=True)
documents.register(app)

JSON = typer.Option(False, "--json", help="Print JSON for scripts.")


def service(ctx: typer.Context) -> RequestService:
    from netprov.sop.service import RequestService

    return RequestService.from_settings(invocation(ctx).settings)


def _done(record: RequestRecord, json_out: bool, message: str) -> None:
    if json_out:
        print_json(record.detail_json())
        return
    console.print(f"{record.id}: {message} → [bold]{record.state.value}[/bold]", highlight=False)
    if record.due_at:
        due = record.due_at.astimezone(_tz(record))
        title = (
            "decision: reject (step 5) or accept (step 6)"
            if record.state is State.CHECKED
            else STEPS[record.due_step or 11].title
        )
        console.print(
            f"  next: step {record.due_step} ({title}) by {record.next_role}, due {due:%a %d %b %Y %H:%M %Z}",
            highlight=False,
        )
    produced = [e.seq for e in record.events if e.action != "close"][-1:]
    for doc in record.documents:
        if doc.get("event_seq") in produced:
            console.print(
                f"  document: {doc.get('kind')} {doc.get('pdf') or doc.get('html')}", highlight=False
            )


def _tz(record: RequestRecord) -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(record.timezone)


@app.command("submit")
def submit(
    ctx: typer.Context,
    letter_file: Path = typer.Argument(..., help="The request letter (YAML)."),
    received_at: str | None = typer.Option(
        None, "--received-at", help="When the letter arrived (ISO 8601 with offset); default now."
    ),
    json_out: bool = JSON,
) -> None:
    """Step 1: register an incoming request letter; prints its id."""
    from netprov.domain.letters import load_letter

    letter = load_letter(letter_file)
    when = _parse_time(received_at) if received_at else None
    record = service(ctx).submit(letter, invocation(ctx).actor or invocation(ctx).settings.user, when)
    if json_out:
        print_json(record.detail_json())
    else:
        console.print(record.id, highlight=False)


def _parse_time(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InputError([f"--received-at: {value!r} is not an ISO 8601 time"]) from None
    if parsed.tzinfo is None:
        raise InputError(["--received-at: needs a UTC offset, e.g. 2026-08-14T16:00+07:00"])
    return parsed


@app.command("dispose")
def dispose(
    ctx: typer.Context,
    request_id: str,
    to: str = typer.Option(..., "--to", help="The head of division (kabid) to dispose to."),
    note: str = typer.Option("", "--note"),
    json_out: bool = JSON,
) -> None:
    """Step 2 (kadis): dispose the letter to the head of division."""
    inv = invocation(ctx)
    _done(service(ctx).dispose(request_id, inv.require_actor(), to, note), json_out, f"disposed to {to}")


@app.command("assign")
def assign(
    ctx: typer.Context,
    request_id: str,
    to: str = typer.Option(..., "--to", help="The data-center staff member to assign."),
    note: str = typer.Option("", "--note"),
    json_out: bool = JSON,
) -> None:
    """Step 3 (kabid): assign data-center staff."""
    inv = invocation(ctx)
    _done(service(ctx).assign(request_id, inv.require_actor(), to, note), json_out, f"assigned to {to}")


@app.command("check")
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
    record = svc.get(request_id)
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
    from netprov.netbox.adapter import NetBoxIpam

    return NetBoxIpam.from_settings(settings).check(record.id, record.letter)


@app.command("reject")
def reject(
    ctx: typer.Context,
    request_id: str,
    reason: str = typer.Option(..., "--reason", help="Why (goes into the reply letter)."),
    json_out: bool = JSON,
) -> None:
    """Step 5 (staff): reject, report to the section head, draft the reply letter; closes it."""
    inv = invocation(ctx)
    _done(service(ctx).reject(request_id, inv.require_actor(), reason), json_out, "rejected")


@app.command("accept")
def accept(
    ctx: typer.Context, request_id: str, note: str = typer.Option("", "--note"), json_out: bool = JSON
) -> None:
    """Step 6 (staff): accept and issue the completeness form to the department."""
    inv = invocation(ctx)
    _done(service(ctx).accept(request_id, inv.require_actor(), note), json_out, "accepted, form issued")


@app.command("form")
def form(
    ctx: typer.Context,
    request_id: str,
    fill: Path = typer.Option(..., "--fill", help="The completeness form returned by the department."),
    json_out: bool = JSON,
) -> None:
    """Step 6 (staff): record the department's filled completeness form (validated)."""
    from netprov.domain.letters import load_form

    inv = invocation(ctx)
    parsed = load_form(fill)
    _done(service(ctx).fill_form(request_id, inv.require_actor(), parsed), json_out, "form complete")


@app.command("report")
def report(
    ctx: typer.Context, request_id: str, note: str = typer.Option("", "--note"), json_out: bool = JSON
) -> None:
    """Step 8 (staff): write the Berita Acara and work report."""
    inv = invocation(ctx)
    _done(service(ctx).report(request_id, inv.require_actor(), note), json_out, "reported")


@app.command("forward")
def forward(
    ctx: typer.Context, request_id: str, note: str = typer.Option("", "--note"), json_out: bool = JSON
) -> None:
    """Step 9 (kabid): report to the head of agency."""
    inv = invocation(ctx)
    _done(service(ctx).forward(request_id, inv.require_actor(), note), json_out, "forwarded")


@app.command("review")
def review(
    ctx: typer.Context,
    request_id: str,
    approve: bool = typer.Option(False, "--approve", help="Approve: the request is done (step 11)."),
    return_: bool = typer.Option(False, "--return", help="Send back to staff (needs --note)."),
    note: str = typer.Option("", "--note"),
    json_out: bool = JSON,
) -> None:
    """Step 10 (kadis): review; --approve closes it, --return sends it back with a note."""
    if approve == return_:
        raise InputError(["--approve/--return: give exactly one of them"])
    inv = invocation(ctx)
    record = service(ctx).review(request_id, inv.require_actor(), approve, note)
    _done(record, json_out, "approved" if approve else "returned to staff")


@app.command("list")
def list_(
    ctx: typer.Context,
    state: State | None = typer.Option(None, "--state", help="Only requests in this state."),
    overdue: bool = typer.Option(False, "--overdue", help="Only requests past a deadline."),
    json_out: bool = JSON,
) -> None:
    """The requests in the register."""
    records = service(ctx).find(state, overdue)
    if json_out:
        print_json([r.summary_json() for r in records])
        return
    print_table(records)


def print_table(records: list[RequestRecord]) -> None:
    table = Table(show_header=True, header_style="bold")
    for col in ("id", "OPD", "service", "Mbps", "state", "next", "due (WIB)", "SLA"):
        table.add_column(col)
    for r in records:
        letter = r.letter
        due = r.due_at.astimezone(_tz(r)).strftime("%d %b %H:%M") if r.due_at else "-"
        sla = f"[red]late {r.overdue_days} wd[/red]" if r.overdue else ("-" if not r.due_at else "ok")
        nxt = f"step {r.due_step} ({r.next_role})" if r.due_step else "-"
        table.add_row(
            r.id, escape(letter.opd), letter.service, str(letter.bandwidth_mbps), r.state.value, nxt, due, sla
        )
    console.print(table)


@app.command("show")
def show(ctx: typer.Context, request_id: str, json_out: bool = JSON) -> None:
    """A request's details and the timeline of every step (actor, role, time, note, SLA)."""
    record = service(ctx).get(request_id)
    if json_out:
        print_json(record.detail_json())
        return
    letter = record.letter
    tz = _tz(record)
    console.print(
        f"[bold]{record.id}[/bold]  {escape(letter.opd)}  {letter.service}  "
        f"{letter.bandwidth_mbps} Mbps  {letter.hosts} hosts",
        highlight=False,
    )
    console.print(
        f"letter {escape(letter.letter.number)} of {letter.letter.date}: {escape(letter.letter.subject)}",
        highlight=False,
    )
    console.print(f"site: {escape(letter.site.name)}, {escape(letter.site.address)}", highlight=False)
    console.print(f"state: [bold]{record.state.value}[/bold]", highlight=False)
    if record.due_at:
        console.print(
            f"next: step {record.due_step} by {record.next_role}, due "
            f"{record.due_at.astimezone(tz):%a %d %b %Y %H:%M %Z}"
            + (f" [red](late {record.overdue_days} working days)[/red]" if record.overdue else "")
        )
    alloc = record.allocation
    if alloc:
        console.print(
            f"allocation: LAN {alloc.lan_prefix} (gw {alloc.lan_gateway.ip}), transfer "
            f"{alloc.transfer_prefix}, VLAN {alloc.vlan_id}, {alloc.dist_device}:{alloc.dist_interface}"
            f" ↔ {alloc.cpe_device}:{alloc.cpe_interface}",
            highlight=False,
        )
    table = Table(title="timeline", title_justify="left", show_header=True, header_style="bold")
    for col in ("#", "step", "action", "actor", "role", "time (WIB)", "SLA", "note"):
        table.add_column(col)
    for t in record.timeline:
        sla = "-" if t.due_at is None else ("ok" if t.on_time else f"[red]late {t.late_days} wd[/red]")
        table.add_row(
            str(t.seq),
            str(t.step),
            t.action,
            escape(t.actor),
            t.role,
            t.at.astimezone(tz).strftime("%d %b %Y %H:%M"),
            sla,
            escape(t.note[:60]),
        )
    console.print(table)
    docs = record.documents
    if docs:
        dt_table = Table(title="documents", title_justify="left", show_header=True, header_style="bold")
        for col in ("step", "kind", "version", "file", "sha256"):
            dt_table.add_column(col)
        for d in docs:
            dt_table.add_row(
                str(d.get("step")),
                str(d.get("kind")),
                str(d.get("version", "")),
                str(d.get("pdf") or d.get("html") or ""),
                str(d.get("sha256_pdf", ""))[:16],
            )
        console.print(dt_table)


def register_top_level(app_root: typer.Typer) -> None:
    """Add ``sla`` to the root app (``audit`` and ``demo`` come from their own modules)."""

    @app_root.command("sla")
    def sla(ctx: typer.Context, json_out: bool = JSON) -> None:
        """Steps past their deadline (one working day each), oldest first."""
        records = service(ctx).sla()
        if json_out:
            print_json([r.summary_json() for r in records])
            return
        if not records:
            console.print("no step is past its deadline")
            return
        print_table(records)
