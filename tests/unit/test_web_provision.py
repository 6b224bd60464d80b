"""Step 7 from the web without the lab: the diff's colours, and a press of the provision
button while another run holds the request's lock (another process, or a second press) gets
the service's refusal sentence and changes nothing."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from netprov.domain.sop import State
from netprov.settings import Settings
from netprov.web.app import create_app
from netprov.web.provisioning import diff_lines
from tests.web import sign_in, walk_to, web_app


def test_diff_lines_colour_frr_sections_unified_diffs_and_pushed_configs() -> None:
    frr = "Lines To Delete\n===\nip route 1.0.0.0/8 x\nLines To Add\n===\n ip ospf passive\n"
    assert diff_lines(frr) == [
        ("hdr", "Lines To Delete"),
        ("hdr", "==="),
        ("del", "ip route 1.0.0.0/8 x"),
        ("hdr", "Lines To Add"),
        ("hdr", "==="),
        ("add", " ip ospf passive"),
    ]
    unified = "--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new\n same"
    assert [c for c, _ in diff_lines(unified)] == ["hdr", "hdr", "hdr", "del", "add", ""]
    pushed = "interface Fa0/1\n no shutdown\nvlan 100\n\n"
    assert [c for c, _ in diff_lines(pushed)] == ["add", "del", "add", ""]


def test_a_press_while_another_run_holds_the_lock_gets_the_refusal(
    settings: Settings, tmp_path: Path
) -> None:
    evidence = tmp_path / "bukti.pdf"
    evidence.write_bytes(b"%PDF-1.4\n")
    netbox = {"netbox_url": "http://127.0.0.1:9", "netbox_token": SecretStr("t")}  # never reached
    settings = settings.model_copy(update=netbox)
    app = web_app(settings)
    svc = app.service
    rid = walk_to(svc, State.FORM_COMPLETE, evidence)
    events = len(svc.get(rid).events)
    token = svc.store.acquire_lock(rid, "staff1@other-host:4242")  # another process's run
    client = TestClient(create_app(app), follow_redirects=False)
    csrf = sign_in(client, "staff1")
    r = client.post(f"/requests/{rid}/provision-run", data={"csrf_token": csrf})
    assert r.status_code == 409, r.text
    assert f"{rid} is being provisioned by staff1@other-host:4242 since" in r.text
    assert svc.get(rid).state is State.FORM_COMPLETE and len(svc.get(rid).events) == events
    held = svc.store.lock_holder(rid)
    assert held is not None and held[0] == "staff1@other-host:4242"  # the other run's lock is kept
    assert "hx-trigger" in client.get(f"/requests/{rid}/progress").text  # the other's run is followed
    svc.store.release_lock(rid, token)
    assert "hx-trigger" not in client.get(f"/requests/{rid}/progress").text  # no run any more
