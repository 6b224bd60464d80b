"""The SOP transitions of ``netprov request`` except the check: submit, dispose ... review."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from netprov.cli.common import console, invocation, print_json
from netprov.cli.request_common import JSON, service
from netprov.cli.request_common import done as _done
from netprov.errors import InputError


def submit(
    ctx: typer.Context,
    letter_file: Path = typer.Argument(..., help="The request letter (YAML)."),
    received_at: str | None = typer.Option(
        None, "--received-at", help="When the letter arrived (ISO 8601 with offset); default now."
    ),
    scan: Path | None = typer.Option(
        None, "--scan", help="The scanned letter (PDF/JPEG/PNG) to store with the request."
    ),
    json_out: bool = JSON,
) -> None:
    """Step 1: register an incoming request letter; prints its id (a letter already registered,
    same number and OPD, is refused). ``kind: decommission`` or ``bandwidth-change`` with
    ``of: ID`` registers a change of that request's link."""
    from netprov.domain.letters import load_request_letter

    when = _parse_time(received_at) if received_at is not None else None
    letter = load_request_letter(letter_file)
    actor = invocation(ctx).actor or invocation(ctx).settings.user
    record = service(ctx).submit(letter, actor, when, scan=scan)
    if json_out:
        print_json(record.detail_json())
    else:
        console.print(record.id, highlight=False)


def _parse_time(value: str) -> dt.datetime:
    from netprov.domain.text import shown

    try:
        if len(value) > 40 or not (value.isascii() and value.isprintable()):
            raise ValueError(value)
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InputError([f"--received-at: {shown(value)} is not an ISO 8601 time"], "options") from None
    if parsed.tzinfo is None:
        raise InputError(["--received-at: needs a UTC offset, e.g. 2026-08-14T16:00+07:00"], "options")
    return parsed


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


def reject(
    ctx: typer.Context,
    request_id: str,
    reason: str = typer.Option(..., "--reason", help="Why (goes into the reply letter)."),
    json_out: bool = JSON,
) -> None:
    """Step 5 (staff): reject, report to the section head, draft the reply letter for the kadis."""
    inv = invocation(ctx)
    _done(service(ctx).reject(request_id, inv.require_actor(), reason), json_out, "rejected, reply drafted")


def sign_reply(
    ctx: typer.Context, request_id: str, note: str = typer.Option("", "--note"), json_out: bool = JSON
) -> None:
    """Step 5 (kadis): sign the reply letter of a rejection (issued again, signed); closes it."""
    inv = invocation(ctx)
    record = service(ctx).sign_reply(request_id, inv.require_actor(), note)
    _done(record, json_out, "reply letter signed, closed")


def reassign(
    ctx: typer.Context,
    request_id: str,
    to: str = typer.Option(..., "--to", help="The data-center staff member who takes over."),
    note: str = typer.Option("", "--note"),
    json_out: bool = JSON,
) -> None:
    """Step 3 (kabid): hand steps 4-8 of a request to other staff (recorded in the trail)."""
    inv = invocation(ctx)
    _done(service(ctx).reassign(request_id, inv.require_actor(), to, note), json_out, f"reassigned to {to}")


def accept(
    ctx: typer.Context, request_id: str, note: str = typer.Option("", "--note"), json_out: bool = JSON
) -> None:
    """Step 6 (staff): accept and issue the completeness form to the department."""
    inv = invocation(ctx)
    _done(service(ctx).accept(request_id, inv.require_actor(), note), json_out, "accepted, form issued")


def form(
    ctx: typer.Context,
    request_id: str,
    fill: Path = typer.Option(
        ..., "--fill", help="The completeness form returned by the department (its YAML, or the filled PDF)."
    ),
    json_out: bool = JSON,
) -> None:
    """Step 6 (staff): record the department's filled completeness form (validated)."""
    from netprov.documents.fillable import load_form_file

    inv = invocation(ctx)
    svc = service(ctx)
    svc.get(request_id)  # the id is checked before the form is read
    parsed = load_form_file(fill)
    _done(svc.fill_form(request_id, inv.require_actor(), parsed), json_out, "form complete")


def report(
    ctx: typer.Context, request_id: str, note: str = typer.Option("", "--note"), json_out: bool = JSON
) -> None:
    """Step 8 (staff): write the Berita Acara and work report."""
    inv = invocation(ctx)
    _done(service(ctx).report(request_id, inv.require_actor(), note), json_out, "reported")


def forward(
    ctx: typer.Context, request_id: str, note: str = typer.Option("", "--note"), json_out: bool = JSON
) -> None:
    """Step 9 (kabid): report to the head of agency."""
    inv = invocation(ctx)
    _done(service(ctx).forward(request_id, inv.require_actor(), note), json_out, "forwarded")


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
