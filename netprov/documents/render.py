"""Render documents: Jinja2 (autoescaped) to HTML, WeasyPrint to PDF, files with hashes.

WeasyPrint never fetches anything: the HTML is self-contained (CSS inline, logo as a data
URI) and the URL fetcher refuses every URL that is not ``data:``.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from netprov.documents.context import DocumentContext, DocumentKind
from netprov.documents.dates import hari, tanggal, terbilang, waktu
from netprov.documents.store import StoredDocument, claim_version, request_dir, write_file
from netprov.documents.twin import form_twin_yaml
from netprov.documents.view import doc_view, template_vars
from netprov.errors import DocumentError, InputError
from netprov.settings import Settings

log = logging.getLogger(__name__)


def _date_filter(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return tanggal(value)


@lru_cache(maxsize=4)
def environment(templates_dir: Path) -> jinja2.Environment:
    """The document template environment: autoescape always on, undefined names fail."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir / "documents")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["tanggal"] = _date_filter
    env.filters["hari"] = hari
    env.filters["terbilang"] = terbilang
    env.filters["waktu"] = waktu
    return env


def document_kind(kind: DocumentKind | str) -> DocumentKind:
    """``kind`` as a DocumentKind; an unknown name is an InputError naming the known ones."""
    try:
        return DocumentKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in DocumentKind)
        raise InputError([f"kind: {kind!r} is not one of {known}"], source="document") from None


def html_for(
    kind: DocumentKind | str, ctx: DocumentContext, settings: Settings, version: int | None = None
) -> str:
    """The document as one self-contained HTML page (pure: writes nothing)."""
    kind = document_kind(kind)
    env = environment(settings.templates_dir)
    try:
        template = env.get_template(f"{kind.value}.html.j2")
        return template.render(**template_vars(kind, ctx, settings), version=version)
    except jinja2.TemplateNotFound as exc:
        raise DocumentError(f"template {exc.name} is missing under {settings.templates_dir}") from exc
    except jinja2.UndefinedError as exc:
        raise DocumentError(f"template {kind.value}.html.j2: {exc.message}") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise DocumentError(f"template {exc.name} line {exc.lineno}: {exc.message}") from exc


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """URL fetcher for WeasyPrint < 66: ``data:`` only."""
    if url.startswith("data:"):
        import weasyprint

        result: dict[str, Any] = weasyprint.default_url_fetcher(url, *args, **kwargs)
        return result
    raise DocumentError(f"documents fetch nothing from outside; refused {url[:60]!r}")


def _fetcher() -> Any:
    """A fetcher that only reads ``data:`` URLs: no network, no local files."""
    from weasyprint import urls

    if hasattr(urls, "URLFetcher"):  # WeasyPrint >= 66
        return urls.URLFetcher(allowed_protocols={"data"}, timeout=1)
    return _refuse_fetch


def pdf_from_html(html: str, forms: bool = False) -> bytes:
    """HTML to PDF bytes through WeasyPrint (no network, no files); with ``forms`` the HTML's
    ``<input>`` and ``<textarea>`` elements become fillable PDF form fields."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: pango/harfbuzz libraries missing
        raise DocumentError(
            f"WeasyPrint cannot start (Debian libpango-1.0-0 and libpangoft2-1.0-0 are needed): {exc}"
        ) from exc
    quiet = logging.getLogger("weasyprint")
    if quiet.level == logging.NOTSET:  # its CSS/fetch warnings are noise on a user's terminal
        quiet.setLevel(logging.ERROR)
    try:
        pdf = weasyprint.HTML(string=html, url_fetcher=_fetcher()).write_pdf(pdf_forms=forms)
    except DocumentError:
        raise
    except Exception as exc:
        raise DocumentError(f"WeasyPrint could not make the PDF: {type(exc).__name__}: {exc}") from exc
    if not isinstance(pdf, bytes):
        raise DocumentError("WeasyPrint returned no PDF")
    return pdf


def render_document(kind: DocumentKind | str, ctx: DocumentContext, settings: Settings) -> StoredDocument:
    """Render ``kind`` for ``ctx`` to HTML and PDF under ``documents_dir/<request_id>/``.

    Each call makes a new version (``<kind>-v<N>``); nothing is overwritten. The
    completeness form's PDF is fillable (AcroForm fields, read back by
    :func:`netprov.documents.fillable.load_filled_pdf`) and it also gets its YAML twin
    (``formulir-kelengkapan-v<N>.yaml``).
    """
    kind = document_kind(kind)
    html_for(kind, ctx, settings)  # fail on template/setting problems before claiming
    docs_dir = settings.documents_dir
    folder = request_dir(docs_dir, ctx.request_id)
    try:
        version, html_path = claim_version(folder, kind)
    except OSError as exc:
        raise DocumentError(f"cannot write documents under {folder}: {exc.strerror}") from exc
    try:
        html = html_for(kind, ctx, settings, version=version)
        pdf = pdf_from_html(html, forms=kind is DocumentKind.FORMULIR_KELENGKAPAN)
        files = {"html": write_file(html_path, html.encode("utf-8"), docs_dir)}
        files["pdf"] = write_file(html_path.with_suffix(".pdf"), pdf, docs_dir)
        if kind is DocumentKind.FORMULIR_KELENGKAPAN:
            twin = form_twin_yaml(ctx.request_id, ctx.letter).encode("utf-8")
            files["yaml"] = write_file(html_path.with_suffix(".yaml"), twin, docs_dir)
    except BaseException:
        for suffix in (".html", ".pdf", ".yaml"):  # give the version back, leave no half
            html_path.with_suffix(suffix).unlink(missing_ok=True)
        raise
    doc = StoredDocument(
        request_id=ctx.request_id,
        kind=kind,
        step=kind.step,
        version=version,
        letter_number=doc_view(kind, ctx, settings).number,
        generated_at=ctx.generated_at,
        files=files,
    )
    log.info("document %s v%d for %s written", kind.value, version, ctx.request_id)
    return doc
