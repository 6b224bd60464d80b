"""Changes of a link already built: which request changes which, and what a change letter may ask.

A change letter (:class:`netprov.domain.letters.ChangeLetter`) names the request whose link it
changes (``of``). It is registered as a full :class:`~netprov.domain.letters.Letter` whose
service, hosts, purpose and site are the original's (so every step, paper and template reads
it as it reads a new link), with ``kind``, ``of`` and, for a decommission, the ``reason``.

A change is refused (one sentence naming ``of``, nothing written) when ``of`` is not a request,
is not a link the pipeline built (or is not yet done), is itself a change, was decommissioned,
or already has an open change. Two processes registering a change of the same link at once:
the register lock ``change:<of>`` lets one check and insert at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from netprov.domain.letters import ChangeLetter, Letter
from netprov.domain.sop import TERMINAL, State
from netprov.errors import ConcurrencyError, InputError, NotFoundError

if TYPE_CHECKING:
    from netprov.sop.base import ServiceBase
    from netprov.sop.record import RequestRecord

#: Annotations a finished change leaves on the link it changed (the link's trail shows them).
DECOMMISSIONED = "decommissioned"
BANDWIDTH_CHANGED = "bandwidth-changed"
CHANGE_ANNOTATIONS = frozenset({DECOMMISSIONED, BANDWIDTH_CHANGED})
#: States of an original whose link is built and whose own request is finished.
_BUILT = frozenset({State.PROVISIONED, State.REPORTED, State.FORWARDED, State.REVIEWED, State.DONE})


def kind_of(record: RequestRecord) -> str:
    """The request's kind as its letter says (``new-link`` for letters before kinds existed)."""
    return str(record.request.letter.get("kind") or "new-link")


def changed_link(record: RequestRecord) -> str | None:
    """The id of the request whose link ``record`` changes (None: a new link)."""
    of = record.request.letter.get("of")
    return str(of) if of else None


def changes_of(records: Iterable[RequestRecord], link_id: str) -> list[RequestRecord]:
    """The requests that change ``link_id``'s link, oldest first."""
    return [r for r in records if changed_link(r) == link_id]


def decommissioned_by(record: RequestRecord) -> str | None:
    """The decommission request that took the link out, if one did."""
    for e in record.events:
        if e.action == DECOMMISSIONED:
            return str(e.outputs.get("by") or "")
    return None


def effective_bandwidth(record: RequestRecord) -> int:
    """The link's rate now: its letter's, or the newest finished bandwidth change's."""
    rate = int(record.request.letter.get("bandwidth_mbps") or 0)
    for e in record.events:
        if e.action == BANDWIDTH_CHANGED and e.outputs.get("bandwidth_mbps"):
            rate = int(e.outputs["bandwidth_mbps"])
    return rate


def _refusal(svc: ServiceBase, change: ChangeLetter) -> tuple[RequestRecord, str | None]:
    try:
        original = svc.get(change.of)
    except (NotFoundError, InputError):
        raise InputError([f"of: {change.of} is not a request in this register"], source="letter") from None
    if kind_of(original) != "new-link":
        return original, f"{change.of} is itself a {kind_of(original)}; name the link's own request"
    if original.state not in _BUILT:
        return original, f"{change.of} is {original.state.value}: only a link built by step 7 can be changed"
    ev = next((e for e in reversed(original.events) if e.action == "provision"), None)
    if ev is None or ev.outputs.get("mode") != "pipeline":
        return original, f"{change.of} was provisioned by hand: netprov cannot change its devices"
    if by := decommissioned_by(original):
        return original, f"{change.of} was decommissioned by {by}"
    open_ = [r for r in changes_of(svc.find(), change.of) if r.state not in TERMINAL]
    if open_:
        r = open_[0]
        return original, f"{change.of} already has an open change: {r.id} ({kind_of(r)}, {r.state.value})"
    return original, None


def resolve_change(svc: ServiceBase, change: ChangeLetter) -> Letter:
    """The letter to register for ``change`` (the original's link data filled in), or
    InputError naming ``of``. Call it holding :func:`change_lock`."""
    original, why = _refusal(svc, change)
    if why:
        raise InputError([f"of: {why}"], source="letter")
    base = original.letter
    if change.kind == "bandwidth-change" and change.bandwidth_mbps == effective_bandwidth(original):
        rate = change.bandwidth_mbps
        raise InputError([f"bandwidth_mbps: {change.of} already runs at {rate} Mbps"], "letter")
    return Letter.model_validate(
        {
            **base.model_dump(mode="json"),
            "letter": change.letter.model_dump(mode="json"),
            "opd": change.opd,
            "contact": change.contact.model_dump(mode="json"),
            "purpose": change.purpose or base.purpose,
            "bandwidth_mbps": change.bandwidth_mbps or effective_bandwidth(original),
            "kind": change.kind,
            "of": change.of,
            "reason": change.reason,
        }
    )


def change_lock_id(link_id: str) -> str:
    """The register lock that serializes registering changes of one link."""
    return f"change:{link_id}"


def take_change_lock(svc: ServiceBase, link_id: str, holder: str) -> str:
    try:
        return svc.runs.acquire_lock(change_lock_id(link_id), holder)
    except ConcurrencyError:
        raise InputError(
            [f"of: another change of {link_id} is being registered right now; try again"], source="letter"
        ) from None
