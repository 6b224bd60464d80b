"""The scanned-letter form in a real browser (Debian's chromium through Playwright) against
``netprov web`` as its own process, with the real Tesseract: two people upload scanned letters
at the same time, each sees the form filled from their own scan with the confidence marks, one
corrects a field, both submit at once, and each request's page shows its own scan.

With NETPROV_WEB_SCREENSHOTS=DIR the pre-filled form is saved as DIR/web-scan-form.png.
"""

from __future__ import annotations

import datetime as dt
import hashlib
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

from netprov.settings import Settings
from netprov.sop.service import NoPapers, RequestService
from netprov.store.db import Store
from tests.scan_corpus import degrade, letter_spec, raster, render_pdf
from tests.web import PASSWORD, users_file

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
CHROMIUM = "/usr/bin/chromium"
PORT = 8620
BASE = f"http://127.0.0.1:{PORT}"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (./run setup)")


@pytest.fixture
def server(settings: Settings) -> Iterator[Settings]:
    users = users_file(settings.data_dir)
    store = Store(settings.effective_database_url)
    cheap = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    for name in ("disdik", "staff1"):
        store.set_password_hash(name, cheap.hash(PASSWORD), dt.datetime.now(dt.UTC))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPROV_")}
    env |= {"NETPROV_DATA_DIR": str(settings.data_dir), "NETPROV_USERS_FILE": str(users)}
    env |= {"NETPROV_LAB_DIR": str(settings.data_dir / "no-lab"), "OMP_THREAD_LIMIT": "1"}
    cmd = [str(Path(sys.executable).parent / "netprov"), "web", "--port", str(PORT)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    try:
        for _ in range(300):
            assert proc.poll() is None, f"netprov web exited with {proc.returncode}"
            try:
                socket.create_connection(("127.0.0.1", PORT), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield settings
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def scanned(seed: int, folder: Path) -> tuple[Path, Any]:
    """A letter of the corpus, printed and scanned: 200 dpi, slightly rotated, noise, blur (PNG)."""
    spec = letter_spec(seed)
    pdf = render_pdf(spec, folder / f"letter{seed}.pdf")
    path = folder / f"surat-{seed}.png"
    degrade(raster(pdf, 200), "scan", seed).save(path)
    return path, spec


def signed_in(browser: Any, name: str) -> Any:
    page = browser.new_context(base_url=BASE, viewport={"width": 1400, "height": 1000}).new_page()
    page.goto("/login")
    page.get_by_label("Nama pengguna").fill(name)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.locator("h1")).to_have_text("Tugas saya")
    return page


def field(page: Any, name: str) -> Any:
    return page.locator(f'#scan-form [name="{name}"]')


def test_two_people_scan_check_correct_and_submit_at_once(
    server: Settings, browser: Any, tmp_path: Path
) -> None:
    t0 = time.monotonic()
    letters = [scanned(0, tmp_path), scanned(15, tmp_path)]  # Dinas Pendidikan, layouts A
    pages = [signed_in(browser, "disdik"), signed_in(browser, "staff1")]  # a department, a clerk
    for page, (path, _) in zip(pages, letters, strict=True):
        page.locator("#nav-scan").click()
        page.locator('#scan-upload [name="scan"]').set_input_files(str(path))
    for page in pages:  # both read at once, on the server's thread pool
        page.locator("#scan-upload button").click(no_wait_after=True)
    for page, (_, spec) in zip(pages, letters, strict=True):
        expect(page.locator("#scan-form")).to_be_visible(timeout=120_000)
        expect(field(page, "letter.number")).to_have_value(spec.number)
        expect(field(page, "letter.date")).to_have_value(spec.date.isoformat())
        expect(field(page, "hosts")).to_have_value(str(spec.hosts))
        expect(field(page, "contact.email")).to_have_value(spec.email)
        expect(field(page, "service")).to_have_value(spec.service)
        expect(page.locator('label[data-field="letter.number"] .conf')).to_contain_text("%")
    opd = pages[0]
    expect(field(opd, "opd")).to_have_value("Dinas Pendidikan")
    expect(field(opd, "opd")).to_have_attribute("readonly", "")
    site_name = opd.locator('label[data-field="site.name"]')  # NetBox-less names: look again
    expect(site_name).to_have_class("check")
    expect(site_name).to_contain_text("periksa")
    expect(opd.locator("#scan-preview img")).to_be_visible()
    if os.environ.get("NETPROV_WEB_SCREENSHOTS"):
        opd.screenshot(
            path=str(Path(os.environ["NETPROV_WEB_SCREENSHOTS"]) / "web-scan-form.png"), full_page=True
        )
    field(opd, "purpose").fill("Koneksi UPT Pendidikan untuk Dapodik")  # the person corrects one
    for page in pages:  # both submit at once
        page.locator("#scan-form button[type=submit]").click(no_wait_after=True)
    rids = []
    for page, (path, _) in zip(pages, letters, strict=True):
        page.wait_for_url(re.compile(r"/requests/PJB-\d{4}-\d{4}$"), timeout=60_000)
        rid = page.url.rsplit("/", 1)[1]
        rids.append(rid)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        expect(page.locator("#letter .scan")).to_contain_text(digest[:12])
        page.locator("#letter .scan summary").click()
        preview = page.locator("#letter img.scan-preview")
        expect(preview).to_be_visible()
        assert preview.evaluate("img => img.naturalWidth") > 100
        with page.expect_download() as download:
            page.locator("#letter .scan a").click()
        assert hashlib.sha256(download.value.path().read_bytes()).hexdigest() == digest
    assert len(set(rids)) == 2
    expect(opd.locator("#purpose")).to_have_text("Koneksi UPT Pendidikan untuk Dapodik")
    service = RequestService(Store(server.effective_database_url), _users(server), server, NoPapers())
    assert [service.get(r).events[0].actor for r in rids] == ["disdik", "staff1"]
    print(f"two scanned letters read, checked and submitted at once: {time.monotonic() - t0:.1f} s")


def _users(settings: Settings) -> Any:
    from netprov.domain.users import load_directory

    return load_directory(settings.data_dir / "users.yaml")
