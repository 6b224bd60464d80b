"""Bad scans are refused with one sentence before any OCR runs; the OCR runner's own errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from netprov.errors import ConfigError, InputError
from netprov.scan import pages
from netprov.scan.deskew import skew_angle
from netprov.scan.ocr import TesseractOcr
from netprov.scan.reader import check_readable, read_letter
from netprov.scan.words import Word


class NoOcr:
    """An OCR that must not be reached: the file is refused before."""

    def read(self, image: Path, page: int, line: bool = False) -> list[Word]:
        raise AssertionError("OCR reached")


def refused(path: Path) -> str:
    with pytest.raises(InputError) as exc:
        read_letter(path, NoOcr())
    message = str(exc.value)
    assert "\n" not in message and len(message) < 300
    return message


def test_not_an_image(tmp_path: Path) -> None:
    p = tmp_path / "letter.jpg"
    p.write_text("Nomor : 005/123/DISDIK/XI/2026 -- typed, not scanned\n" * 5)
    assert refused(p).endswith("is not a PDF, PNG or JPEG file")


def test_too_big(tmp_path: Path) -> None:
    p = tmp_path / "huge.png"
    with p.open("wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.truncate(pages.MAX_BYTES + 1)
    assert "is too large" in refused(p)


def test_a_pdf_over_the_page_limit(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    w = PdfWriter()
    for _ in range(pages.MAX_PDF_PAGES + 1):
        w.add_blank_page(595, 842)
    p = tmp_path / "book.pdf"
    with p.open("wb") as f:
        w.write(f)
    assert refused(p).endswith(
        f"has {pages.MAX_PDF_PAGES + 1} pages, at most {pages.MAX_PDF_PAGES} are accepted"
    )


def test_a_damaged_pdf_and_a_damaged_image(tmp_path: Path) -> None:
    pdf = tmp_path / "cut.pdf"
    pdf.write_bytes(b"%PDF-1.7\n" + b"garbage " * 40)
    assert "is not a readable PDF" in refused(pdf)
    buf = io.BytesIO()
    Image.new("L", (400, 400), 200).save(buf, format="PNG")
    png = tmp_path / "cut.png"
    png.write_bytes(buf.getvalue()[:120])
    assert "is not a readable image" in refused(png)


def test_a_blank_page(tmp_path: Path) -> None:
    p = tmp_path / "blank.png"
    Image.new("L", (1654, 2339), 250).save(p)
    assert refused(p).endswith("page 1 is blank")


def test_an_image_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "MAX_PIXELS", 10_000)
    p = tmp_path / "big.png"
    Image.new("L", (400, 400), 0).save(p)
    assert "is too large an image" in refused(p)


def test_too_little_text_or_too_unsure() -> None:
    few = [Word("x", 90, 1, 0, (0, 0, 1, 1))] * 3
    with pytest.raises(InputError, match="no readable text"):
        check_readable(Path("s.png"), few)
    unsure = [Word("x", 20, 1, 0, (0, 0, 1, 1))] * 50
    with pytest.raises(InputError, match="unreadable"):
        check_readable(Path("s.png"), unsure)


def test_missing_tesseract_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        TesseractOcr(binary="tesseract-not-installed-here").read(tmp_path / "p.png", 1)
    assert str(exc.value).startswith("request scan needs Tesseract OCR: install the Debian packages")


@pytest.mark.parametrize("angle", [-2.5, -1.0, 1.5, 3.0])
def test_deskew_finds_the_rotation(angle: float) -> None:
    from PIL import ImageDraw

    img = Image.new("L", (800, 1100), 255)
    d = ImageDraw.Draw(img)
    for y in range(100, 1000, 40):
        d.rectangle((80, y, 720, y + 14), fill=0)  # text lines
    tilted = img.rotate(angle, fillcolor=255, expand=True)
    assert abs(skew_angle(tilted) + angle) <= 0.3
