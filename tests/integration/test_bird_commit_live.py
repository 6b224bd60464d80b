"""BIRD's own commit-confirm on the lab's provider edge, through the pipeline's device tasks.

A commit that nobody confirms is undone by BIRD itself (netprov may be dead by then); a
confirmed one stays; a restore puts the saved config back and cancels a pending undo.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from nornir.core import Nornir

from netprov.pipeline import device_ops
from netprov.pipeline.nornir_setup import build_nornir, only
from netprov.settings import Settings

pytestmark = [pytest.mark.lab]

PE = "isp-pe1"
TEST_ROUTE = "198.51.100.200/32"
EXTRA = f"\nprotocol static netprov_commit_test {{\n  ipv4;\n  route {TEST_ROUTE} blackhole;\n}}\n"


@pytest.fixture
def pe(device_lab: dict[str, Any], lab_settings: Settings) -> Iterator[tuple[Nornir, str]]:
    nr = only(build_nornir(lab_settings, use_netbox=False), [PE])
    saved = str(nr.run(task=device_ops.running_config)[PE][0].result)
    yield nr, saved
    nr.data.reset_failed_hosts()  # a test that expects a failure leaves the host marked failed
    res = nr.run(task=device_ops.restore, snapshot=saved)
    nr.close_connections()
    assert not res.failed, res[PE][0].exception


def _routes(nr: Nornir) -> str:
    drv = nr.inventory.hosts[PE].get_connection("napalm", nr.config)
    return str(drv.transport.send_bird_command("show route"))


def _push(nr: Nornir, config: str, revert_in: int) -> Any:
    res = nr.run(
        task=device_ops.push_config, config=config, mode="replace", message="test", revert_in=revert_in
    )
    assert not res.failed, res[PE][0].exception
    return res[PE][0].result


def _wait_for(check: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return check()


def test_an_unconfirmed_commit_is_undone_by_bird_itself(pe: tuple[Nornir, str]) -> None:
    nr, saved = pe
    out = _push(nr, saved + EXTRA, revert_in=3)
    assert out["committed_at"] and "netprov_commit_test" in out["diff"]
    assert TEST_ROUTE.split("/")[0] in _routes(nr)
    nr.close_connections()  # netprov goes away: the timer is BIRD's, not this process's
    assert _wait_for(lambda: TEST_ROUTE.split("/")[0] not in _routes(nr), 15)
    res = nr.run(task=device_ops.confirm)  # too late: BIRD already undid it
    assert res.failed and "already undone" in str(res[PE][0].exception)
    nr.data.reset_failed_hosts()
    assert str(nr.run(task=device_ops.running_config)[PE][0].result) == saved + EXTRA  # file: new


def test_a_confirmed_commit_stays(pe: tuple[Nornir, str]) -> None:
    nr, saved = pe
    _push(nr, saved + EXTRA, revert_in=8)  # room for a slow machine between push and confirm
    res = nr.run(task=device_ops.confirm)
    assert not res.failed, res[PE][0].exception
    time.sleep(9)
    assert TEST_ROUTE.split("/")[0] in _routes(nr)


def test_restore_cancels_a_pending_undo_and_returns_the_saved_config(pe: tuple[Nornir, str]) -> None:
    nr, saved = pe
    _push(nr, saved + EXTRA, revert_in=4)
    res = nr.run(task=device_ops.restore, snapshot=saved)
    assert not res.failed, res[PE][0].exception
    assert TEST_ROUTE.split("/")[0] not in _routes(nr)
    assert str(nr.run(task=device_ops.running_config)[PE][0].result) == saved
    time.sleep(6)  # past the old timer: nothing flips back
    assert TEST_ROUTE.split("/")[0] not in _routes(nr)
    assert str(nr.run(task=device_ops.running_config)[PE][0].result) == saved


def test_a_config_bird_refuses_leaves_the_router_as_it_was(pe: tuple[Nornir, str]) -> None:
    nr, saved = pe
    res = nr.run(
        task=device_ops.push_config,
        config=saved + "\nprotocol static {\n  nonsense;\n}\n",
        mode="replace",
        message="test",
        revert_in=5,
    )
    assert res.failed and "isp-pe1 refused the config" in str(res[PE][0].exception)
    nr.data.reset_failed_hosts()
    assert str(nr.run(task=device_ops.running_config)[PE][0].result) == saved
