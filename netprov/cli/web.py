"""``netprov web`` (the web pages) and ``netprov user passwd NAME`` (a web password)."""

from __future__ import annotations

import datetime as dt
import sys

import typer

from netprov.cli.common import console, invocation
from netprov.errors import InputError

user_app = typer.Typer(help="Web accounts of the users file's people.", no_args_is_help=True)


@user_app.callback()
def _user() -> None:
    """Web accounts of the users file's people (a group, so ``user passwd NAME`` stays a subcommand)."""


def read_password(stream_is_tty: bool) -> str:
    """The new password: prompted twice on a terminal, else the first line of stdin."""
    if not stream_is_tty:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    import getpass

    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        raise InputError(["password: the two entries differ"], source="password")
    return first


@user_app.command("passwd")
def passwd(ctx: typer.Context, name: str = typer.Argument(..., help="A user of the users file.")) -> None:
    """Set NAME's web password (read from stdin when it is not a terminal); ends NAME's sessions."""
    from netprov.app import App
    from netprov.web.passwords import hash_password

    service = App(invocation(ctx).settings).service
    user = service.users.get(name)  # unknown: one sentence, nothing written
    hashed = hash_password(read_password(sys.stdin.isatty()))
    service.store.set_password_hash(user.username, hashed, dt.datetime.now(dt.UTC))
    console.print(f"{user.username}: web password set", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the top-level ``web`` command."""

    @app.command("web")
    def web(
        ctx: typer.Context,
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        port: int = typer.Option(8080, "--port", min=1, max=65535, help="Port to listen on."),
        secure_cookie: bool = typer.Option(
            False, "--secure-cookie", help="Mark the session cookie Secure (behind HTTPS in production)."
        ),
    ) -> None:
        """The web pages for the SOP's people (behind a reverse proxy in production)."""
        import uvicorn

        from netprov.app import App
        from netprov.web.app import create_app

        root = App(invocation(ctx).settings)
        console.print(f"netprov web on http://{host}:{port}/", highlight=False)
        uvicorn.run(create_app(root, secure_cookie=secure_cookie), host=host, port=port, log_level="warning")
