"""The root ``netprov`` command.

The subcommands are registered lazily: ``netprov --help`` lists them from the table below
without importing their modules, and ``netprov request list`` imports only ``netprov.cli.request``
(no NetBox, monitoring, pipeline or lab code). Help is plain click help (``rich_markup_mode=None``):
typer's rich help alone costs 0.2 s of imports (markdown, pygments).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from netprov import __version__
from netprov.cli.common import EXIT_CHANGES, EXIT_ERROR, EXIT_USAGE, Invocation, err_console
from netprov.errors import InputError, NetprovError

EPILOG = (
    f"Exit codes: 0 done (or --dry-run: nothing to change); {EXIT_ERROR} error, nothing written; "
    f"{EXIT_USAGE} usage error (unknown command or option); {EXIT_CHANGES} --dry-run: changes pending. "
    "Shell completion: netprov --install-completion (bash, zsh, fish) or --show-completion."
)

# name -> (module, what to take from it, one-line help). "app:X" is a typer sub-app attribute,
# "register:F" a function F(app) that adds the top-level command ``name`` to a typer app.
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "request": ("netprov.cli.request", "app:app", "The SOP register: requests and their steps."),
    "lab": ("netprov.cli.lab", "app:app", "The local lab: NetBox, routers, monitoring."),
    "monitor": ("netprov.cli.monitor", "app:app", "Monitoring registration of links."),
    "templates": ("netprov.cli.render", "app:templates_app", "Device templates."),
    "render": ("netprov.cli.render", "register:register", "Render a request's device configs."),
    "provision": ("netprov.cli.provision", "register:register", "Step 7: provision (or record) a link."),
    "worker": ("netprov.cli.worker", "register:register", "Run step-7 workflows from Temporal."),
    "sla": ("netprov.cli.request", "register:register_top_level", "Steps past their deadline."),
    "drift": ("netprov.cli.drift", "register:register", "Provisioned links against running configs."),
    "notify": ("netprov.cli.notify", "register:register", "Send due reminders and queued mail."),
    "audit": ("netprov.cli.audit", "register:register", "Every record the SOP requires: present?"),
    "demo": ("netprov.cli.demo", "register:register", "Bring up the lab and walk the whole SOP."),
    "web": ("netprov.cli.web", "register:register", "The web pages for the SOP's people."),
    "user": ("netprov.cli.web", "app:user_app", "Web accounts: netprov user passwd NAME."),
}


def _load(name: str) -> Any:
    """The click command for ``name``, importing its module now."""
    module_name, spec, help_ = LAZY_COMMANDS[name]
    kind, attr = spec.split(":")
    module = importlib.import_module(module_name)
    if kind == "app":
        sub: typer.Typer = getattr(module, attr)
        sub.rich_markup_mode = None  # plain help throughout, like the root
        sub._add_completion = False  # completion is the root's (netprov --install-completion)
        group = typer.main.get_command(sub)
        group.help = group.help or help_
        return group
    scratch = typer.Typer(rich_markup_mode=None)
    getattr(module, attr)(scratch)
    group = typer.main.get_group(scratch)
    return group.commands[name]


class LazyGroup(TyperGroup):
    """A typer group whose subcommands are imported only when one of them is used."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *LAZY_COMMANDS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in LAZY_COMMANDS:
            return None
        cmd = _load(cmd_name)
        self.commands[cmd_name] = cmd
        return cmd

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, help_) for name, (_, _, help_) in LAZY_COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="netprov",
    cls=LazyGroup,
    help="Network provisioning for the SOP 'Permohonan Jaringan Baru'.",
    epilog=EPILOG,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode=None,
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
    verbose: bool = typer.Option(False, "--verbose", "-v", help="More detail: log messages, error causes."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only results and errors: no progress, hints."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    if verbose and quiet:
        raise typer.BadParameter("give --verbose or --quiet, not both", param_hint="--verbose/--quiet")
    ctx.obj = Invocation(actor=as_user, verbosity=1 if verbose else (-1 if quiet else 0))
    ctx.obj.configure_output()


def _print_error(exc: NetprovError) -> None:
    from rich.markup import escape

    if isinstance(exc, InputError):
        err_console.print(f"[red]error:[/red] {exc.source} is invalid:", highlight=False)
        for problem in exc.problems:
            err_console.print(f"  - {problem}", highlight=False, soft_wrap=True, markup=False)
    else:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
    if "--verbose" in sys.argv or "-v" in sys.argv:
        cause = exc.__cause__
        while cause is not None:
            err_console.print(f"  caused by {type(cause).__name__}: {cause}", markup=False, highlight=False)
            cause = cause.__cause__


def run() -> None:
    """Console-script entry point: NetprovError becomes one short message and exit 1.

    Exit codes: 0 ok, 1 error, 2 usage error (click's), 3 --dry-run changes pending.
    """
    try:
        app()
    except NetprovError as exc:
        _print_error(exc)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
