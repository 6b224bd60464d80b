"""The pipeline's Nornir tasks (pipeline/device_ops.py) delegate to the host's platform."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from nornir import InitNornir
from nornir.core.inventory import ConnectionOptions

from netprov.errors import (
    ConfirmFailed,
    DeviceUnreachable,
    RestoreFailed,
    UnknownPlatform,
    UnsupportedOperation,
)
from netprov.pipeline import device_ops
from tests.conformance.fakes import FakeBird2, FakeHost, FakeIos, FakeNapalmFrr, FakeTask

FRR = "hostname cpe1\ninterface lan1\n ip address 10.100.1.1/24\nexit\n"
CHANGE = "interface lan1\n description x\nexit\n"


def _task(platform: str, conn: object, dry_run: bool = False) -> FakeTask:
    kind = "netmiko" if platform == "ios" else "napalm"
    return FakeTask(FakeHost("r1", platform, conn, kind), dry_run=dry_run)


def test_push_commits_with_the_revert_timer_and_reports_when() -> None:
    drv = FakeNapalmFrr(FRR)
    res = device_ops.push_config(_task("frr", drv), CHANGE, "merge", "msg", 90)
    assert res.changed and res.result["committed_at"] and "description x" in res.result["diff"]
    assert drv.commits == [("msg", 90)] and drv.has_pending_commit()
    assert device_ops.confirm(_task("frr", drv)).result == "confirmed"
    assert device_ops.confirm(_task("frr", drv)).result == "no pending commit"
    again = device_ops.push_config(_task("frr", drv), CHANGE, "merge", "msg", 90)
    assert again.result == {"diff": "", "committed_at": None, "after": None} and not again.changed


def test_dry_run_only_diffs() -> None:
    drv = FakeNapalmFrr(FRR)
    res = device_ops.push_config(_task("frr", drv, dry_run=True), CHANGE, "merge", "m", 90)
    assert res.changed and "description x" in res.result and drv.running == FRR
    assert device_ops.restore(_task("frr", drv, dry_run=True), "x").result == "dry run"
    assert device_ops.confirm(_task("frr", drv, dry_run=True)).result == "nothing to confirm"


def test_ios_has_no_timer_and_nothing_to_confirm() -> None:
    sw = FakeIos("interface FastEthernet0/3\n switchport mode access\n")
    snap = str(device_ops.running_config(_task("ios", sw)).result)
    res = device_ops.push_config(
        _task("ios", sw), "interface FastEthernet0/3\n description y\n", "merge", "m", 90
    )
    assert res.changed and "description y" in sw.running
    assert device_ops.confirm(_task("ios", sw)).result == "nothing to confirm"
    assert device_ops.restore(_task("ios", sw), snap).result == "restored"
    assert "description" not in sw.running


def test_bird_confirm_after_its_timer_ran_out_is_an_error() -> None:
    with pytest.raises(ConfirmFailed, match="r1 had already undone the commit"):
        device_ops.confirm(_task("bird2", FakeBird2("router id 10.0.0.1;\n")))


def test_bgp_announced() -> None:
    route = [{"protocol": "bgp", "next_hop": "198.51.100.1", "current_active": True}]
    frr = FakeNapalmFrr(FRR, routes={"203.0.113.0/27": route})
    res = device_ops.bgp_announced(_task("frr", frr), "203.0.113.0/27")
    assert res.result == (True, "bgp via 198.51.100.1")
    assert device_ops.bgp_announced(_task("frr", frr), "192.0.2.0/24").result == (False, "not in the table")
    bird = FakeBird2("", routes="203.0.113.0/27  unicast [cpe1 12:00] * (100) [AS64512i]\n\tType: BGP univ\n")
    ok, detail = device_ops.bgp_announced(_task("bird2", bird), "203.0.113.0/27").result
    assert ok and detail.startswith("203.0.113.0/27")
    with pytest.raises(UnsupportedOperation):
        device_ops.bgp_announced(_task("ios", FakeIos("hostname sw\n")), "203.0.113.0/27")


def test_unknown_platform() -> None:
    with pytest.raises(UnknownPlatform, match="vyos"):
        device_ops.running_config(_task("vyos", None))


def test_wait_until() -> None:
    answers = iter([(False, "a"), (True, "b")])
    assert device_ops.wait_until(lambda: next(answers), timeout=5, interval=0) == (True, "b")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_dead_router_is_a_structured_nornir_result(tmp_path: Path) -> None:
    """Through real Nornir and napalm_frr: the failure stays in the host's Result."""
    port = _closed_port()
    hosts = tmp_path / "hosts.yaml"
    hosts.write_text(f"r1: {{hostname: 127.0.0.1, port: {port}, platform: frr, username: u}}\n")
    nr = InitNornir(
        inventory={"plugin": "SimpleInventory", "options": {"host_file": str(hosts)}},
        logging={"enabled": False},
        runner={"plugin": "serial"},
    )
    nr.inventory.hosts["r1"].connection_options["napalm"] = ConnectionOptions(
        extras={"timeout": 5, "optional_args": {"port": port, "password": "x"}}
    )
    res = nr.run(task=device_ops.running_config)
    assert res.failed
    exc = res["r1"][0].exception
    assert isinstance(exc, DeviceUnreachable) and "r1: cannot connect" in str(exc)
    nr.close_connections()


class StuckFrr(FakeNapalmFrr):
    """A router that accepts the commit but keeps running what it ran."""

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        self.candidate = None


def test_a_restore_that_did_not_take_is_proven_wrong() -> None:
    drv = StuckFrr(FRR + "interface lan2\nexit\n")
    with pytest.raises(RestoreFailed, match="r1 did not return to its saved config"):
        device_ops.restore(_task("frr", drv), FRR)


def test_a_refused_snapshot_is_a_failed_restore() -> None:
    with pytest.raises(RestoreFailed, match="r1 refused its saved config"):
        device_ops.restore(_task("frr", FakeNapalmFrr(FRR)), FRR + "nonsense\n")


def test_napalm_errors_become_device_errors(tmp_path: Path) -> None:
    """NAPALM's mock driver raising what a real driver raises: the platform maps it."""
    import json

    from napalm.base.mock import MockDriver

    from netprov.errors import CommitRefused
    from netprov.platforms import get_platform

    (tmp_path / "load_merge_candidate.1").write_text(
        json.dumps(
            {"exception": "napalm.base.exceptions.MergeConfigException", "args": ["% Unknown command"]}
        )
    )
    (tmp_path / "get_config.1").write_text(
        json.dumps({"exception": "napalm.base.exceptions.ConnectionException", "args": ["session closed"]})
    )
    drv = MockDriver("r1", "u", "p", optional_args={"path": str(tmp_path)})
    drv.open()
    frr = get_platform("frr")
    with pytest.raises(CommitRefused, match="r1 refused the config: % Unknown command"):
        frr.push(drv, CHANGE, "merge", message="m", revert_in=60, device="r1")
    with pytest.raises(DeviceUnreachable, match="r1: cannot read the running config: session closed"):
        frr.running_config(drv, "r1")
