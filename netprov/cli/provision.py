"""``netprov provision``: SOP step 7."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the top-level ``provision`` command to the root app."""
