# ruff: noqa: E501  (letter text and the table of departments read best unbroken)
"""A corpus of request letters the project makes itself, for ``request scan`` tests and the bench.

``letter_spec(seed)`` draws a letter (department, site, numbers, date style, bandwidth in
digits or in Indonesian words, one of three layouts); ``render_pdf`` prints it with
WeasyPrint (a born-digital PDF); ``raster`` rasterizes it (pdftoppm) and ``degrade`` makes it
look scanned (slight rotation, noise, blur) or photographed (lower resolution, rotation,
blur, light fall-off, noise, JPEG). Everything is seeded: the same seed gives the same files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import random
import subprocess
from pathlib import Path
from typing import Any

from num2words import num2words  # type: ignore[import-untyped]
from PIL import Image, ImageChops, ImageFilter

BULAN = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
# (tenant name as in NetBox, letterhead lines, unit code, site, address)
OPDS = [
    ("Dinas Pendidikan", ["DINAS PENDIDIKAN"], "DISDIK", "UPT Pendidikan Batam Kota",
     "Jl. Engku Putri No. 1"),
    ("Dinas Kesehatan", ["DINAS KESEHATAN"], "DINKES", "Puskesmas Sekupang", "Jl. Raja Isa No. 12"),
    ("Bappeda", ["BADAN PERENCANAAN PEMBANGUNAN DAERAH", "(BAPPEDA)"], "BAPPEDA", "Kantor Bappeda",
     "Jl. Engku Putri No. 3"),
    ("Dinas Perhubungan", ["DINAS PERHUBUNGAN"], "DISHUB", "Kantor Dinas Perhubungan",
     "Jl. Yos Sudarso No. 8"),
    ("Kecamatan Batam Kota", ["KECAMATAN BATAM KOTA"], "KECBK", "Kantor Camat Batam Kota",
     "Jl. Raja H. Fisabilillah No. 5"),
]  # fmt: skip
PEOPLE = ["Budi Santoso", "Siti Rahmawati", "Andi Pratama", "Dewi Lestari", "Rudi Hartono", "Hendra Wijaya"]
PURPOSES = [
    "Koneksi kantor ke jaringan intranet Pemko",
    "Akses aplikasi pelayanan publik dari ruang loket",
    "Menghubungkan ruang server lokal dengan pusat data",
    "Layanan internet untuk ruang rapat dan staf",
    "Sistem informasi kepegawaian dan absensi daring",
]
FONTS = ["Liberation Serif", "DejaVu Sans", "Liberation Sans"]


@dataclasses.dataclass(frozen=True)
class Spec:
    seed: int
    layout: str
    opd: str
    kop: list[str]
    number: str
    date: dt.date
    date_style: str
    subject: str
    service: str
    bandwidth: int
    bandwidth_words: bool
    hosts: int
    purpose: str
    site: str
    address: str
    contact: str
    phone: str
    email: str
    font: str

    def truth(self) -> dict[str, Any]:
        """The fields as the letter YAML has them (what ``request scan`` should propose)."""
        return {
            "letter.number": self.number, "letter.date": self.date, "letter.subject": self.subject,
            "opd": self.opd, "service": self.service, "bandwidth_mbps": self.bandwidth, "hosts": self.hosts,
            "purpose": self.purpose, "site.name": self.site, "site.address": self.address,
            "contact.name": self.contact, "contact.phone": self.phone, "contact.email": self.email,
        }  # fmt: skip


def letter_spec(seed: int) -> Spec:
    r = random.Random(seed)
    opd, kop, unit, site, address = OPDS[seed % len(OPDS)]
    layout = "ABC"[seed // len(OPDS) % 3]
    date = dt.date(2026, 1, 5) + dt.timedelta(days=r.randrange(0, 320))
    service = r.choice(["intranet", "internet"])
    if layout == "C":
        number = f"{r.randrange(400, 900)}/{r.randrange(10, 2000):04d}/{unit}/{date.year}"
    else:
        number = f"{r.randrange(1, 99):03d}/{r.randrange(10, 999)}/{unit}/{ROMAN[date.month - 1]}/{date.year}"
    contact = r.choice(PEOPLE)
    phone = r.choice(
        [
            f"+62 778 {r.randrange(100000, 999999)}",
            f"0812-{r.randrange(1000, 9999)}-{r.randrange(1000, 9999)}",
        ]
    )
    first, last = contact.lower().split()[0], contact.lower().split()[-1]
    return Spec(
        seed=seed, layout=layout, opd=opd, kop=kop, number=number, date=date,
        date_style=r.choice(["written", "numeric"]),
        subject=f"Permohonan Jaringan {service.title()} Baru", service=service,
        bandwidth=r.choice([10, 20, 25, 30, 50, 100, 200]), bandwidth_words=r.random() < 0.5,
        hosts=r.choice([5, 8, 12, 15, 20, 30, 40, 60]), purpose=r.choice(PURPOSES), site=site,
        address=address, contact=contact, phone=phone, email=f"{first}.{last}@{unit.lower()}.batam.go.id",
        font=r.choice(FONTS),
    )  # fmt: skip


def _date(s: Spec) -> str:
    if s.date_style == "written":
        return f"{s.date.day} {BULAN[s.date.month - 1]} {s.date.year}"
    return f"{s.date.day:02d}-{s.date.month:02d}-{s.date.year}"


def _bw(s: Spec) -> str:
    return (
        f"{num2words(s.bandwidth, lang='id')} megabit per detik"
        if s.bandwidth_words
        else f"{s.bandwidth} Mbps"
    )


_CSS = """@page {{ size: A4; margin: 2cm 2.2cm; }} body {{ font-family: '{font}'; font-size: {size}pt;
line-height: 1.35; }} .kop {{ text-align: center; border-bottom: 3px double #000; padding-bottom: 4px; }}
.kop b {{ display: block; font-size: 14pt; }} .right {{ text-align: right; }} table {{ border-collapse:
collapse; }} td {{ padding: 1px 8px 1px 0; vertical-align: top; }} .sign {{ margin-left: 55%; }}"""


def _table(rows: list[tuple[str, str]]) -> str:
    return "<table>" + "".join(f"<tr><td>{k}</td><td>:</td><td>{v}</td></tr>" for k, v in rows) + "</table>"


def letter_html(s: Spec) -> str:
    e = html.escape
    kop = "".join(f"<b>{e(k)}</b>" for k in ["PEMERINTAH KOTA BATAM", *s.kop])
    kop += f"<div>{e(s.address)}, Batam · Telp. (0778) 4{s.seed % 10}0001</div>"
    heads = [("Nomor", s.number), ("Sifat", "Biasa"), ("Lampiran", "-"), ("Perihal", s.subject)]
    date_line = f"<p class='right'>Batam, {_date(s)}</p>"
    if s.layout == "C":
        heads.insert(1, ("Tanggal", _date(s)))
        date_line = ""
    to = "<p>Kepada Yth.<br>Kepala Dinas Komunikasi dan Informatika Kota Batam<br>di - Tempat</p>"
    if s.layout == "B":
        body = (
            "<p>Dengan hormat,<br>Bersama ini kami mengajukan permohonan jaringan dengan data sebagai berikut:</p>"
            + _table([("Layanan", s.service.title()), ("Kapasitas", _bw(s)), ("Jumlah host", str(s.hosts)),
                      ("Lokasi", s.site), ("Alamat", s.address), ("Keperluan", s.purpose),
                      ("Narahubung", s.contact), ("Telepon", s.phone), ("Email", s.email)])
        )  # fmt: skip
    else:
        body = (
            f"<p>Dengan hormat,<br>Bersama ini kami mengajukan permohonan pemasangan jaringan {s.service} "
            f"dengan kapasitas {_bw(s)} untuk {s.hosts} host di {e(s.site)} yang beralamat di {e(s.address)}.</p>"
            f"<p>Jaringan tersebut akan digunakan untuk {e(s.purpose[0].lower() + s.purpose[1:])}.</p>"
            f"<p>Untuk koordinasi teknis dapat menghubungi {e(s.contact)}, telepon {s.phone}, "
            f"email {s.email}.</p>"
        )
    sign = f"<p class='sign'>Kepala {e(s.opd)}<br>Kota Batam<br><br><br>Drs. Ahmad Yani<br>"
    sign += "NIP. 19700101 199503 1 001</p>"
    css = _CSS.format(font=s.font, size=11 + s.seed % 2)
    return (
        f"<html><head><style>{css}</style></head><body><div class='kop'>{kop}</div>{date_line}"
        f"{_table(heads)}{to}{body}<p>Demikian permohonan ini kami sampaikan. Atas perhatiannya kami "
        f"ucapkan terima kasih.</p>{sign}</body></html>"
    )


def render_pdf(s: Spec, path: Path) -> Path:
    from weasyprint import HTML  # type: ignore[import-untyped]

    HTML(string=letter_html(s)).write_pdf(path)
    return path


def raster(pdf: Path, dpi: int) -> Image.Image:
    out = pdf.with_suffix(f".{dpi}")
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile", str(pdf), str(out)], check=True
    )
    img = Image.open(f"{out}.png")
    img.load()
    return img.convert("L")


def _noise(img: Image.Image, sigma: float, seed: int = 0) -> Image.Image:
    """Seeded noise (uniform, standard deviation ``sigma``): PIL's effect_noise is not seeded."""
    r = random.Random(seed)
    a = sigma * 3**0.5
    n = Image.frombytes("L", img.size, r.randbytes(img.width * img.height))
    n = n.point(lambda v: round(128 - a + v * 2 * a / 255))
    return ImageChops.add(img, n, offset=-128)


def degrade(img: Image.Image, kind: str, seed: int) -> Image.Image:
    """``scan``: +-0.5..2 degrees, noise, blur 0.6. ``phone``: +-1..3 degrees, blur, fall-off, noise."""
    r = random.Random(seed)
    sign = r.choice([-1, 1])
    if kind == "scan":
        out = img.rotate(sign * r.uniform(0.5, 2.0), Image.Resampling.BICUBIC, expand=True, fillcolor=255)
        return _noise(out, 12, seed).filter(ImageFilter.GaussianBlur(0.6))
    out = img.rotate(sign * r.uniform(1.0, 3.0), Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    out = out.filter(ImageFilter.GaussianBlur(r.uniform(0.5, 0.8)))
    shade = Image.linear_gradient("L").rotate(r.choice([0, 90, 180, 270])).resize(out.size)
    shade = shade.point(lambda v: 255 - v * 60 // 255)
    out = ImageChops.multiply(out, shade)
    return _noise(out, 8, seed)


def make(seed: int, kind: str, folder: Path) -> tuple[Path, Spec]:
    """One letter file of ``kind``: ``pdf`` (born-digital), ``clean`` (200 dpi PNG), ``scan``
    (a scanned PDF at 200 dpi) or ``phone`` (a JPEG photo at ~120 dpi)."""
    s = letter_spec(seed)
    pdf = render_pdf(s, folder / f"letter{seed}.pdf")
    if kind == "pdf":
        return pdf, s
    if kind == "clean":
        path = folder / f"letter{seed}-clean.png"
        raster(pdf, 200).save(path)
    elif kind == "scan":
        path = folder / f"letter{seed}-scan.pdf"
        degrade(raster(pdf, 200), "scan", seed).save(path, resolution=200)
    else:
        path = folder / f"letter{seed}-phone.jpg"
        degrade(raster(pdf, 120), "phone", seed).save(path, quality=random.Random(seed).choice([65, 75, 85]))
    return path, s
