"""Signing in on the web: hashes, cookies, expiry, logout, lockout (shared by two processes), CSRF."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from netprov.cli.main import app as cli
from netprov.settings import Settings
from netprov.web.app import create_app
from netprov.web.auth import AuthPolicy
from tests.web import PASSWORD, Clock, csrf_of, sign_in, users_file, web_app


def client_for(settings: Settings, clock: Clock | None = None, **kw: object) -> tuple[TestClient, Clock]:
    clock = clock or Clock()
    app = web_app(settings, clock)
    base = "https://testserver" if kw.get("secure_cookie") else "http://testserver"
    return TestClient(create_app(app, **kw), base_url=base, follow_redirects=False), clock  # type: ignore[arg-type]


def login(client: TestClient, name: str, password: str) -> int:
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": name, "password": password, "csrf_token": token})
    return r.status_code


def test_login_sets_a_strict_cookie_and_logout_ends_the_session(settings: Settings) -> None:
    client, _ = client_for(settings, secure_cookie=True)
    assert client.get("/tasks").headers["location"] == "/login"
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": "kadis", "password": PASSWORD, "csrf_token": token})
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("netprov_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    session = cookie.split(";")[0].split("=", 1)[1]
    # the register holds only the token's hash and the password's
    raw = Path(settings.effective_database_url.removeprefix("sqlite:///")).read_bytes()
    assert session.encode() not in raw and PASSWORD.encode() not in raw
    client.cookies.set("netprov_session", session)
    page = client.get("/tasks")
    assert page.status_code == 200 and "Tugas saya" in page.text
    assert PASSWORD not in page.text and session not in page.text
    r = client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    client.cookies.set("netprov_session", session)  # the old cookie no longer works
    assert client.get("/tasks").status_code == 303


def test_wrong_password_and_unknown_user_look_the_same(settings: Settings) -> None:
    client, _ = client_for(settings)
    assert login(client, "kadis", "salah-sekali-123") == 401
    assert login(client, "nobody", PASSWORD) == 401
    r = client.get("/login")
    assert r.status_code == 200


def test_session_expires(settings: Settings) -> None:
    client, clock = client_for(settings, policy=AuthPolicy(session_minutes=30))
    sign_in(client, "kabid")
    assert client.get("/tasks").status_code == 200
    clock.now += dt.timedelta(minutes=31)
    assert client.get("/tasks").headers["location"] == "/login"


def test_lockout_is_shared_between_two_processes(settings: Settings) -> None:
    """Three wrong passwords in another process, two here: locked (even the right password)."""
    client, _ = client_for(settings)
    script = textwrap.dedent(
        f"""
        from netprov.domain.users import load_directory
        from netprov.settings import load_settings
        from netprov.store.db import Store
        from netprov.web.auth import Authenticator, AuthPolicy, LoginRefused
        from netprov.sop.ports import now_utc
        s = load_settings(data_dir={str(settings.data_dir)!r})
        users = load_directory({str(users_file(settings.data_dir))!r})
        auth = Authenticator(Store(s.effective_database_url), users, now_utc, AuthPolicy())
        for _ in range(3):
            try:
                auth.login("staff1", "bukan-sandinya-1")
            except LoginRefused as exc:
                print(exc)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["wrong"] * 3
    assert login(client, "staff1", "bukan-sandinya-2") == 401
    r_locked = client.post(
        "/login",
        data={
            "username": "staff1",
            "password": "bukan-sandinya-3",
            "csrf_token": csrf_of(client.get("/login").text),
        },
    )
    assert r_locked.status_code == 401 and "terkunci" in r_locked.text
    assert login(client, "staff1", PASSWORD) == 401  # locked: the right password does not open it
    assert login(client, "staff2", PASSWORD) == 303  # others are not affected


def test_csrf_missing_or_wrong_is_refused(settings: Settings) -> None:
    client, _ = client_for(settings)
    r = client.post("/login", data={"username": "kadis", "password": PASSWORD})
    assert r.status_code == 403
    csrf = sign_in(client, "kadis")
    for data in ({}, {"csrf_token": "x" * 43}, {"csrf_token": ""}):
        r = client.post("/logout", data=data)
        assert r.status_code == 403
        r = client.post("/requests/PJB-2026-0001/act/dispose", data={**data, "to": "kabid"})
        assert r.status_code == 403
    assert client.post("/logout", headers={"X-CSRF-Token": csrf}).status_code == 303


def test_user_passwd_reads_stdin_and_refuses_unknown_users(settings: Settings) -> None:
    users = users_file(settings.data_dir)
    env = {"NETPROV_DATA_DIR": str(settings.data_dir), "NETPROV_USERS_FILE": str(users)}
    runner = CliRunner()
    r = runner.invoke(cli, ["user", "passwd", "kasi"], input="sandi-baru-kasi-1\n", env=env)
    assert r.exit_code == 0, r.output
    assert "kasi: web password set" in r.output
    r = runner.invoke(cli, ["user", "passwd", "nobody"], input="sandi-baru-kasi-1\n", env=env)
    assert r.exit_code == 1
    r = runner.invoke(cli, ["user", "passwd", "kasi"], input="pendek\n", env=env)
    assert r.exit_code == 1
    from netprov.store.db import Store
    from netprov.web.passwords import verify_password

    account = Store(settings.effective_database_url).account("kasi")
    assert account is not None and verify_password(account.password_hash, "sandi-baru-kasi-1")
    assert "sandi-baru" not in account.password_hash
