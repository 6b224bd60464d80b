"""The lab's web part (what ``netprov demo`` ends with): ``netprov web`` as its own process over the
demo register, every lab user with a fresh password that signs in, stopped again by ``down``."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import httpx

from netprov.settings import load_settings
from netprov_lab import web as lab_web
from netprov_lab.monitoring_proc import alive


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sign_in(base: str, user: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=base, follow_redirects=False, timeout=10) as client:
        client.get("/login")
        token = client.cookies["netprov_login_csrf"]
        return client.post("/login", data={"username": user, "password": password, "csrf_token": token})


def test_the_demo_web_pages_come_up_with_lab_passwords_and_go_down(tmp_path: Path) -> None:
    lab = load_settings(lab_dir=tmp_path / "lab", lab_web_port=_free_port())
    said: list[str] = []
    try:
        status = lab_web.up(lab, said.append)
        assert status["running"] and status["url"] == lab_web.url(lab)
        passwords = lab_web.lab_passwords(lab)
        assert {"kadis", "kabid", "staff1"} <= set(passwords)
        pw_file = Path(status["passwords_file"])
        assert stat.S_IMODE(pw_file.stat().st_mode) == 0o600
        ok = _sign_in(status["url"], "kadis", passwords["kadis"])
        assert ok.status_code == 303 and ok.headers["location"] == "/tasks"
        wrong = _sign_in(status["url"], "kabid", passwords["kadis"])
        assert wrong.status_code == 401
        log = (tmp_path / "lab" / "web" / "web.log").read_text(encoding="utf-8")
        assert not any(pw in log or pw in " ".join(said) for pw in passwords.values())
        # a second `up` (the next demo wipes its register) restarts it with new passwords
        first_pid = status["pid"]
        again = lab_web.up(lab, said.append)
        assert again["running"] and again["pid"] != first_pid
        assert lab_web.lab_passwords(lab)["kadis"] != passwords["kadis"]
    finally:
        lab_web.down(lab, said.append)
    assert not lab_web.status(lab)["running"]
    assert alive(tmp_path / "lab" / "web" / "web.pid", "netprov web") is None
    assert not os.path.exists(tmp_path / "lab" / "state" / "web.json")
