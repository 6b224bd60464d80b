"""Web accounts and sessions in the register: hashes, lockout counts, signed-in browsers.

Everything here is one transaction against the register, so two web processes share the
lockout count and the sessions (SQLite: BEGIN IMMEDIATE serializes them; PostgreSQL: the row
is locked with ``FOR UPDATE``). No password or session token is stored: only the password's
hash and the SHA-256 of the session token.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select

from netprov.store.engine import StoreBase
from netprov.store.models import AccountRow, WebSessionRow
from netprov.store.records import utc


@dataclass(frozen=True)
class Account:
    username: str
    password_hash: str
    failed: int
    locked_until: dt.datetime | None


@dataclass(frozen=True)
class WebSession:
    username: str
    csrf: str
    expires_at: dt.datetime


class AccountStore(StoreBase):
    """The web_accounts and web_sessions tables."""

    def set_password_hash(self, username: str, password_hash: str, now: dt.datetime) -> None:
        """Set (or replace) a password hash; clears the lockout and ends the user's sessions."""
        now = utc(now)  # times are stored in UTC (SQLite keeps no offset)
        with self.session() as s:
            row = s.get(AccountRow, username, with_for_update=True)
            if row is None:
                s.add(AccountRow(username=username, password_hash=password_hash, failed=0, changed_at=now))
            else:
                row.password_hash, row.failed, row.locked_until, row.changed_at = password_hash, 0, None, now
            s.execute(delete(WebSessionRow).where(WebSessionRow.username == username))

    def account(self, username: str) -> Account | None:
        with self.session() as s:
            row = s.get(AccountRow, username)
            if row is None:
                return None
            locked = utc(row.locked_until) if row.locked_until else None
            return Account(row.username, row.password_hash, row.failed, locked)

    def record_login_failure(
        self, username: str, now: dt.datetime, limit: int, lock_for: dt.timedelta
    ) -> dt.datetime | None:
        """Count a failed login; at ``limit`` failures in a row the account locks for ``lock_for``.
        Returns the lock's end when the account is (now) locked."""
        now = utc(now)
        with self.session() as s:
            row = s.get(AccountRow, username, with_for_update=True)
            if row is None:
                return None
            row.failed += 1
            if row.failed >= limit:
                row.failed = 0
                row.locked_until = now + lock_for
            return utc(row.locked_until) if row.locked_until and utc(row.locked_until) > now else None

    def record_login_success(self, username: str) -> None:
        with self.session() as s:
            row = s.get(AccountRow, username, with_for_update=True)
            if row is not None:
                row.failed, row.locked_until = 0, None

    def add_web_session(
        self, token_hash: str, username: str, csrf: str, now: dt.datetime, ttl: dt.timedelta
    ) -> None:
        now = utc(now)
        with self.session() as s:
            s.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
            s.add(
                WebSessionRow(
                    token_hash=token_hash, username=username, csrf=csrf, created_at=now, expires_at=now + ttl
                )
            )

    def web_session(self, token_hash: str, now: dt.datetime) -> WebSession | None:
        """The live session with this token hash (an expired one is removed and not returned)."""
        now = utc(now)
        with self.session() as s:
            row = s.get(WebSessionRow, token_hash)
            if row is None:
                return None
            if utc(row.expires_at) <= now:
                s.delete(row)
                return None
            return WebSession(row.username, row.csrf, utc(row.expires_at))

    def end_web_session(self, token_hash: str) -> None:
        with self.session() as s:
            s.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == token_hash))

    def web_session_count(self, username: str) -> int:
        with self.session() as s:
            rows = s.execute(select(WebSessionRow.token_hash).where(WebSessionRow.username == username))
            return len(rows.all())
