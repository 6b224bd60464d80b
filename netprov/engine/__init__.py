"""Step 7 on Temporal workers (optional): ``NETPROV_TEMPORAL_ADDRESS`` set, each request's saga
is a Temporal workflow whose activities are the saga's stages (:mod:`netprov.engine.workflow`,
:mod:`netprov.engine.activities`), run by ``netprov worker`` processes on any machine and
followed by ``netprov provision`` (:mod:`netprov.engine.client`). Unset, nothing here is used.
"""

from __future__ import annotations

from netprov.errors import NetprovError

__all__ = ["Detached"]


class Detached(NetprovError):
    """The follower stopped; the workflows go on (the message says how to follow them)."""

    def __init__(self, request_ids: list[str]) -> None:
        self.request_ids = list(request_ids)
        ids = " ".join(request_ids)
        super().__init__(
            f"stopped following {ids}: the workflow keeps running on the workers; follow it with "
            f"`netprov provision {ids}` (it attaches) or see it with `netprov request show ID`"
        )
