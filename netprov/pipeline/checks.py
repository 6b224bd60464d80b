"""Check kinds as a registry: each kind names itself (a label) and verifies itself on a device.

A playbook's ``verify`` entries resolve to :class:`~netprov.render.playbook.ResolvedCheck`; the
verify stage runs :func:`verify_task` on the device the check names, which looks the kind up in
:data:`CHECK_KINDS`. A new kind is one :func:`register_check` call (and the playbook schema's
``CheckKind``), not another branch.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netprov.errors import PipelineError
from netprov.platforms import Platform, get_platform
from netprov.render.playbook import ResolvedCheck

Verdict = tuple[bool, str]  # (ok, detail)


@dataclass(frozen=True)
class Device:
    """What a check runs against: the device's open connection and its platform."""

    name: str
    conn: Any
    platform: Platform


@dataclass(frozen=True)
class CheckKind:
    """How one kind of check is named and verified.

    Attributes:
        label: one human line naming what is checked (goes into the register's trail).
        verify: runs the check on the :class:`Device` (its connection, its platform); returns
            (ok, detail).
        converges: the check waits for routing to converge (longer timeout).
    """

    label: Callable[[ResolvedCheck], str]
    verify: Callable[[Device, ResolvedCheck], Verdict]
    converges: bool = False


CHECK_KINDS: dict[str, CheckKind] = {}


def register_check(kind: str, check: CheckKind) -> None:
    """Add (or replace) a check kind."""
    CHECK_KINDS[kind] = check


def check_kind(kind: str) -> CheckKind:
    """The registered kind, or ``PipelineError`` naming the known ones."""
    try:
        return CHECK_KINDS[kind]
    except KeyError:
        raise PipelineError(
            f"unknown check kind {kind!r} (known: {', '.join(sorted(CHECK_KINDS))})"
        ) from None


def check_label(check: ResolvedCheck) -> str:
    """The label of a resolved check, e.g. ``dist1 has route 10.0.0.0/27 (static)``."""
    return check_kind(check.kind).label(check)


def check_timeout(check: ResolvedCheck, converge_seconds: float, quick_seconds: float = 10.0) -> float:
    """How long the verify stage retries a check before it fails."""
    return converge_seconds if check_kind(check.kind).converges else quick_seconds


def verify_task(task: Any, check: ResolvedCheck) -> Any:
    """Nornir task: one verification, on the device it names. Result: (ok, detail)."""
    from nornir.core.task import Result

    platform = get_platform(str(task.host.platform))
    device = Device(task.host.name, platform.open(task), platform)
    return Result(host=task.host, result=check_kind(check.kind).verify(device, check))


# --- the built-in kinds --------------------------------------------------------------------------
def _ping_label(check: ResolvedCheck) -> str:
    src = f" from {check.source}" if check.source else ""
    return f"ping {check.from_device}{src} → {check.target}"


PING_COUNT = 3
PING_INTERVAL = 0.2  # seconds between probes, where the driver's ping takes an ``interval``


def _ping(device: Device, check: ResolvedCheck) -> Verdict:
    """Three probes (one reply is enough), 1 s wait each; 0.2 s apart where the driver can."""
    drv = device.conn
    kwargs: dict[str, Any] = {"count": PING_COUNT, "timeout": 1}
    if _takes(drv.ping, "interval"):
        kwargs["interval"] = PING_INTERVAL
    res = drv.ping(str(check.target), source=str(check.source) if check.source else "", **kwargs)
    ok_part = res.get("success", {})
    ok = bool(ok_part) and ok_part.get("packet_loss", 3) < ok_part.get("probes_sent", 3)
    detail = (
        f"{ok_part.get('probes_sent', 0) - ok_part.get('packet_loss', 0)}/{ok_part.get('probes_sent', 0)}"
        f" replies, rtt {ok_part.get('rtt_avg', 0):.2f} ms"
        if ok_part
        else str(res.get("error", res))
    )
    return ok, detail


def _takes(func: Callable[..., Any], name: str) -> bool:
    """Whether ``func`` has a parameter ``name`` (NAPALM's own ping has no ``interval``)."""
    try:
        return name in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def _address_label(check: ResolvedCheck) -> str:
    return f"{check.device} {check.interface} has {check.address}"


def _address(device: Device, check: ResolvedCheck) -> Verdict:
    drv = device.conn
    if not (check.interface and check.address):
        raise PipelineError("an interface_address check needs an interface and an address")
    addrs = drv.get_interfaces_ip().get(check.interface, {}).get("ipv4", {})
    ip = str(check.address.ip)
    ok = ip in addrs and addrs[ip].get("prefix_length") == check.address.network.prefixlen
    return ok, f"{check.interface}: {', '.join(addrs) or 'no address'}"


def _route_label(check: ResolvedCheck) -> str:
    return f"{check.device} has route {check.prefix} ({check.protocol})"


def _route(device: Device, check: ResolvedCheck) -> Verdict:
    drv = device.conn
    routes = drv.get_route_to(destination=str(check.prefix), protocol=check.protocol or "")
    entries = routes.get(str(check.prefix), [])
    ok = any(r.get("current_active") for r in entries)
    via = ", ".join(f"{r.get('protocol')} via {r.get('next_hop')}" for r in entries) or "no route"
    return ok, via


def _bgp_label(check: ResolvedCheck) -> str:
    return f"{check.device} learned {check.prefix} by BGP"


def _bgp_announced(device: Device, check: ResolvedCheck) -> Verdict:
    return device.platform.bgp_announced(device.conn, str(check.prefix), device.name)


register_check("ping", CheckKind(_ping_label, _ping, converges=True))
register_check("interface_address", CheckKind(_address_label, _address))
register_check("route", CheckKind(_route_label, _route, converges=True))
register_check("bgp_announced", CheckKind(_bgp_label, _bgp_announced, converges=True))
