"""Compatibility re-exports: the pure step-4 logic now lives in :mod:`netprov.domain`.

Address planning and survey rows: :mod:`netprov.domain.planning`; the feasibility
evaluation: :mod:`netprov.domain.feasibility`. Import from there in new code.
"""

from __future__ import annotations

from netprov.domain.feasibility import evaluate
from netprov.domain.planning import (
    LinkRow,
    Net,
    PoolRow,
    ServiceRule,
    SiteRow,
    Survey,
    TenantRow,
    UplinkRow,
    VlanGroupRow,
    build_allocation,
    committed_bandwidth,
    first_fit,
    interface_sort_key,
    lan_gateway,
    largest_free,
    match_tenant,
    transfer_addresses,
)

__all__ = [
    "LinkRow",
    "Net",
    "PoolRow",
    "ServiceRule",
    "SiteRow",
    "Survey",
    "TenantRow",
    "UplinkRow",
    "VlanGroupRow",
    "build_allocation",
    "committed_bandwidth",
    "evaluate",
    "first_fit",
    "interface_sort_key",
    "lan_gateway",
    "largest_free",
    "match_tenant",
    "transfer_addresses",
]
