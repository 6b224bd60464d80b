"""Opening the register database: engine, SQLite WAL and write-lock setup, migration to head."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from netprov.errors import ConfigError

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD_REVISION = "0004w"  # the newest migration; tests check it matches Alembic's head
# PostgreSQL advisory-lock key that serializes schema migration between processes
# (the first process creates the tables; the others wait, then find them at head).
MIGRATION_LOCK_KEY = 0x6E657470726F76  # "netprov"


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


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (SQLite's folder created, WAL and BEGIN IMMEDIATE set up)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(
            url, connect_args={"timeout": 30} if url.startswith("sqlite") else {}, future=True
        )
    except Exception as exc:  # bad URL, missing driver
        raise ConfigError(f"NETPROV_DATABASE_URL is not usable: {type(exc).__name__}") from exc
    if url.startswith("sqlite"):
        _sqlite_immediate(engine)
    return engine


def at_head(engine: Engine) -> bool:
    """Whether the database's schema is at :data:`HEAD_REVISION`."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        return bool(version == HEAD_REVISION)


def migrate(engine: Engine, url: str) -> None:
    """Bring the schema to the newest revision (Alembic is imported only when needed)."""
    try:
        if at_head(engine):
            return
    except OperationalError as exc:
        raise ConfigError(f"cannot open the register database: {exc.orig}") from exc
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Two processes opening a new database at once would both create
                # alembic_version; the lock makes the second wait and then see it.
                # (SQLite's BEGIN IMMEDIATE already serializes the same way.)
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise ConfigError(f"cannot open the register database: {exc.orig}") from exc


class StoreBase:
    """The open, migrated database and its transactions; the store's parts build on it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.migrate()

    def at_head(self) -> bool:
        """Whether the schema is at the newest revision."""
        return at_head(self.engine)

    def migrate(self) -> None:
        """Bring the schema to the newest revision."""
        migrate(self.engine, self.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction (committed on leaving, rolled back on an exception)."""
        with self._sessions() as s, s.begin():
            yield s
