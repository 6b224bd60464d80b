"""``netprov request``: the SOP register, one command per step, plus list/show/sla.

The commands live in ``request_steps`` (transitions), ``request_check`` (step 4) and
``request_views`` (list, show, sla); this module registers them in the order of the SOP.
"""

from __future__ import annotations

import typer

from netprov.cli import documents
from netprov.cli.request_check import check, manual_feasibility, netbox_feasibility
from netprov.cli.request_common import JSON, done, record_tz, service
from netprov.cli.request_scan import scan
from netprov.cli.request_steps import (
    _parse_time,
    accept,
    assign,
    dispose,
    form,
    forward,
    reassign,
    reject,
    report,
    review,
    sign_reply,
    submit,
)
from netprov.cli.request_views import list_, print_table, show, sla

__all__ = [
    "JSON",
    "_parse_time",
    "app",
    "check",
    "done",
    "manual_feasibility",
    "netbox_feasibility",
    "print_table",
    "record_tz",
    "register_top_level",
    "service",
]

app = typer.Typer(no_args_is_help=True)
documents.register(app)

app.command("scan")(scan)
app.command("submit")(submit)
app.command("dispose")(dispose)
app.command("assign")(assign)
app.command("reassign")(reassign)
app.command("check")(check)
app.command("reject")(reject)
app.command("sign-reply")(sign_reply)
app.command("accept")(accept)
app.command("form")(form)
app.command("report")(report)
app.command("forward")(forward)
app.command("review")(review)
app.command("list")(list_)
app.command("show")(show)


def register_top_level(app_root: typer.Typer) -> None:
    """Add ``sla`` to the root app (``audit`` and ``demo`` come from their own modules)."""
    app_root.command("sla")(sla)
