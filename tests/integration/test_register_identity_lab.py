"""Two registers (a training one and the real one) on the one lab NetBox and monitoring, both
at PJB-2026-0001: the second is refused, naming both registers, and never sees, adopts or
removes the first one's objects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netprov.app import App
from netprov.errors import RegisterConflict
from netprov.monitoring.base import MonitoredLink
from netprov.monitoring.factory import deregister_all, register_all
from netprov.settings import load_settings
from tests.conftest import LAB_DIR
from tests.integration.test_netbox_allocate import make_letter

pytestmark = [pytest.mark.lab, pytest.mark.netbox, pytest.mark.monitoring]

RID = "PJB-2026-0001"


@pytest.fixture
def two_registers(
    netbox_lab: dict[str, Any], monitoring_lab: dict[str, Any], tmp_path: Path
) -> Iterator[tuple[App, App]]:
    a = App(load_settings(data_dir=tmp_path / "training", lab_dir=LAB_DIR))
    b = App(load_settings(data_dir=tmp_path / "real", lab_dir=LAB_DIR))
    try:
        yield a, b
    finally:
        deregister_all(a.monitors, RID)
        a.ipam.release(RID)
        a.close()
        b.close()


def test_second_register_is_refused_in_netbox_and_monitoring(two_registers: tuple[App, App]) -> None:
    a, b = two_registers
    ida, idb = a.register_id, b.register_id
    assert ida and idb and ida != idb

    alloc = a.ipam.allocate(RID, make_letter())
    with pytest.raises(RegisterConflict) as refused:
        b.ipam.allocate(RID, make_letter())
    msg = str(refused.value)
    assert RID in msg and ida in msg and idb in msg
    print(f"NetBox refusal: {msg}")
    with pytest.raises(RegisterConflict):
        b.ipam.release(RID)  # never deletes the other register's objects
    assert a.ipam.allocate(RID, make_letter()).lan_prefix == alloc.lan_prefix  # A still holds it

    link = MonitoredLink.from_allocation(alloc)
    register_all(a.monitors, link)
    for backend in b.monitors:
        with pytest.raises(RegisterConflict) as refused:
            backend.register(link)
        assert ida in str(refused.value) and idb in str(refused.value)
        print(f"{backend.name} refusal: {refused.value}")
        status = backend.status(RID)
        assert status.up is None and ida in status.detail, status  # not the other's host as UP
        assert backend.find(RID) is None
        assert backend.deregister(RID) is False
    assert all(m.find(RID) is not None for m in a.monitors)  # A's entries are untouched
