"""Per-request provisioning locks: one holder at a time, released by its token."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.exc import IntegrityError

from netprov.errors import ConcurrencyError
from netprov.store.engine import StoreBase
from netprov.store.models import LockRow
from netprov.store.records import utc


class LockStore(StoreBase):
    """The locks table of the register."""

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
        """Who holds the request's lock and since when, or None."""
        with self.session() as s:
            row = s.get(LockRow, request_id)
            return (row.holder, utc(row.acquired_at)) if row else None

    def holds_lock(self, request_id: str, token: str) -> bool:
        """Whether ``token`` still holds the request's lock (not released, not taken over)."""
        with self.session() as s:
            row = s.get(LockRow, request_id)
            return row is not None and row.token == token

    def release_lock(self, request_id: str, token: str | None = None) -> None:
        """Release the lock (only if ``token`` matches, when given; no error when not held)."""
        with self.session() as s:
            row = s.get(LockRow, request_id)
            if row is not None and (token is None or row.token == token):
                s.delete(row)
