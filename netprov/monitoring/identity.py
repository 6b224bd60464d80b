"""Which register a monitoring entry belongs to (pure).

Each backend stamps the register's identity on what it creates (a Zabbix host tag, a
Prometheus target label, both named :data:`REGISTER_LABEL`) and treats an entry stamped by
another register as not its own: it refuses to register over it, does not report its status
and does not remove it. Unstamped entries (made before registers had an identity) count as
anyone's, and a backend without an identity checks nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from netprov.errors import RegisterConflict

REGISTER_LABEL = "netprov_register"


def stamp(labels: Mapping[str, str], register_id: str) -> dict[str, str]:
    """``labels`` plus the register's label (unchanged without an identity).

    >>> stamp({"request_id": "PJB-2026-0001"}, "r1")
    {'request_id': 'PJB-2026-0001', 'netprov_register': 'r1'}
    >>> stamp({"a": "b"}, "")
    {'a': 'b'}
    """
    return {**labels, REGISTER_LABEL: register_id} if register_id else dict(labels)


def foreign_owner(labels: Mapping[str, str], register_id: str) -> str | None:
    """The other register an entry with ``labels`` belongs to, or ``None`` if it is ours.

    >>> foreign_owner({REGISTER_LABEL: "r2"}, "r1"), foreign_owner({REGISTER_LABEL: "r1"}, "r1")
    ('r2', None)
    >>> foreign_owner({}, "r1"), foreign_owner({REGISTER_LABEL: "r2"}, "")
    (None, None)
    """
    owner = str(labels.get(REGISTER_LABEL) or "")
    return owner if register_id and owner and owner != register_id else None


def not_ours(request_id: str, what: str, owner: str, register_id: str) -> str:
    """The sentence naming both registers.

    >>> not_ours("PJB-2026-0001", "Zabbix host PJB-2026-0001", "r2", "r1")
    'PJB-2026-0001: Zabbix host PJB-2026-0001 belongs to register r2, not to this register r1'
    """
    return f"{request_id}: {what} belongs to register {owner}, not to this register {register_id}"


def conflict(request_id: str, what: str, owner: str, register_id: str) -> RegisterConflict:
    """The refusal to register over another register's entry."""
    return RegisterConflict(
        not_ours(request_id, what, owner, register_id)
        + "; two registers share this monitoring and both use this request id"
    )
