"""Step 7 from the web on the real lab: the staff's dry-run diff per device (seen in a real
browser too), the provision button, its progress polled until the pipeline has provisioned the
link (NetBox, devices, monitoring), and the link undone afterwards."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from netprov.app import App
from netprov.domain.sop import State
from netprov.settings import Settings
from netprov.sop.service import RequestService
from netprov.web.app import create_app
from tests.web import CHEAP, PASSWORD, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.lab]
PORT = 18084
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def served(e2e_settings: Settings, svc: RequestService) -> Iterator[Any]:
    svc.store.set_password_hash("staff1", CHEAP.hash(PASSWORD), dt.datetime.now(dt.UTC))
    app = App(e2e_settings, service=svc)
    web = create_app(app)
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=PORT, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", PORT), 0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield web
    server.should_exit = True
    thread.join(10)
    app.close()


def browser_diff(rid: str, shots: Path | None) -> str:
    """The dry-run page as the staff's browser shows it (a PNG when screenshots are wanted)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = b.new_page(base_url=f"http://127.0.0.1:{PORT}", viewport={"width": 1280, "height": 900})
        page.goto("/login")
        page.get_by_label("Nama pengguna").fill("staff1")
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_url("**/tasks")
        page.goto(f"/requests/{rid}")
        page.locator("#act-dry-run button").click()
        page.wait_for_selector(".device", timeout=120_000)
        color = page.locator(".diff .add").first.evaluate("e => getComputedStyle(e).color")
        if shots is not None:
            page.screenshot(path=str(shots / "web-diff.png"), full_page=True)
        b.close()
        return str(color)


def test_staff_provisions_from_the_web(
    served: Any, svc: RequestService, walk: Callable[[str], str], cleanup: list[str]
) -> None:
    rid = walk("1-intranet-disdik.yaml")
    cleanup.append(rid)
    client = TestClient(served, follow_redirects=False)
    csrf = sign_in(client, "staff1")
    page = client.get(f"/requests/{rid}").text
    assert 'id="act-provision-run"' in page and 'id="act-dry-run"' in page
    diff = client.get(f"/requests/{rid}/dry-run")
    assert diff.status_code == 200 and 'class="add"' in diff.text and 'class="card device"' in diff.text
    shots = os.environ.get("NETPROV_WEB_SCREENSHOTS")
    assert browser_diff(rid, Path(shots) if shots else None) == "rgb(23, 128, 61)"  # added lines green
    assert svc.get(rid).state is State.FORM_COMPLETE  # the dry run changed nothing
    t0 = time.monotonic()
    assert client.post(f"/requests/{rid}/provision-run", data={"csrf_token": csrf}).status_code == 303
    fragment = ""
    while time.monotonic() - t0 < 420:
        fragment = client.get(f"/requests/{rid}/progress").text
        assert 'id="run-error"' not in fragment, fragment
        if svc.get(rid).state is State.PROVISIONED and "hx-trigger" not in fragment:
            break
        time.sleep(1)
    assert svc.get(rid).state is State.PROVISIONED, fragment
    assert "verify" in fragment and "monitor" in fragment
    page = client.get(f"/requests/{rid}").text
    assert 'id="allocation"' in page and "/ipam/prefixes/?q=" in page
    print(f"web provisioning of {rid}: {time.monotonic() - t0:.1f} s")
