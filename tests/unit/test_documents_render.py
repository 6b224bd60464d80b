"""Documents rendered for real: HTML through Jinja2, PDF through WeasyPrint, files hashed."""

from __future__ import annotations

import hashlib
import io
import socket
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

from netprov.documents import DocumentContext, DocumentKind, html_for, render_document
from netprov.documents.render import _fetcher, _refuse_fetch, pdf_from_html
from netprov.documents.store import check_files
from netprov.domain.letters import load_form, load_letter
from netprov.domain.users import nip_spaced
from netprov.errors import ConfigError, DocumentError
from netprov.settings import Settings
from netprov_lab.document_samples import PEOPLE, accepted_context, rejected_context

HOSTILE = Path(__file__).parent.parent / "data" / "hostile-documents"
KINDS = list(DocumentKind)

# What each document must say about who signs (role titles as printed).
ROLES = {
    DocumentKind.LAPORAN_PEMERIKSAAN: ["Pemeriksa", "Staf / Tim Data Center", "Mengetahui", "Kepala Seksi"],
    DocumentKind.SURAT_BALASAN: ["KEPALA DINAS KOMUNIKASI DAN INFORMATIKA"],
    DocumentKind.FORMULIR_KELENGKAPAN: ["Yang menyerahkan", "Yang mengisi", "Staf / Tim Data Center"],
    DocumentKind.BERITA_ACARA: [
        "PIHAK PERTAMA",
        "PIHAK KEDUA",
        "Staf / Tim Data Center",
        "Kepala Bidang Penyelenggaraan",
        "Kepala Dinas Komunikasi dan Informatika",
        "Mengetahui",
        "Menyetujui",
    ],
}


def pdf_text(path: Path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return " ".join(" ".join((p.extract_text() or "") for p in reader.pages).split())


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("which", ["accepted", "rejected"])
def test_each_document_renders_to_html_and_pdf(kind: DocumentKind, which: str, settings: Settings) -> None:
    ctx = accepted_context() if which == "accepted" else rejected_context()
    doc = render_document(kind, ctx, settings)
    assert doc.version == 1 and doc.step == kind.step
    assert doc.html_path.parent == settings.documents_dir / ctx.request_id
    assert doc.html_path.name == f"{kind.value}-v1.html"
    for f in doc.files.values():
        assert hashlib.sha256(Path(f.path).read_bytes()).hexdigest() == f.sha256
        assert Path(f.path).stat().st_size == f.size
    assert check_files(doc) == dict.fromkeys(doc.files, "ok")
    assert doc.pdf_path.read_bytes().startswith(b"%PDF-")

    text = pdf_text(doc.pdf_path)
    seq = f"{ctx.seq:03d}"
    assert doc.letter_number == f"{seq}/Kominfo-PE/{kind.code}/XI/2026"
    for needle in [
        ctx.request_id,
        doc.letter_number,
        ctx.letter.opd,
        "PEMERINTAH KOTA BATAM",
        "DINAS KOMUNIKASI DAN INFORMATIKA",
        *ROLES[kind],
    ]:
        assert needle in text, f"{needle!r} missing from {kind.value} ({which})"
    if kind is not DocumentKind.FORMULIR_KELENGKAPAN:
        assert "November 2026" in text
    html = doc.html_path.read_text(encoding="utf-8")
    assert '<html lang="id">' in html and ctx.request_id in html


def test_accepted_documents_show_the_prefix_and_signers(settings: Settings) -> None:
    ctx = accepted_context()
    ba = pdf_text(render_document("berita-acara", ctx, settings).pdf_path)
    for needle in [
        "10.100.0.0/27",
        "10.250.0.0/30",
        "10.250.0.1/30",
        "VLAN",
        "100",
        "dist-batamkota1 eth2",
        "sw-disdik-bk",
        "Zabbix",
        "Prometheus",
        "Berhasil",
        "Kepala Dinas Pendidikan",
        PEOPLE[next(iter(PEOPLE))].name,
        "Kamis tanggal dua puluh enam bulan November tahun dua ribu dua puluh enam",
    ]:
        assert needle in ba, needle
    for person in PEOPLE.values():
        if person.username != "hendra":  # the kasi does not sign the Berita Acara
            assert person.name in ba and f"NIP. {nip_spaced(person.nip or '')}" in ba
    assert "s3cr3tOSPF" not in ba and "pemko-ro" not in ba and "********" in ba
    lp = pdf_text(render_document("laporan-pemeriksaan", ctx, settings).pdf_path)
    assert "10.100.0.0/27" in lp and "DITERIMA" in lp and "Memenuhi" in lp


def test_rejected_documents_give_reasons_and_say_what_is_missing(settings: Settings) -> None:
    ctx = rejected_context()
    sb = pdf_text(render_document("surat-balasan", ctx, settings).pdf_path)
    assert "DRAFT" in sb and "belum dapat kami penuhi" in sb
    for reason in ctx.rejection_reasons:
        assert flat(reason) in sb
    assert "Yth. Kepala Bappeda" in sb
    lp = pdf_text(render_document("laporan-pemeriksaan", ctx, settings).pdf_path)
    assert "DITOLAK" in lp and "Tidak memenuhi" in lp
    ba = pdf_text(render_document("berita-acara", ctx, settings).pdf_path)
    assert "ditolak" in ba
    assert ba.count("belum tersedia") >= 4


def test_manual_step7_shows_the_evidence_file(settings: Settings) -> None:
    from netprov.documents import ManualEvidence, ProvisioningEvidence

    ctx = accepted_context().model_copy(
        update={
            "evidence": ProvisioningEvidence(
                manual=ManualEvidence(file_name="foto-rak.jpg", sha256="ab" * 32)
            )
        }
    )
    html = html_for("berita-acara", ctx, settings)
    assert "foto-rak.jpg" in html and "ab" * 32 in html
    assert "secara manual" in html and "Hasil verifikasi belum tersedia" in flat(html)


def test_rerender_makes_a_new_version(settings: Settings) -> None:
    ctx = accepted_context()
    v1 = render_document("berita-acara", ctx, settings)
    v1_bytes = v1.pdf_path.read_bytes()
    v2 = render_document("berita-acara", ctx, settings)
    assert (v1.version, v2.version) == (1, 2)
    assert v2.pdf_path.name == "berita-acara-v2.pdf"
    assert v1.pdf_path.read_bytes() == v1_bytes  # never overwritten
    assert "versi 2" in v2.html_path.read_text(encoding="utf-8")


def test_form_document_has_its_yaml_twin(settings: Settings) -> None:
    ctx = accepted_context().model_copy(update={"form": None})
    doc = render_document("formulir-kelengkapan", ctx, settings)
    assert set(doc.files) == {"html", "pdf", "yaml"}
    twin = Path(doc.files["yaml"].path)
    assert twin.name == "formulir-kelengkapan-v1.yaml"
    assert "request: PJB-2026-0007" in twin.read_text(encoding="utf-8")
    assert "formulir-kelengkapan-v1.yaml" in pdf_text(doc.pdf_path)
    event = doc.to_event()
    assert event["pdf"] == str(doc.pdf_path) and event["sha256_yaml"] == doc.files["yaml"].sha256


def test_tampered_file_is_detected(settings: Settings) -> None:
    doc = render_document("surat-balasan", rejected_context(), settings)
    doc.html_path.write_text("<p>diubah</p>", encoding="utf-8")
    doc.pdf_path.unlink()
    assert check_files(doc) == {"html": "changed", "pdf": "missing"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def hostile_context() -> DocumentContext:
    base = accepted_context()
    letter = load_letter(HOSTILE / "letter.yaml")
    form = load_form(HOSTILE / "form.yaml").model_copy(update={"request": base.request_id})
    return base.model_copy(
        update={
            "letter": letter,
            "form": form,
            "rejection_reasons": ["<script>alert('reason')</script>"],
            "evidence": base.evidence.model_copy(
                update={
                    "devices": [  # type: ignore[union-attr]
                        base.evidence.devices[0].model_copy(  # type: ignore[union-attr]
                            update={"diff": "+ description </pre><script>alert(3)</script>"}
                        )
                    ]
                }
            ),
        }
    )


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_letter_renders_as_text(kind: DocumentKind, settings: Settings) -> None:
    ctx = hostile_context()
    doc = render_document(kind, ctx, settings)
    html = doc.html_path.read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(html)
    tags = [t for t, _ in parser.tags]
    assert tags.count("style") == 1 and "script" not in tags and "iframe" not in tags
    assert "a" not in tags and "h1" not in tags
    imgs = [a for t, a in parser.tags if t == "img"]
    assert imgs == []  # placeholder emblem is inline SVG
    for _, attrs in parser.tags:
        for name, value in attrs:
            assert not name.startswith("on"), name
            assert "javascript:" not in (value or "")
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "{{ 7*7 }}" in html or kind is DocumentKind.FORMULIR_KELENGKAPAN
    text = pdf_text(doc.pdf_path)
    assert "Dinas <img src=x onerror=alert(1)> & Co" in text  # shown, as text
    assert "{{ config }}/<b>66</b>/{% raw %}" in text
    if kind is DocumentKind.BERITA_ACARA:
        assert "</pre><script>alert(3)</script>" in text
        assert "{% for x in range(3) %}X{% endfor %}" in text and "XXX" not in text
    if kind is DocumentKind.FORMULIR_KELENGKAPAN:
        assert "</td></tr></table><h1>PWNED</h1>" in text and "{{ 9*9 }}" in text


def test_weasyprint_fetches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    for url in ["http://10.0.0.1/x.png", "https://example.org/a.css", "file:///etc/passwd"]:
        with pytest.raises((DocumentError, ValueError)):
            _fetcher()(url)
        with pytest.raises(DocumentError, match="refused"):
            _refuse_fetch(url)

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("a document tried to open a connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    tiny_png = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
        "z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    pdf = pdf_from_html(
        '<img src="http://10.0.0.1/x.png"><link rel="stylesheet" '
        f'href="file:///etc/x.css"><img src="{tiny_png}"><p>ok</p>'
    )
    assert pdf.startswith(b"%PDF-")


def test_logo_file_is_embedded(settings: Settings, tmp_path: Path) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<rect width="10" height="10" fill="red"/></svg>',
        encoding="utf-8",
    )
    s = settings.model_copy(update={"agency_logo_file": logo, "agency_name": "Dinas Uji"})
    html = html_for("surat-balasan", rejected_context(), s)
    assert 'src="data:image/svg+xml;base64,' in html and "Dinas Uji" in html
    bad = settings.model_copy(update={"agency_logo_file": tmp_path / "missing.png"})
    with pytest.raises(ConfigError, match="agency_logo_file"):
        html_for("surat-balasan", rejected_context(), bad)


def test_numbering_setting_is_used(settings: Settings) -> None:
    s = settings.model_copy(
        update={"letter_number_format": "555/{seq}/{code}.{kind}/{year}", "agency_code": "DKI"}
    )
    doc = render_document("berita-acara", accepted_context(), s)
    assert doc.letter_number == "555/7/DKI.BA/2026"
    assert "555/7/DKI.BA/2026" in pdf_text(doc.pdf_path)


def test_concurrent_renders_get_distinct_versions(settings: Settings) -> None:
    from concurrent.futures import ThreadPoolExecutor

    ctx = rejected_context()
    with ThreadPoolExecutor(max_workers=4) as pool:
        docs = list(pool.map(lambda _: render_document("surat-balasan", ctx, settings), range(4)))
    assert sorted(d.version for d in docs) == [1, 2, 3, 4]
    assert all(check_files(d) == {"html": "ok", "pdf": "ok"} for d in docs)


def test_moved_documents_dir_is_still_checked(settings: Settings, tmp_path: Path) -> None:
    import shutil

    doc = render_document("laporan-pemeriksaan", rejected_context(), settings)
    moved = tmp_path / "moved"
    shutil.move(str(settings.documents_dir), moved)
    assert check_files(doc) == {"html": "missing", "pdf": "missing"}
    assert check_files(doc, moved) == {"html": "ok", "pdf": "ok"}


def test_unknown_kind_is_an_input_error(settings: Settings) -> None:
    from netprov.errors import InputError

    with pytest.raises(InputError, match="berita-acara"):
        html_for("surat-cinta", accepted_context(), settings)
