"""``netprov notify [--dry-run]``: send due reminders and the queued mail (cron / systemd timer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from netprov.cli.common import EXIT_ERROR, console, invocation, print_json

if TYPE_CHECKING:
    from netprov.mail.notify import NotifyResult


def register(app: typer.Typer) -> None:
    @app.command("notify")
    def notify(
        ctx: typer.Context,
        dry_run: bool = typer.Option(
            False, "--dry-run", help="List what would be sent; send and write nothing."
        ),
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Queue due reminders, then send the queued mail; each mail sent goes into its trail.

        Exit 1 when a mail could not be sent (it stays queued and is tried again later)."""
        from netprov.app import App
        from netprov.errors import ConfigError
        from netprov.mail.notify import notify as run_notify

        settings = invocation(ctx).settings
        if not dry_run and not settings.smtp_host:
            raise ConfigError("NETPROV_SMTP_HOST is not set: nothing can be sent (mail stays queued)")
        svc = App(settings).service
        result = run_notify(svc, dry_run=dry_run)
        if json_out:
            print_json(result.to_json())
        else:
            _print(result)
        if result.failed:
            raise typer.Exit(EXIT_ERROR)


def _print(r: NotifyResult) -> None:
    verb = "would queue" if r.dry_run else "queued"
    for m in r.reminders:
        console.print(
            f"{verb} reminder {m['request']} {m['kind']} to {m['to']} <{m['address']}>", markup=False
        )
    for m in r.pending:
        att = f" + {', '.join(m['attachments'])}" if m["attachments"] else ""
        console.print(
            f"would send #{m['id']} {m['request']} {m['kind']} to {m['to']} <{m['address']}>: "
            f"{m['subject']}{att}",
            markup=False,
        )
    for m in r.waiting:
        console.print(
            f"waiting #{m['id']} {m['request']} {m['kind']} to {m['to']}: next try {m['next_attempt_at']}"
            f" (tried {m['attempts']}x: {m['error']})",
            markup=False,
        )
    for m in r.sent:
        console.print(
            f"sent #{m['id']} {m['request']} {m['kind']} to {m['to']} <{m['address']}>", markup=False
        )
    for m in r.failed:
        console.print(
            f"[red]not sent[/red] #{m['id']} {escape(m['request'])} to {escape(m['address'])}: "
            f"{escape(m['error'])} (stays queued)"
            if not m["gave_up"]
            else f"[red]failed[/red] #{m['id']} {escape(m['request'])}: {escape(m['error'])} (gave up)",
        )
    if r.dry_run:
        console.print(
            f"dry run: {len(r.reminders)} reminder(s) to queue, {len(r.pending)} mail(s) to send now,"
            f" {len(r.waiting)} waiting to be retried"
        )
    else:
        console.print(f"{len(r.sent)} sent, {len(r.failed)} not sent, {len(r.reminders)} reminder(s) queued")
