"""Signing in: the users file's people, their argon2 hashes, lockout and sessions in the register.

A session cookie carries a random token; the register keeps only its SHA-256 (with the user,
the CSRF token and the expiry), so any web process sees the same sessions and a copied
database does not give sessions away. After ``lockout_failures`` wrong passwords in a row the
account locks for ``lockout_minutes`` (counted in the register: two processes share it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from netprov.domain.users import Directory, User
from netprov.errors import NetprovError
from netprov.sop.ports import Clock
from netprov.store.db import Store
from netprov.web.passwords import verify_password


class LoginRefused(NetprovError):
    """Wrong name or password, or a locked account (the message says which, not which part)."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in person of one request."""

    user: User
    csrf: str
    token_hash: str


@dataclass(frozen=True)
class AuthPolicy:
    session_minutes: int = 480
    lockout_failures: int = 5
    lockout_minutes: int = 15


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Authenticator:
    def __init__(self, store: Store, users: Directory, clock: Clock, policy: AuthPolicy) -> None:
        self.store, self.users, self.clock, self.policy = store, users, clock, policy

    def login(self, username: str, password: str) -> str:
        """A new session token for a right password; LoginRefused otherwise."""
        now = self.clock()
        user = self.users.find(username[:100])
        account = self.store.account(user.username) if user else None
        if account and account.locked_until and account.locked_until > now:
            raise LoginRefused("locked")
        ok = verify_password(account.password_hash if account else None, password)
        if not ok or user is None:
            if account is not None and user is not None:
                lock = dt.timedelta(minutes=self.policy.lockout_minutes)
                if self.store.record_login_failure(user.username, now, self.policy.lockout_failures, lock):
                    raise LoginRefused("locked")
            raise LoginRefused("wrong")
        self.store.record_login_success(user.username)
        token = secrets.token_urlsafe(32)
        ttl = dt.timedelta(minutes=self.policy.session_minutes)
        self.store.add_web_session(token_hash(token), user.username, secrets.token_urlsafe(32), now, ttl)
        return token

    def viewer(self, token: str | None) -> Viewer | None:
        """The signed-in person for a session cookie (None: none, expired, or user removed)."""
        if not token or len(token) > 200:
            return None
        digest = token_hash(token)
        session = self.store.web_session(digest, self.clock())
        if session is None:
            return None
        user = self.users.find(session.username)
        return Viewer(user, session.csrf, digest) if user else None

    def logout(self, viewer: Viewer) -> None:
        self.store.end_web_session(viewer.token_hash)
