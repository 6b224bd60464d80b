"""The web pages: letters shown as text, uploads by content and size, papers only from their
request's folder and only as recorded, what a department sees, the dashboard, the language."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from netprov.app import App
from netprov.documents.context import DocumentKind
from netprov.documents.store import StoredDocument, StoredFile
from netprov.domain.sop import State
from netprov.settings import Settings
from netprov.sop.record import RequestRecord
from netprov.web.app import create_app
from netprov.web.uploads import LIMIT
from tests.web import FORM, sign_in, walk_to, web_app

LETTER_FIELDS = {
    "letter.number": "005/900/DISDIK/XI/2026",
    "letter.date": "2026-11-20",
    "letter.subject": "<script>alert('x')</script> Jaringan",
    "service": "intranet",
    "bandwidth_mbps": "50",
    "hosts": "20",
    "purpose": "<img src=x onerror=alert(1)> untuk Dapodik",
    "site.name": "UPT <b>Batam</b> Kota",
    "site.address": "Jl. Engku Putri No. 1",
    "contact.name": "Budi Santoso",
    "contact.phone": "+62 778 123456",
    "contact.email": "budi.santoso@disdik.batam.go.id",
}
PDF = b"%PDF-1.4\n% scan\n"


class FilePapers:
    """Writes a small HTML paper per step into the request's folder (or, ``outside``, next to it)."""

    def __init__(self, settings: Settings, outside: bool = False) -> None:
        self.settings, self.outside = settings, outside

    def produce(self, kind: str, record: RequestRecord, extra: dict[str, Any]) -> list[dict[str, Any]]:
        docs = self.settings.documents_dir
        folder = docs if self.outside else docs / record.id
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{kind}-v1.html"
        data = b"<p>paper</p>"
        path.write_bytes(data)
        stored = StoredFile(
            path=str(path), name=f"{record.id}/{path.name}", sha256=hashlib.sha256(data).hexdigest(), size=4
        )
        doc = StoredDocument(
            request_id=record.id,
            kind=DocumentKind(kind),
            step=4,
            version=1,
            letter_number="1/X/2026",
            generated_at=dt.datetime.now(dt.UTC),
            files={"html": stored},
        )
        return [doc.to_event()]

    def discard(self, produced: list[dict[str, Any]]) -> None:
        return None


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    path = tmp_path / "bukti.pdf"
    path.write_bytes(PDF)
    return path


def signed_in(app: App, name: str) -> tuple[TestClient, str]:
    client = TestClient(create_app(app), follow_redirects=False)
    return client, sign_in(client, name)


def submit(client: TestClient, csrf: str, scan: tuple[str, bytes, str], **changes: str) -> Any:
    data = {**LETTER_FIELDS, **changes, "csrf_token": csrf}
    return client.post("/submit", data=data, files={"scan": scan})


def test_a_department_submits_with_a_scan_and_html_shows_as_text(settings: Settings) -> None:
    app = web_app(settings)
    client, csrf = signed_in(app, "disdik")
    r = submit(client, csrf, ("surat.pdf", PDF, "application/pdf"))
    assert r.status_code == 303, r.text
    rid = r.headers["location"].rsplit("/", 1)[1]
    record = app.service.get(rid)
    assert record.state is State.RECEIVED and record.request.opd == "Dinas Pendidikan"
    page = client.get(f"/requests/{rid}").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "<b>Batam</b>" not in page
    scan = client.get(f"/requests/{rid}/scan/0")
    assert scan.status_code == 200 and scan.content == PDF


@pytest.mark.parametrize(
    ("scan", "problem"),
    [
        (("surat.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"), "only PDF, JPEG or PNG"),
        (("surat.png", b"GIF89a....", "image/png"), "only PDF, JPEG or PNG"),
        (("surat.pdf", b"%PDF-" + b"0" * LIMIT, "application/pdf"), "larger than 10 MB"),
        (("surat.pdf", b"", "application/pdf"), "empty"),
    ],
)
def test_uploads_are_checked_by_content_and_size(settings: Settings, scan: Any, problem: str) -> None:
    app = web_app(settings)
    client, csrf = signed_in(app, "disdik")
    r = submit(client, csrf, scan)
    assert r.status_code == 400 and problem in r.text
    assert app.service.find() == []  # nothing registered


def test_jpeg_and_png_are_accepted(settings: Settings) -> None:
    app = web_app(settings)
    client, csrf = signed_in(app, "disdik")
    assert submit(client, csrf, ("a.bin", b"\xff\xd8\xff\xe0JFIF", "x/y")).status_code == 303
    png = ("a.txt", b"\x89PNG\r\n\x1a\n....", "text/plain")
    assert submit(client, csrf, png, **{"letter.number": "005/901/DISDIK/XI/2026"}).status_code == 303


def test_an_oversized_body_is_refused_unread(settings: Settings, evidence: Path) -> None:
    app = web_app(settings)
    rid = walk_to(app.service, State.FORM_COMPLETE, evidence)
    client, csrf = signed_in(app, "staff1")
    big = ("bukti.pdf", b"%PDF-" + b"0" * (LIMIT + 300 * 1024), "application/pdf")
    r = client.post(f"/requests/{rid}/act/provision", data={"csrf_token": csrf}, files={"evidence": big})
    assert r.status_code == 400 and "larger than 10 MB" in r.text
    assert app.service.get(rid).state is State.FORM_COMPLETE


def test_papers_download_only_as_recorded_and_inside_the_folder(settings: Settings, evidence: Path) -> None:
    app = web_app(settings, papers=FilePapers(settings))
    rid = walk_to(app.service, State.CHECKED, evidence)
    client, _ = signed_in(app, "kadis")
    page = client.get(f"/requests/{rid}").text
    assert f"/requests/{rid}/papers/0/html" in page
    r = client.get(f"/requests/{rid}/papers/0/html?inline=1")
    assert r.status_code == 200 and r.content == b"<p>paper</p>"
    assert "sandbox" in r.headers["content-security-policy"]
    assert r.headers["content-disposition"].startswith("inline")
    path = settings.documents_dir / rid / "laporan-pemeriksaan-v1.html"
    path.write_bytes(b"<p>forged</p>")  # changed since recorded: not handed out
    assert client.get(f"/requests/{rid}/papers/0/html").status_code == 409
    for bad in ("../../etc/passwd", "..%2F..%2Fetc", "PJB-2026-0001/../../x"):
        assert client.get(f"/requests/{bad}/papers/0/html").status_code in (400, 404)
    assert client.get(f"/requests/{rid}/papers/7/html").status_code == 404
    assert client.get(f"/requests/{rid}/papers/0/pdf").status_code == 404


def test_a_paper_recorded_outside_its_folder_is_refused(settings: Settings, evidence: Path) -> None:
    app = web_app(settings, papers=FilePapers(settings, outside=True))
    rid = walk_to(app.service, State.CHECKED, evidence)
    client, _ = signed_in(app, "kadis")
    r = client.get(f"/requests/{rid}/papers/0/html")
    assert r.status_code == 403 and "outside the request" in r.text


def test_a_department_sees_only_its_own_requests_and_fills_the_form(
    settings: Settings, evidence: Path
) -> None:
    app = web_app(settings)
    svc = app.service
    rid = walk_to(svc, State.FORM_REQUESTED, evidence)
    client, csrf = signed_in(app, "disdik")
    assert rid in client.get("/tasks").text  # the form waits on the department
    assert client.get("/dashboard").status_code == 403
    data = {"csrf_token": csrf} | {
        f"{g}.{k}": str(v) for g, vals in FORM.items() if isinstance(vals, dict) for k, v in vals.items()
    }
    assert client.post(f"/requests/{rid}/act/opd-form", data=data).status_code == 303
    assert svc.get(rid).state is State.FORM_REQUESTED  # the staff records it (step 6b is theirs)
    staff, _ = signed_in(app, "staff1")
    page = staff.get(f"/requests/{rid}").text
    assert 'value="Gedung UPT Pendidikan"' in page  # the department's answers, pre-filled
    other = svc.users.get("disdik").model_copy(update={"opd": "Bappeda"})
    from netprov.web.views import visible

    assert not visible(svc.get(rid), other)


def test_register_filters_tasks_and_dashboard(settings: Settings, evidence: Path) -> None:
    app = web_app(settings)
    svc = app.service
    late = walk_to(svc, State.RECEIVED, evidence)
    svc.clock.now += dt.timedelta(days=7)  # type: ignore[attr-defined]
    fresh = walk_to(svc, State.DISPOSED, evidence)
    client, _ = signed_in(app, "kadis")
    tasks = client.get("/tasks").text
    assert late in tasks and fresh not in tasks and 'class="late"' in tasks
    assert fresh in client.get("/requests?state=disposed").text
    assert late not in client.get("/requests?state=disposed").text
    overdue = client.get("/requests?overdue=1").text
    assert late in overdue and fresh not in overdue
    dash = client.get("/dashboard").text
    assert "Permohonan per status" in dash and late in dash
    r = client.get("/lang/en", headers={"referer": "http://testserver/dashboard"})
    assert r.headers["location"] == "/dashboard"
    client.cookies.set("lang", "en")
    assert "Requests per state" in client.get("/dashboard").text


def test_no_secret_in_any_page(settings: Settings, evidence: Path) -> None:
    from pydantic import SecretStr

    secret = "tok-SECRET-4f1c9a"
    settings = settings.model_copy(
        update={
            "netbox_url": "http://127.0.0.1:9",
            "netbox_token": SecretStr(secret),
            "zabbix_token": SecretStr(secret),
        }
    )
    app = web_app(settings)
    rid = walk_to(app.service, State.FORM_COMPLETE, evidence)
    for person in ("kadis", "staff1", "disdik"):
        client, _ = signed_in(app, person)
        for url in ("/tasks", "/requests", f"/requests/{rid}", "/dashboard", "/login"):
            assert secret not in client.get(url).text
    page = signed_in(app, "staff1")[0].get(f"/requests/{rid}").text
    assert (
        'id="act-provision-run"' in page
        and "http://127.0.0.1:9" not in page.split("act-provision-run")[1][:0]
    )
