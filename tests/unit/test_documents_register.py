"""Documents through the real register: each paper-producing step records its documents
(paths + SHA-256) in its event; the CLI lists them, checks them and hands them out."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from netprov.cli.documents import register
from netprov.documents import StoredDocument, check_files, context_from_record
from netprov.domain.letters import load_form, load_letter
from netprov.domain.resources import Candidate, Feasibility
from netprov.domain.users import load_directory
from netprov.settings import Settings
from netprov.sop.service import RequestService
from tests.form_file import FORM_YAML
from tests.papers import intranet_feasibility, paper_service

DATA = Path(__file__).parent.parent / "data"
WIB = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def svc(settings: Settings) -> RequestService:
    return paper_service(settings, step_minutes=30)


def feasibility(ok: bool) -> Feasibility:
    if not ok:
        return intranet_feasibility(False, "pool full", "950 Mbps headroom")
    prefix = Candidate(lan_prefix="10.100.0.0/27")
    return intranet_feasibility(True, "10.100.0.0/27 free", "950 Mbps headroom", prefix)


def checked(svc: RequestService, ok: bool) -> str:
    rid = svc.submit(load_letter(DATA / "letter-intranet.yaml")).id
    svc.dispose(rid, "kadis", "kabid")
    svc.assign(rid, "kabid", "staff1")
    svc.check(rid, "staff1", feasibility(ok))
    return rid


def test_accepted_walk_records_each_paper(svc: RequestService, settings: Settings, tmp_path: Path) -> None:
    rid = checked(svc, ok=True)
    svc.accept(rid, "staff1")
    svc.fill_form(rid, "staff1", load_form(FORM_YAML))
    ev = tmp_path / "foto-rak.jpg"
    ev.write_bytes(b"\xff\xd8 rack photo")
    svc.provision_manual(rid, "staff1", ev)
    rec = svc.report(rid, "staff1")
    docs = [StoredDocument.from_event(d) for d in rec.documents]
    assert [(d.kind.value, d.step, d.version) for d in docs] == [
        ("laporan-pemeriksaan", 4, 1),
        ("formulir-kelengkapan", 6, 1),
        ("berita-acara", 8, 1),
    ]
    assert [d["step"] for d in rec.documents] == [4, 6, 8]  # recorded in the step's event
    for d in docs:
        assert check_files(d) == dict.fromkeys(d.files, "ok")
    ba = docs[-1].html_path.read_text(encoding="utf-8")
    assert "foto-rak.jpg" in ba and "Rizky Pratama, S.Kom." in ba  # staff1 from the directory
    assert "Siti Rahmawati" in ba and "Drs. Hendra Saputra" in ba  # kabid, kadis
    assert "Ruang Server Lt. 1" in ba  # from the filled form
    lp = docs[0].html_path.read_text(encoding="utf-8")
    assert "10.100.0.0/27" in lp and "DITERIMA" in lp

    # a return at step 10 and a second report: v2, v1 untouched
    svc.forward(rid, "kabid")
    svc.review(rid, "kadis", approve=False, note="Lampirkan foto perangkat")
    v1 = docs[-1].pdf_path.read_bytes()
    rec = svc.report(rid, "staff1")
    bas = [StoredDocument.from_event(d) for d in rec.documents if d["kind"] == "berita-acara"]
    assert [d.version for d in bas] == [1, 2]
    assert docs[-1].pdf_path.read_bytes() == v1


def test_rejected_walk_records_the_reply_letter(svc: RequestService) -> None:
    rid = checked(svc, ok=False)
    rec = svc.reject(rid, "staff1", "Blok alamat intranet penuh")
    kinds = [d["kind"] for d in rec.documents]
    assert kinds == ["laporan-pemeriksaan", "surat-balasan"]
    sb = StoredDocument.from_event(rec.documents[-1]).html_path.read_text(encoding="utf-8")
    assert "Blok alamat intranet penuh." in sb and "Pool full." in sb and "DRAFT" in sb


def test_pipeline_outputs_reach_the_berita_acara(svc: RequestService) -> None:
    rid = checked(svc, ok=True)
    svc.accept(rid, "staff1")
    svc.fill_form(rid, "staff1", load_form(FORM_YAML))
    from netprov_lab.document_samples import accepted_context

    alloc = accepted_context().allocation
    assert alloc is not None
    outputs = {  # the shape netprov.pipeline records at step 7
        "run_id": "6767db1fd7cb",
        "playbook": "intranet",
        "allocation": alloc.model_copy(update={"request_id": rid}).model_dump(mode="json"),
        "seconds": {"allocate": 1.84, "push": 1.15, "verify": 16.78},
        "devices": [
            {
                "name": "dist-batamkota1",
                "platform": "frr",
                "diff": "+interface eth2.100\n+ ip ospf authentication-key topsecret\n",
                "committed_at": "2026-11-24T13:00:00+07:00",
            }
        ],
        "verification": [{"check": "ping 10.250.0.2", "ok": True, "detail": "5/5"}],
        "monitoring": [
            {
                "backend": "zabbix",
                "id": "hostid=10601",
                "status": "up",
                "waited_seconds": 14.2,
                "detail": "icmpping=1",
            }
        ],
    }
    svc.record_provisioned(rid, "staff1", outputs)
    rec = svc.report(rid, "staff1")
    ctx = context_from_record(rec, load_directory(None))
    assert ctx.evidence is not None and ctx.evidence.devices[0].name == "dist-batamkota1"
    html = StoredDocument.from_event(rec.documents[-1]).html_path.read_text(encoding="utf-8")
    assert "eth2.100" in html and "topsecret" not in html and "********" in html
    assert "hostid=10601" in html and "Berhasil" in html and "14 detik" in html
    assert "10.100.0.0/27" in html and "dist-batamkota1 eth2" in html and "belum tersedia" not in html


def test_failed_event_discards_the_files(
    svc: RequestService, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = checked(svc, ok=True)
    folder = settings.documents_dir / rid
    before = sorted(p.name for p in folder.iterdir())

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(svc, "_append", boom)
    with pytest.raises(RuntimeError):
        svc.accept(rid, "staff1")
    assert sorted(p.name for p in folder.iterdir()) == before


@pytest.fixture
def cli() -> typer.Typer:
    root = typer.Typer()
    request_app = typer.Typer()
    register(request_app)
    root.add_typer(request_app, name="request")
    return root


def test_cli_lists_checks_and_hands_out(
    svc: RequestService, settings: Settings, cli: typer.Typer, tmp_path: Path
) -> None:
    rid = checked(svc, ok=False)
    svc.reject(rid, "staff1", "Blok alamat intranet penuh")
    runner = CliRunner()
    res = runner.invoke(cli, ["request", "documents", rid, "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["kind"] for r in rows] == ["laporan-pemeriksaan", "surat-balasan"]
    assert all(r["intact"] for r in rows)
    assert (
        rows[1]["files"]["pdf"]["sha256"]
        == StoredDocument.from_event(svc.get(rid).documents[1]).files["pdf"].sha256
    )

    res = runner.invoke(cli, ["request", "documents", rid])
    assert res.exit_code == 0 and "surat-balasan" in res.stdout and "ok" in res.stdout

    out = tmp_path / "balasan.pdf"
    res = runner.invoke(cli, ["request", "document", rid, "surat-balasan", "--pdf", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_bytes().startswith(b"%PDF-")
    res = runner.invoke(cli, ["request", "document", rid, "laporan-pemeriksaan", "--html"])
    assert res.exit_code == 0 and rid in res.stdout and "<html" in res.stdout

    # tampering is noticed and the file is not handed out
    path = Path(rows[1]["files"]["pdf"]["path"])
    path.write_bytes(path.read_bytes() + b"%tampered")
    rows = json.loads(runner.invoke(cli, ["request", "documents", rid, "--json"]).stdout)
    assert rows[1]["files"]["pdf"]["state"] == "changed" and not rows[1]["intact"]
    res = runner.invoke(cli, ["request", "document", rid, "surat-balasan", "--out", str(out)])
    assert res.exit_code != 0 and "changed" in str(res.exception)

    res = runner.invoke(cli, ["request", "document", rid, "berita-acara"])
    assert res.exit_code != 0 and "no berita-acara" in str(res.exception)
    res = runner.invoke(cli, ["request", "document", rid, "nonsense"])
    assert res.exit_code != 0 and "is not one of" in str(res.exception)


def test_malformed_step7_records_are_noted_not_fatal(settings: Settings) -> None:
    from netprov.documents import evidence_from_outputs, html_for
    from netprov_lab.document_samples import accepted_context

    ev = evidence_from_outputs(
        {
            "mode": "pipeline",
            "devices": [{"name": "dist-batamkota1", "platform": "frr", "diff": "+x\n"}, {"platform": "frr"}],
            "verification": "not a list",
            "monitoring": [{"backend": "zabbix", "id": "1", "status": "up", "extra": True}],
        }
    )
    assert [d.name for d in ev.devices] == ["dist-batamkota1"]
    assert ev.unreadable == ["devices[1]", "verification"]
    assert ev.monitoring[0].backend == "zabbix"
    html = html_for("berita-acara", accepted_context().model_copy(update={"evidence": ev}), settings)
    assert "tidak terbaca" in html and "devices[1], verification" in html
    manual = evidence_from_outputs({"mode": "manual", "evidence": {"name": "a.jpg", "sha256": "x"}})
    assert manual.manual is None and manual.unreadable == ["evidence"]
