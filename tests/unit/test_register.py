"""The register and the SOP workflow, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from netprov.domain.letters import load_form
from netprov.domain.resources import Feasibility, Finding
from netprov.domain.sop import State
from netprov.domain.users import load_directory
from netprov.errors import ConcurrencyError, InputError, PermissionDenied, WorkflowError
from netprov.settings import Settings
from netprov.sop.service import NoPapers, RequestService
from netprov.store.db import Store, verify_chain
from tests.form_file import FORM_YAML
from tests.letters import distinct_letter

DATA = Path(__file__).parent.parent / "data"
WIB = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'register.sqlite3'}"
        return
    if os.geteuid() != 0:
        pytest.skip("creating a PostgreSQL database needs root here")
    from tests.pg import create_database, drop_database

    url, name = create_database()
    yield url
    drop_database(name)


class FakeClock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2026, 11, 24, 9, 0, tzinfo=WIB))  # a Tuesday


@pytest.fixture
def svc(db_url: str, settings: Settings, clock: FakeClock) -> RequestService:
    return RequestService(Store(db_url), load_directory(None), settings, NoPapers(), clock)


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


def walk_to_checked(svc: RequestService, ok: bool = True) -> str:
    rid = svc.submit(distinct_letter()).id
    svc.dispose(rid, "kadis", "kabid")
    svc.assign(rid, "kabid", "staff1")
    svc.check(rid, "staff1", feasible(ok))
    return rid


def test_accept_path_to_done(svc: RequestService, clock: FakeClock, tmp_path: Path) -> None:
    rid = walk_to_checked(svc)
    assert rid == "PJB-2026-0001"
    svc.accept(rid, "staff1")
    form = load_form(FORM_YAML)
    svc.fill_form(rid, "staff1", form)
    evidence = tmp_path / "foto.jpg"
    evidence.write_bytes(b"\xff\xd8 photo of the rack")
    svc.provision_manual(rid, "staff1", evidence)
    svc.report(rid, "staff1")
    svc.forward(rid, "kabid")
    rec = svc.review(rid, "kadis", approve=True)
    assert rec.state is State.DONE
    steps = [e.step for e in rec.events]
    assert steps == [1, 2, 3, 4, 6, 6, 7, 8, 9, 10, 11]
    assert all(e.actor and e.role and e.at for e in rec.events)
    assert rec.form == form
    assert verify_chain(rec.request, rec.events) == []
    assert all(t.on_time for t in rec.timeline)


def test_reject_path_closes(svc: RequestService) -> None:
    rid = walk_to_checked(svc, ok=False)
    with pytest.raises(WorkflowError, match="not feasible"):
        svc.accept(rid, "staff1")
    rec = svc.reject(rid, "staff1", "Bandwidth uplink internet tidak mencukupi")
    assert rec.state is State.REJECTED  # drafted: the head of agency signs it before it goes out
    assert rec.next_role == "kadis" and rec.due_step == 5
    assert rec.events[-1].outputs["reported_to"] == ["kasi"]
    with pytest.raises(PermissionDenied, match="kadis"):
        svc.sign_reply(rid, "staff1")
    with pytest.raises(WorkflowError, match="rejected"):
        svc.close(rid, "kadis")  # not before the reply letter is signed
    rec = svc.sign_reply(rid, "kadis")
    assert rec.state is State.CLOSED
    assert [e.action for e in rec.events][-3:] == ["reject", "sign-reply", "close"]
    assert [e.step for e in rec.events][-3:] == [5, 5, 11]
    with pytest.raises(WorkflowError, match="closed"):
        svc.accept(rid, "staff1")
    with pytest.raises(WorkflowError, match="closed"):
        svc.sign_reply(rid, "kadis")


def test_return_sends_back_to_staff(svc: RequestService, tmp_path: Path) -> None:
    rid = walk_to_checked(svc)
    svc.accept(rid, "staff1")
    svc.fill_form(rid, "staff1", load_form(FORM_YAML))
    ev = tmp_path / "ev.txt"
    ev.write_text("done by hand")
    svc.provision_manual(rid, "staff1", ev)
    svc.report(rid, "staff1")
    svc.forward(rid, "kabid")
    with pytest.raises(InputError, match="--note"):
        svc.review(rid, "kadis", approve=False)
    rec = svc.review(rid, "kadis", approve=False, note="Lampirkan foto perangkat")
    assert rec.state is State.PROVISIONED and rec.due_step == 8


def test_wrong_role_and_wrong_state_are_refused(svc: RequestService) -> None:
    rid = svc.submit(distinct_letter()).id
    with pytest.raises(PermissionDenied, match="kadis"):
        svc.dispose(rid, "staff1", "kabid")
    with pytest.raises(WorkflowError, match="received"):
        svc.assign(rid, "kabid", "staff1")
    with pytest.raises(InputError, match="--to"):
        svc.dispose(rid, "kadis", "staff1")
    assert len(svc.get(rid).events) == 1  # nothing written by refused calls


def test_form_for_another_request_is_refused(svc: RequestService) -> None:
    rid = walk_to_checked(svc)
    svc.submit(distinct_letter())
    svc.accept(rid, "staff1")
    form = load_form(FORM_YAML).model_copy(update={"request": "PJB-2026-0002"})
    with pytest.raises(InputError, match="request"):
        svc.fill_form(rid, "staff1", form)


def test_sla_counts_working_days(svc: RequestService, clock: FakeClock) -> None:
    friday = dt.datetime(2026, 8, 14, 16, 0, tzinfo=WIB)
    rid = svc.submit(distinct_letter(date=dt.date(2026, 8, 13)), received_at=friday).id
    rec = svc.get(rid)
    assert rec.due_at == dt.datetime(2026, 8, 18, 16, 0, tzinfo=WIB)  # Mon 17 Aug is a holiday
    assert rec.overdue and svc.sla()[0].id == rid
    fresh = svc.submit(distinct_letter()).id
    assert not svc.get(fresh).overdue
    assert [r.id for r in svc.find(overdue=True)] == [rid]


def test_events_are_append_only(svc: RequestService) -> None:
    rid = svc.submit(distinct_letter()).id
    for sql in ("UPDATE events SET note = 'x'", "DELETE FROM events", "DELETE FROM requests"):
        with pytest.raises(Exception, match="append-only"), svc.store.engine.begin() as conn:
            conn.execute(text(sql))
    assert len(svc.get(rid).events) == 1


def test_stale_writer_is_refused(svc: RequestService) -> None:
    rid = svc.submit(distinct_letter()).id
    rec = svc.get(rid)
    svc.dispose(rid, "kadis", "kabid")
    with pytest.raises(ConcurrencyError):
        svc.store.append_event(
            request_id=rid,
            expected_seq=len(rec.events) + 1,
            step=2,
            action="dispose",
            state="disposed",
            actor="kadis",
            role="kadis",
            at=svc.clock(),
            note="",
            outputs={},
        )


def test_concurrent_submits_get_distinct_ids(svc: RequestService) -> None:
    letters = [distinct_letter() for _ in range(24)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(lambda letter: svc.submit(letter).id, letters))
    assert len(set(ids)) == 24
    assert sorted(ids) == [f"PJB-2026-{n:04d}" for n in range(1, 25)]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_processes_opening_a_new_database_at_once_all_get_the_schema(backend: str, tmp_path: Path) -> None:
    """Regression: on PostgreSQL two first-time openers both created alembic_version and one failed.

    Without the migration lock about half the rounds lost a process; three rounds of six.
    """
    import subprocess
    import sys

    if backend == "postgresql" and os.geteuid() != 0:
        pytest.skip("creating a PostgreSQL database needs root here")
    from tests.pg import create_database, drop_database

    for round_ in range(3):
        name = ""
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / f'register-{round_}.sqlite3'}"
        else:
            url, name = create_database()
        try:
            gate = tmp_path / f"gate-{round_}"
            gate.mkdir()
            # Each process imports netprov, checks in at the gate, and opens the database only
            # when all six are there, so their first-time migrations overlap.
            script = (
                "import os, sys, time\n"
                "from pathlib import Path\n"
                "from netprov.store.db import Store\n"
                f"gate = Path({str(gate)!r})\n"
                "(gate / str(os.getpid())).touch()\n"
                "while len(list(gate.iterdir())) < 6: time.sleep(0.005)\n"
                f"print(Store({url!r}).at_head())\n"
            )
            procs = [
                subprocess.Popen(
                    [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                )
                for _ in range(6)
            ]
            results = [p.communicate(timeout=120) for p in procs]
            assert [p.returncode for p in procs] == [0] * 6, [err[-400:] for _, err in results]
            assert [out.strip() for out, _ in results] == ["True"] * 6
        finally:
            if name:
                drop_database(name)


def test_concurrent_submits_from_processes(db_url: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    script = (
        "import sys; from pathlib import Path\n"
        "from netprov.settings import load_settings\n"
        "from netprov.sop.service import RequestService, NoPapers\n"
        "from tests.letters import distinct_letter\n"
        f"s = load_settings(database_url={db_url!r}, data_dir=Path({str(tmp_path)!r}))\n"
        "svc = RequestService.from_settings(s, papers=NoPapers())\n"
        "n = int(sys.argv[1])\n"
        "print(' '.join(svc.submit(distinct_letter(100 * n + k)).id for k in range(1, 6)))\n"
    )
    repo = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(i + 1)], stdout=subprocess.PIPE, text=True, cwd=repo
        )
        for i in range(4)
    ]
    ids = [i for p in procs for i in p.communicate(timeout=120)[0].split()]
    assert all(p.returncode == 0 for p in procs)
    assert len(ids) == 20 and len(set(ids)) == 20


def test_head_revision_constant_matches_alembic() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from netprov.store.db import HEAD_REVISION, MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD_REVISION


def test_switching_to_wal_waits_for_another_writer(tmp_path: Path) -> None:
    """Regression (CI): a process opening the register while another was still creating it got
    "database is locked" at once: SQLite's busy handler does not cover a journal-mode change."""
    import sqlite3
    import threading
    import time

    from netprov.store.db import _ensure_wal

    path = tmp_path / "register.sqlite3"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")  # a rollback-journal database with a writer in it
    writer.execute("CREATE TABLE t (i INTEGER)")
    threading.Timer(0.5, lambda: writer.execute("COMMIT")).start()
    other = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    t0 = time.monotonic()
    _ensure_wal(other.cursor())
    assert time.monotonic() - t0 >= 0.4  # it waited for the writer instead of failing
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()
    writer.close()


def test_switching_to_wal_gives_up_after_its_deadline(tmp_path: Path) -> None:
    import sqlite3

    from netprov.store.db import _ensure_wal

    path = tmp_path / "register.sqlite3"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("CREATE TABLE t (i INTEGER)")
    other = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _ensure_wal(other.cursor(), wait_s=0.3)
    writer.execute("COMMIT")
    other.close()
    writer.close()
