"""The root ``netprov`` command."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from netprov import __version__
from netprov.cli import audit, demo, lab, monitor, provision, render, request
from netprov.cli.common import EXIT_ERROR, Invocation, err_console
from netprov.errors import InputError, NetprovError

app = typer.Typer(
    name="netprov",
    help="Network provisioning for the SOP 'Permohonan Jaringan Baru'.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"netprov {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    as_user: str | None = typer.Option(
        None, "--as", help="Who is acting (a user in the users file); default $NETPROV_USER."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    ctx.obj = Invocation(actor=as_user)


app.add_typer(request.app, name="request", help="The SOP register: requests and their steps.")
app.add_typer(lab.app, name="lab", help="The local lab: NetBox, routers, monitoring.")
app.add_typer(monitor.app, name="monitor", help="Monitoring registration of links.")
app.add_typer(render.templates_app, name="templates", help="Device templates.")
render.register(app)
provision.register(app)
request.register_top_level(app)
audit.register(app)
demo.register(app)


def run() -> None:
    """Console-script entry point: NetprovError becomes one short message and exit 1."""
    try:
        app()
    except NetprovError as exc:
        if isinstance(exc, InputError):
            err_console.print(f"[red]error:[/red] {exc.source} is invalid:", highlight=False)
            for problem in exc.problems:
                err_console.print(f"  - {problem}", highlight=False, soft_wrap=True, markup=False)
        else:
            err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
