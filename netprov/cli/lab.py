"""``netprov lab``: bring the local lab up and down, seed NetBox, show status.

The lab is the separate top-level package :mod:`netprov_lab`; it is imported only when a lab
command runs (:func:`lab_required`), so ``netprov --help`` and the product never load it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from netprov.cli.common import console, invocation, print_json
from netprov.cli.stage_board import StageBoard, live_wanted
from netprov.errors import LabError
from netprov.progress import Progress

app = typer.Typer(no_args_is_help=True)

LAB_PACKAGE = "netprov_lab"
LAB_MISSING = (
    "this command needs the lab package netprov_lab, which is not installed here "
    "(install netprov from its source checkout: ./run setup)"
)


@contextmanager
def lab_required() -> Iterator[None]:
    """Turn a missing lab package, imported inside the block, into one clear LabError.

    Raises:
        LabError: ``netprov_lab`` (or one of its modules' package) cannot be found.
    """
    try:
        yield
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != LAB_PACKAGE:
            raise
        raise LabError(LAB_MISSING) from exc


def _lab() -> ModuleType:
    with lab_required():
        import netprov_lab
    return netprov_lab


def _parts(names: list[str] | None, default: tuple[str, ...] | None = None) -> list[str]:
    labmod = _lab()
    chosen: list[str] = names or list(default or labmod.PARTS)
    for n in chosen:
        labmod.part(n)  # validates the name
    return chosen


def _progress(part: str) -> Progress:
    t0 = time.monotonic()

    def report(msg: str) -> None:
        console.print(
            f"[dim]{time.monotonic() - t0:6.1f}s[/dim] [bold]{part}[/bold] {escape(msg)}", highlight=False
        )

    return report


@contextmanager
def _parts_progress(ctx: typer.Context, names: list[str], title: str) -> Iterator[Callable[[str], Progress]]:
    """Each part's progress callback: one live line per part on a terminal, else plain lines."""
    if not live_wanted(console, invocation(ctx).quiet):
        yield _progress
        return
    with StageBoard(console, names, title) as board:
        yield board.part


@app.command("up")
def up(
    ctx: typer.Context,
    parts: list[str] = typer.Argument(
        None, help="netbox, devices, monitoring, engine, web (default: all but engine and web)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """Start lab parts (idempotent): NetBox, the router network, Zabbix and Prometheus."""
    settings = invocation(ctx).settings
    labmod = _lab()
    result: dict[str, Any] = {}
    names = _parts(parts, labmod.DEFAULT_PARTS)
    with _parts_progress(ctx, names, "lab up") as progress:
        for name in names:
            t0 = time.monotonic()
            result[name] = labmod.part(name).up(settings, progress(name))
            result[name]["seconds"] = round(time.monotonic() - t0, 1)
    if json_out:
        print_json(result)
    else:
        _print_status(result)


@app.command("down")
def down(
    ctx: typer.Context,
    parts: list[str] = typer.Argument(None, help="netbox, devices, monitoring, engine, web (default: all)."),
) -> None:
    """Stop lab parts (idempotent); leaves no namespace, process or port behind."""
    settings = invocation(ctx).settings
    labmod = _lab()
    names = list(reversed(_parts(parts)))
    with _parts_progress(ctx, names, "lab down") as progress:
        for name in names:
            labmod.part(name).down(settings, progress(name))


@app.command("status")
def status(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Every lab service and device: platform, host, port, credentials file, up or down."""
    settings = invocation(ctx).settings
    labmod = _lab()
    result = {name: labmod.part(name).status(settings) for name in labmod.PARTS}
    if json_out:
        print_json(result)
    else:
        _print_status(result)


@app.command("seed")
def seed(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print what was created as JSON."),
) -> None:
    """Load the city network (inventory/topology.yaml) into NetBox; idempotent."""
    from netprov.netbox.seed import seed_netbox

    settings = invocation(ctx).settings
    summary = seed_netbox(settings, _progress("seed"))
    if json_out:
        print_json(summary)
    else:
        for key, value in summary.items():
            console.print(f"{key}: {value}", highlight=False)


def _print_status(result: dict[str, Any]) -> None:
    for name, data in result.items():
        table = Table(title=f"lab: {name}", show_header=True, title_justify="left")
        table.add_column("item", no_wrap=True)
        table.add_column("value", overflow="fold")  # paths and URLs are folded, never cut
        for key, value in data.items():
            if isinstance(value, list):
                for item in value:
                    table.add_row(escape(key), escape(_fmt(item)))
            else:
                table.add_row(escape(key), escape(_fmt(value)))
        console.print(table)


def _fmt(value: Any) -> str:
    if isinstance(value, dict):
        return "  ".join(f"{k}={v}" for k, v in value.items())
    return str(value)
