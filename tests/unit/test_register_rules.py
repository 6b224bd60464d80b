"""The register's rules (issue 18): assigned staff only, the kadis signs the reply letter, the
agenda of outgoing letters, duplicate letters and impossible dates. Real SQLite in tmp_path."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from netprov.audit import audit_events
from netprov.domain.assignment import assignment_refusal, assignment_violations, reassign_refusal
from netprov.domain.letters import load_form
from netprov.domain.resources import Feasibility, Finding
from netprov.domain.sop import Action, State
from netprov.domain.users import load_directory
from netprov.errors import DuplicateLetter, InputError, PermissionDenied, WorkflowError
from netprov.settings import Settings
from netprov.sop.record import RequestRecord
from netprov.sop.service import NoPapers, RequestService
from netprov.store.db import Store
from tests.form_file import FORM_YAML
from tests.letters import distinct_letter

WIB = dt.timezone(dt.timedelta(hours=7))


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 24, 9, 0, tzinfo=WIB)  # a Tuesday

    def __call__(self) -> dt.datetime:
        return self.now


class Capture:
    """A Papers port that records what it was asked for (kind, the record it saw, extra)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, RequestRecord, dict[str, Any]]] = []

    def produce(self, kind: str, record: RequestRecord, extra: dict[str, Any]) -> list[dict[str, Any]]:
        self.calls.append((kind, record, extra))
        number = f"{extra['agenda_seq']:03d}/{kind}/{extra['agenda_year']}"
        return [{"kind": kind, "version": len(self.calls), "letter_number": number, "files": {}}]

    def discard(self, produced: list[dict[str, Any]]) -> None:
        return None


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def papers() -> Capture:
    return Capture()


@pytest.fixture
def svc(tmp_path: Path, settings: Settings, clock: Clock, papers: Capture) -> RequestService:
    store = Store(f"sqlite:///{tmp_path / 'register.sqlite3'}")
    return RequestService(store, load_directory(None), settings, papers, clock)


def feasible(ok: bool = True) -> Feasibility:
    return Feasibility(
        feasible=ok,
        service="intranet",
        hosts=20,
        bandwidth_mbps=50,
        prefix_length=27,
        findings=[Finding(check="bandwidth", ok=ok, detail="headroom")],
        source="manual",
    )


def assigned(svc: RequestService, staff: str = "staff2") -> str:
    rid = svc.submit(distinct_letter()).id
    svc.dispose(rid, "kadis", "kabid")
    svc.assign(rid, "kabid", staff)
    return rid


# --- 1. assignment -------------------------------------------------------------------------------
def test_assignment_rule_is_pure() -> None:
    assert assignment_refusal(Action.CHECK, "staff2", "staff2") is None
    why = assignment_refusal(Action.REPORT, "staff1", "staff2")
    assert why is not None and "staff2" in why and "staff1" in why
    assert assignment_refusal(Action.REVIEW, "kadis", "staff2") is None  # not a staff step
    assert assignment_refusal(Action.CHECK, "staff1", None) is not None
    assert reassign_refusal(State.RECEIVED, None, "staff1") is not None
    assert reassign_refusal(State.CHECKED, "staff1", "staff1") is not None
    assert reassign_refusal(State.FORM_COMPLETE, "staff1", "staff2") is None


def test_only_the_assigned_staff_may_do_steps_4_to_8(svc: RequestService, tmp_path: Path) -> None:
    rid = assigned(svc, "staff2")
    with pytest.raises(PermissionDenied, match="assigned staff, staff2, not staff1"):
        svc.check(rid, "staff1", feasible())
    assert svc.get(rid).state is State.ASSIGNED and len(svc.get(rid).events) == 3
    svc.check(rid, "staff2", feasible())
    with pytest.raises(PermissionDenied, match="staff2"):
        svc.accept(rid, "staff1")
    svc.accept(rid, "staff2")
    form = load_form(FORM_YAML).model_copy(update={"request": rid})
    with pytest.raises(PermissionDenied, match="staff2"):
        svc.fill_form(rid, "staff1", form)
    svc.fill_form(rid, "staff2", form)
    evidence = tmp_path / "foto.jpg"
    evidence.write_bytes(b"\xff\xd8 rack")
    with pytest.raises(PermissionDenied, match="staff2"):
        svc.provision_manual(rid, "staff1", evidence)
    assert not (svc.settings.evidence_dir / rid).exists()  # refused before anything was copied
    with pytest.raises(PermissionDenied, match="staff2"):  # the pipeline's path obeys it too
        svc.record_provisioned(rid, "staff1", {"devices": []})
    with pytest.raises(PermissionDenied, match="staff2"):
        svc.ensure_may(Action.PROVISION, rid, "staff1")
    svc.record_provisioned(rid, "staff2", {"devices": []})
    with pytest.raises(PermissionDenied, match="staff2"):
        svc.report(rid, "staff1")
    rec = svc.report(rid, "staff2")
    assert all(i.ok for i in audit_events(rec)), audit_events(rec)


def test_reject_by_other_staff_is_refused(svc: RequestService) -> None:
    rid = assigned(svc, "staff1")
    svc.check(rid, "staff1", feasible(False))
    with pytest.raises(PermissionDenied, match="staff1"):
        svc.reject(rid, "staff2", "Tidak tersedia")


def test_kabid_reassigns_and_the_trail_records_it(svc: RequestService) -> None:
    rid = assigned(svc, "staff2")
    svc.check(rid, "staff2", feasible())
    with pytest.raises(PermissionDenied, match="kabid"):
        svc.reassign(rid, "staff2", "staff1")
    with pytest.raises(InputError, match="--to"):
        svc.reassign(rid, "kabid", "kadis")
    with pytest.raises(WorkflowError, match="already"):
        svc.reassign(rid, "kabid", "staff2")
    before = svc.get(rid)
    rec = svc.reassign(rid, "kabid", "staff1", "staff2 cuti")
    last = rec.events[-1]
    assert (last.action, last.step, last.actor, last.state) == ("reassign", 3, "kabid", "checked")
    assert last.outputs == {"assigned_to": "staff1", "previous": "staff2"}
    assert rec.state is State.CHECKED and rec.assigned_to == "staff1"
    assert rec.due_at == before.due_at  # a hand-over does not restart the step's clock
    with pytest.raises(PermissionDenied, match="staff1"):
        svc.accept(rid, "staff2")
    rec = svc.accept(rid, "staff1")
    assert all(i.ok for i in audit_events(rec))
    with pytest.raises(WorkflowError, match="SOP step"):
        svc.annotate(rid, "kabid", "reassign", "sneaky")


def test_reassign_only_while_the_staff_work(svc: RequestService) -> None:
    rid = svc.submit(distinct_letter()).id
    with pytest.raises(WorkflowError, match="cannot reassign a request that is received"):
        svc.reassign(rid, "kabid", "staff1")


def test_audit_flags_steps_done_by_someone_not_assigned(svc: RequestService) -> None:
    """An older register (the rule was not enforced then): step 4 by staff1, assigned staff2."""
    rid = assigned(svc, "staff2")
    rec = svc.get(rid)
    svc.store.append_event(
        request_id=rid,
        expected_seq=len(rec.events) + 1,
        step=4,
        action="check",
        state="checked",
        actor="staff1",
        role="staff",
        at=svc.clock(),
        note="",
        outputs={"feasibility": feasible().model_dump(mode="json")},
    )
    rec = svc.get(rid)
    items = {i.record: i for i in audit_events(rec)}
    item = items["steps 4-8 by the assigned staff"]
    assert not item.ok and "check by staff1" in item.detail and "staff2" in item.detail
    assert assignment_violations(rec.events) == ["event 4 check by staff1, but staff2 was assigned"]


# --- 2. the head of agency signs the reply letter -------------------------------------------------
def test_reply_letter_is_signed_by_the_kadis_as_a_new_version(svc: RequestService, papers: Capture) -> None:
    rid = assigned(svc, "staff1")
    svc.check(rid, "staff1", feasible(False))
    svc.reject(rid, "staff1", "Bandwidth tidak tersedia")
    with pytest.raises(PermissionDenied):
        svc.sign_reply(rid, "kabid")
    rec = svc.sign_reply(rid, "kadis", "Setuju")
    assert rec.state is State.CLOSED
    kinds = [(k, e["action"], e["agenda_seq"]) for k, _, e in papers.calls]
    assert kinds == [
        ("laporan-pemeriksaan", "check", 1),
        ("surat-balasan", "reject", 1),
        ("surat-balasan", "sign-reply", 2),  # the signed version: issued again, its own number
    ]
    draft_record, signed_record = papers.calls[1][1], papers.calls[2][1]
    # the paper sees its own step: the signed version's record holds the sign-reply event
    assert [e.action for e in signed_record.events][-1] == "sign-reply"
    assert signed_record.events[-1].actor == "kadis"
    assert "sign-reply" not in [e.action for e in draft_record.events]
    assert papers.calls[2][2]["reasons"][0] == "Bandwidth tidak tersedia"
    reply = [d for d in rec.documents if d["kind"] == "surat-balasan"]
    assert [d["agenda"]["seq"] for d in reply] == [1, 2] and reply[-1]["event_seq"] == rec.events[-2].seq
    items = {i.record: i for i in audit_events(rec)}
    assert items["reply letter signed by the head of agency"].ok


def test_audit_flags_an_old_rejection_closed_unsigned(tmp_path: Path, settings: Settings) -> None:
    svc = RequestService(
        Store(f"sqlite:///{tmp_path / 'r.sqlite3'}"), load_directory(None), settings, NoPapers(), Clock()
    )
    rid = assigned(svc, "staff1")
    svc.check(rid, "staff1", feasible(False))
    rec = svc.reject(rid, "staff1", "x")
    svc.store.append_event(  # what the old code did: close straight after the reject
        request_id=rid,
        expected_seq=len(rec.events) + 1,
        step=11,
        action="close",
        state="closed",
        actor="staff1",
        role="staff",
        at=svc.clock(),
        note="",
        outputs={},
    )
    items = {i.record: i for i in audit_events(svc.get(rid))}
    assert not items["reply letter signed by the head of agency"].ok


# --- 3. the agenda --------------------------------------------------------------------------------
def test_agenda_numbers_per_kind_and_year_each_version_its_own(
    svc: RequestService, papers: Capture, clock: Clock
) -> None:
    a = assigned(svc, "staff1")
    b = assigned(svc, "staff2")
    svc.check(a, "staff1", feasible())
    svc.check(b, "staff2", feasible())
    svc.check(a, "staff1", feasible())  # a re-check: a second version, a second number
    clock.now = dt.datetime(2027, 1, 4, 9, 0, tzinfo=WIB)  # the request is carried into 2027
    svc.check(a, "staff1", feasible())
    svc.accept(a, "staff1")
    seen = [(k, e["agenda_year"], e["agenda_seq"]) for k, _, e in papers.calls]
    assert seen == [
        ("laporan-pemeriksaan", 2026, 1),
        ("laporan-pemeriksaan", 2026, 2),
        ("laporan-pemeriksaan", 2026, 3),
        ("laporan-pemeriksaan", 2027, 1),
        ("formulir-kelengkapan", 2027, 1),
    ]
    agenda = svc.store.agenda(kind="laporan-pemeriksaan")
    assert [(e.year, e.seq, e.request_id) for e in agenda] == [
        (2026, 1, a),
        (2026, 2, b),
        (2026, 3, a),
        (2027, 1, a),
    ]
    numbers = [d["letter_number"] for d in svc.get(a).documents]
    assert len(set(numbers)) == len(numbers)


def test_agenda_year_is_the_local_year(svc: RequestService, papers: Capture, clock: Clock) -> None:
    rid = assigned(svc, "staff1")
    clock.now = dt.datetime(2026, 12, 31, 18, 0, tzinfo=dt.UTC)  # 1 January 2027, 01:00 WIB
    svc.check(rid, "staff1", feasible())
    assert papers.calls[-1][2]["agenda_year"] == 2027


def test_agenda_is_append_only(svc: RequestService) -> None:
    rid = assigned(svc, "staff1")
    svc.check(rid, "staff1", feasible())
    for sql in ("UPDATE agenda SET seq = 9", "DELETE FROM agenda"):
        with pytest.raises(Exception, match="append-only"), svc.store.engine.begin() as conn:
            conn.execute(text(sql))


def test_two_writers_issue_distinct_numbers(tmp_path: Path, settings: Settings) -> None:
    url = f"sqlite:///{tmp_path / 'agenda.sqlite3'}"
    store = Store(url)
    rid = store.insert_request(
        prefix="PJB",
        year=2026,
        opd="X",
        service="intranet",
        letter={},
        received_at=dt.datetime(2026, 11, 24, tzinfo=dt.UTC),
        registered_at=dt.datetime(2026, 11, 24, tzinfo=dt.UTC),
    ).id
    got: list[int] = []
    lock = threading.Lock()

    def issue() -> None:
        mine = Store(url)  # its own engine and connections, as another process would have
        for _ in range(15):
            n = mine.issue_number("berita-acara", 2026, rid, dt.datetime.now(dt.UTC)).seq
            with lock:
                got.append(n)

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(got) == list(range(1, 31))
    assert [e.seq for e in store.agenda("berita-acara", 2026)] == list(range(1, 31))


def test_a_register_at_revision_0001_gains_the_agenda(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from netprov.store.db import MIGRATIONS

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "0001")
    store = Store(url)  # opening migrates to head
    assert store.at_head() and store.agenda() == []


# --- 4. duplicates and dates ----------------------------------------------------------------------
def test_the_same_letter_twice_is_refused_naming_the_request(svc: RequestService) -> None:
    letter = distinct_letter()
    first = svc.submit(letter).id
    again = letter.model_copy(
        update={
            "opd": f"  {letter.opd.upper()} ",
            "letter": letter.letter.model_copy(update={"number": f" {letter.letter.number.lower()}"}),
        }
    )
    for copy in (letter, again):
        with pytest.raises(DuplicateLetter, match=first) as info:
            svc.submit(copy)
        assert "letter.number" in str(info.value)
    other = letter.model_copy(update={"opd": "Dinas Kesehatan"})
    assert svc.submit(other).id != first  # the same number from another department is another letter
    assert len(svc.find()) == 2


def test_received_before_the_letter_date_is_refused(svc: RequestService) -> None:
    letter = distinct_letter(date=dt.date(2026, 11, 20))
    with pytest.raises(InputError, match="--received-at"):
        svc.submit(letter, received_at=dt.datetime(2026, 11, 19, 15, 0, tzinfo=WIB))
    tomorrow = distinct_letter(date=dt.date(2026, 11, 25))  # dated after "now" (24 November)
    with pytest.raises(InputError, match=r"received_at \(now\)"):
        svc.submit(tomorrow)
    assert svc.find() == []


def test_preferred_date_before_the_request_arrived_is_refused(svc: RequestService) -> None:
    rid = assigned(svc, "staff1")
    svc.check(rid, "staff1", feasible())
    svc.accept(rid, "staff1")
    form = load_form(FORM_YAML).model_copy(update={"request": rid})
    past = form.model_copy(
        update={"schedule": form.schedule.model_copy(update={"preferred_date": dt.date(2026, 1, 5)})}
    )
    with pytest.raises(InputError, match=r"schedule\.preferred_date"):
        svc.fill_form(rid, "staff1", past)
    assert svc.get(rid).state is State.FORM_REQUESTED


# --- the CLI --------------------------------------------------------------------------------------
def test_cli_reassign_sign_reply_agenda_and_duplicates(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from netprov.cli.main import app
    from tests.letters import distinct_letter_file

    env = {"NETPROV_DATA_DIR": str(tmp_path / "data"), "NETPROV_LAB_DIR": str(tmp_path / "lab")}
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, list(args), env=env)

    letter = distinct_letter_file(tmp_path)
    res = run("request", "submit", str(letter))
    assert res.exit_code == 0, res.output
    rid = res.stdout.strip()
    assert run("--as", "kadis", "request", "dispose", rid, "--to", "kabid").exit_code == 0
    assert run("--as", "kabid", "request", "assign", rid, "--to", "staff2").exit_code == 0
    check = ("request", "check", rid, "--manual", "--no-bandwidth", "--ip-ok")
    res = run("--as", "staff1", *check)
    assert isinstance(res.exception, PermissionDenied) and "staff2" in str(res.exception)
    res = run("--as", "kabid", "request", "reassign", rid, "--to", "staff1", "--note", "staff2 cuti")
    assert res.exit_code == 0 and "reassigned to staff1" in res.stdout
    assert run("--as", "staff1", *check).exit_code == 0
    res = run("--as", "staff1", "request", "reject", rid, "--reason", "Bandwidth tidak tersedia")
    assert res.exit_code == 0 and "sign-reply" in res.stdout
    res = run("--as", "kadis", "request", "sign-reply", rid)
    assert res.exit_code == 0 and "closed" in res.stdout, res.output
    res = run("request", "documents", rid)
    assert res.exit_code == 0
    assert re.search(r"agenda LP \d{4}/1\b", res.stdout) and re.search(r"agenda SB \d{4}/2\b", res.stdout)
    rows = run("request", "documents", rid, "--json")
    numbers = [(r["kind"], r["version"], r["agenda"], r["letter_number"]) for r in json.loads(rows.stdout)]
    assert [n[2]["seq"] for n in numbers] == [1, 1, 2]
    assert [n[:2] for n in numbers] == [
        ("laporan-pemeriksaan", 1),
        ("surat-balasan", 1),
        ("surat-balasan", 2),
    ]
    assert numbers[0][3].startswith("001/") and numbers[1][3].startswith("001/")  # first of its kind
    assert numbers[2][3].startswith("002/")  # the signed version: its own number
    res = run("request", "submit", str(letter))
    assert isinstance(res.exception, DuplicateLetter) and rid in str(res.exception)


def test_close_after_a_rejection_needs_the_signed_reply() -> None:
    from netprov.domain.sop import DUE_STEP, NEXT_ROLE, TRANSITIONS, Role, close_target, refusal

    assert refusal(Action.CLOSE, State.REJECTED, Role.KADIS) is not None
    assert refusal(Action.CLOSE, State.REPLY_SIGNED, Role.KADIS) is None
    assert refusal(Action.SIGN_REPLY, State.REJECTED, Role.STAFF) is not None
    assert TRANSITIONS[Action.SIGN_REPLY].step == 5 and TRANSITIONS[Action.SIGN_REPLY].roles == {Role.KADIS}
    assert (DUE_STEP[State.REJECTED], NEXT_ROLE[State.REJECTED]) == (5, Role.KADIS)
    assert close_target(State.REPLY_SIGNED) is State.CLOSED


def test_the_paper_context_carries_the_agenda_number_and_issued_numbers(
    svc: RequestService, settings: Settings
) -> None:
    """The documents side: ``{seq}`` is the agenda number; references use issued numbers."""
    from netprov.documents import context_from_record
    from netprov.documents.context import DocumentKind
    from netprov.documents.view import MISSING, doc_view

    rid = assigned(svc, "staff1")
    svc.check(rid, "staff1", feasible(False))
    rec = svc.get(rid)
    ctx = context_from_record(rec, load_directory(None), {"agenda_seq": 41})
    assert ctx.seq == 41 and ctx.numbers == {"laporan-pemeriksaan": "001/laporan-pemeriksaan/2026"}
    view = doc_view(DocumentKind.SURAT_BALASAN, ctx, settings)
    assert view.number.startswith("041/")
    assert view.refs["laporan-pemeriksaan"] == "001/laporan-pemeriksaan/2026"
    assert view.refs["berita-acara"] == MISSING  # not issued: no invented number


def test_the_same_letter_from_two_writers_at_once_is_registered_once(
    tmp_path: Path, settings: Settings
) -> None:
    url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    Store(url)  # created and migrated once
    letter = distinct_letter()
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def submit() -> None:
        svc = RequestService(Store(url), load_directory(None), settings, NoPapers(), Clock())
        barrier.wait()
        try:
            outcomes.append(svc.submit(letter).id)
        except DuplicateLetter as exc:
            outcomes.append(f"refused {exc.existing_id}")

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    ids = [o for o in outcomes if not o.startswith("refused")]
    assert len(ids) == 1 and sorted(outcomes)[1:] == [f"refused {ids[0]}"] * 3
