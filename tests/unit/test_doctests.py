"""Run the ``>>>`` examples of the pure modules (not ``--doctest-modules`` globally).

Add a module here when you give its functions examples.
"""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "netprov.domain.resources",
    "netprov.domain.assignment",
    "netprov.domain.planning",
    "netprov.domain.services",
    "netprov.netbox.naming",
    "netprov.monitoring.identity",
    "netprov.netbox.records",
    "netprov.platforms.ios",
    "netprov.platforms.ios_display",
    "netprov.render.data",
    "netprov.render.link",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0, f"{name} has no doctest examples"
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
