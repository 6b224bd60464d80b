"""``netprov request scan FILE``: propose a letter's fields from its scan, for a person to check.

It reads, it never submits: the YAML it writes is what ``netprov request submit`` takes,
with a comment header naming each field's confidence and place and the fields not read.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from netprov.cli.common import console, invocation, print_json
from netprov.errors import InputError

if TYPE_CHECKING:
    from netprov.scan.fields import Known


def _known(ctx: typer.Context, match: bool) -> tuple[Known, str | None]:
    """The department and site names of NetBox (none, with the reason, when it cannot be read)."""
    from netprov.scan.known import known_names

    return known_names(invocation(ctx).settings, match)


def _write(out: Path, text: str, force: bool) -> None:
    if out.exists() and not force:
        raise InputError([f"{out} exists; pass --force to replace it"], source="--out")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError([f"cannot write {out}: {exc.strerror or exc}"], source="--out") from None


def scan(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The scanned letter: PDF, JPEG or PNG."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write the letter YAML here (default: stdout)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace --out when it exists."),
    match: bool = typer.Option(True, "--match/--no-match", help="Match department and site in NetBox."),
    json_out: bool = typer.Option(False, "--json", help="Print the fields as JSON instead of YAML."),
) -> None:
    """Propose a request letter's fields from its scan (OCR); a person checks them, then
    `request submit LETTER.yaml --scan FILE`."""
    import dataclasses

    from netprov.scan.ocr import TesseractOcr
    from netprov.scan.proposal import to_yaml
    from netprov.scan.reader import read_letter

    if out is not None and out.exists() and not force:  # before the OCR, not after
        raise InputError([f"{out} exists; pass --force to replace it"], source="--out")
    known, note = _known(ctx, match)
    proposal = read_letter(file, TesseractOcr(), known)
    if note:  # why the names were not matched, more precisely than the reader can say
        proposal = dataclasses.replace(proposal, notes=(note,))
    if json_out:
        print_json(proposal.as_json())
        return
    text = to_yaml(proposal)
    if out is None:
        sys.stdout.write(text)
        return
    _write(out, text, force)
    unread = proposal.unread
    tail = f"; not read: {', '.join(unread)}" if unread else ""
    console.print(
        f"wrote {out} ({len(proposal.fields) - len(unread)} fields proposed{tail})", highlight=False
    )
