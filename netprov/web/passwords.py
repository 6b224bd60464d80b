"""Password hashing (argon2id, argon2-cffi). Plain passwords are never stored or logged."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from netprov.errors import InputError

MIN_LENGTH = 10
MAX_LENGTH = 1024
_DEFAULT = PasswordHasher()  # argon2id, the library's recommended cost (RFC 9106 low-memory profile)


@functools.cache
def _dummy() -> str:
    """A hash of a random password, verified against when the user has no account (same time)."""
    return _DEFAULT.hash(secrets.token_urlsafe(16))


def check_password(password: str) -> str:
    """The password when it is acceptable; InputError naming the problem otherwise."""
    if len(password) < MIN_LENGTH:
        raise InputError([f"password: must be at least {MIN_LENGTH} characters"], source="password")
    if len(password) > MAX_LENGTH:
        raise InputError([f"password: must be at most {MAX_LENGTH} characters"], source="password")
    if not password.isprintable():
        raise InputError(["password: must not contain control characters"], source="password")
    return password


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    return (hasher or _DEFAULT).hash(check_password(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (None: no account; still costs one verify)."""
    try:
        return _DEFAULT.verify(stored_hash or _dummy(), password[:MAX_LENGTH]) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
