"""``netprov request``: the SOP register."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


def register_top_level(app_root: typer.Typer) -> None:
    """Add ``sla``, ``audit``, ``demo`` to the root app."""
