"""The IPAM interface the services use (step-4 check, step-7 allocation); no pynetbox here."""

from __future__ import annotations

import ipaddress
from typing import Protocol

from netprov.domain.letters import Letter
from netprov.domain.resources import Allocation, Feasibility, UplinkHeadroom


class Ipam(Protocol):
    """What the SOP workflow and the provisioning pipeline need from an IPAM.

    ``NetBoxIpam`` (``netprov.netbox.adapter``) implements it against NetBox.
    """

    @property
    def api_calls(self) -> int:
        """HTTP calls made so far (for measurements)."""
        ...

    def check(self, request_id: str, letter: Letter) -> Feasibility:
        """Step 4: is the request feasible now? Writes nothing."""
        ...

    def plan(self, request_id: str, letter: Letter) -> Allocation:
        """What ``allocate`` would give now (or already gave); writes nothing."""
        ...

    def allocate(self, request_id: str, letter: Letter) -> Allocation:
        """Reserve prefix, addresses, VLAN and port; idempotent per request, race-free."""
        ...

    def find_allocation(self, request_id: str) -> Allocation | None:
        """The complete allocation a request holds, or None."""
        ...

    def release(self, request_id: str) -> list[str]:
        """Undo what ``allocate`` (and ``activate``) made; returns what was released."""
        ...

    def activate(self, allocation: Allocation, step: int, note: str) -> None:
        """Mark the allocation active, assign addresses to interfaces, journal it."""
        ...

    def headroom(self, letter: Letter) -> UplinkHeadroom | None:
        """The uplink the letter's link counts against: capacity and committed bandwidth."""
        ...

    def change_bandwidth(self, request_id: str, letter: Letter, old_mbps: int, note: str) -> None:
        """Step 7 of a bandwidth change: headroom checked under the allocation lock, then set."""
        ...

    def set_bandwidth(self, request_id: str, mbps: int, note: str) -> None:
        """Set the request's committed bandwidth (a bandwidth change), journaled."""
        ...

    def journal(self, request_id: str, step: int, message: str) -> None:
        """A journal entry on every object of the request."""
        ...

    def tagged_objects(self, request_id: str) -> list[dict[str, object]]:
        """Objects of the request: kind, id, display, url, journaled."""
        ...

    def active_prefixes(self, service: str) -> list[ipaddress.IPv4Network]:
        """LAN prefixes of ``service`` reserved or active (what the border router announces
        for a playbook with ``announce: provider``; see
        :func:`netprov.render.playbook.announced_prefixes`)."""
        ...
