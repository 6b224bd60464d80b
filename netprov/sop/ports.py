"""What the SOP service is given: a clock and the ``Papers`` port (a step's documents)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from netprov.sop.record import RequestRecord

Clock = Callable[[], dt.datetime]


def now_utc() -> dt.datetime:
    """The real clock."""
    return dt.datetime.now(dt.UTC)


class Papers(Protocol):
    """Produces a step's official documents (see ``netprov.documents``).

    ``extra`` carries what the step is about to record (``action``, ``actor``, ``outputs``,
    ``reasons``) and the paper's agenda entry: ``agenda_seq`` (its number in the agenda of
    outgoing letters, the ``{seq}`` of ``letter_number_format``), ``agenda_year`` and
    ``issued_at`` (the moment the number was issued: the paper's date).
    """

    def produce(self, kind: str, record: RequestRecord, extra: dict[str, Any]) -> list[dict[str, Any]]:
        """Render and store; return one dict per file set (kind, version, paths, sha256)."""

    def discard(self, produced: list[dict[str, Any]]) -> None:
        """Remove files produced for an event that was then not recorded."""


class NoPapers:
    """Used when documents are switched off (tests of pure workflow)."""

    def produce(self, kind: str, record: RequestRecord, extra: dict[str, Any]) -> list[dict[str, Any]]:
        return []

    def discard(self, produced: list[dict[str, Any]]) -> None:
        return None
