"""Mail through the real CLI (one process per command) and a real SMTP server (aiosmtpd) the
test starts: each step's mail goes out right after the step, to whoever's turn it now is; the
department gets the Berita Acara or the signed reply letter, byte for byte the stored PDF."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.mail import SmtpSink, body, free_port, pdf_attachments

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
    )

    def _run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([NETPROV, *args], capture_output=True, text=True, env=env, timeout=120)
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    return _run


@pytest.fixture
def sink(port: int) -> Iterator[SmtpSink]:
    with SmtpSink(port) as s:
        yield s


def _to_step(run: Run, evidence: Path) -> str:
    rid = run("request", "submit", str(DATA / "letter-intranet.yaml")).stdout.strip()
    run("--as", "kadis", "request", "dispose", rid, "--to", "kabid")
    run("--as", "kabid", "request", "assign", rid, "--to", "staff1")
    return rid


def _who(sink: SmtpSink) -> list[tuple[str, str]]:
    return [(str(m["To"]), str(m["X-Netprov-Mail"]).split()[1]) for m in sink.mails()]


def test_the_whole_walk_mails_each_turn_and_the_berita_acara(run: Run, sink: SmtpSink, tmp_path: Path) -> None:
    evidence = tmp_path / "foto.jpg"
    evidence.write_bytes(b"\xff\xd8 foto perangkat")
    rid = _to_step(run, evidence)
    run("--as", "staff1", "request", "check", rid, "--manual", "--bandwidth-ok", "--ip-ok")
    run("--as", "staff1", "request", "accept", rid)
    run("--as", "staff1", "request", "form", rid, "--fill", str(DATA / "form.yaml"))
    run("--as", "staff1", "provision", rid, "--manual", "--evidence", str(evidence))
    run("--as", "staff1", "request", "report", rid)
    run("--as", "kabid", "request", "forward", rid)
    run("--as", "kadis", "request", "review", rid, "--approve")
    mails = sink.wait_for(6)
    assert _who(sink) == [
        ("kadis@diskominfo.batam.test", "turn"),  # step 2: dispose
        ("kabid@diskominfo.batam.test", "turn"),  # step 3: assign
        ("staff1@diskominfo.batam.test", "turn"),  # steps 4-8 (staff1 then acts on its own: no mail)
        ("kabid@diskominfo.batam.test", "turn"),  # step 9: forward
        ("kadis@diskominfo.batam.test", "turn"),  # step 10: review
        ("budi.santoso@disdik.batam.go.id", "done"),  # the department: done, Berita Acara attached
    ]
    first = body(mails[0])
    assert first.startswith("Yth. Drs. Hendra Saputra") and "Batas waktu:" in first
    assert f"http://netprov.diskominfo.batam.test/requests/{rid}" in first and "(English)" in first
    assert "langkah 9" in str(mails[3]["Subject"]) and "Kepala Bidang menerima laporan" in body(mails[3])

    shown = json.loads(run("request", "show", rid, "--json").stdout)
    ba = [d for d in shown["documents"] if d["kind"] == "berita-acara"][-1]
    attached = pdf_attachments(mails[-1])
    assert list(attached) == [f"{rid}-berita-acara-v1.pdf"]
    assert hashlib.sha256(attached[f"{rid}-berita-acara-v1.pdf"]).hexdigest() == ba["sha256_pdf"]

    trail = [t for t in shown["timeline"] if t["action"] == "mail"]
    assert [t["outputs"]["mail"]["kind"] for t in trail] == ["turn"] * 5 + ["done"]
    assert {t["actor"] for t in trail} == {"netprov:mail"}
    assert shown["state"] == "done"  # the mail events change no state
    audit = json.loads(run("audit", rid, "--json").stdout)[0]
    assert audit["complete"] is True
    assert {"record": "mails sent", "ok": True, "detail": "6 sent (done 1, turn 5)"} in audit["items"]
    dry = json.loads(run("notify", "--dry-run", "--json").stdout)
    assert dry["pending"] == [] and dry["reminders"] == []  # all sent; done: no reminders


def test_rejection_mails_the_kasi_the_kadis_and_the_department_the_signed_reply(
    run: Run, sink: SmtpSink, tmp_path: Path
) -> None:
    rid = _to_step(run, tmp_path / "unused")
    run("--as", "staff1", "request", "check", rid, "--manual", "--no-bandwidth", "--ip-ok")
    run("--as", "staff1", "request", "reject", rid, "--reason", "Bandwidth tidak tersedia")
    run("--as", "kadis", "request", "sign-reply", rid)
    mails = sink.wait_for(6)
    assert _who(sink)[3:] == [
        ("kadis@diskominfo.batam.test", "turn"),  # step 5: sign the reply letter (the draft attached)
        ("kasi@diskominfo.batam.test", "rejection-report"),
        ("budi.santoso@disdik.batam.go.id", "rejected"),
    ]
    assert list(pdf_attachments(mails[3])) == [f"{rid}-surat-balasan-v1.pdf"]  # the draft, to sign
    assert "Bandwidth tidak tersedia" in body(mails[4])
    shown = json.loads(run("request", "show", rid, "--json").stdout)
    signed = [d for d in shown["documents"] if d["kind"] == "surat-balasan"][-1]
    assert signed["version"] == 2
    reply = pdf_attachments(mails[5])[f"{rid}-surat-balasan-v2.pdf"]
    assert hashlib.sha256(reply).hexdigest() == signed["sha256_pdf"]
    assert "tidak dapat kami penuhi" in body(mails[5]) and "ditolak" in str(mails[5]["Subject"])
    assert json.loads(run("audit", rid, "--json").stdout)[0]["complete"] is True


def test_a_server_that_is_down_delays_mail_never_a_step(run: Run, port: int) -> None:
    rid = run("request", "submit", str(DATA / "letter-intranet.yaml")).stdout.strip()  # nothing listens
    out = run("--as", "kadis", "request", "dispose", rid, "--to", "kabid")
    assert "disposed" in out.stdout and "Traceback" not in out.stderr
    queued = json.loads(run("notify", "--dry-run", "--json").stdout)["pending"]
    assert [(m["to"], m["attempts"]) for m in queued] == [("kadis", 1), ("kabid", 1)]  # each tried once
    assert json.loads(run("request", "show", rid, "--json").stdout)["state"] == "disposed"
    res = run("notify", ok=False)  # still down: exit 1, one sentence per mail, nothing lost
    assert res.returncode in (0, 1) and "Traceback" not in res.stderr
    with SmtpSink(port) as sink:
        # the backoff (1 minute after a failed try) holds the mail until its next attempt is due
        assert "0 sent" in run("notify").stdout
        env_now = json.loads(run("notify", "--dry-run", "--json").stdout)
        assert env_now["pending"] == []
        assert sink.messages == []
