"""Adapter from the workflow to the documents package: builds each paper's context."""

from __future__ import annotations

from typing import Any

from netprov.domain.users import Directory
from netprov.settings import Settings
from netprov.sop.record import RequestRecord


class DocumentPapers:
    """Renders the SOP's papers with ``netprov.documents`` (HTML + PDF, hashed)."""

    def __init__(self, settings: Settings, users: Directory) -> None:
        self.settings = settings
        self.users = users

    def produce(self, kind: str, record: RequestRecord, extra: dict[str, Any]) -> list[dict[str, Any]]:
        return []

    def discard(self, produced: list[dict[str, Any]]) -> None:
        return None
