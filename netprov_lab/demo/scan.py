"""The demo's third letter arrives on paper: printed, photographed, read back by ``request scan``.

The photo is made from the letter's own fields (WeasyPrint -> pdftoppm -> a slight rotation,
blur and noise, JPEG), read with the product's reader (Tesseract, NetBox names), and every
field read is compared with the letter. The request is then registered from the checked
letter with the photo attached (``submit --scan``).
"""

from __future__ import annotations

import html
import random
import subprocess
from pathlib import Path
from typing import Any

from netprov.domain.letters import Letter
from netprov.scan.fields import FIELDS, Known

BULAN = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


def letter_html(letter: Letter) -> str:
    e = html.escape
    d = letter.letter.date
    rows = [
        ("Layanan", letter.service.title()),
        ("Kapasitas", f"{letter.bandwidth_mbps} Mbps"),
        ("Jumlah host", str(letter.hosts)),
        ("Lokasi", letter.site.name),
        ("Alamat", letter.site.address),
        ("Keperluan", letter.purpose),
        ("Narahubung", letter.contact.name),
        ("Telepon", letter.contact.phone),
        ("Email", str(letter.contact.email)),
    ]
    table = "".join(f"<tr><td>{k}</td><td>:</td><td>{e(v)}</td></tr>" for k, v in rows)
    heads = [("Nomor", letter.letter.number), ("Lampiran", "-"), ("Perihal", letter.letter.subject)]
    head = "".join(f"<tr><td>{k}</td><td>:</td><td>{e(v)}</td></tr>" for k, v in heads)
    return (
        "<html><head><style>@page { size: A4; margin: 2cm; } body { font-family: 'Liberation Serif';"
        " font-size: 12pt; } .kop { text-align: center; border-bottom: 3px double #000; }"
        " .kop b { display: block; font-size: 14pt; } td { padding: 1px 8px 1px 0; }</style></head><body>"
        f"<div class='kop'><b>PEMERINTAH KOTA BATAM</b><b>{e(letter.opd.upper())}</b>"
        "<div>Batam · Telp. (0778) 410001</div></div>"
        f"<p style='text-align:right'>Batam, {d.day} {BULAN[d.month - 1]} {d.year}</p>"
        f"<table>{head}</table><p>Kepada Yth.<br>Kepala Dinas Komunikasi dan Informatika Kota Batam"
        "<br>di - Tempat</p><p>Dengan hormat,<br>Bersama ini kami mengajukan permohonan dengan data "
        f"sebagai berikut:</p><table>{table}</table><p>Demikian permohonan ini kami sampaikan.</p>"
        f"<p style='margin-left:55%'>Kepala {e(letter.opd)}</p></body></html>"
    )


def letter_photo(letter: Letter, folder: Path) -> Path:
    """A phone photo (JPEG, 150 dpi, rotated 1.5 degrees, blurred, noisy) of ``letter`` printed."""
    from PIL import Image, ImageChops, ImageFilter
    from weasyprint import HTML

    folder.mkdir(parents=True, exist_ok=True)
    pdf = folder / "letter-3.pdf"
    HTML(string=letter_html(letter)).write_pdf(pdf)
    base = folder / "letter-3"
    subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", "-png", "-singlefile", str(pdf), str(base)], check=True, timeout=60
    )
    with Image.open(f"{base}.png") as img:
        page = img.convert("L").rotate(1.5, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    page = page.filter(ImageFilter.GaussianBlur(0.6))
    noise = Image.frombytes("L", page.size, random.Random(3).randbytes(page.width * page.height))  # noqa: S311
    page = ImageChops.add(page, noise.point(lambda v: 114 + v * 28 // 255), offset=-128)  # seeded, sd ~8
    photo = folder / "letter-3-photo.jpg"
    page.save(photo, quality=80)
    pdf.unlink()
    Path(f"{base}.png").unlink()
    return photo


def expected(letter: Letter) -> dict[str, Any]:
    return {
        "letter.number": letter.letter.number, "letter.date": letter.letter.date,
        "letter.subject": letter.letter.subject, "opd": letter.opd, "service": letter.service,
        "bandwidth_mbps": letter.bandwidth_mbps, "hosts": letter.hosts, "purpose": letter.purpose,
        "site.name": letter.site.name, "site.address": letter.site.address,
        "contact.name": letter.contact.name, "contact.phone": letter.contact.phone,
        "contact.email": str(letter.contact.email),
    }  # fmt: skip


def read_back(photo: Path, letter: Letter, known: Known) -> tuple[int, list[str], float]:
    """(fields read as in the letter, the others, seconds) for the photo of ``letter``."""
    from netprov.scan.ocr import TesseractOcr
    from netprov.scan.reader import read_letter

    proposal = read_letter(photo, TesseractOcr(), known)
    want = expected(letter)
    wrong = [f for f in FIELDS if proposal.fields[f].value != want[f]]
    return len(FIELDS) - len(wrong), wrong, proposal.seconds
