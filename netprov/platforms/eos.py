"""Arista EOS: validate-only (hier_config structural check; no lab device)."""

from __future__ import annotations

from typing import ClassVar

from netprov.platforms._checks import check_cisco_like
from netprov.platforms.base import Checker, Platform


def check_eos(text: str) -> tuple[bool, list[str]]:
    """hier_config EOS parse, known sections, no dangerous lines."""
    return check_cisco_like(text, "eos")


class EosPlatform(Platform):
    """Arista EOS (validate-only)."""

    name: ClassVar[str] = "eos"
    provisionable: ClassVar[bool] = False
    vendor_matrix: ClassVar[bool] = True

    def validators(self) -> list[tuple[str, Checker]]:
        """The hier_config EOS check."""
        return [("hier_config eos", check_eos)]
