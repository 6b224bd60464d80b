"""The whole SOP walked in a real browser (Debian's chromium driven by Playwright) by five
people in five browser sessions, against ``netprov web`` running as its own process on a
register with real papers (PDF + HTML).

Letter (department, with its scan), dispose (kadis), assign (kabid), check, accept (staff),
the completeness form (filled by the department, recorded by the staff), provision (recorded
by hand with evidence), report (staff), forward (kabid), review (kadis): done. The section head
(kasi) follows it read-only. Each person gets the mail for their turn (a local SMTP server,
aiosmtpd, catches it), once, linking to NETPROV_WEB_URL. With NETPROV_WEB_SCREENSHOTS=DIR the
pages are saved as PNGs there (``docs/make_web_screenshots.sh`` makes docs/images/web-*.png this way).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from netprov.domain.users import load_directory
from netprov.settings import Settings
from netprov.sop.service import NoPapers, RequestService
from netprov.store.db import Store
from tests.letters import distinct_letter
from tests.mail import SmtpSink, body, free_port, pdf_attachments
from tests.web import FORM, PASSWORD, users_file

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
PORT = free_port()  # kernel-chosen: helpers and CI runs on one machine never collide
BASE = f"http://127.0.0.1:{PORT}"
OPD_CONTACT = "budi.santoso@disdik.batam.go.id"  # the letter's contact: the department's mail
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (./run setup)")


def _wait_for_port(proc: subprocess.Popen[bytes], port: int) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"netprov web exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("netprov web did not start")


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink(free_port()) as s:
        yield s


@pytest.fixture
def server(settings: Settings, sink: SmtpSink) -> Iterator[Settings]:
    users = users_file(settings.data_dir)
    store = Store(settings.effective_database_url)
    cheap = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    for name in ("kadis", "kabid", "kasi", "staff1", "disdik"):
        store.set_password_hash(name, cheap.hash(PASSWORD), dt.datetime.now(dt.UTC))
    # an older letter, received a week ago and never disposed: overdue (red) in the kadis's tasks
    service = RequestService(store, load_directory(users), settings, NoPapers())
    week_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=7)
    service.submit(distinct_letter(date=week_ago.date()), "disdik", received_at=week_ago)
    env = {
        **os.environ,
        "NETPROV_DATA_DIR": str(settings.data_dir),
        "NETPROV_USERS_FILE": str(users),
        "NETPROV_WEB_URL": BASE,
        "NETPROV_SMTP_HOST": "127.0.0.1",
        "NETPROV_SMTP_PORT": str(sink.port),
        "NETPROV_SMTP_STARTTLS": "false",
    }
    env.pop("NETPROV_NETBOX_URL", None)
    cmd = [str(Path(sys.executable).parent / "netprov"), "web", "--port", str(PORT)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    try:
        _wait_for_port(proc, PORT)
        yield settings.model_copy(update={"users_file": users})
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


class Person:
    """One person's own browser session (context)."""

    def __init__(self, browser: Any, name: str, shots: Path | None) -> None:
        self.context = browser.new_context(base_url=BASE, viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.name, self.shots = name, shots
        self.page.goto("/login")
        self.page.get_by_label("Nama pengguna").fill(name)
        self.page.get_by_label("Kata sandi").fill(PASSWORD)
        self.page.get_by_role("button", name="Masuk").click()
        playwright_api.expect(self.page.locator("h1")).to_have_text("Tugas saya")

    def open(self, rid: str) -> Any:
        self.page.goto(f"/requests/{rid}")
        return self.page

    def act(self, rid: str, action: str, fill: dict[str, str] | None = None) -> None:
        page = self.open(rid)
        form = page.locator(f"#act-{action}")
        for field, value in (fill or {}).items():
            form.locator(f'[name="{field}"]').fill(value)
        form.locator('button[type="submit"]').click()
        page.wait_for_url(re.compile(rf"/requests/{rid}$"))

    def state(self, rid: str) -> str:
        return str(self.open(rid).locator("#state").inner_text())

    def shot(self, name: str) -> None:
        if self.shots is not None:
            self.page.screenshot(path=str(self.shots / f"web-{name}.png"), full_page=True)


def form_fields() -> dict[str, str]:
    out = {f"{g}.{k}": str(v) for g, vals in FORM.items() if isinstance(vals, dict) for k, v in vals.items()}
    out["schedule.preferred_date"] = (dt.date.today() + dt.timedelta(days=14)).isoformat()
    return out


def mails_of(sink: SmtpSink, rid: str) -> list[tuple[str, str, str]]:
    """(to, kind, subject) of each mail about ``rid``, in the order the sink took them."""
    return [
        (str(m["To"]), str(m["X-Netprov-Mail"]).split()[1], str(m["Subject"]))
        for m in sink.mails()
        if str(m["Subject"]).startswith(f"[netprov] {rid}:")
    ]


def assert_each_turn_mailed_once(sink: SmtpSink, rid: str) -> None:
    """kadis on the letter, kabid on the disposition, staff on the assignment, the department
    with the completeness form, kabid on the report, kadis on the forward, the department with
    the Berita Acara: each once."""
    expected = [
        ("kadis@diskominfo.batam.test", "turn"),
        ("kabid@diskominfo.batam.test", "turn"),
        ("staff1@diskominfo.batam.test", "turn"),
        (OPD_CONTACT, "form"),
        ("kabid@diskominfo.batam.test", "turn"),
        ("kadis@diskominfo.batam.test", "turn"),
        (OPD_CONTACT, "done"),
    ]
    deadline = time.monotonic() + 10
    while len(mails_of(sink, rid)) < len(expected) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # a mail sent twice would arrive now
    got = mails_of(sink, rid)
    assert [(to, kind) for to, kind, _ in got] == expected, got
    assert len({subject for _, _, subject in got}) == len(got)  # each step's mail once
    mails = [m for m in sink.mails() if str(m["Subject"]).startswith(f"[netprov] {rid}:")]
    for m in mails[:-1]:
        assert f"{BASE}/requests/{rid}" in body(m)  # the link to this web app
    assert list(pdf_attachments(mails[3])) == [f"{rid}-formulir-kelengkapan-v1.pdf"]
    assert list(pdf_attachments(mails[-1])) == [f"{rid}-berita-acara-v1.pdf"]


def test_five_people_walk_one_request_in_the_browser(
    server: Settings, browser: Any, tmp_path: Path, sink: SmtpSink
) -> None:
    shots_env = os.environ.get("NETPROV_WEB_SCREENSHOTS")
    shots = Path(shots_env) if shots_env else None
    t0 = time.monotonic()
    opd, kadis, kabid, staff, kasi = (
        Person(browser, n, shots) for n in ("disdik", "kadis", "kabid", "staff1", "kasi")
    )
    scan = tmp_path / "surat.pdf"
    scan.write_bytes(b"%PDF-1.4\n% scanned letter\n")
    page = opd.page
    page.goto("/submit")
    today = dt.date.today().isoformat()
    fields = {
        "letter.number": "005/777/DISDIK/XII/2026",
        "letter.date": today,
        "letter.subject": "Permohonan Jaringan Intranet <b>UPT</b>",
        "bandwidth_mbps": "50",
        "hosts": "20",
        "purpose": "Koneksi UPT Pendidikan untuk Dapodik <script>alert(1)</script>",
        "site.name": "UPT Pendidikan Batam Kota",
        "site.address": "Jl. Engku Putri No. 1",
        "contact.name": "Budi Santoso",
        "contact.phone": "+62 778 123456",
        "contact.email": "budi.santoso@disdik.batam.go.id",
    }
    for name, value in fields.items():
        page.locator(f'[name="{name}"]').fill(value)
    page.locator('[name="scan"]').set_input_files(str(scan))
    page.locator("#submit-form button").click()
    page.wait_for_url(re.compile(r"/requests/PJB-\d{4}-\d{4}$"))
    rid = page.url.rsplit("/", 1)[1]
    playwright_api.expect(page.locator("#purpose")).to_contain_text("<script>alert(1)</script>")

    kadis.page.goto("/tasks")
    playwright_api.expect(kadis.page.locator(f'tr[data-id="{rid}"]')).to_be_visible()
    playwright_api.expect(kadis.page.locator("tr.late")).to_have_count(1)  # the week-old letter
    kadis.shot("inbox")
    kadis.act(rid, "dispose")
    kabid.act(rid, "assign")
    staff.act(rid, "check")
    assert staff.state(rid) == "Diperiksa"
    staff.act(rid, "accept")
    opd.act(rid, "opd-form", form_fields())
    staff.act(rid, "form")  # pre-filled with the department's answers
    assert staff.state(rid) == "Formulir lengkap"
    evidence = tmp_path / "foto.png"
    evidence.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    page = staff.open(rid)
    page.locator('#act-provision [name="evidence"]').set_input_files(str(evidence))
    page.locator('#act-provision button[type="submit"]').click()
    page.wait_for_url(re.compile(rf"/requests/{rid}$"))
    staff.act(rid, "report")
    kabid.act(rid, "forward")
    kadis.act(rid, "review")
    assert kadis.state(rid) == "Selesai"
    page = kasi.open(rid)
    playwright_api.expect(page.locator("#actions")).to_contain_text("Tidak ada tindakan")
    rows = page.locator("#timeline tr")
    actors = [rows.nth(i).locator("td").nth(3).inner_text() for i in range(1, rows.count())]
    assert {"disdik", "kadis", "kabid", "staff1"} <= set(actors)
    papers = page.locator("#papers a", has_text="pdf")
    assert papers.count() >= 3  # laporan pemeriksaan, formulir, berita acara
    with page.expect_download() as download:
        papers.first.click()
    assert download.value.path().read_bytes().startswith(b"%PDF")
    page.locator("#papers details summary").first.click()
    kasi.shot("request")
    kadis.page.goto("/dashboard")
    playwright_api.expect(kadis.page.locator("#per-state")).to_contain_text("Selesai")
    kadis.shot("dashboard")
    kadis.page.get_by_role("link", name="EN", exact=True).click()
    playwright_api.expect(kadis.page.locator("h1")).to_have_text("Dashboard")
    assert_each_turn_mailed_once(sink, rid)
    print(f"walk of {rid} by five people: {time.monotonic() - t0:.1f} s")
