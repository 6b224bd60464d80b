"""Time rendering each SOP document (HTML, then PDF) and optionally draw page-1 pictures.

    .venv/bin/python benchmarks/bench_documents.py                 # timings, 5 rounds
    .venv/bin/python benchmarks/bench_documents.py --images docs/images

Pictures: page 1 of each PDF at 60 dpi through ``pdftoppm`` (poppler-utils), each paper as
the register produces it at its step (``paper_context``): the accepted request's papers, the
rejected request's draft reply letter, the blank completeness form as it is sent to the
department; and the Berita Acara's attachment page with a lab run's frr-reload diffs.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader

from netprov.documents import DocumentKind, html_for, pdf_from_html, render_document
from netprov.settings import Settings, load_settings
from netprov_lab.document_samples import accepted_context, lab_run_context, paper_context, rejected_context


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--images", type=Path, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp))
        t0 = time.perf_counter()
        pdf_from_html("<p>warm-up</p>")
        print(f"first WeasyPrint call (fonts, imports): {time.perf_counter() - t0:.2f} s")
        print(f"{'document':<24}{'case':<10}{'html ms':>9}{'pdf ms':>9}{'pages':>7}{'pdf KB':>8}")
        for case, ctx in (("accepted", accepted_context()), ("rejected", rejected_context())):
            for kind in DocumentKind:
                html_t, pdf_t = [], []
                for _ in range(args.rounds):
                    t = time.perf_counter()
                    html = html_for(kind, ctx, settings)
                    html_t.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    pdf = pdf_from_html(html)
                    pdf_t.append(time.perf_counter() - t)
                pages = len(PdfReader(io.BytesIO(pdf)).pages)
                print(
                    f"{kind.value:<24}{case:<10}{statistics.median(html_t) * 1000:9.1f}"
                    f"{statistics.median(pdf_t) * 1000:9.1f}{pages:7d}{len(pdf) / 1024:8.1f}"
                )
        t = time.perf_counter()
        doc = render_document("berita-acara", accepted_context(), settings)
        print(
            f"render_document(berita-acara) with files and hashes: "
            f"{(time.perf_counter() - t) * 1000:.0f} ms -> {doc.pdf_path.name}"
        )
        if args.images:
            pictures(args.images, load_settings(data_dir=Path(tmp) / "pictures"))  # every picture is v1


def picture(pdf: Path, stem: Path, page: int = 1) -> None:
    """One page of ``pdf`` as ``<stem>.png`` at 60 dpi."""
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf),
            str(stem),
        ],
        check=True,
    )
    print(f"picture {stem}.png ({stem.with_suffix('.png').stat().st_size // 1024} KB)")


def pictures(folder: Path, settings: Settings) -> None:
    """Page 1 of each paper as the register produces it at its step, and the Berita Acara's
    attachment (lampiran) page with a lab run's frr-reload diffs."""
    folder.mkdir(parents=True, exist_ok=True)
    for kind in DocumentKind:
        doc = render_document(kind, paper_context(kind.value), settings)
        picture(doc.pdf_path, folder / kind.value)
    doc = render_document(
        DocumentKind.BERITA_ACARA, paper_context("berita-acara", lab_run_context()), settings
    )
    picture(doc.pdf_path, folder / "berita-acara-lampiran", len(PdfReader(doc.pdf_path).pages))


if __name__ == "__main__":
    main()
