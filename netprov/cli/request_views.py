"""The read-only views of the register: ``request list``, ``request show`` and ``sla``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from netprov.cli.common import console, print_json
from netprov.cli.request_common import JSON, service
from netprov.cli.request_common import record_tz as _tz
from netprov.domain.sop import State

if TYPE_CHECKING:  # imported where used: `netprov --help` stays fast
    from netprov.sop.record import RequestRecord


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
