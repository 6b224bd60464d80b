"""The lab's web part: ``netprov web`` over the demo's register, with lab-only passwords.

``netprov demo`` ends by starting it (``netprov lab up web`` does the same alone): every person
of the users file gets a fresh random web password in the demo register (argon2id hashes, as
``netprov user passwd`` sets them), the plain ones are written to ``<lab dir>/web/passwords.json``
(mode 0600, lab only: the demo prints them), and ``netprov web`` listens on 127.0.0.1 at
``lab_web_port`` (default 8080) as its own process, its pid file and log beside them. ``lab down``
stops it. A production install sets passwords with ``netprov user passwd`` instead.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import socket
import sys
import time
from pathlib import Path
from typing import Any

from netprov.errors import LabError
from netprov.progress import Progress
from netprov.settings import Settings, load_settings
from netprov_lab import clear_state, write_state
from netprov_lab.monitoring_proc import alive, start_background, stop_pidfile
from netprov_lab.proc import pid_alive

_MARKER = "netprov web"
_START_TIMEOUT_S = 60.0


def _dir(settings: Settings) -> Path:
    return settings.lab_dir / "web"


def demo_data_dir(settings: Settings) -> Path:
    """The demo's register and papers (``netprov_lab.demo.scenario.demo_settings``)."""
    return settings.lab_dir / "demo"


def url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.lab_web_port}"


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def set_lab_passwords(settings: Settings) -> dict[str, str]:
    """A new random password for every user, hashed into the demo register; ``{user: password}``."""
    from netprov.app import App
    from netprov.web.passwords import hash_password

    service = App(load_settings(data_dir=demo_data_dir(settings), lab_dir=settings.lab_dir)).service
    now = dt.datetime.now(dt.UTC)
    out: dict[str, str] = {}
    for user in sorted(service.users.all(), key=lambda u: u.username):
        password = secrets.token_urlsafe(12)
        service.store.set_password_hash(user.username, hash_password(password), now)
        out[user.username] = password
    path = _dir(settings) / "passwords.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(".passwords.json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2, sort_keys=True)
    tmp.replace(path)
    return out


def _netprov() -> str:
    here = Path(sys.executable).parent / "netprov"
    if not here.exists():
        raise LabError(f"the netprov command is missing beside {sys.executable}")
    return str(here)


def up(settings: Settings, progress: Progress) -> dict[str, Any]:
    """(Re)start ``netprov web`` over the demo register with new lab passwords."""
    down(settings, lambda msg: None)  # the demo wipes its register: never serve a stale one
    port = settings.lab_web_port
    if _answers(port):
        raise LabError(f"lab_web_port: 127.0.0.1:{port} is taken by another program")
    d = _dir(settings)
    d.mkdir(parents=True, exist_ok=True)
    passwords = set_lab_passwords(settings)
    env = dict(os.environ)
    env.update(
        NETPROV_DATA_DIR=str(demo_data_dir(settings)),
        NETPROV_LAB_DIR=str(settings.lab_dir),
        NETPROV_WEB_URL=url(settings),
    )
    env.pop("NETPROV_DATABASE_URL", None)
    argv = [_netprov(), "web", "--host", "127.0.0.1", "--port", str(port)]
    progress(f"starting netprov web on {url(settings)}")
    pid = start_background(argv, d / "web.pid", d / "web.log", env=env)
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not _answers(port):
        if not pid_alive(pid):
            raise LabError(f"netprov web did not start (see {d / 'web.log'})")
        if time.monotonic() > deadline:
            raise LabError(f"netprov web did not answer on port {port} within 60 s")
        time.sleep(0.3)
    write_state(settings.lab_dir, "web", {"url": url(settings), "passwords_file": str(d / "passwords.json")})
    progress(f"web pages at {url(settings)} for {len(passwords)} lab users")
    return status(settings)


def down(settings: Settings, progress: Progress) -> None:
    if stop_pidfile(_dir(settings) / "web.pid", _MARKER):
        progress("netprov web stopped")
    clear_state(settings.lab_dir, "web")


def status(settings: Settings) -> dict[str, Any]:
    pid = alive(_dir(settings) / "web.pid", _MARKER)
    return {
        "running": pid is not None and _answers(settings.lab_web_port),
        "pid": pid,
        "url": url(settings),
        "passwords_file": str(_dir(settings) / "passwords.json"),
    }


def lab_passwords(settings: Settings) -> dict[str, str]:
    """The passwords ``up`` wrote (empty when the web part never came up)."""
    try:
        data = json.loads((_dir(settings) / "passwords.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
