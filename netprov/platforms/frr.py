"""FRRouting through netprov's NAPALM driver ``napalm_frr`` (vtysh over SSH).

Commit-confirm is the driver's ``revert_in`` (the router reverts by itself); the validator is
FRR's own parser, ``vtysh --dryrun -f`` (no daemon needed).
"""

from __future__ import annotations

from typing import Any, ClassVar

from netprov.platforms._errors import device_errors
from netprov.platforms._napalm import NapalmPlatform
from netprov.platforms._tools import ensure_tool, run_parser
from netprov.platforms.base import Checker


def check_frr(text: str) -> tuple[bool, list[str]]:
    """``vtysh --dryrun -f``: FRR's own parser, no daemon needed."""
    return run_parser([ensure_tool("vtysh"), "--dryrun", "-f"], text, ".conf")


class FrrPlatform(NapalmPlatform):
    """FRR 8+ routers (``napalm_frr``)."""

    name: ClassVar[str] = "frr"
    netbox_model: ClassVar[str] = "FRR router (netns)"

    def validators(self) -> list[tuple[str, Checker]]:
        """FRR's own parser."""
        return [("vtysh --dryrun", check_frr)]

    def _cancel_pending(self, conn: Any) -> None:
        """Roll back a pending commit first: it stops the router's own revert timer."""
        if conn.has_pending_commit():
            conn.rollback()

    def bgp_announced(self, conn: Any, prefix: str, device: str = "") -> tuple[bool, str]:
        """NAPALM ``get_route_to(prefix, protocol="bgp")``: an active BGP route."""
        with device_errors(device or "device", "read routes"):
            routes = conn.get_route_to(destination=prefix, protocol="bgp")
        entries = routes.get(prefix, [])
        ok = any(r.get("current_active") for r in entries)
        via = ", ".join(f"{r.get('protocol')} via {r.get('next_hop')}" for r in entries)
        return ok, via or "not in the table"
