"""A kabid reassigns from the web: the service's call (one trail event, the new assignee's
mail through the outbox), CSRF required, and two kabids pressing at once: one hand-over lands,
the other gets the service's refusal sentence."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from netprov.domain.sop import State
from netprov.settings import Settings
from netprov.web.app import create_app
from tests.web import sign_in, walk_to, web_app


def test_reassign_needs_csrf_records_one_event_and_mails_the_new_staff(
    settings: Settings, tmp_path: Path
) -> None:
    evidence = tmp_path / "bukti.pdf"
    evidence.write_bytes(b"%PDF-1.4\n")
    app = web_app(settings)
    svc = app.service
    rid = walk_to(svc, State.CHECKED, evidence)
    web = create_app(app)
    client = TestClient(web, follow_redirects=False)
    csrf = sign_in(client, "kabid")
    page = client.get(f"/requests/{rid}").text
    form = page.split('id="act-reassign"')[1].split("</form>")[0]
    assert 'value="staff2"' in form and 'value="staff1"' not in form  # not to whom it already is
    events = len(svc.get(rid).events)
    for token in ("", "wrong"):
        r = client.post(f"/requests/{rid}/act/reassign", data={"csrf_token": token, "to": "staff2"})
        assert r.status_code == 403 and len(svc.get(rid).events) == events

    other = TestClient(web, follow_redirects=False)  # a second kabid session, pressing at once
    other_csrf = sign_in(other, "kabid")
    barrier = threading.Barrier(2)
    answers: list[Any] = []

    def press(c: TestClient, token: str) -> None:
        barrier.wait()
        answers.append(c.post(f"/requests/{rid}/act/reassign", data={"csrf_token": token, "to": "staff2"}))

    threads = [threading.Thread(target=press, args=a) for a in ((client, csrf), (other, other_csrf))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.status_code for r in answers) == [303, 409]
    refused = next(r for r in answers if r.status_code == 409).text
    assert "staff2 is already the assigned staff" in refused or "changed meanwhile" in refused
    rec = svc.get(rid)
    hand_overs = [e for e in rec.events if e.action == "reassign"]
    assert len(hand_overs) == 1 and hand_overs[0].outputs == {"assigned_to": "staff2", "previous": "staff1"}
    assert rec.state is State.CHECKED and rec.assigned_to == "staff2"
    mails = [m for m in svc.store.outbox() if m.request_id == rid and m.event_seq == hand_overs[0].seq]
    assert [(m.recipient, m.kind) for m in mails] == [("staff2", "turn")]
    assert f"/requests/{rid}" in mails[0].body
