"""``netprov render`` and ``netprov templates``."""

from __future__ import annotations

import typer

templates_app = typer.Typer(no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the top-level ``render`` command to the root app."""
