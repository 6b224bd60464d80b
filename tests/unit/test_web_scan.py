"""The web letter form pre-filled from a scan (the same reader as ``netprov request scan``, on
born-digital PDFs from ``tests/scan_corpus.py``: their text layer keeps it fast), the scan on
the request's page (only as recorded, only from its folder, only for the right people), the
bad scans refused with the reader's sentence and nothing written, two sessions at once."""

from __future__ import annotations

import hashlib
import io
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from netprov.app import App
from netprov.domain.sop import State
from netprov.settings import Settings, load_settings
from netprov.web import held
from netprov.web.app import create_app
from netprov.web.uploads import LIMIT
from tests.scan_corpus import Spec, letter_html, make
from tests.web import sign_in, web_app


@pytest.fixture
def settings(data_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """No NetBox here (a unit test), even when the lab runs beside the tests: names unmatched."""
    monkeypatch.setenv("NETPROV_DATA_DIR", str(data_dir))
    for var in ("NETPROV_DATABASE_URL", "NETPROV_USER", "NETPROV_NETBOX_URL", "NETPROV_NETBOX_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return load_settings(data_dir=data_dir, lab_dir=tmp_path / "no-lab")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Spec]]:
    """Two born-digital letters of Dinas Pendidikan, and one of them without its email."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    folder = tmp_path_factory.mktemp("letters")
    out = {"a": make(0, "pdf", folder), "b": make(5, "pdf", folder)}
    spec = out["a"][1]
    no_mail = folder / "no-email.pdf"
    HTML(string=letter_html(spec).replace(f"email {spec.email}", "").replace(spec.email, "")).write_pdf(
        no_mail
    )
    out["no-email"] = (no_mail, spec)
    return out


def signed_in(app: App, name: str) -> tuple[TestClient, str]:
    client = TestClient(create_app(app), follow_redirects=False)
    return client, sign_in(client, name)


def upload(client: TestClient, csrf: str, path: Path) -> Any:
    return client.post(
        "/submit/scan", data={"csrf_token": csrf}, files={"scan": (path.name, path.read_bytes())}
    )


def form_values(html: str) -> dict[str, str]:
    """The pre-filled form's fields (inputs, the selected option, textareas)."""
    form = html.split('id="scan-form"', 1)[1].split("</form>", 1)[0]
    values = dict(re.findall(r'<input name="([^"]+)" type="[^"]+" value="([^"]*)"', form))
    values |= dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    values |= dict(re.findall(r'<textarea name="([^"]+)" required>([^<]*)</textarea>', form))
    for name, options in re.findall(r'<select name="([^"]+)">(.*?)</select>', form):
        values[name] = re.findall(r"<option selected>([^<]+)</option>", options)[0]
    return values


def mark(html: str, field: str) -> str:
    """What the form says next to ``field`` (confidence, "periksa", "tidak terbaca")."""
    m = re.search(
        rf'<label data-field="{re.escape(field)}" class="([^"]*)">.*?<span class="conf">(.*?)</span>',
        html,
        re.S,
    )
    assert m, field
    return f"{m.group(1)} {re.sub('<[^>]+>', '', m.group(2))}".strip()


def held_scans(settings: Settings) -> list[Path]:
    root = settings.data_dir / held.FOLDER
    return sorted(root.iterdir()) if root.exists() else []


def test_the_form_is_prefilled_marked_and_submitted_with_the_scan(settings: Settings, corpus: Any) -> None:
    app = web_app(settings)
    client, csrf = signed_in(app, "disdik")
    pdf, spec = corpus["a"]
    r = upload(client, csrf, pdf)
    assert r.status_code == 200, r.text
    values = form_values(r.text)
    assert values["letter.number"] == spec.number and values["letter.date"] == spec.date.isoformat()
    assert values["hosts"] == str(spec.hosts) and values["service"] == spec.service
    assert values["contact.email"] == spec.email and values["opd"] == "Dinas Pendidikan"
    assert mark(r.text, "letter.number") == "100%"
    assert mark(r.text, "site.name") == "check 60% periksa"  # matched loosely: a person looks again
    assert 'id="scan-unread"' not in r.text
    assert app.service.find() == [] and len(held_scans(settings)) == 1  # reading never submits
    sent = {**values, "hosts": str(spec.hosts + 5), "csrf_token": csrf}  # the person corrects one
    r = client.post("/submit/scanned", data=sent)
    assert r.status_code == 303, r.text
    rid = r.headers["location"].rsplit("/", 1)[1]
    record = app.service.get(rid)
    assert record.state is State.RECEIVED and record.letter.hosts == spec.hosts + 5
    stored = record.events[0].outputs["scan"]  # the step-1 event, as `request submit --scan`
    assert stored["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert held_scans(settings) == []
    page = client.get(f"/requests/{rid}").text
    assert f"/requests/{rid}/scan/0?inline=1" in page and stored["sha256"][:12] in page
    assert client.get(f"/requests/{rid}/scan/0").content == pdf.read_bytes()
    preview = client.get(f"/requests/{rid}/scan/0?inline=1")
    assert preview.headers["content-type"] == "image/png" and preview.content.startswith(b"\x89PNG")
    assert "sandbox" in preview.headers["content-security-policy"]
    # the same held scan cannot be submitted twice
    assert client.post("/submit/scanned", data=sent).status_code == 404


def test_a_changed_scan_is_refused_and_others_do_not_see_it(settings: Settings, corpus: Any) -> None:
    app = web_app(settings)
    client, csrf = signed_in(app, "disdik")
    r = upload(client, csrf, corpus["a"][0])
    r = client.post("/submit/scanned", data={**form_values(r.text), "csrf_token": csrf})
    rid = r.headers["location"].rsplit("/", 1)[1]
    stored = Path(app.service.get(rid).events[0].outputs["scan"]["file"])
    assert stored.parent == settings.evidence_dir / rid
    kasi, _ = signed_in(app, "kasi")  # the agency sees it
    assert kasi.get(f"/requests/{rid}/scan/0").status_code == 200
    other = app.service.users.get("disdik").model_copy(update={"opd": "Bappeda"})
    from netprov.web.views import visible

    assert not visible(app.service.get(rid), other)
    stored.write_bytes(stored.read_bytes() + b"%forged\n")
    for url in (f"/requests/{rid}/scan/0", f"/requests/{rid}/scan/0?inline=1"):
        r = kasi.get(url)
        assert r.status_code == 409 and "changed or missing since it was recorded" in r.text
    assert kasi.get(f"/requests/{rid}/scan/1").status_code == 404


def test_a_clerk_registers_a_letter_for_the_department_named_on_it(settings: Settings, corpus: Any) -> None:
    app = web_app(settings)
    client, csrf = signed_in(app, "staff1")
    r = upload(client, csrf, corpus["b"][0])
    values = form_values(r.text)
    assert values["opd"] == "Dinas Pendidikan" and "readonly" not in r.text.split('data-field="opd"')[1][:300]
    r = client.post("/submit/scanned", data={**values, "csrf_token": csrf})
    assert r.status_code == 303, r.text
    (record,) = app.service.find()
    assert record.request.opd == "Dinas Pendidikan" and record.events[0].actor == "staff1"


def test_fields_not_read_are_named_empty_and_must_be_filled(settings: Settings, corpus: Any) -> None:
    app = web_app(settings)
    client, csrf = signed_in(app, "disdik")
    r = upload(client, csrf, corpus["no-email"][0])
    assert r.status_code == 200, r.text
    assert re.search(r'id="scan-unread">[^<]*: contact.email<', r.text)
    assert (
        form_values(r.text)["contact.email"] == ""
        and mark(r.text, "contact.email") == "unread tidak terbaca: isi"
    )
    sent = {**form_values(r.text), "csrf_token": csrf, "letter.subject": "Perihal diperbaiki"}
    r = client.post("/submit/scanned", data=sent)
    assert r.status_code == 400 and "contact.email" in r.text and app.service.find() == []
    assert form_values(r.text)["letter.subject"] == "Perihal diperbaiki"  # what the person typed stays
    r = client.post("/submit/scanned", data={**sent, "contact.email": "budi@disdik.batam.go.id"})
    assert r.status_code == 303 and len(app.service.find()) == 1


def _png(color: int, size: tuple[int, int] = (800, 1100)) -> bytes:
    buf = io.BytesIO()
    Image.new("L", size, color).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("blank.png", _png(255), "page 1 is blank"),
        (
            "letter.pdf",
            b"Nomor : 005/123/DISDIK/XI/2026, typed\n" * 20,
            "only PDF, JPEG or PNG files are accepted",
        ),
        ("big.pdf", b"%PDF-" + b"0" * LIMIT, "larger than 10 MB"),
        ("huge.pdf", b"%PDF-" + b"0" * (LIMIT + 300 * 1024), "larger than 10 MB"),  # refused unread
        ("cut.pdf", b"%PDF-1.4\n" + b"0" * 100, "is not a readable PDF"),
        ("empty.png", b"", "the file is empty"),
        ("book.pdf", "pages", "has 201 pages, at most 200 are accepted"),
    ],
)
def test_bad_scans_get_the_sentence_and_nothing_is_written(
    settings: Settings, name: str, data: Any, problem: str
) -> None:
    if data == "pages":
        buf = io.BytesIO()
        pages = [Image.new("L", (20, 20), 255) for _ in range(201)]
        pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:])
        data = buf.getvalue()
    app = web_app(settings)
    client, csrf = signed_in(app, "disdik")
    r = client.post("/submit/scan", data={"csrf_token": csrf}, files={"scan": (name, data)})
    assert r.status_code == 400 and problem in r.text, r.text[-800:]
    assert 'id="scan-error"' in r.text and 'id="scan-form"' not in r.text
    assert app.service.find() == [] and held_scans(settings) == []


def test_not_a_letter_is_refused(settings: Settings, tmp_path: Path) -> None:
    from weasyprint import HTML

    pdf = tmp_path / "menu.pdf"
    HTML(string="<p>" + "Nasi goreng spesial dengan telur dan kerupuk udang. " * 12 + "</p>").write_pdf(pdf)
    app = web_app(settings)
    client, csrf = signed_in(app, "disdik")
    r = upload(client, csrf, pdf)
    assert r.status_code == 400 and "does not look like a request letter" in r.text
    assert app.service.find() == [] and held_scans(settings) == []


def test_a_held_scan_is_its_owners_only_and_needs_the_csrf_token(settings: Settings, corpus: Any) -> None:
    app = web_app(settings)
    client, csrf = signed_in(app, "disdik")
    r = upload(client, csrf, corpus["a"][0])
    values = form_values(r.text)
    token = values["scan_token"]
    assert client.get(f"/submit/scan/{token}").content == corpus["a"][0].read_bytes()
    kadis, kcsrf = signed_in(app, "kadis")
    assert kadis.get(f"/submit/scan/{token}").status_code == 404
    r = kadis.post("/submit/scanned", data={**values, "csrf_token": kcsrf})
    assert r.status_code == 404 and "no longer held" in r.text
    for bad in ("../../etc", "x" * 30, "%2e%2e%2fowner"):
        assert (
            kadis.post("/submit/scanned", data={**values, "scan_token": bad, "csrf_token": kcsrf}).status_code
            == 404
        )
    without = {k: v for k, v in values.items() if k != "csrf_token"}
    assert client.post("/submit/scanned", data=without).status_code == 403  # no CSRF token
    assert client.post("/submit/scan", files={"scan": ("a.pdf", b"%PDF-")}).status_code == 403
    assert app.service.find() == []


def test_old_held_scans_are_swept(settings: Settings, tmp_path: Path) -> None:
    import os

    src = tmp_path / "scan.png"
    src.write_bytes(_png(0))
    old = held.hold(settings.data_dir, "disdik", src, "a.png")
    os.utime(old.folder, (1, 1))
    new = held.hold(settings.data_dir, "disdik", src, "b.png")
    assert not old.folder.exists() and new.folder.exists()
    assert held.get(settings.data_dir, new.token, "disdik").path.name == "b.png"


def test_two_sessions_at_once_get_two_requests_each_with_its_own_scan(
    settings: Settings, corpus: Any
) -> None:
    app = web_app(settings)
    people = [signed_in(app, "disdik"), signed_in(app, "staff1")]
    letters = [corpus["a"][0], corpus["b"][0]]

    def one(i: int) -> str:
        client, csrf = people[i]
        r = upload(client, csrf, letters[i])
        assert r.status_code == 200, r.text
        r = client.post("/submit/scanned", data={**form_values(r.text), "csrf_token": csrf})
        assert r.status_code == 303, r.text
        return str(r.headers["location"].rsplit("/", 1)[1])

    with ThreadPoolExecutor(2) as pool:
        rids = list(pool.map(one, [0, 1]))
    assert len(set(rids)) == 2
    for rid, letter in zip(rids, letters, strict=True):
        record = app.service.get(rid)
        assert record.events[0].outputs["scan"]["sha256"] == hashlib.sha256(letter.read_bytes()).hexdigest()
        assert people[0][0].get(f"/requests/{rid}/scan/0").content == letter.read_bytes()
    assert held_scans(settings) == []


def test_ocr_runs_off_the_event_loop(
    settings: Settings, corpus: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from netprov.web import scanform

    seen: list[bool] = []
    real = scanform._read

    def spy(site: Any, path: Path) -> Any:
        try:
            asyncio.get_running_loop()
            seen.append(True)
        except RuntimeError:  # a worker thread: no event loop here
            seen.append(False)
        return real(site, path)

    monkeypatch.setattr(scanform, "_read", spy)
    app = web_app(settings)
    client, csrf = signed_in(app, "disdik")
    assert upload(client, csrf, corpus["a"][0]).status_code == 200
    assert seen == [False]


def second_app(settings: Settings) -> App:
    """Another App over the same register and data folder (passwords, sessions as they are)."""
    from netprov.domain.users import load_directory
    from netprov.sop.service import NoPapers, RequestService
    from netprov.store.db import Store
    from tests.web import Clock

    settings = settings.model_copy(update={"users_file": settings.data_dir / "users.yaml"})
    users = load_directory(settings.data_dir / "users.yaml")
    service = RequestService(Store(settings.effective_database_url), users, settings, NoPapers(), Clock())
    return App(settings, service=service)


def test_read_by_one_web_process_submitted_through_another(settings: Settings, corpus: Any) -> None:
    """Two web processes over one register: the held scan and the session are in the data
    folder and the register, so the form read by one is submitted through the other."""
    one, csrf = signed_in(web_app(settings), "disdik")
    r = upload(one, csrf, corpus["b"][0])
    other_app = second_app(settings)
    other = TestClient(create_app(other_app), follow_redirects=False)
    other.cookies.update(one.cookies)
    r = other.post("/submit/scanned", data={**form_values(r.text), "csrf_token": csrf})
    assert r.status_code == 303, r.text
    (record,) = other_app.service.find()
    assert (
        record.events[0].outputs["scan"]["sha256"] == hashlib.sha256(corpus["b"][0].read_bytes()).hexdigest()
    )
