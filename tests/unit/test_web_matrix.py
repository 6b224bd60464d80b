"""Every step action x role x state through HTTP: refused exactly as the service refuses the CLI.

The expected answer of each cell is the service's own guard (``netprov.sop.guards.guard``;
``reassign_guard`` for a kabid handing the staff's steps to other staff),
not a copy of the rules: a refused cell must answer with that sentence (403 for who may not
act, 409 for a request in the wrong state) and leave the request as it was; an allowed cell
must do the step (on a fresh request in that state) and move it to the step's target.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from netprov.domain.assignment import REASSIGNABLE
from netprov.domain.sop import TRANSITIONS, Action, State
from netprov.errors import PermissionDenied, WorkflowError
from netprov.settings import Settings
from netprov.sop.guards import guard, reassign_guard
from netprov.sop.service import RequestService
from netprov.web.app import create_app
from netprov.web.views import STEP_ACTIONS
from tests.web import FORM, PEOPLE, sign_in, walk_to, web_app

STATES = [s for s in State if s not in (State.REVIEWED, State.REPLY_SIGNED)]  # passed through at once
AFTER = {Action.SIGN_REPLY: State.CLOSED, Action.REVIEW: State.DONE}


def payload(name: str, rid: str, csrf: str) -> dict[str, Any]:
    data: dict[str, Any] = {"csrf_token": csrf, "note": "catatan uji", "reason": "bandwidth habis"}
    data |= {"spec_ok": "1", "purpose_ok": "1", "bandwidth_ok": "1", "ip_ok": "1"}
    data["to"] = {"dispose": "kabid", "assign": "staff1", "reassign": "staff2"}.get(name, "")
    for group, values in FORM.items():
        if isinstance(values, dict):
            data |= {f"{group}.{k}": str(v) for k, v in values.items()}
    return data


def post(client: TestClient, name: str, rid: str, csrf: str, evidence: Path) -> Any:
    files = (
        {"evidence": ("bukti.pdf", evidence.read_bytes(), "application/pdf")} if name == "provision" else None
    )
    return client.post(f"/requests/{rid}/act/{name}", data=payload(name, rid, csrf), files=files)


def shown_error(html: str) -> str:
    m = re.search(r'<p class="error" id="error">(.*?)</p>', html, re.S)
    assert m, html[:500]
    return unescape(m.group(1))


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    path = tmp_path / "bukti.pdf"
    path.write_bytes(b"%PDF-1.4\n% evidence\n")
    return path


def test_every_action_role_state(settings: Settings, evidence: Path) -> None:
    app = web_app(settings)
    svc = app.service
    web = create_app(app)
    clients = {name: TestClient(web, follow_redirects=False) for name in PEOPLE}
    tokens = {name: sign_in(client, name) for name, client in clients.items()}
    base = {state: walk_to(svc, state, evidence) for state in STATES}
    refused = allowed = 0
    for state, rid in base.items():
        for name, action in STEP_ACTIONS.items():
            for person in PEOPLE:
                record, user = svc.get(rid), svc.users.get(person)
                try:
                    guard(action, record, user)
                except (PermissionDenied, WorkflowError) as exc:
                    r = post(clients[person], name, rid, tokens[person], evidence)
                    want = 403 if isinstance(exc, PermissionDenied) else 409
                    assert (r.status_code, shown_error(r.text)) == (want, str(exc)), (name, person, state)
                    assert len(svc.get(rid).events) == len(record.events)  # nothing recorded
                    refused += 1
                    continue
                fresh = walk_to(svc, state, evidence)
                r = post(clients[person], name, fresh, tokens[person], evidence)
                assert r.status_code == 303, (name, person, state, r.text[:400])
                assert svc.get(fresh).state is AFTER.get(action, TRANSITIONS[action].target)
                allowed += 1
    assert allowed == 14  # the SOP's steps, each by its one role (steps 4-8: the assigned staff)
    assert refused == len(STATES) * len(STEP_ACTIONS) * len(PEOPLE) - allowed
    n = len(REASSIGNABLE)  # a kabid, while the staff work
    assert reassign_cells(svc, clients, tokens, base, evidence) == (n, len(STATES) * len(PEOPLE) - n)


def reassign_cells(
    svc: RequestService,
    clients: dict[str, TestClient],
    tokens: dict[str, str],
    base: dict[State, str],
    evidence: Path,
) -> tuple[int, int]:
    """Reassign to staff2 as every person in every state: the button shown and the POST
    allowed exactly when the service's guard allows it; the new assignee gets the mail."""
    allowed = refused = 0
    for state, rid in base.items():
        for person in PEOPLE:
            record, user = svc.get(rid), svc.users.get(person)
            page = clients[person].get(f"/requests/{rid}").text
            try:
                reassign_guard(record, user, svc.users.get("staff2"))
            except (PermissionDenied, WorkflowError) as exc:
                assert 'id="act-reassign"' not in page, (person, state)
                r = post(clients[person], "reassign", rid, tokens[person], evidence)
                want = 403 if isinstance(exc, PermissionDenied) else 409
                assert (r.status_code, shown_error(r.text)) == (want, str(exc)), (person, state)
                assert len(svc.get(rid).events) == len(record.events)
                refused += 1
                continue
            assert 'id="act-reassign"' in page, (person, state)
            fresh = walk_to(svc, state, evidence)
            assert post(clients[person], "reassign", fresh, tokens[person], evidence).status_code == 303
            rec = svc.get(fresh)
            assert (rec.state, rec.assigned_to, rec.events[-1].action) == (state, "staff2", "reassign")
            assert [m.recipient for m in svc.store.outbox() if m.request_id == fresh][-1] == "staff2"
            allowed += 1
    return allowed, refused


CLI_CELLS = [
    ("kasi", "dispose", State.RECEIVED, ["dispose", "--to", "kabid"]),  # wrong role
    ("kadis", "forward", State.RECEIVED, ["forward"]),  # wrong role, wrong state
    ("staff2", "check", State.ASSIGNED, ["check", "--manual", "--bandwidth-ok", "--ip-ok"]),  # not assigned
    ("kadis", "review", State.REPORTED, ["review", "--approve"]),  # wrong state
    ("staff1", "reassign", State.CHECKED, ["reassign", "--to", "staff2"]),  # only a kabid
    ("kabid", "reassign", State.REPORTED, ["reassign", "--to", "staff2"]),  # the staff's work is over
]


def test_the_cli_refuses_with_the_same_sentence(settings: Settings, evidence: Path) -> None:
    """A few cells through the real ``netprov`` command on the same register: one sentence."""
    import os
    import subprocess
    import sys

    app = web_app(settings)
    client_env = {
        **os.environ,
        "NETPROV_DATA_DIR": str(settings.data_dir),
        "NETPROV_USERS_FILE": str(settings.data_dir / "users.yaml"),
        "COLUMNS": "1000",
    }
    web = create_app(app)
    netprov = str(Path(sys.executable).parent / "netprov")
    for person, name, state, args in CLI_CELLS:
        rid = walk_to(app.service, state, evidence)
        client = TestClient(web, follow_redirects=False)
        shown = shown_error(post(client, name, rid, sign_in(client, person), evidence).text)
        cli = subprocess.run(
            [netprov, "--as", person, "request", args[0], rid, *args[1:]],
            env=client_env,
            capture_output=True,
            text=True,
        )
        assert cli.returncode == 1
        assert cli.stderr.strip() == f"error: {shown}", (person, name)
