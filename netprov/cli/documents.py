"""``netprov request documents`` and ``netprov request document``: the papers of a request.

The list comes from the register (each step's event records its documents with SHA-256);
every file is checked against its recorded hash before it is listed or handed out.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from netprov.cli.common import console, err_console, invocation, print_json
from netprov.errors import DocumentError, InputError

if TYPE_CHECKING:  # the documents package is imported where used: `netprov --help` stays fast
    from netprov.documents.store import StoredDocument
    from netprov.settings import Settings

_STATE_STYLE = {"ok": "green", "changed": "bold red", "missing": "yellow"}


def recorded_documents(settings: Settings, request_id: str) -> list[StoredDocument]:
    """The documents the register recorded for ``request_id``, oldest first."""
    from netprov.app import App
    from netprov.documents.store import StoredDocument

    record = App(settings).service.get(request_id)
    return [StoredDocument.from_event(d) for d in record.documents]


def _row(doc: StoredDocument, settings: Settings) -> dict[str, Any]:
    from netprov.documents.store import check_files, locate

    states = check_files(doc, settings.documents_dir)
    return {
        "kind": doc.kind.value,
        "step": doc.step,
        "version": doc.version,
        "letter_number": doc.letter_number,
        "agenda": doc.agenda,  # {kind, year, seq}: its entry in the agenda of outgoing letters
        "agenda_entry": _agenda(doc),
        "generated_at": doc.generated_at.isoformat(),
        "files": {
            fmt: {
                "path": str(locate(f, settings.documents_dir)),
                "sha256": f.sha256,
                "size": f.size,
                "state": states[fmt],
            }
            for fmt, f in doc.files.items()
        },
        "intact": all(s == "ok" for s in states.values()),
    }


def _agenda(doc: StoredDocument) -> str | None:
    """``SB 2026/3``: the paper's entry in the agenda of outgoing letters (older records: None)."""
    from netprov.documents.context import DocumentKind

    entry = doc.agenda
    if not entry or not {"kind", "year", "seq"} <= entry.keys():
        return None
    try:
        code = DocumentKind(str(entry["kind"])).code
    except ValueError:
        code = str(entry["kind"])
    return f"{code} {entry['year']}/{entry['seq']}"


def documents(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., help="Request id, e.g. PJB-2026-0001."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """List a request's documents with paths and SHA-256, checked against the files."""
    settings = invocation(ctx).settings
    rows = [_row(d, settings) for d in recorded_documents(settings, request_id)]
    if json_out:
        print_json(rows)
        return
    if not rows:
        console.print(f"{request_id}: no documents yet", highlight=False)
        return
    console.print(
        f"{request_id}: {len(rows)} document(s) in {escape(str(settings.documents_dir / request_id))}",
        highlight=False,
    )
    for r in rows:
        agenda = f"  agenda {escape(r['agenda_entry'])}" if r["agenda_entry"] else ""
        console.print(
            f"  step {r['step']}  [bold]{r['kind']}[/bold] v{r['version']}  {escape(r['letter_number'])}"
            + agenda,
            highlight=False,
        )
        for fmt, f in r["files"].items():
            style = _STATE_STYLE[f["state"]]
            console.print(
                f"      {fmt:<4} [{style}]{f['state']:<7}[/{style}] "
                f"{f['sha256'][:16]}  {escape(Path(f['path']).name)}",
                highlight=False,
            )
    if not all(r["intact"] for r in rows):
        err_console.print(
            "[red]warning:[/red] some files differ from their recorded hash or are missing", highlight=False
        )


def document(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., help="Request id, e.g. PJB-2026-0001."),
    kind: str = typer.Argument(
        ..., help="laporan-pemeriksaan | surat-balasan | formulir-kelengkapan | berita-acara"
    ),
    pdf: bool = typer.Option(False, "--pdf", help="The PDF (the default)."),
    html: bool = typer.Option(False, "--html", help="The HTML page."),
    yaml_twin: bool = typer.Option(False, "--yaml", help="The form's YAML twin (formulir-kelengkapan only)."),
    out: Path | None = typer.Option(None, "--out", help="Copy to FILE (default: stdout)."),
) -> None:
    """Hand out the latest version of one document, after checking its SHA-256."""
    if sum((pdf, html, yaml_twin)) > 1:
        raise InputError(["give one of --pdf, --html, --yaml"], source="options")
    fmt = "html" if html else "yaml" if yaml_twin else "pdf"
    from netprov.documents.render import document_kind
    from netprov.documents.store import check_files, latest, locate

    doc_kind = document_kind(kind)
    settings = invocation(ctx).settings
    doc = latest(recorded_documents(settings, request_id), doc_kind)
    if fmt not in doc.files:
        raise DocumentError(f"{doc_kind.value} v{doc.version} has no {fmt} file")
    stored = doc.files[fmt]
    path = locate(stored, settings.documents_dir)
    state = check_files(doc, settings.documents_dir)[fmt]
    if state != "ok":
        raise DocumentError(
            f"{path}: {state} since it was recorded (sha256 {stored.sha256[:16]}…); not handing it out"
        )
    if out is not None:
        try:
            shutil.copyfile(path, out)
        except OSError as exc:
            raise DocumentError(f"cannot write {out}: {exc.strerror}") from exc
        err_console.print(
            f"{doc_kind.value} v{doc.version} ({fmt}, sha256 {stored.sha256[:16]}…) → {out}", highlight=False
        )
        return
    if fmt == "pdf" and sys.stdout.isatty():
        console.print(str(path), highlight=False, markup=False)  # never spray a PDF on a terminal
        return
    sys.stdout.buffer.write(path.read_bytes())
    sys.stdout.flush()


def register(request_app: typer.Typer) -> None:
    """Add ``documents`` and ``document`` to the ``netprov request`` sub-app."""
    request_app.command("documents")(documents)
    request_app.command("document")(document)
