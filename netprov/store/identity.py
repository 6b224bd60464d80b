"""The register's identity: a uuid made when the register is created, never changed.

netprov stamps it on the NetBox objects and monitoring entries it creates, so two registers on
one NetBox (a training register and the real one, whose request ids both start at
PJB-2026-0001) never take each other's objects.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from netprov.store.engine import StoreBase
from netprov.store.models import MetaRow

REGISTER_ID = "register_id"


class IdentityStore(StoreBase):
    """Reads (and, for a register that lacks one, makes) the register's identity."""

    _register_id: str | None = None

    def register_id(self) -> str:
        """This register's uuid (read once, then cached)."""
        if self._register_id is None:
            with self.session() as s:
                row = s.execute(select(MetaRow).where(MetaRow.key == REGISTER_ID)).scalar_one_or_none()
                if row is None:
                    row = MetaRow(key=REGISTER_ID, value=str(uuid.uuid4()))
                    s.add(row)
                self._register_id = row.value
        return self._register_id


def register_identity(service: object) -> str:
    """The identity of the register behind ``service`` (a ``RequestService``); "" for a
    stand-in without a store (tests' fakes), which then checks no ownership."""
    store = getattr(service, "store", None)
    ident = getattr(store, "register_id", None)
    return str(ident()) if callable(ident) else ""
