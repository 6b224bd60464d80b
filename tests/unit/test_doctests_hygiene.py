"""The ``>>>`` examples in the docstrings of pure helpers run and pass.

Each listed module must hold at least one example, so that an example removed by accident
(or a module whose docstrings the doctest finder cannot see) fails here instead of silently
testing nothing. The services helper's ``test_doctests.py`` lists the domain planning modules.
"""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "netprov.domain.clock",
    "netprov.netbox.naming",
    "netprov.render.safe",
    "netprov.store.records",
    "netprov.monitoring.zabbix_data",
    "netprov.netbox.seed_diff",
    "netprov.netbox.seed_sync",
    "netprov.documents.dates",
    "netprov.documents.masking",
    "netprov.documents.numbering",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True)
    assert result.attempted > 0, f"{name} has no doctest examples"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
