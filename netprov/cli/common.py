"""Shared CLI plumbing: the invocation context, output helpers, exit codes."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, cast

import typer

from netprov.errors import NetprovError

if TYPE_CHECKING:  # pydantic_settings is imported when settings are first needed
    from rich.console import Console

    from netprov.settings import Settings


class _LazyConsole:
    """A rich Console made on first use: ``netprov --help`` does not import rich.console (75 ms)."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._kwargs)
        return getattr(self._console, name)


console = cast("Console", _LazyConsole())
err_console = cast("Console", _LazyConsole(stderr=True))

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2  # click's usage error: unknown command or option, bad value
EXIT_CHANGES = 3  # --dry-run: changes pending (distinct from a usage error: a typo is not "pending")


@dataclass
class Invocation:
    """What the root command parsed: who acts, and settings loaded on first use."""

    actor: str | None = None
    verbosity: int = 0  # -1 --quiet, 0 default, 1 --verbose
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def quiet(self) -> bool:
        return self.verbosity < 0

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from netprov.settings import load_settings

            self._settings = load_settings()
        return self._settings

    def configure_output(self) -> None:
        """--verbose: netprov's log messages on stderr; --quiet: no progress or hint lines."""
        level = (
            logging.DEBUG if self.verbosity > 0 else logging.WARNING if self.verbosity == 0 else logging.ERROR
        )
        logger = logging.getLogger("netprov")
        logger.setLevel(level)
        if self.verbosity > 0 and not logger.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            logger.addHandler(handler)

    def require_actor(self) -> str:
        actor = self.actor or self.settings.user
        if not actor:
            raise NetprovError("who is acting? give --as USER or set NETPROV_USER")
        return actor


def invocation(ctx: typer.Context) -> Invocation:
    obj = ctx.find_root().obj
    if not isinstance(obj, Invocation):
        obj = Invocation()
        ctx.find_root().obj = obj
    return obj


def to_jsonable(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):  # a pydantic model (pydantic not imported for that)
        return obj.model_dump(mode="json")
    if isinstance(obj, list | tuple):
        return [to_jsonable(o) for o in obj]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    return obj


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False, default=str))
    sys.stdout.write("\n")


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
