"""The short read-only path of ``request list`` and ``sla`` reads what the full path reads.

The stdlib-sqlite3 reader against the SQLAlchemy store on the same register; the view settings
against pydantic-settings for the same environment; the listing against ``RequestService.find``;
the stored holiday table against the ``holidays`` package; and what ``request list`` imports.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from netprov.cli import readonly as views
from netprov.cli.request_check import manual_feasibility
from netprov.domain import holiday_table
from netprov.domain.letters import load_letter
from netprov.domain.sop import State
from netprov.domain.users import load_directory
from netprov.settings import Settings, load_settings
from netprov.sop.record import RequestRecord
from netprov.sop.service import NoPapers, RequestService
from netprov.store import readonly
from netprov.store.db import HEAD_REVISION, Store

DATA = Path(__file__).parent.parent / "data"
WIB = dt.timezone(dt.timedelta(hours=7))


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 20, 15, 30, tzinfo=WIB)  # a Friday afternoon

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(hours=7, microseconds=1234)
        return self.now


@pytest.fixture
def register(settings: Settings) -> tuple[str, RequestService]:
    """A register of requests in several states, with notes, outputs and microsecond times."""
    url = settings.effective_database_url
    svc = RequestService(Store(url), load_directory(None), settings, NoPapers(), Clock())
    letter = load_letter(DATA / "letter-intranet.yaml")
    ids = []
    for i in range(6):
        numbered = letter.letter.model_copy(update={"number": f"{i + 1:03d}/9/DISDIK/XI/2026"})
        ids.append(svc.submit(letter.model_copy(update={"letter": numbered})).id)
    for rid in ids[1:]:
        svc.dispose(rid, "kadis", "kabid", note="mohon ditindaklanjuti ✓")
    for rid in ids[2:]:
        svc.assign(rid, "kabid", "staff1")
    for rid in ids[3:]:
        ok = rid != ids[5]
        svc.check(rid, "staff1", manual_feasibility(svc.get(rid), ok, True, True, True, "diperiksa"))
    svc.accept(ids[4], "staff1")
    svc.reject(ids[5], "staff1", "kapasitas tidak cukup")
    return url, svc


def test_sqlite3_reader_returns_exactly_what_the_store_returns(
    register: tuple[str, RequestService], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = register
    via_store = readonly.read_with_store(url)

    def no_store(_url: str) -> readonly.Snapshot:
        raise AssertionError("the sqlite3 reader fell back to the store")

    monkeypatch.setattr(readonly, "read_with_store", no_store)
    via_sqlite3 = readonly.read_register(url)
    assert via_sqlite3 == via_store
    assert len(via_sqlite3.requests) == 6 and sum(len(e) for e in via_sqlite3.events.values()) > 12
    assert all(r.received_at.tzinfo is dt.UTC for r in via_sqlite3.requests)


def test_other_urls_and_other_schemas_go_through_the_store(
    register: tuple[str, RequestService], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url, _ = register
    seen: list[str] = []

    def store(u: str) -> readonly.Snapshot:
        seen.append(u)
        return readonly.Snapshot()

    monkeypatch.setattr(readonly, "read_with_store", store)
    pg = "postgresql+psycopg://netprov@127.0.0.1:5432/netprov"
    assert readonly.read_register(pg) == readonly.Snapshot() and seen == [pg]
    memory = "sqlite:///:memory:"
    readonly.read_register(memory)
    assert seen[-1] == memory
    path = readonly.sqlite_path(url)
    assert path is not None
    with sqlite3.connect(path) as conn:  # a register the store would migrate first
        conn.execute("UPDATE alembic_version SET version_num = '0000'")
    readonly.read_register(url)
    assert seen[-1] == url
    missing = tmp_path / "nowhere" / "register.sqlite3"
    assert readonly.read_register(f"sqlite:///{missing}") == readonly.Snapshot()
    assert not missing.parent.exists()  # a read-only view creates no register


def test_the_reader_knows_the_newest_migration(tmp_path: Path) -> None:
    assert readonly.newest_revision() == HEAD_REVISION
    (tmp_path / "0001_a.py").write_text('"""Revises:"""\nrevision = "0001"\ndown_revision = None\n')
    (tmp_path / "0002_b.py").write_text('revision: str = "0002"\ndown_revision: str | None = "0001"\n')
    assert readonly.newest_revision(tmp_path) == "0002"
    (tmp_path / "0002b_c.py").write_text('revision = "0002b"\ndown_revision = "0001"\n')
    assert readonly.newest_revision(tmp_path) == ""  # two heads: the reader defers to the store


def test_listing_is_the_service_find(register: tuple[str, RequestService], settings: Settings) -> None:
    _, svc = register
    vs = views.ViewSettings(settings.data_dir, settings.database_url, None, None, settings.timezone)

    def key(records: list[RequestRecord]) -> list[tuple[object, ...]]:
        return [(r.id, r.state, r.due_at, r.overdue_days, r.events, r.summary_json()) for r in records]

    for days in (0, 1, 3, 10):  # from nothing late to everything late
        now = dt.datetime(2026, 11, 24, 9, 0, tzinfo=WIB) + dt.timedelta(days=days)
        svc.clock = lambda now=now: now  # type: ignore[misc]
        for state in (None, State.RECEIVED, State.CHECKED, State.REJECTED):
            assert key(views.find_records(vs, state, now=now)) == key(svc.find(state))
        assert key(views.find_records(vs, overdue=True, now=now)) == key(svc.find(overdue=True))
        assert key(views.sla_records(vs, now=now)) == key(svc.sla())


ENVIRONMENTS = [
    {},
    {"NETPROV_DATA_DIR": "/srv/netprov"},
    {"netprov_data_dir": "/srv/lower", "NETPROV_TIMEZONE": "Asia/Makassar"},
    {"NETPROV_DATABASE_URL": "postgresql://u@db/x", "NETPROV_ID_PREFIX": "REQ"},
    {"NETPROV_USERS_FILE": "/etc/netprov/users.yaml", "NETPROV_USER": "staff2"},
    {"XDG_DATA_HOME": "/xdg", "NETPROV_DATABASE_URL": ""},
]


@pytest.mark.parametrize("extra", ENVIRONMENTS, ids=[",".join(e) or "none" for e in ENVIRONMENTS])
def test_view_settings_are_the_settings(extra: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for k in list(os.environ):
        if k.upper().startswith("NETPROV_") or k == "XDG_DATA_HOME":
            monkeypatch.delenv(k)
    for k, v in extra.items():
        monkeypatch.setenv(k, v)
    full = load_settings()
    light = views.from_environment()
    assert light is not None
    for name in ("data_dir", "database_url", "users_file", "user", "timezone", "id_prefix"):
        assert getattr(light, name) == getattr(full, name), name
    assert light.effective_database_url == full.effective_database_url


def test_a_config_file_uses_the_full_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "netprov.yaml"
    config.write_text(f"data_dir: {tmp_path / 'elsewhere'}\n", encoding="utf-8")
    monkeypatch.setenv("NETPROV_CONFIG", str(config))
    monkeypatch.delenv("NETPROV_DATA_DIR", raising=False)
    assert views.from_environment() is None
    from netprov.cli.common import Invocation

    assert views.view_settings(Invocation()).data_dir == tmp_path / "elsewhere"


@pytest.mark.parametrize("year", list(holiday_table.YEARS))
def test_the_stored_holidays_are_the_packages(year: int) -> None:
    assert holiday_table.installed_version() is not None
    assert holiday_table.stored(year) == holiday_table.computed(year)


def test_the_holiday_table_is_skipped_for_another_version(monkeypatch: pytest.MonkeyPatch) -> None:
    table = json.loads(holiday_table.DATA_FILE.read_text(encoding="utf-8"))
    assert table["holidays_version"] == holiday_table.installed_version(), (
        "holidays was upgraded: run python -m netprov.domain.holiday_table"
    )
    monkeypatch.setattr(holiday_table, "installed_version", lambda: "0.0-other")
    assert holiday_table.stored(2026) is None
    assert holiday_table.stored(1990) is None


def test_request_list_imports_no_sqlalchemy_pydantic_settings_or_holidays(tmp_path: Path) -> None:
    from netprov.app import App

    data = tmp_path / "data"
    svc = App(load_settings(data_dir=data, lab_dir=tmp_path / "lab")).service
    svc.submit(load_letter(DATA / "letter-intranet.yaml"))
    svc.store.engine.dispose()
    code = (
        "import sys\n"
        "sys.argv = ['netprov', 'request', 'list']\n"
        "from netprov.cli.main import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'sqlalchemy', 'alembic', 'pydantic_settings', 'holidays', 'email_validator', 'weasyprint'}))\n"
    )
    env = {"NETPROV_DATA_DIR": str(data), "NETPROV_LAB_DIR": str(tmp_path / "lab"), "COLUMNS": "100"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env={**_base_env(), **env}
    )
    assert proc.returncode == 0, proc.stderr
    assert "PJB-" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.upper().startswith("NETPROV_")}


def test_one_record_is_the_service_get(register: tuple[str, RequestService], settings: Settings) -> None:
    from netprov.errors import InputError, NotFoundError

    _, svc = register
    vs = views.ViewSettings(settings.data_dir, settings.database_url, None, None, settings.timezone)
    now = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
    svc.clock = lambda: now  # type: ignore[method-assign]
    for req in svc.store.list_requests():
        assert views.get_record(vs, req.id, now=now).detail_json() == svc.get(req.id).detail_json()
    with pytest.raises(NotFoundError, match="no request 'PJB-2026-0999' in the register"):
        views.get_record(vs, "PJB-2026-0999")
    with pytest.raises(InputError, match="request id"):
        views.get_record(vs, "../../x")
