"""What the ``netprov request`` commands share: the --json option, the service, the result line."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import typer

from netprov.cli.common import console, invocation, print_json
from netprov.domain.sop import STEPS, State

if TYPE_CHECKING:  # imported where used: `netprov --help` stays fast
    from netprov.sop.record import RequestRecord
    from netprov.sop.service import RequestService

JSON = typer.Option(False, "--json", help="Print JSON for scripts.")


def service(ctx: typer.Context) -> RequestService:
    """The register's service from the invocation's settings."""
    from netprov.app import App

    return App(invocation(ctx).settings).service


def done(record: RequestRecord, json_out: bool, message: str) -> None:
    """Print the result of a step: JSON, or one line, the next step and the new document."""
    if json_out:
        print_json(record.detail_json())
        return
    console.print(f"{record.id}: {message} → [bold]{record.state.value}[/bold]", highlight=False)
    if record.due_at:
        due = record.due_at.astimezone(record_tz(record))
        title = {
            State.CHECKED: "decision: reject (step 5) or accept (step 6)",
            State.REJECTED: "the head of agency signs the reply letter: request sign-reply",
        }.get(record.state, STEPS[record.due_step or 11].title)
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


def record_tz(record: RequestRecord) -> dt.tzinfo:
    """The request's time zone (the department's local time)."""
    from zoneinfo import ZoneInfo

    return ZoneInfo(record.timezone)
