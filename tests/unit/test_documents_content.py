"""The papers' content as an Indonesian civil servant reads it: the right signer and addressee,
sentences that are sentences, no English in an Indonesian paper, pangkat and spaced NIPs, amounts
in words, no weekend-night work, a draft watermark only until the head of agency signed."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from netprov.documents import TimelineEntry, html_for, render_document
from netprov.documents.view import doc_view
from netprov.domain.letters import load_form, load_letter
from netprov.domain.resources import Feasibility
from netprov.domain.sop import Role
from netprov.domain.users import load_directory, nip_spaced
from netprov.errors import ConfigError
from netprov.settings import Settings
from netprov.sop.service import RequestService
from netprov_lab.document_samples import PEOPLE, accepted_context, rejected_context
from tests.form_file import FORM_YAML
from tests.papers import intranet_feasibility, paper_service

DATA = Path(__file__).parent.parent / "data"
WIB = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def svc(settings: Settings) -> RequestService:
    return paper_service(settings, step_minutes=10)


def feasibility(ok: bool) -> Feasibility:
    return intranet_feasibility(ok, "prefix tersedia" if ok else "pool intranet penuh", "sisa 950 Mbps")


def html_of(rec: object, kind: str, index: int = -1) -> str:
    from netprov.documents import StoredDocument

    docs = [d for d in rec.documents if d["kind"] == kind]  # type: ignore[attr-defined]
    return StoredDocument.from_event(docs[index]).html_path.read_text(encoding="utf-8")


def flat(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def pdf_pages(path: Path) -> list[str]:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return [" ".join((p.extract_text() or "").split()) for p in reader.pages]


# --- 1. signer and addressee --------------------------------------------------------------------
def test_the_report_is_signed_by_who_checked_not_an_earlier_staff(svc: RequestService) -> None:
    rid = svc.submit(load_letter(DATA / "letter-intranet.yaml"), actor="staff1").id  # staff1 acted first
    svc.dispose(rid, "kadis", "kabid")
    svc.assign(rid, "kabid", "staff2")
    rec = svc.check(rid, "staff2", feasibility(True), note="Diperiksa bersama tim jaringan")
    lp = flat(html_of(rec, "laporan-pemeriksaan"))
    pemeriksa = lp[lp.index("Pemeriksa,") :]
    assert "Dewi Lestari, A.Md." in pemeriksa  # staff2 signs
    assert "Rizky Pratama" not in pemeriksa
    assert "Diperiksa bersama tim jaringan" in lp
    # reported to the kabid who assigned the check, through the kasi
    assert "Kepada : Yth. Kepala Bidang Penyelenggaraan e-Government" in lp
    assert "Melalui : Kepala Seksi Infrastruktur Jaringan" in lp

    svc.reassign(rid, "kabid", "staff1")  # only the assigned staff may check again
    rec = svc.check(rid, "staff1", feasibility(True), note="Pemeriksaan ulang setelah pool diperluas")
    second = flat(html_of(rec, "laporan-pemeriksaan"))
    assert "Pemeriksaan ulang setelah pool diperluas" in second  # the re-check keeps its own note
    assert "Diperiksa bersama tim jaringan" not in second
    assert "Rizky Pratama, S.Kom." in second[second.index("Pemeriksa,") :]


def test_berita_acara_first_party_is_who_reported(svc: RequestService, tmp_path: Path) -> None:
    rid = svc.submit(load_letter(DATA / "letter-intranet.yaml")).id
    svc.dispose(rid, "kadis", "kabid")
    svc.assign(rid, "kabid", "staff1")
    svc.check(rid, "staff1", feasibility(True))
    svc.accept(rid, "staff1")
    svc.fill_form(rid, "staff1", load_form(FORM_YAML))
    ev = tmp_path / "foto.jpg"
    ev.write_bytes(b"\xff\xd8 photo")
    svc.provision_manual(rid, "staff1", ev)
    svc.reassign(rid, "kabid", "staff2")  # step 8 by other staff: recorded re-assignment first
    ba = flat(html_of(svc.report(rid, "staff2"), "berita-acara"))
    first = ba[ba.index("1. Nama") : ba.index("PIHAK PERTAMA")]
    assert "Dewi Lestari, A.Md." in first and "19920704 201902 2 005" in first
    assert "Pengatur (II/c)" in first  # pangkat from the users file


def test_reply_letter_is_addressed_to_the_head_of_the_requesting_department() -> None:
    ctx = rejected_context()
    html = flat(html_for("surat-balasan", ctx, _settings()))
    assert "Yth. Kepala Bappeda di -" in html


# --- 2. the reply letter ---------------------------------------------------------------------------
def _settings() -> Settings:
    from netprov.settings import load_settings

    return load_settings()


def test_reply_letter_sentences_and_copy_line(settings: Settings) -> None:
    ctx = rejected_context().model_copy(
        update={
            "rejection_reasons": ["Permohonan belum dapat dipenuhi: pool penuh; uplink kurang", "pool penuh"]
        }
    )
    html = html_for("surat-balasan", ctx, settings)
    assert not re.search(r":\s*</p>\s*<p[^>]*>\s*[a-z]", html)  # no ":" then a lower-case paragraph
    reasons = re.findall(r"<li>(.*?)</li>", html.split('class="reasons"')[1].split("</ol>")[0], re.S)
    assert reasons == ["Pool penuh.", "Uplink kurang."]
    for r in reasons:
        assert r[0].isupper() and r.endswith(".")
    assert "Kepala Seksi Infrastruktur Jaringan;" in html  # the section is named


def test_reply_letter_keeps_the_copy_list_with_the_signature(settings: Settings) -> None:
    for n in range(1, 12):  # however long the reasons, "3. Arsip." never stands alone
        reasons = [
            f"Alasan nomor {i} yang cukup panjang untuk mengisi satu baris penuh pada surat."
            for i in range(n)
        ]
        ctx = rejected_context().model_copy(update={"rejection_reasons": reasons})
        pages = pdf_pages(render_document("surat-balasan", ctx, settings).pdf_path)
        last = pages[-1]
        assert "Arsip" in last and PEOPLE[Role.KADIS].name in last, (n, last[:200])
        assert "Demikian kami sampaikan" in last  # the closing line goes with the signature
        assert len(pages) == 1 or n > 2  # the usual letter fits on one page


def _signed(ctx_kadis: str = "rudi") -> list[TimelineEntry]:
    ctx = rejected_context()
    return [
        *ctx.timeline,
        TimelineEntry(
            step=5,
            action="sign-reply",
            actor=ctx_kadis,
            actor_name="Drs. Yusuf Kurnia, M.Si.",
            role=Role.KADIS,
            at=ctx.generated_at + dt.timedelta(hours=2),
        ),
    ]


def test_draft_watermark_only_until_the_head_of_agency_signed(settings: Settings) -> None:
    draft = html_for("surat-balasan", rejected_context(), settings)
    assert 'class="watermark"' in draft and "DRAFT" in draft
    ctx = rejected_context().model_copy(
        update={"timeline": _signed("yusuf"), "people": {**PEOPLE, Role.KADIS: PEOPLE[Role.KADIS]}}
    )
    signed = html_for("surat-balasan", ctx, settings)
    assert "DRAFT" not in signed and 'class="watermark"' not in signed
    assert "Draft" not in signed and "<title>Surat Balasan PJB-2026-0008</title>" in signed
    assert "<title>Draft Surat Balasan PJB-2026-0008</title>" in draft


def test_the_signed_letter_names_the_kadis_who_signed(svc: RequestService) -> None:
    """Through the register: the letter re-produced for a ``sign-reply`` event (P1's action)
    is final and signed by that kadis."""
    from netprov.documents.from_record import context_from_record

    rid = svc.submit(load_letter(DATA / "letter-intranet.yaml")).id
    svc.dispose(rid, "kadis", "kabid")
    svc.assign(rid, "kabid", "staff1")
    rec = svc.check(rid, "staff1", feasibility(False))
    users = load_directory(None)
    ctx = context_from_record(rec, users, {"action": "reject", "actor": "staff1"}, step=5)
    assert "DRAFT" in html_for("surat-balasan", ctx, svc.settings)
    ctx = context_from_record(rec, users, {"action": "sign-reply", "actor": "kadis"}, step=5)
    final = flat(html_for("surat-balasan", ctx, svc.settings))
    assert "DRAFT" not in final
    assert "Drs. Hendra Saputra, M.Si. Pembina Utama Muda (IV/c) NIP. 19700512 199503 1 004" in final


# --- 3. the Berita Acara ---------------------------------------------------------------------------
FRR_DIFF = (
    "Lines To Delete\n===============\nip route 10.9.0.0/24 10.250.0.9\n\n"
    "Lines To Add\n============\ninterface eth2.100\n ip address 10.250.0.1/30\n"
)


def test_berita_acara_is_indonesian_with_the_diff_in_a_lampiran(settings: Settings) -> None:
    from netprov.documents import DeviceChange

    ctx = accepted_context()
    ev = ctx.evidence
    assert ev is not None
    devices = [DeviceChange(name="dist-batamkota1", platform="frr", diff=FRR_DIFF), *ev.devices[1:]]
    ctx = ctx.model_copy(update={"evidence": ev.model_copy(update={"devices": devices})})
    doc = render_document("berita-acara", ctx, settings)
    html = doc.html_path.read_text(encoding="utf-8")
    text = " ".join(pdf_pages(doc.pdf_path))
    for english in ["Lines To Add", "Lines To Delete", "has route", " replies", " from ", "→", "registered"]:
        assert english not in text, english
    assert "Uji ping dari core-dc1 (sumber lo) ke 10.100.0.1" in text
    assert "Rute 10.100.0.0/27 (ospf) tersedia di core-dc1" in text
    assert "aktif (up)" in text and "berhasil" in text.lower()
    lampiran = html.split('<div class="lampiran">')[1]
    assert "Rincian Perubahan Konfigurasi Perangkat" in lampiran
    assert "Baris dihapus (1)" in lampiran and "ip route 10.9.0.0/24 10.250.0.9" in lampiran
    assert "Baris ditambahkan (2)" in lampiran and " ip address 10.250.0.1/30" in lampiran
    main = html.split('<div class="lampiran">')[0]
    assert "ip address 10.250.0.1/30" not in main  # the main paper only counts the lines
    assert "2 baris ditambahkan, 1 baris dihapus" in main
    pages = pdf_pages(doc.pdf_path)
    starts = [i for i, p in enumerate(pages) if "Lampiran : Berita Acara Pekerjaan" in p]
    assert starts and "Demikian Berita Acara" not in pages[starts[0]]  # on its own page


@pytest.mark.parametrize("which", ["accepted", "rejected"])
def test_no_paper_claims_work_on_a_weekend_or_at_night(which: str, settings: Settings) -> None:
    from netprov.documents import DocumentKind

    ctx = accepted_context() if which == "accepted" else rejected_context()
    for kind in DocumentKind:
        assert doc_view(kind, ctx, settings).day not in ("Sabtu", "Minggu")
    for e in ctx.timeline:
        at = e.at.astimezone(WIB)
        assert at.weekday() < 5 and 7 <= at.hour < 16, e


# --- 4. signature blocks --------------------------------------------------------------------------
def test_signature_blocks_carry_pangkat_and_spaced_nip(settings: Settings) -> None:
    ba = flat(html_for("berita-acara", accepted_context(), settings))
    kabid = PEOPLE[Role.KABID]
    assert kabid.nip == "197903202003122004"  # entered without spaces ...
    assert f"{kabid.name} Pembina Tk. I (IV/b) NIP. 19790320 200312 2 004" in ba  # ... printed spaced


def test_users_file_takes_pangkat_section_and_any_nip_spacing(tmp_path: Path) -> None:
    f = tmp_path / "users.yaml"
    f.write_text(
        "users:\n"
        "  ani: {role: kasi, name: Ani, nip: '198001012005012001', pangkat: 'Penata (III/c)',"
        " section: Layanan Jaringan}\n",
        encoding="utf-8",
    )
    ani = load_directory(f).get("ani")
    assert (ani.nip, ani.pangkat, ani.section) == (
        "19800101 200501 2 001",
        "Penata (III/c)",
        "Layanan Jaringan",
    )
    f.write_text("users:\n  ani: {role: kasi, name: Ani, pangkat: {a: 1}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"users\.ani\.pangkat"):
        load_directory(f)


@pytest.mark.parametrize(
    ("given", "printed"),
    [
        ("198001012005011001", "19800101 200501 1 001"),
        ("19800101 200501 1 001", "19800101 200501 1 001"),
        ("19800101  2005011001", "19800101 200501 1 001"),
        ("1980.0101.2005.01.1.001", "19800101 200501 1 001"),
        ("abc", "abc"),
    ],
)
def test_nip_spaced(given: str, printed: str) -> None:
    assert nip_spaced(given) == printed


# --- 5. terbilang ---------------------------------------------------------------------------------
def test_amounts_in_words(settings: Settings) -> None:
    lp = flat(html_for("laporan-pemeriksaan", accepted_context(), settings))
    assert "50 (lima puluh) Mbps" in lp and "20 (dua puluh)" in lp
    sb = flat(html_for("surat-balasan", rejected_context(), settings))
    assert "250 (dua ratus lima puluh) Mbps" in sb and "300 (tiga ratus) perangkat" in sb


def test_no_own_terbilang_code_left() -> None:
    import netprov.documents.dates as dates

    assert not hasattr(dates, "_SATUAN")
    assert "num2words" in Path(dates.__file__).read_text(encoding="utf-8")


# --- 6. the fillable completeness form ------------------------------------------------------------
FILLED = {
    "pic_name": "Agus Salim",
    "pic_nip": "198505052010011005",
    "pic_phone": "0812 7000 1234",
    "pic_email": "agus@disdik.batam.go.id",
    "location_building": "Gedung UPT Pendidikan",
    "location_room": "Ruang Server Lt. 2",
    "location_latitude": "1,1301",  # a decimal comma, as Indonesians write it
    "location_longitude": "104.053",
    "equipment_devices": "18",
    "equipment_notes": "PC admin",
    "schedule_preferred_date": "2026-12-07",
}


def _blank_form(settings: Settings) -> Path:
    ctx = accepted_context().model_copy(update={"form": None})
    return render_document("formulir-kelengkapan", ctx, settings).pdf_path


def _fill(pdf: Path, values: dict[str, str], out: Path) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=PdfReader(pdf))
    for page in writer.pages:
        if page.get("/Annots"):
            writer.update_page_form_field_values(page, values, auto_regenerate=False)
    writer.write(out)
    return out


def test_the_blank_form_pdf_has_the_named_fields(settings: Settings) -> None:
    from netprov.documents.fillable import FIELDS

    fields = PdfReader(_blank_form(settings)).get_fields() or {}
    assert set(FIELDS) <= set(fields)
    assert fields["request"].get("/V") == "PJB-2026-0007"
    assert all(fields[n].get("/FT") == "/Tx" for n in FIELDS)


def test_a_filled_pdf_reads_back_into_the_form_model(settings: Settings, tmp_path: Path) -> None:
    from netprov.documents.fillable import load_filled_pdf, load_form_file

    filled = _fill(_blank_form(settings), FILLED, tmp_path / "isian.pdf")
    form = load_filled_pdf(filled)
    assert form.request == "PJB-2026-0007"
    assert form.pic.name == "Agus Salim" and form.location.latitude == 1.1301
    assert form.equipment.devices == 18 and form.schedule.preferred_date == dt.date(2026, 12, 7)
    assert load_form_file(filled) == form
    assert load_form_file(DATA / "form.yaml") == load_form(DATA / "form.yaml")  # the YAML twin too


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"location_latitude": "utara"}, "location.latitude"),
        ({"location_latitude": "95"}, "location.latitude"),
        ({"equipment_devices": "delapan"}, "equipment.devices"),
        ({"pic_nip": "12345"}, "pic.nip"),
        ({"pic_email": "bukan surel"}, "pic.email"),
        ({"pic_name": ""}, "pic.name"),
        ({"schedule_preferred_date": "2026-02-30"}, "schedule.preferred_date"),
    ],
)
def test_a_bad_filled_pdf_is_refused_naming_the_field(
    change: dict[str, str], field: str, settings: Settings, tmp_path: Path
) -> None:
    from netprov.documents.fillable import load_filled_pdf
    from netprov.errors import InputError

    filled = _fill(_blank_form(settings), {**FILLED, **change}, tmp_path / "isian.pdf")
    with pytest.raises(InputError) as err:
        load_filled_pdf(filled)
    assert field in str(err.value)


@pytest.mark.parametrize(
    "content", [b"%PDF-1.7\n garbage", b"not a pdf at all", b""], ids=["broken", "text", "empty"]
)
def test_a_file_that_is_not_the_form_pdf_is_refused(content: bytes, tmp_path: Path) -> None:
    from netprov.documents.fillable import load_filled_pdf
    from netprov.errors import InputError

    f = tmp_path / "isian.pdf"
    f.write_bytes(content)
    with pytest.raises(InputError, match="form"):
        load_filled_pdf(f)


def test_a_pdf_without_the_fields_is_refused(settings: Settings) -> None:
    from netprov.documents.fillable import load_filled_pdf
    from netprov.errors import InputError

    other = render_document("laporan-pemeriksaan", accepted_context(), settings).pdf_path
    with pytest.raises(InputError, match="no form fields"):
        load_filled_pdf(other)


def test_the_example_users_file_loads_and_prints_spaced_nips() -> None:
    users = load_directory(Path(__file__).parent.parent.parent / "docs" / "users.example.yaml")
    assert users.get("kadis").nip == "19700512 199503 1 004"
    assert users.get("kasi").section == "Infrastruktur Jaringan"
    assert users.get("kepala-disdik").opd == "Dinas Pendidikan"


def test_the_demo_runs_on_a_working_day_in_office_hours() -> None:
    from netprov_lab.demo.scenario import office_clock

    clock = office_clock(dt.date(2026, 8, 18))  # Tuesday after Independence Day and a weekend
    first = clock()
    assert first.date() == dt.date(2026, 8, 14) and first.hour == 9  # Friday 09:00 WIB
    assert clock() >= first
    now = office_clock(dt.date(2026, 11, 30))()  # a Monday: the Friday before
    assert now.date() == dt.date(2026, 11, 27) and now.utcoffset() == dt.timedelta(hours=7)


def test_device_times_on_the_berita_acara_are_the_step_times(settings: Settings) -> None:
    """The devices' own commit clock (wall time of the lab run) never dates the paper."""
    from netprov.documents import DeviceChange

    ctx = accepted_context()
    ev = ctx.evidence
    assert ev is not None
    sunday_night = dt.datetime(2026, 11, 29, 22, 30, tzinfo=WIB)
    devices = [d.model_copy(update={"committed_at": sunday_night}) for d in ev.devices]
    devices.append(DeviceChange(name="core-dc1", platform="frr", diff=""))  # unchanged
    ctx = ctx.model_copy(update={"evidence": ev.model_copy(update={"devices": devices})})
    html = flat(html_for("berita-acara", ctx, settings))
    assert "22.30" not in html and "29 November" not in html
    assert "26 November 2026 09.30 WIB" in html  # the step-7 event's time
    assert "tidak ada perubahan" in html


def test_request_form_takes_the_filled_pdf_through_the_cli(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    netprov = str(Path(sys.executable).parent / "netprov")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPROV_")}
    env["NETPROV_DATA_DIR"] = str(tmp_path / "data")
    env["NETPROV_LAB_DIR"] = str(tmp_path / "lab")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([netprov, *args], capture_output=True, text=True, env=env, timeout=120)

    rid = run("request", "submit", str(DATA / "letter-intranet.yaml")).stdout.strip()
    run("--as", "kadis", "request", "dispose", rid, "--to", "kabid")
    run("--as", "kabid", "request", "assign", rid, "--to", "staff1")
    run("--as", "staff1", "request", "check", rid, "--manual", "--bandwidth-ok", "--ip-ok")
    assert run("--as", "staff1", "request", "accept", rid).returncode == 0
    blank = next((tmp_path / "data").rglob("formulir-kelengkapan-v1.pdf"))
    later = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    bad = _fill(
        blank, {**FILLED, "schedule_preferred_date": later, "location_latitude": "utara"}, tmp_path / "b.pdf"
    )
    refused = run("--as", "staff1", "request", "form", rid, "--fill", str(bad))
    assert refused.returncode == 1 and "location.latitude" in refused.stderr
    assert "Traceback" not in refused.stderr
    good = _fill(blank, {**FILLED, "schedule_preferred_date": later}, tmp_path / "isian.pdf")
    done = run("--as", "staff1", "request", "form", rid, "--fill", str(good))
    assert done.returncode == 0, done.stderr
    shown = json.loads(run("request", "show", rid, "--json").stdout)
    assert shown["state"] == "form_complete"
