"""Registered letters: insert under the next free id of the year, read back."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from netprov.errors import ConcurrencyError, DuplicateLetter, NotFoundError
from netprov.store.engine import StoreBase
from netprov.store.models import RequestRow
from netprov.store.records import StoredRequest, canonical, request_from_row, utc


def letter_key(opd: str, number: str) -> tuple[str, str]:
    """What makes two letters the same letter: department and number, case and spacing aside.

    >>> letter_key(" Dinas  Kesehatan", "005/DINKES/XI ")
    ('dinas kesehatan', '005/dinkes/xi')
    """
    return (" ".join(opd.split()).casefold(), " ".join(number.split()).casefold())


def _holder(s: Session, key: tuple[str, str]) -> str | None:
    """The id of the request registered for the letter ``key``, if any."""
    for rid, opd, letter_json in s.execute(select(RequestRow.id, RequestRow.opd, RequestRow.letter_json)):
        number = (json.loads(letter_json).get("letter") or {}).get("number")
        if isinstance(number, str) and letter_key(opd, number) == key:
            return str(rid)
    return None


class RequestStore(StoreBase):
    """The requests table of the register."""

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
        letter_number: str | None = None,
    ) -> StoredRequest:
        """Register a letter under the next free id of the year (unique under concurrency).

        With ``letter_number``, a letter of the same department and number already in the
        register is refused (:class:`DuplicateLetter` naming its request), checked in the same
        transaction as the insert so two processes cannot both register it.
        """
        letter_json = canonical(letter)
        key = letter_key(opd, letter_number) if letter_number is not None else None
        for attempt in range(50):
            try:
                with self.session() as s:
                    existing = _holder(s, key) if key is not None else None
                    if existing is not None:
                        raise DuplicateLetter(str(letter_number), opd, existing)
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
        """One request; NotFoundError when the register has none by that id."""
        with self.session() as s:
            row = s.get(RequestRow, request_id)
            if row is None:
                raise NotFoundError(f"no request {request_id!r} in the register")
            return request_from_row(row)

    def list_requests(self) -> list[StoredRequest]:
        """Every request, by year and number."""
        with self.session() as s:
            rows = s.scalars(select(RequestRow).order_by(RequestRow.year, RequestRow.seq))
            return [request_from_row(r) for r in rows]
