"""Mail through the real CLI (one process per command) and a real SMTP server (aiosmtpd) the
test starts (the whole walk's mails are proven through the service in test_mail.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.mail import SmtpSink, body, free_port

DATA = Path(__file__).parent.parent / "data"
NETPROV = str(Path(sys.executable).parent / "netprov")
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def run(tmp_path: Path, port: int) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPROV_")}
    env.update(
        NETPROV_DATA_DIR=str(tmp_path / "data"),
        NETPROV_LAB_DIR=str(tmp_path / "lab"),
        NETPROV_SMTP_HOST="127.0.0.1",
        NETPROV_SMTP_PORT=str(port),
        NETPROV_SMTP_STARTTLS="false",
        NETPROV_WEB_URL="http://netprov.diskominfo.batam.test",
        NETPROV_MAIL_RETRY_SECONDS="0",
    )

    def _run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([NETPROV, *args], capture_output=True, text=True, env=env, timeout=120)
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    return _run


def test_cli_steps_land_with_the_server_down_and_notify_sends_once_it_is_up(run: Run, port: int) -> None:
    """Through the CLI (one process per command): a step lands while nothing listens, its
    mail waits; ``notify --dry-run`` lists it and writes nothing; ``notify`` sends it once the
    server is up; a step with the server up sends its mail at once (no ``notify`` needed)."""
    rid = run("request", "submit", str(DATA / "letter-intranet.yaml")).stdout.strip()  # nothing listens
    dry = json.loads(run("notify", "--dry-run", "--json").stdout)
    # tried once, right after the step; due again at once here (NETPROV_MAIL_RETRY_SECONDS=0)
    assert [(m["to"], m["attempts"]) for m in dry["pending"]] == [("kadis", 1)]
    assert "cannot connect" in dry["pending"][0]["error"] and dry["waiting"] == []
    with SmtpSink(port) as sink:
        out = run("notify").stdout
        assert "1 sent, 0 not sent" in out
        assert str(sink.wait_for(1)[0]["To"]) == "kadis@diskominfo.batam.test"
        out = run("--as", "kadis", "request", "dispose", rid, "--to", "kabid").stdout
        assert "disposed" in out
        mails = sink.wait_for(2)  # sent right after the step
        assert str(mails[1]["To"]) == "kabid@diskominfo.batam.test"
        assert f"http://netprov.diskominfo.batam.test/requests/{rid}" in body(mails[1])
    audit = json.loads(run("audit", rid, "--json").stdout)[0]
    assert {"record": "mails sent", "ok": True, "detail": "2 sent (turn 2)"} in audit["items"]


def test_notify_without_a_server_setting_is_one_sentence(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPROV_")}
    env["NETPROV_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.run([NETPROV, "notify"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1 and "NETPROV_SMTP_HOST" in proc.stderr and "Traceback" not in proc.stderr
