"""Mail through the SOP service and a real SMTP server (aiosmtpd) the tests start: who gets
which mail when a step lands, reminders once per step, a server that is down, STARTTLS with
login, and that a step that fails queues nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from netprov.audit import audit_record
from netprov.documents.papers import RegisterPapers
from netprov.domain.letters import load_form
from netprov.domain.resources import Candidate
from netprov.domain.users import load_directory
from netprov.errors import ConcurrencyError, WorkflowError
from netprov.mail.notify import notify, send_after_step
from netprov.settings import Settings
from netprov.sop.service import NoPapers, RequestService
from netprov.store.db import Store, verify_chain
from tests.form_file import FORM_YAML
from tests.letters import distinct_letter
from tests.mail import SmtpSink, body, free_port, pdf_attachments
from tests.papers import intranet_feasibility

DATA = Path(__file__).parent.parent / "data"
WIB = dt.timezone(dt.timedelta(hours=7))
OPD = "budi.santoso@disdik.batam.go.id"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 24, 9, 0, tzinfo=WIB)  # a Tuesday

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def mail_settings(settings: Settings, port: int) -> Settings:
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False})


@pytest.fixture
def clock() -> Clock:
    return Clock()


def service(
    settings: Settings, clock: Clock, papers: bool = False, send_at_once: bool = True
) -> RequestService:
    users = load_directory(None)
    made = RegisterPapers(settings, users, clock) if papers else NoPapers()
    svc = RequestService(Store(settings.effective_database_url), users, settings, made, clock)
    if send_at_once:  # what the CLI does (App): the step's mail right after it, best effort
        svc.after_step = partial(send_after_step, svc)
    return svc


@pytest.fixture
def sink(port: int) -> Iterator[SmtpSink]:
    with SmtpSink(port) as s:
        yield s


def who(sink: SmtpSink) -> list[tuple[str, str]]:
    return [(str(m["To"]), str(m["X-Netprov-Mail"]).split()[1]) for m in sink.mails()]


def walked_to_check(svc: RequestService, clock: Clock, ok: bool) -> str:
    rid = svc.submit(distinct_letter()).id
    for act in (lambda: svc.dispose(rid, "kadis", "kabid"), lambda: svc.assign(rid, "kabid", "staff1")):
        clock.advance(minutes=30)
        act()
    clock.advance(minutes=30)
    cand = Candidate(lan_prefix="10.100.0.0/27") if ok else None
    svc.check(rid, "staff1", intranet_feasibility(ok, "prefix", "bandwidth", cand))
    return rid


def test_the_whole_walk_mails_each_turn_and_the_department_the_berita_acara(
    mail_settings: Settings, clock: Clock, sink: SmtpSink, tmp_path: Path
) -> None:
    svc = service(mail_settings, clock, papers=True)
    rid = walked_to_check(svc, clock, ok=True)
    evidence = tmp_path / "foto.jpg"
    evidence.write_bytes(b"\xff\xd8 foto perangkat")
    steps = [
        lambda: svc.accept(rid, "staff1"),
        lambda: svc.fill_form(rid, "staff1", load_form(FORM_YAML)),
        lambda: svc.provision_manual(rid, "staff1", evidence),
        lambda: svc.report(rid, "staff1"),
        lambda: svc.forward(rid, "kabid"),
        lambda: svc.review(rid, "kadis", approve=True),
    ]
    for step in steps:
        clock.advance(minutes=30)
        step()
    mails = sink.wait_for(7)
    assert who(sink) == [
        ("kadis@diskominfo.batam.test", "turn"),  # step 2: dispose
        ("kabid@diskominfo.batam.test", "turn"),  # step 3: assign (to the kabid it was disposed to)
        ("staff1@diskominfo.batam.test", "turn"),  # steps 4-8: staff1 then acts itself, no mail
        (OPD, "form"),  # step 6: the department gets the completeness form to fill in
        ("kabid@diskominfo.batam.test", "turn"),  # step 9: forward
        ("kadis@diskominfo.batam.test", "turn"),  # step 10: review
        (OPD, "done"),  # the department (the letter's contact): done, Berita Acara attached
    ]
    first = body(mails[0])
    assert first.startswith("Yth. Drs. Hendra Saputra") and "(English)" in first
    assert "Batas waktu: Rabu, 25 November 2026 09.00 WIB" in first  # one working day
    assert f"http://127.0.0.1:8080/requests/{rid}" in first
    assert "langkah 9" in str(mails[4]["Subject"]) and "Kepala Bidang menerima laporan" in body(mails[4])

    rec = svc.get(rid)
    ba = [d for d in rec.documents if d["kind"] == "berita-acara"][-1]
    attached = pdf_attachments(mails[-1])
    assert list(attached) == [f"{rid}-berita-acara-v1.pdf"]
    assert hashlib.sha256(attached[f"{rid}-berita-acara-v1.pdf"]).hexdigest() == ba["sha256_pdf"]
    assert "telah selesai" in body(mails[-1])
    form = [d for d in rec.documents if d["kind"] == "formulir-kelengkapan"][-1]
    attached = pdf_attachments(mails[3])
    assert list(attached) == [f"{rid}-formulir-kelengkapan-v1.pdf"]
    assert hashlib.sha256(attached[f"{rid}-formulir-kelengkapan-v1.pdf"]).hexdigest() == form["sha256_pdf"]
    assert f"atau isi langsung di: http://127.0.0.1:8080/requests/{rid}" in body(mails[3])

    trail = [e for e in rec.events if e.action == "mail"]
    assert [e.outputs["mail"]["kind"] for e in trail] == ["turn"] * 3 + ["form", "turn", "turn", "done"]
    assert {(e.actor, e.role) for e in trail} == {("netprov:mail", "system")}
    assert rec.state.value == "done" and not verify_chain(rec.request, rec.events)
    report = audit_record(rec, None, None)
    assert report.ok, report.missing
    assert [i.detail for i in report.items if i.record == "mails sent"] == ["7 sent (done 1, form 1, turn 5)"]
    assert svc.store.outbox(status="queued") == []
    assert notify(svc).sent == []  # nothing twice


def test_a_rejection_mails_the_kasi_the_kadis_and_the_department_the_signed_reply(
    mail_settings: Settings, clock: Clock, sink: SmtpSink
) -> None:
    svc = service(mail_settings, clock, papers=True)
    rid = walked_to_check(svc, clock, ok=False)
    clock.advance(minutes=30)
    svc.reject(rid, "staff1", "Bandwidth tidak tersedia")
    clock.advance(minutes=30)
    svc.sign_reply(rid, "kadis")
    mails = sink.wait_for(6)
    assert who(sink)[3:] == [
        ("kadis@diskominfo.batam.test", "turn"),  # step 5: sign the reply letter, the draft attached
        ("kasi@diskominfo.batam.test", "rejection-report"),
        (OPD, "rejected"),
    ]
    assert list(pdf_attachments(mails[3])) == [f"{rid}-surat-balasan-v1.pdf"]
    assert "Bandwidth tidak tersedia" in body(mails[4])
    rec = svc.get(rid)
    signed = [d for d in rec.documents if d["kind"] == "surat-balasan"][-1]
    assert signed["version"] == 2
    reply = pdf_attachments(mails[5])[f"{rid}-surat-balasan-v2.pdf"]
    assert hashlib.sha256(reply).hexdigest() == signed["sha256_pdf"]
    assert "tidak dapat kami penuhi" in body(mails[5]) and "ditolak" in str(mails[5]["Subject"])
    assert audit_record(rec, None, None).ok


def test_a_server_that_is_down_delays_mail_never_a_step(
    mail_settings: Settings, clock: Clock, port: int
) -> None:
    svc = service(mail_settings, clock)  # nothing listens on the port
    rid = svc.submit(distinct_letter()).id
    assert svc.dispose(rid, "kadis", "kabid").state.value == "disposed"  # the step lands
    queued = svc.store.outbox(status="queued")
    assert [(m.recipient, m.attempts) for m in queued] == [("kadis", 1), ("kabid", 1)]
    assert "cannot connect" in queued[0].last_error
    assert notify(svc).failed == []  # the retry is not due yet (1 minute)
    clock.advance(seconds=61)
    res = notify(svc)
    assert [m["to"] for m in res.failed] == ["kadis"]  # tried again, then the rest waits
    assert svc.store.outbox(status="queued")[0].next_attempt_at == clock.now + dt.timedelta(minutes=2)
    with SmtpSink(port) as sink:
        clock.advance(minutes=2, seconds=1)
        sent = notify(svc).sent
        assert [m["to"] for m in sent] == ["kadis", "kabid"]
        assert [str(m["To"]) for m in sink.wait_for(2)] == [
            "kadis@diskominfo.batam.test",
            "kabid@diskominfo.batam.test",
        ]
        assert notify(svc).sent == []
    rec = svc.get(rid)
    assert [e.action for e in rec.events] == ["submit", "dispose", "mail", "mail"]
    assert rec.state.value == "disposed"


def test_reminders_go_once_per_step_near_and_past_the_deadline(
    mail_settings: Settings, clock: Clock, sink: SmtpSink
) -> None:
    svc = service(mail_settings, clock, send_at_once=False)
    rid = svc.submit(distinct_letter()).id  # Tuesday 09:00: step 2 due Wednesday 09:00
    clock.advance(hours=21, minutes=30)  # Wednesday 06:30: 2.5 working hours left
    assert notify(svc, dry_run=True).reminders == []
    clock.advance(hours=1)  # 07:30: within two working hours
    before = (svc.store.outbox(), svc.store.events(rid))
    dry = notify(svc, dry_run=True)
    assert [(m["kind"], m["to"]) for m in dry.reminders] == [("due-soon", "kadis")]
    assert [m["kind"] for m in dry.pending] == ["turn"]
    assert (svc.store.outbox(), svc.store.events(rid)) == before and sink.messages == []  # wrote nothing
    assert [m["kind"] for m in notify(svc).sent] == ["turn", "due-soon"]
    assert notify(svc).sent == [] and notify(svc).reminders == []  # once per step
    clock.advance(hours=2)  # 09:30: past the deadline
    assert [m["kind"] for m in notify(svc).sent] == ["overdue"]
    clock.advance(days=1)
    assert notify(svc).sent == []
    mails = sink.wait_for(3)
    assert "pengingat" in str(mails[1]["Subject"]) and "terlambat" in str(mails[2]["Subject"])
    assert "TERLAMBAT" in body(mails[2])
    svc.dispose(rid, "kadis", "kabid")  # Thursday 09:30: the next step has its own reminders
    clock.advance(days=1, minutes=1)  # a run only after the deadline sends the overdue one alone
    res = notify(svc)
    assert [(m["kind"], m["to"]) for m in res.sent] == [("turn", "kabid"), ("overdue", "kabid")]


def test_a_step_that_fails_queues_no_mail(mail_settings: Settings, clock: Clock) -> None:
    svc = service(mail_settings, clock, send_at_once=False)
    rid = svc.submit(distinct_letter()).id
    with pytest.raises(WorkflowError):
        svc.dispose(rid, "kabid", "kabid")  # the wrong role
    rec = svc.get(rid)
    stale = svc._event(rec, "dispose", svc.users.get("kadis"), "", {"disposed_to": "kabid"})
    svc.dispose(rid, "kadis", "kabid")
    with pytest.raises(ConcurrencyError):
        svc._append(stale)  # someone else's step landed first: the event and its mail roll back
    assert [m.recipient for m in svc.store.outbox()] == ["kadis", "kabid"]


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    crt, pem = folder / "smtp.crt", folder / "smtp.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return crt, pem


def test_starttls_and_login_with_the_password_from_a_file(
    mail_settings: Settings, clock: Clock, port: int, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import ssl

    crt, pem = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(crt, pem)
    secret = tmp_path / "smtp-password"  # outside the repository
    secret.write_text("s3cret-Passw0rd\n")
    tls = mail_settings.model_copy(
        update={
            "smtp_host": "localhost",
            "smtp_starttls": True,
            "smtp_ca_file": crt,
            "smtp_username": "netprov",
        }
    )
    good = Settings.model_validate({**tls.model_dump(), "smtp_password": None, "smtp_password_file": secret})
    assert good.smtp_password is not None and good.smtp_password.get_secret_value() == "s3cret-Passw0rd"
    bad = tls.model_copy(update={"smtp_password": type(good.smtp_password)("wrong-Passw0rd")})
    caplog.set_level(logging.DEBUG)
    with SmtpSink(port, tls_context=server_tls, logins={"netprov": "s3cret-Passw0rd"}) as sink:
        rid = service(bad, clock, send_at_once=False).submit(distinct_letter()).id
        res = notify(service(bad, clock, send_at_once=False))
        assert len(res.failed) == 1 and "SMTPAuthenticationError" in res.failed[0]["error"]
        assert "wrong-Passw0rd" not in res.failed[0]["error"]
        clock.advance(minutes=2)
        sent = notify(service(good, clock, send_at_once=False)).sent
        assert [m["to"] for m in sent] == ["kadis"] and sink.logins_seen == ["netprov"]
        assert str(sink.wait_for(1)[0]["To"]) == "kadis@diskominfo.batam.test"
    svc = service(good, clock)
    stored = repr(svc.store.outbox()) + repr(svc.store.events(rid)) + caplog.text
    assert "s3cret" not in stored and "wrong-Passw0rd" not in stored
    assert "s3cret" not in repr(good) and "s3cret" not in good.model_dump_json()


def test_a_mail_recorded_meanwhile_never_fails_a_step(
    mail_settings: Settings, clock: Clock, sink: SmtpSink
) -> None:
    """``notify`` in another process appends a ``mail`` event between a step's read and its
    write: the step takes the next number (a mail changes nothing the step decided on)."""
    svc = service(mail_settings, clock, send_at_once=False)
    rid = svc.submit(distinct_letter()).id
    rec = svc.get(rid)
    step = svc._event(rec, "dispose", svc.users.get("kadis"), "", {"disposed_to": "kabid"})
    assert [m["to"] for m in notify(svc).sent] == ["kadis"]  # the mail event takes number 2
    svc._append(step)
    rec = svc.get(rid)
    assert [(e.seq, e.action) for e in rec.events] == [(1, "submit"), (2, "mail"), (3, "dispose")]
    assert rec.state.value == "disposed" and not verify_chain(rec.request, rec.events)
    assert [m.dedup_key.split(":")[1] for m in svc.store.outbox(status="queued")] == ["3"]
    svc.assign(rid, "kabid", "staff1")
    stale = svc._event(svc.get(rid), "check", svc.users.get("staff1"), "", {})
    svc.reassign(rid, "kabid", "staff2")  # a real change meanwhile still refuses the stale step
    with pytest.raises(ConcurrencyError):
        svc._append(stale)


def test_a_paper_changed_since_it_was_recorded_is_not_sent(
    mail_settings: Settings, clock: Clock, sink: SmtpSink, tmp_path: Path
) -> None:
    from netprov.store.outbox import MailDraft

    settings = mail_settings.model_copy(update={"mail_max_attempts": 2, "mail_retry_seconds": 0})
    svc = service(settings, clock, send_at_once=False)
    rid = svc.submit(distinct_letter()).id
    paper = tmp_path / "berita-acara-v1.pdf"
    paper.write_bytes(b"%PDF-1.7 the recorded paper")
    att = {
        "filename": "ba.pdf",
        "path": str(paper),
        "name": "x/ba.pdf",
        "sha256": hashlib.sha256(b"other").hexdigest(),
    }
    svc.store.queue_mail(
        rid, 1, MailDraft("done", f"{rid}:1:done:opd", 11, "opd", OPD, "s", "b", [att]), clock.now
    )
    res = notify(svc)
    assert [m["to"] for m in res.sent] == ["kadis"]  # the other mail still goes
    assert "ba.pdf: the stored file changed since it was recorded" in res.failed[0]["error"]
    assert notify(svc).failed[0]["gave_up"] is True
    assert [m.status for m in svc.store.outbox()] == ["sent", "failed"]
    assert notify(svc).failed == [] and len(sink.wait_for(1)) == 1


def test_the_completeness_form_mail_without_a_paper_links_the_web_form(
    mail_settings: Settings, clock: Clock
) -> None:
    svc = service(mail_settings, clock, send_at_once=False)  # no papers: nothing to attach
    rid = walked_to_check(svc, clock, ok=True)
    svc.accept(rid, "staff1")
    form = [m for m in svc.store.outbox() if m.kind == "form"]
    assert [(m.recipient, m.address, m.attachments) for m in form] == [("opd", OPD, [])]
    assert "terlampir" not in form[0].body and f"/requests/{rid}" in form[0].body
    svc.fill_form(rid, "staff1", load_form(FORM_YAML))
    assert len([m for m in svc.store.outbox() if m.kind == "form"]) == 1  # step 6b mails nobody
