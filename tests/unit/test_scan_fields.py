"""The field extractor on OCR-like words (no OCR here): labels, prose, OCR slips, unread fields."""

from __future__ import annotations

import datetime as dt

import pytest

from netprov.domain.letters import parse_letter, parse_yaml_text
from netprov.scan import idtext
from netprov.scan.fields import FIELDS, Known, extract, unread
from netprov.scan.proposal import Proposal, to_yaml
from netprov.scan.words import Word, build_text, parse_bbox_html, parse_tsv

KNOWN = Known(
    opds=["Dinas Komunikasi dan Informatika", "Dinas Pendidikan", "Bappeda", "Kecamatan Batam Kota"],
    sites=["UPT Pendidikan Batam Kota", "Kantor Bappeda", "Kantor Camat Batam Kota"],
)


def words(text: str, conf: float = 95.0) -> list[Word]:
    """``text`` as OCR words: one line per text line, boxes 10 px per character."""
    out = []
    for n, line in enumerate(text.strip().splitlines()):
        x = 0
        for w in line.split():
            out.append(Word(w, conf, 1, n, (x * 10, n * 30, (x + len(w)) * 10, n * 30 + 20)))
            x += len(w) + 1
    return out


PROSE = """
PEMERINTAH KOTA BATAM
DINAS PENDIDIKAN
Jl. Engku Putri No. 1, Batam Telp. (0778) 470001
Batam, 20 November 2026
Nomor : 005/123/DISDIK/X1/2026
Sifat : Biasa
Perihal — : Permohonan Jaringan Intranet Baru
Kepada Yth.
Kepala Dinas Komunikasi dan Informatika Kota Batam
Bersama ini kami mengajukan permohonan pemasangan jaringan intranet dengan kapasitas lima puluh
megabit per detik untuk 20 host di UPT Pendidikan Batam Kota yang beralamat di JI. Engku Putri No. 1.
Jaringan tersebut akan digunakan untuk koneksi kantor ke jaringan intranet Pemko.
Untuk koordinasi teknis dapat menghubungi Sdr. Budi Santoso, telepon 62
778 123456, email budi.santoso@disdik.batam.go.id.
Kepala Dinas Pendidikan
"""

TABLE = """
PEMERINTAH KOTA BATAM
BADAN PERENCANAAN PEMBANGUNAN DAERAH
(BAPPEDA)
Nomor : 512/0845/BAPPEDA/2026
Tanggal ; 03-02-2026
Perihal : Permohonan Jaringan Internet Baru
Kepada Yth.
Kepala Dinas Komunikasi dan Informatika Kota Batam
Layanan : Internet
Kapasitas : 100 Mbps
Jumlah host 1 15
Lokasi : Kantor Bappeda
Alamat : Jl. Engku Putri No.3
Keperluan : Layanan internet untuk ruang rapat dan staf
Narahubung : Siti Rahmawati
Telepon 1 0812-7766-5544
Email : siti.rahmawati@bappeda.batam.go.id
"""


def test_prose_letter_with_ocr_slips() -> None:
    f = extract(words(PROSE), KNOWN)
    got = {n: f[n].value for n in FIELDS}
    assert got == {
        "letter.number": "005/123/DISDIK/XI/2026",  # X1 -> XI: the letter's month
        "letter.date": dt.date(2026, 11, 20),
        "letter.subject": "Permohonan Jaringan Intranet Baru",
        "opd": "Dinas Pendidikan",  # the letterhead, not the addressee (Diskominfo)
        "service": "intranet",
        "bandwidth_mbps": 50,  # "lima puluh megabit"
        "hosts": 20,
        "purpose": "Koneksi kantor ke jaringan intranet Pemko",
        "site.name": "UPT Pendidikan Batam Kota",
        "site.address": "Jl. Engku Putri No. 1",  # JI. -> Jl.
        "contact.name": "Budi Santoso",
        "contact.phone": "+62 778 123456",  # '+' lost, the number over two lines
        "contact.email": "budi.santoso@disdik.batam.go.id",
    }
    assert f["letter.number"].confidence < f["letter.subject"].confidence  # repaired: less sure
    assert f["letter.number"].page == 1 and f["letter.number"].box == (80, 120, 300, 140)


def test_table_letter_numeric_date_and_colons_misread() -> None:
    f = extract(words(TABLE), KNOWN)
    assert f["letter.number"].value == "512/0845/BAPPEDA/2026"
    assert f["letter.date"].value == dt.date(2026, 2, 3)
    assert f["opd"].value == "Bappeda"
    assert f["service"].value == "internet"
    assert f["bandwidth_mbps"].value == 100
    assert f["hosts"].value == 15
    assert f["site.name"].value == "Kantor Bappeda"
    assert f["site.address"].value == "Jl. Engku Putri No. 3"
    assert f["purpose"].value == "Layanan internet untuk ruang rapat dan staf"
    assert f["contact.name"].value == "Siti Rahmawati"
    assert f["contact.phone"].value == "0812-7766-5544"
    assert unread(f) == []


def test_without_netbox_names_the_letter_text_is_used_less_surely() -> None:
    f = extract(words(PROSE), Known())
    assert f["opd"].value == "Dinas Pendidikan" and f["opd"].confidence <= 0.6
    assert f["site.name"].value == "UPT Pendidikan Batam Kota"


def test_unreadable_fields_stay_empty_and_are_named() -> None:
    f = extract(words("Nomor : 005/123/DISDIK/XI/2026\nPerihal : Permohonan Jaringan Intranet Baru"), KNOWN)
    assert f["letter.number"].value == "005/123/DISDIK/XI/2026"
    assert "contact.email" in unread(f) and "bandwidth_mbps" in unread(f) and "letter.number" not in unread(f)
    assert f["contact.email"].page is None and f["contact.email"].confidence == 0


def test_the_yaml_is_the_submit_format_and_validates_once_filled() -> None:
    p = Proposal("letter.jpg", "ab" * 32, 1, 120, 1.2, extract(words(PROSE), KNOWN))
    text = to_yaml(p)
    assert text.startswith("# Proposed by `netprov request scan` from letter.jpg")
    assert "NOT READ" not in text
    letter = parse_letter(parse_yaml_text(text, "scan"), services={"intranet", "internet"})
    assert letter.letter.number == "005/123/DISDIK/XI/2026" and letter.bandwidth_mbps == 50
    assert letter.contact.phone == "+62 778 123456"


def test_yaml_with_unread_fields_names_them_and_submit_refuses_it() -> None:
    p = Proposal("x.png", "0" * 64, 1, 20, 0.5, extract(words("Nomor : 005/123/DISDIK/XI/2026"), KNOWN))
    text = to_yaml(p)
    assert "# NOT READ (fill in): letter.date, letter.subject" in text
    with pytest.raises(Exception, match=r"letter\.date"):
        parse_letter(parse_yaml_text(text, "scan"), services={"intranet", "internet"})


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("lima puluh", 50),
        ("seratus", 100),
        ("dua ratus lima puluh", 250),
        ("sepuluh", 10),
        ("lima pulub", 50),
    ],
)
def test_indonesian_number_words(text: str, value: int) -> None:
    assert idtext.words_value([idtext.number_word(w) or "?" for w in text.split()]) == value


def test_dates_written_and_numeric_with_ocr_typos() -> None:
    found = [
        d
        for d, _, _ in idtext.find_dates(
            "Batam, 2O Nopember 2026 ... 20-11-2026 ... 31-02-2026 7 Desembar 2025"
        )
    ]
    assert found == [dt.date(2026, 11, 20), dt.date(2025, 12, 7)] or dt.date(2026, 11, 20) in found
    assert dt.date(2025, 12, 7) in found and all(d.month != 2 for d in found)


@pytest.mark.parametrize(
    ("raw", "month", "fixed"),
    [
        ("005/123/DISDIK/XI1/2026", 11, "005/123/DISDIK/XI/2026"),
        ("OO5/l23/DISDIK/XI/2026", 11, "005/123/DISDIK/XI/2026"),
        ("005/123/DISDIK/IV/2026", 11, "005/123/DISDIK/IV/2026"),  # 2 edits away: kept, a person sees it
    ],
)
def test_letter_number_repair(raw: str, month: int, fixed: str) -> None:
    assert idtext.fix_number(raw, month)[0] == fixed


def test_tesseract_tsv_and_pdftotext_bbox_parsing() -> None:
    tsv = (
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
        "5\t1\t1\t1\t1\t1\t10\t20\t30\t10\t96.5\tNomor\n"
        "5\t1\t1\t1\t1\t2\t45\t20\t5\t10\t90\t:\n"
        "5\t1\t1\t1\t2\t1\t10\t40\t30\t10\t-1\t \n"
        "5\t1\t1\t1\t2\t2\t10\t40\t30\t10\t88\tPerihal\n"
    )
    ws = parse_tsv(tsv, 1)
    assert [w.text for w in ws] == ["Nomor", ":", "Perihal"] and ws[0].box == (10, 20, 40, 30)
    assert build_text(ws).text == "Nomor :\nPerihal"
    html = (
        '<page width="595" height="842"><word xMin="72" yMin="100" xMax="110" yMax="112">Nomor</word>'
        '<word xMin="150" yMin="101" xMax="160" yMax="112">:</word>'
        '<word xMin="72" yMin="120" xMax="110" yMax="132">Perihal &amp;</word></page>'
    )
    ws = parse_bbox_html(html, 2.0)
    assert build_text(ws).text == "Nomor :\nPerihal &" and ws[0].box == (144, 200, 220, 224)
