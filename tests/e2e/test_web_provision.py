"""Step 7 from the web on the real lab: the staff opens the request in a real browser, sees the
dry-run diff of every device, presses provision while a second staff session on a second
``netprov web`` process presses it at the same moment (one runs, the other gets the service's
refusal sentence), watches the htmx progress until the link is provisioned, the core pings the
department's LAN; then the link is undone and the routers, NetBox and monitoring are as before."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from netprov.app import App
from netprov.domain.sop import State
from netprov.netbox.adapter import NetBoxIpam
from netprov.pipeline.nornir_setup import build_nornir, only
from netprov.pipeline.provision import Provisioner
from netprov.settings import Settings
from netprov.sop.service import RequestService
from netprov.web.app import create_app
from tests.e2e.test_1_pipeline import assert_untouched, configs
from tests.web import CHEAP, PASSWORD, csrf_of

pytestmark = [pytest.mark.e2e, pytest.mark.lab]
PORT, OTHER_PORT = 8610, 8611  # this process's web app; a second ``netprov web`` process
CHROMIUM = "/usr/bin/chromium"
DEVICES = ["dist-batamkota1", "cpe-disdik-bk", "sw-disdik-bk", "core-dc1"]
REFUSAL = "is being provisioned by"


def _wait_for(port: int, proc: subprocess.Popen[bytes] | None = None) -> None:
    for _ in range(300):
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"netprov web exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


@pytest.fixture
def served(e2e_settings: Settings, svc: RequestService) -> Iterator[None]:
    """The web app in this process (port 8610) and ``netprov web`` as a second process (8611),
    both over the same register."""
    svc.store.set_password_hash("staff1", CHEAP.hash(PASSWORD), dt.datetime.now(dt.UTC))
    app = App(e2e_settings, service=svc)
    server = uvicorn.Server(uvicorn.Config(create_app(app), host="127.0.0.1", port=PORT, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    env = {
        **os.environ,
        "NETPROV_DATA_DIR": str(e2e_settings.data_dir),
        "NETPROV_LAB_DIR": str(e2e_settings.lab_dir),
        "NETPROV_ID_PREFIX": e2e_settings.id_prefix,
        "NETPROV_MONITORING_WAIT_SECONDS": str(e2e_settings.monitoring_wait_seconds),
        "NETPROV_COMMIT_CONFIRM_SECONDS": str(e2e_settings.commit_confirm_seconds),
    }
    cmd = [str(Path(sys.executable).parent / "netprov"), "web", "--port", str(OTHER_PORT)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    try:
        _wait_for(PORT)
        _wait_for(OTHER_PORT, proc)
        yield
    finally:
        proc.terminate()
        proc.wait(10)
        server.should_exit = True
        thread.join(10)
        app.close()


def signed_in(port: int) -> tuple[httpx.Client, str]:
    """A second staff session (its own cookies) on the app at ``port``; its CSRF token."""
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    login = client.get("/login").text
    data = {"username": "staff1", "password": PASSWORD, "csrf_token": csrf_of(login)}
    assert client.post("/login", data=data).status_code == 303
    return client, csrf_of(client.get("/tasks").text)


def press_at_once(page: Any, rid: str, other: httpx.Client, csrf: str) -> tuple[str, httpx.Response]:
    """The browser and the other session press provision together: the browser's page text
    after its press, the other's response."""
    barrier = threading.Barrier(2)
    out: dict[str, httpx.Response] = {}

    def other_press() -> None:
        barrier.wait()
        out["r"] = other.post(f"/requests/{rid}/provision-run", data={"csrf_token": csrf})

    thread = threading.Thread(target=other_press)
    thread.start()
    barrier.wait()
    with page.expect_navigation(timeout=60_000):
        page.locator("#act-provision-run button").click()
    thread.join(60)
    return str(page.locator("main").inner_text()), out["r"]


def pings(settings: Settings, target: str) -> bool:
    nr = build_nornir(settings)
    try:
        res = only(nr, ["core-dc1"]).run(
            task=lambda t: t.host.get_connection("napalm", t.nornir.config).ping(target, count=2)
        )
        ok = res["core-dc1"][0].result["success"]
        return bool(ok["probes_sent"] > ok["packet_loss"])
    finally:
        nr.close_connections()


def test_staff_provisions_from_the_browser_while_a_second_press_is_refused(
    served: None, e2e_settings: Settings, svc: RequestService, walk: Callable[[str], str], cleanup: list[str]
) -> None:
    from playwright.sync_api import expect, sync_playwright

    before = configs(e2e_settings, DEVICES)
    rid = walk("1-intranet-disdik.yaml")
    cleanup.append(rid)
    other, other_csrf = signed_in(OTHER_PORT)
    shots = os.environ.get("NETPROV_WEB_SCREENSHOTS")
    t0 = time.monotonic()
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
        for device in ("dist-batamkota1", "cpe-disdik-bk", "sw-disdik-bk"):  # every device of the link
            expect(page.locator(f"#diff-{device} .diff .add").first).to_be_visible()
        color = page.locator(".diff .add").first.evaluate("e => getComputedStyle(e).color")
        assert color == "rgb(23, 128, 61)"  # added lines green
        if shots:
            page.screenshot(path=str(Path(shots) / "web-diff.png"), full_page=True)
        assert svc.get(rid).state is State.FORM_COMPLETE  # the dry run changed nothing
        assert configs(e2e_settings, DEVICES) == before, "the dry run changed a router"

        page.goto(f"/requests/{rid}")
        browser_text, other_r = press_at_once(page, rid, other, other_csrf)
        refused = [REFUSAL in browser_text, other_r.status_code == 409 and REFUSAL in other_r.text]
        assert sorted(refused) == [False, True], (browser_text[:300], other_r.status_code, other_r.text[:300])
        assert other_r.status_code in (303, 409)
        page.goto(f"/requests/{rid}")  # whichever process runs it, this page follows the journal
        expect(page.locator("#run-state")).to_have_text("Koneksi dibuat", timeout=300_000)
        expect(page.locator("#progress:not([hx-trigger])")).to_have_count(1, timeout=30_000)
        journal = page.locator("#progress").inner_text()
        b.close()
    seconds = time.monotonic() - t0
    assert "verify" in journal and "monitor" in journal
    rec = svc.get(rid)
    assert rec.state is State.PROVISIONED and rec.allocation is not None
    assert [e.action for e in rec.events].count("provision") == 1  # one run, one step
    out = rec.events[-1].outputs
    assert all(c["ok"] for c in out["verification"]), out["verification"]
    assert pings(e2e_settings, str(rec.allocation.lan_gateway.ip)), "the core does not reach the LAN"
    page_html = other.get(f"/requests/{rid}").text  # the NetBox links, on the other process's page
    assert 'id="allocation"' in page_html and "/ipam/prefixes/?q=" in page_html

    # leave the lab as it was: the link undone, the routers at their starting config
    Provisioner(e2e_settings, svc, NetBoxIpam.from_settings(e2e_settings)).undo_finished_run(rid, "staff1")
    cleanup.remove(rid)
    assert_untouched(e2e_settings, rid, before)
    loser = "browser (this process)" if refused[0] else "second session (netprov web process)"
    print(f"web provisioning of {rid}: {seconds:.1f} s; refused: {loser}")
