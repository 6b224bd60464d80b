"""The register's storage: open (migrating to head), append, read. No SOP rules here."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from netprov.errors import ConcurrencyError, ConfigError, NotFoundError
from netprov.store.models import EventRow, JournalRow, LockRow, RequestRow

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD_REVISION = "0001"  # the newest migration; tests check it matches Alembic's head
GENESIS = "0" * 64
# PostgreSQL advisory-lock key that serializes schema migration between processes
# (the first process creates the tables; the others wait, then find them at head).
MIGRATION_LOCK_KEY = 0x6E657470726F76  # "netprov"


def utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC datetime (SQLite hands back naive values that were stored as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(fields)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredRequest:
    id: str
    year: int
    seq: int
    opd: str
    service: str
    letter: dict[str, Any]
    letter_json: str
    received_at: dt.datetime
    registered_at: dt.datetime


@dataclass(frozen=True)
class StoredEvent:
    request_id: str
    seq: int
    step: int
    action: str
    state: str
    actor: str
    role: str
    at: dt.datetime
    note: str
    outputs: dict[str, Any]
    prev_hash: str
    hash: str

    def hashed_fields(self) -> dict[str, Any]:
        """What the event's hash covers: everything but the hashes themselves."""
        return {
            "request_id": self.request_id,
            "seq": self.seq,
            "step": self.step,
            "action": self.action,
            "state": self.state,
            "actor": self.actor,
            "role": self.role,
            "at": utc(self.at).isoformat(),
            "note": self.note,
            "outputs": self.outputs,
        }


@dataclass(frozen=True)
class JournalEntry:
    request_id: str
    run_id: str
    stage: str
    phase: str
    at: dt.datetime
    data: dict[str, Any]


def _ensure_wal(cur: Any, wait_s: float = 30.0) -> None:
    """Switch the database to WAL once; later connections find it switched and change nothing.

    Changing the journal mode needs the database to itself, and SQLite answers "database is
    locked" at once (its busy handler does not apply) while another process writes or recovers
    the WAL: retry for up to ``wait_s`` seconds.
    """
    import sqlite3

    deadline = time.monotonic() + wait_s
    delay = 0.01
    while True:
        try:
            mode = cur.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _sqlite_immediate(engine: Engine) -> None:
    """SQLite: every transaction takes the write lock up front (BEGIN IMMEDIATE).

    With deferred transactions two writers that both read first can deadlock; with this, the
    second waits (busy timeout) and then sees the first one's rows.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        _ensure_wal(cur)
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Store:
    """Append-only register storage on SQLite (default) or PostgreSQL (by URL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = create_engine(
                url, connect_args={"timeout": 30} if url.startswith("sqlite") else {}, future=True
            )
        except Exception as exc:  # bad URL, missing driver
            raise ConfigError(f"NETPROV_DATABASE_URL is not usable: {type(exc).__name__}") from exc
        if url.startswith("sqlite"):
            _sqlite_immediate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.migrate()

    def at_head(self) -> bool:
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return False
            version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            return version == HEAD_REVISION

    def migrate(self) -> None:
        """Bring the schema to the newest revision (Alembic is imported only when needed)."""
        try:
            if self.at_head():
                return
        except OperationalError as exc:
            raise ConfigError(f"cannot open the register database: {exc.orig}") from exc
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    # Two processes opening a new database at once would both create
                    # alembic_version; the lock makes the second wait and then see it.
                    # (SQLite's BEGIN IMMEDIATE already serializes the same way.)
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise ConfigError(f"cannot open the register database: {exc.orig}") from exc

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as s, s.begin():
            yield s

    # --- requests ------------------------------------------------------------------------
    def insert_request(
        self,
        *,
        prefix: str,
        year: int,
        opd: str,
        service: str,
        letter: dict[str, Any],
        received_at: dt.datetime,
        registered_at: dt.datetime,
    ) -> StoredRequest:
        """Register a letter under the next free id of the year (unique under concurrency)."""
        letter_json = canonical(letter)
        for attempt in range(50):
            try:
                with self.session() as s:
                    last = s.scalar(select(func.max(RequestRow.seq)).where(RequestRow.year == year))
                    seq = (last or 0) + 1
                    rid = f"{prefix}-{year}-{seq:04d}"
                    s.add(
                        RequestRow(
                            id=rid,
                            year=year,
                            seq=seq,
                            opd=opd,
                            service=service,
                            letter_json=letter_json,
                            received_at=utc(received_at),
                            registered_at=utc(registered_at),
                        )
                    )
                return self.get_request(rid)
            except (IntegrityError, OperationalError):
                time.sleep(0.01 * (attempt + 1))
        raise ConcurrencyError("could not allocate a request id: the register is too busy")

    def get_request(self, request_id: str) -> StoredRequest:
        with self.session() as s:
            row = s.get(RequestRow, request_id)
            if row is None:
                raise NotFoundError(f"no request {request_id!r} in the register")
            return _req(row)

    def list_requests(self) -> list[StoredRequest]:
        with self.session() as s:
            return [_req(r) for r in s.scalars(select(RequestRow).order_by(RequestRow.year, RequestRow.seq))]

    # --- events ----------------------------------------------------------------------------
    def append_event(
        self,
        *,
        request_id: str,
        expected_seq: int,
        step: int,
        action: str,
        state: str,
        actor: str,
        role: str,
        at: dt.datetime,
        note: str,
        outputs: dict[str, Any],
    ) -> StoredEvent:
        """Append event number ``expected_seq``; ConcurrencyError if someone appended first."""
        outputs = json.loads(canonical(outputs))
        try:
            with self.session() as s:
                last = s.scalars(
                    select(EventRow)
                    .where(EventRow.request_id == request_id)
                    .order_by(EventRow.seq.desc())
                    .limit(1)
                ).first()
                current = last.seq if last else 0
                if current + 1 != expected_seq:
                    raise ConcurrencyError(
                        f"{request_id} changed meanwhile (event {current} exists): look again and retry"
                    )
                if last is not None:
                    prev = last.hash
                else:
                    req = s.get(RequestRow, request_id)
                    if req is None:
                        raise NotFoundError(f"no request {request_id!r} in the register")
                    prev = hashlib.sha256(req.letter_json.encode("utf-8")).hexdigest()
                unsigned = StoredEvent(
                    request_id,
                    expected_seq,
                    step,
                    action,
                    state,
                    actor,
                    role,
                    utc(at),
                    note,
                    outputs,
                    prev,
                    "",
                )
                event = dataclasses.replace(unsigned, hash=event_hash(prev, unsigned.hashed_fields()))
                s.add(
                    EventRow(
                        request_id=request_id,
                        seq=expected_seq,
                        step=step,
                        action=action,
                        state=state,
                        actor=actor,
                        role=role,
                        at=event.at,
                        note=note,
                        outputs_json=canonical(outputs),
                        prev_hash=prev,
                        hash=event.hash,
                    )
                )
        except IntegrityError as exc:
            raise ConcurrencyError(f"{request_id} changed meanwhile: look again and retry") from exc
        return event

    def events(self, request_id: str) -> list[StoredEvent]:
        with self.session() as s:
            rows = s.scalars(select(EventRow).where(EventRow.request_id == request_id).order_by(EventRow.seq))
            return [_evt(r) for r in rows]

    def all_events(self) -> dict[str, list[StoredEvent]]:
        out: dict[str, list[StoredEvent]] = {}
        with self.session() as s:
            for r in s.scalars(select(EventRow).order_by(EventRow.request_id, EventRow.seq)):
                out.setdefault(r.request_id, []).append(_evt(r))
        return out

    # --- pipeline journal --------------------------------------------------------------------
    def journal(
        self, request_id: str, run_id: str, stage: str, phase: str, data: dict[str, Any] | None = None
    ) -> None:
        with self.session() as s:
            s.add(
                JournalRow(
                    request_id=request_id,
                    run_id=run_id,
                    stage=stage,
                    phase=phase,
                    at=dt.datetime.now(dt.UTC),
                    data_json=canonical(data or {}),
                )
            )

    def journal_entries(self, request_id: str) -> list[JournalEntry]:
        with self.session() as s:
            rows = s.scalars(
                select(JournalRow).where(JournalRow.request_id == request_id).order_by(JournalRow.id)
            )
            return [
                JournalEntry(r.request_id, r.run_id, r.stage, r.phase, utc(r.at), json.loads(r.data_json))
                for r in rows
            ]

    # --- locks ---------------------------------------------------------------------------------
    def acquire_lock(self, request_id: str, holder: str) -> str:
        """Take the request's provisioning lock or raise ConcurrencyError naming the holder."""
        token = uuid.uuid4().hex
        try:
            with self.session() as s:
                s.add(
                    LockRow(
                        request_id=request_id, holder=holder, token=token, acquired_at=dt.datetime.now(dt.UTC)
                    )
                )
        except IntegrityError:
            held = self.lock_holder(request_id)
            who = f"{held[0]} since {held[1]:%Y-%m-%d %H:%M} UTC" if held else "someone"
            raise ConcurrencyError(
                f"{request_id} is being provisioned by {who}; wait, or if that run died, "
                f"use --resume --break-lock"
            ) from None
        return token

    def lock_holder(self, request_id: str) -> tuple[str, dt.datetime] | None:
        with self.session() as s:
            row = s.get(LockRow, request_id)
            return (row.holder, utc(row.acquired_at)) if row else None

    def release_lock(self, request_id: str, token: str | None = None) -> None:
        with self.session() as s:
            row = s.get(LockRow, request_id)
            if row is not None and (token is None or row.token == token):
                s.delete(row)


def _req(row: RequestRow) -> StoredRequest:
    return StoredRequest(
        row.id,
        row.year,
        row.seq,
        row.opd,
        row.service,
        json.loads(row.letter_json),
        row.letter_json,
        utc(row.received_at),
        utc(row.registered_at),
    )


def _evt(r: EventRow) -> StoredEvent:
    return StoredEvent(
        r.request_id,
        r.seq,
        r.step,
        r.action,
        r.state,
        r.actor,
        r.role,
        utc(r.at),
        r.note,
        json.loads(r.outputs_json),
        r.prev_hash,
        r.hash,
    )


def verify_chain(request: StoredRequest, events: list[StoredEvent]) -> list[str]:
    """Problems with the hash chain of one request ([] when intact)."""
    problems = []
    prev = hashlib.sha256(request.letter_json.encode("utf-8")).hexdigest()
    for i, e in enumerate(events, start=1):
        if e.seq != i:
            problems.append(f"event {i} is missing (found {e.seq})")
        if e.prev_hash != prev:
            problems.append(f"event {e.seq} does not follow event {e.seq - 1}")
        if event_hash(e.prev_hash, e.hashed_fields()) != e.hash:
            problems.append(f"event {e.seq} was altered (hash mismatch)")
        prev = e.hash
    return problems
