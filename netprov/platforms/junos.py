"""Juniper Junos: validate-only (curly-brace and hier_config set-form check; no lab device)."""

from __future__ import annotations

from typing import ClassVar

from netprov.platforms._checks import check_junos
from netprov.platforms.base import Checker, Platform


class JunosPlatform(Platform):
    """Junos (validate-only)."""

    name: ClassVar[str] = "junos"
    provisionable: ClassVar[bool] = False
    vendor_matrix: ClassVar[bool] = True
    comment_prefixes: ClassVar[tuple[str, ...]] = ("/*", "#")

    def validators(self) -> list[tuple[str, Checker]]:
        """The Junos structure check."""
        return [("hier_config junos", check_junos)]
