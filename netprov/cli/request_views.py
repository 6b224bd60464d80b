"""The read-only views of the register: ``request list``, ``request show`` and ``sla``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from netprov.cli import readonly
from netprov.cli.common import console, invocation, print_json
from netprov.cli.request_common import JSON
from netprov.cli.request_common import record_tz as _tz
from netprov.domain.sop import State

if TYPE_CHECKING:  # imported where used: `netprov --help` stays fast
    from netprov.domain.users import User
    from netprov.sop.record import RequestRecord

# Who a waiting step belongs to, beyond its role: the kabid the letter was disposed to (step 3),
# the staff assigned (steps 4-8). Other steps wait on any user of the role (the kadis).
_ASSIGNEE_KEY = {"kabid": "disposed_to", "staff": "assigned_to"}


def waits_on(record: RequestRecord, user: User) -> bool:
    """True when the request's current step is the user's to do (role, and assignment if any)."""
    if record.next_role is None or record.next_role != user.role.value:
        return False
    key = _ASSIGNEE_KEY.get(record.next_role)
    assignee = record._latest_output(key) if key else None
    return assignee is None or str(assignee) == user.username


def is_mine(record: RequestRecord, user: User) -> bool:
    """``request list --mine``: the current step waits on the user, or the user acted on it."""
    return waits_on(record, user) or any(e.actor == user.username for e in record.events)


def list_(
    ctx: typer.Context,
    state: State | None = typer.Option(None, "--state", help="Only requests in this state."),
    overdue: bool = typer.Option(False, "--overdue", help="Only requests past a deadline."),
    mine: bool = typer.Option(
        False,
        "--mine",
        help="Only requests whose current step waits on the acting user (--as), or that they acted on.",
    ),
    json_out: bool = JSON,
) -> None:
    """The requests in the register."""
    inv = invocation(ctx)
    settings = readonly.view_settings(inv)
    records = readonly.find_records(settings, state, overdue)
    if mine:
        user = readonly.users(settings).get(readonly.actor(inv, settings))
        records = [r for r in records if is_mine(r, user)]
    if json_out:
        print_json([r.summary_json() for r in records])
        return
    print_table(records)


def _list_table() -> Table:
    """The list's columns, fitting 80 columns: the id (the column people copy) and the state (a
    --state value) are never cut or wrapped; other cells wrap between words, and a word longer
    than its column folds onto the next line rather than ending in an ellipsis."""
    table = Table(header_style="bold underline", box=None, pad_edge=False, padding=(0, 1))
    table.add_column("id", no_wrap=True, min_width=len("PJB-2026-0000"))
    table.add_column("OPD", overflow="fold", ratio=1, min_width=11)
    table.add_column("service", no_wrap=True)
    table.add_column("Mbps", justify="right", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("next", overflow="fold")
    table.add_column("due WIB", overflow="fold")
    return table


def print_table(records: list[RequestRecord]) -> None:
    table = _list_table()
    for r in records:
        letter = r.request.letter  # as stored (validated when submitted): no pydantic to list
        due = r.due_at.astimezone(_tz(r)).strftime("%d %b %H:%M") if r.due_at else "-"
        if r.overdue:
            due += f" [red]late {r.overdue_days} wd[/red]"
        nxt = f"{r.due_step} {r.next_role}" if r.due_step else "-"
        table.add_row(
            r.id,
            escape(str(letter["opd"])),
            escape(str(letter["service"])),
            str(letter["bandwidth_mbps"]),
            r.state.value,
            nxt,
            due,
        )
    console.print(table)


def show(ctx: typer.Context, request_id: str, json_out: bool = JSON) -> None:
    """A request's details and the timeline of every step (actor, role, time, note, SLA)."""
    view = readonly.view_settings(invocation(ctx))
    record = readonly.get_record(view, request_id)
    changes = readonly.changes_of(view, request_id)
    if json_out:
        print_json(record.detail_json(changes))
        return
    letter = record.request.letter  # as stored (validated when submitted)
    sent, site = letter["letter"], letter["site"]
    tz = _tz(record)
    console.print(
        f"[bold]{record.id}[/bold]  {escape(str(letter['opd']))}  {escape(str(letter['service']))}  "
        f"{letter['bandwidth_mbps']} Mbps  {letter['hosts']} hosts",
        highlight=False,
    )
    console.print(
        f"letter {escape(str(sent['number']))} of {sent['date']}: {escape(str(sent['subject']))}",
        highlight=False,
    )
    console.print(f"site: {escape(str(site['name']))}, {escape(str(site['address']))}", highlight=False)
    console.print(f"state: [bold]{record.state.value}[/bold]", highlight=False)
    if letter.get("of"):
        why = f": {escape(str(letter['reason']))}" if letter.get("reason") else ""
        console.print(f"{letter['kind']} of the link of {letter['of']}{why}", highlight=False)
    for c in changes:
        console.print(f"changed by {c['id']} ({c['kind']}, {c['state']})", highlight=False)
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
        # One line each, not a table: a path is never wrapped mid-word (the terminal soft-wraps it
        # whole, so it can be copied).
        console.print("[bold]documents[/bold]")
        for d in docs:
            path = escape(str(d.get("pdf") or d.get("html") or ""))
            console.print(
                f"  step {d.get('step')} {d.get('kind')} v{d.get('version', '')} "
                f"{escape(str(d.get('letter_number', '')))} "
                f"sha256 {str(d.get('sha256_pdf', ''))[:16]}  {path}",
                highlight=False,
                soft_wrap=True,
            )


def sla(ctx: typer.Context, json_out: bool = JSON) -> None:
    """Steps past their deadline (one working day each), oldest first."""
    records = readonly.sla_records(readonly.view_settings(invocation(ctx)))
    if json_out:
        print_json([r.summary_json() for r in records])
        return
    if not records:
        console.print("no step is past its deadline")
        return
    print_table(records)
