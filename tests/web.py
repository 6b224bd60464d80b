"""Shared by the web tests: a register with the lab team plus a department, web passwords at
a cheap argon2 cost, signing in through the login form, requests walked to any state."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml
from argon2 import PasswordHasher

from netprov.app import App
from netprov.domain.resources import Feasibility, Finding
from netprov.domain.sop import State
from netprov.domain.users import DEFAULT_USERS, load_directory
from netprov.settings import Settings
from netprov.sop.ports import Papers
from netprov.sop.service import NoPapers, RequestService
from netprov.store.db import Store
from tests.form_file import FORM_YAML
from tests.letters import distinct_letter

WIB = dt.timezone(dt.timedelta(hours=7))
CHEAP = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
PASSWORD = "rahasia-lab-123"
OPD_USER = {"role": "opd", "name": "Kepala Dinas Pendidikan", "opd": "Dinas Pendidikan"}
PEOPLE = ["kadis", "kabid", "kasi", "staff1", "staff2", "disdik"]
FORM = yaml.safe_load(FORM_YAML.read_text(encoding="utf-8"))


class Clock:
    """Now, moved by tests (starts on a Tuesday morning)."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 24, 9, 0, tzinfo=WIB)

    def __call__(self) -> dt.datetime:
        return self.now


def users_file(folder: Path) -> Path:
    path = folder / "users.yaml"
    path.write_text(yaml.safe_dump({"users": {**DEFAULT_USERS, "disdik": OPD_USER}}), encoding="utf-8")
    return path


def web_app(settings: Settings, clock: Any = None, papers: Papers | None = None) -> App:
    """An App over a fresh register in ``settings.data_dir`` with every person's password set."""
    users = load_directory(users_file(settings.data_dir))
    settings = settings.model_copy(update={"users_file": settings.data_dir / "users.yaml"})
    store = Store(settings.effective_database_url)
    service = RequestService(store, users, settings, papers or NoPapers(), clock or Clock())
    for name in PEOPLE:
        store.set_password_hash(name, CHEAP.hash(PASSWORD), service.clock())
    return App(settings, service=service)


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def sign_in(client: Any, name: str, password: str = PASSWORD) -> str:
    """Sign in through the login form; the session's CSRF token."""
    page = client.get("/login")
    data = {"username": name, "password": password, "csrf_token": csrf_of(page.text)}
    r = client.post("/login", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/tasks").text)


def feasible() -> Feasibility:
    return Feasibility(
        feasible=True,
        service="intranet",
        hosts=20,
        bandwidth_mbps=50,
        prefix_length=27,
        findings=[Finding(check="bandwidth", ok=True, detail="headroom")],
        source="manual",
    )


def form_for(rid: str) -> Any:
    from netprov.domain.letters import parse_form

    return parse_form({**FORM, "request": rid})


def walk_to(svc: RequestService, state: State, evidence: Path) -> str:
    """A new request in ``state`` (through the service, as the CLI would)."""
    rid = svc.submit(distinct_letter(), "disdik").id
    steps: list[tuple[State, Any]] = [
        (State.DISPOSED, lambda: svc.dispose(rid, "kadis", "kabid")),
        (State.ASSIGNED, lambda: svc.assign(rid, "kabid", "staff1")),
        (State.CHECKED, lambda: svc.check(rid, "staff1", feasible())),
        (State.FORM_REQUESTED, lambda: svc.accept(rid, "staff1")),
        (State.FORM_COMPLETE, lambda: svc.fill_form(rid, "staff1", form_for(rid))),
        (State.PROVISIONED, lambda: svc.provision_manual(rid, "staff1", evidence)),
        (State.REPORTED, lambda: svc.report(rid, "staff1")),
        (State.FORWARDED, lambda: svc.forward(rid, "kabid")),
        (State.DONE, lambda: svc.review(rid, "kadis", True)),
    ]
    if state is State.RECEIVED:
        return rid
    if state in (State.REJECTED, State.CLOSED):
        for _, step in steps[:3]:
            step()
        svc.reject(rid, "staff1", "bandwidth tidak tersedia")
        if state is State.CLOSED:
            svc.sign_reply(rid, "kadis")
        return rid
    for target, step in steps:
        step()
        if target is state:
            return rid
    raise AssertionError(f"cannot walk to {state}")
