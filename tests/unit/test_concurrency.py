"""Correct under concurrency (issue 13): device locks, waiting on a pending commit, and an undo
that takes off only its own run's change. All with fakes: no NetBox, no router."""

from __future__ import annotations

import doctest
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from netprov.errors import CommitPending, ConcurrencyError, PipelineError
from netprov.netbox import device_locks as ndl
from netprov.netbox.lock import LOCK_SLUG_PREFIX, lock_description, lock_expiry, take_lock
from netprov.pipeline import device_ops, device_stages, link_stages
from netprov.pipeline.device_locks import LocalDeviceLocks
from netprov.pipeline.link_run import LinkDeps, LinkRun
from netprov.platforms import config_undo
from netprov.platforms.config_undo import parse, without_own_change
from netprov.render.link import RenderedConfig
from tests.conformance.fakes import FakeHost, FakeNapalmFrr, FakeTask
from tests.unit.test_netbox_lock import Clock, MemoryTags

DIST = (
    "hostname dist-batamkota1\n"
    "interface eth1\n ip address 10.255.0.1/31\nexit\n"
    "interface eth2\nexit\n"
    "interface eth4\nexit\n"
    "router ospf\n network 10.255.0.0/31 area 0\nexit\n"
)


def fragment(iface: str, net: str, mbps: int = 50) -> str:
    return (
        f"interface {iface}\n description link {net}\n ip address {net}.1/30\n bandwidth {mbps}\nexit\n"
        f"!\nrouter ospf\n network {net}.0/30 area 0\nexit\n"
    )


A = fragment("eth2", "10.250.0")
B = fragment("eth4", "10.250.1")


def test_doctests() -> None:
    for mod in (config_undo, ndl):
        assert doctest.testmod(mod).failed == 0


# --- the inverse of one change -----------------------------------------------------------------
def merge(running: str, extra: str) -> str:
    """A hierarchical merge (what FRR does with a fragment): each new line into its block."""
    lines = parse(running)
    present = {ln.path for ln in lines if not ln.structural}
    for ln in parse(extra):
        if ln.structural or ln.path in present:
            continue
        parent = ln.path[:-1]
        at = config_undo._insert_at(lines, parent) if parent else len(lines)
        lines.insert(at, ln)
        present.add(ln.path)
    return "\n".join(ln.text for ln in lines) + "\n"


def test_the_other_runs_lines_stay_and_only_mine_come_off() -> None:
    mine = merge(DIST, A)
    both = merge(mine, B)
    out = without_own_change(DIST, mine, both)
    assert out == merge(DIST, B)
    assert "10.250.0.1/30" not in out and "network 10.250.0.0/30" not in out
    assert "10.250.1.1/30" in out and "network 10.250.1.0/30 area 0" in out
    assert "interface eth2\nexit\n" in out, "the interface block itself was there before: it stays"


def test_a_line_my_change_replaced_comes_back_and_a_new_block_goes_with_its_end() -> None:
    snap = DIST.replace("interface eth2\nexit\n", "interface eth2\n bandwidth 10\nexit\n")
    mine = merge(snap.replace(" bandwidth 10\n", ""), A) + "interface eth7\n description new\nexit\n"
    theirs = merge(mine, B)
    out = without_own_change(snap, mine, theirs)
    assert " bandwidth 10\n" in out.split("interface eth2\n", 1)[1].split("exit", 1)[0]
    assert "eth7" not in out and out.count("exit\n") == theirs.count("exit\n") - 1
    assert "10.250.1.1/30" in out


def test_braces_configs_too() -> None:
    snap = "protocol device {\n}\nprotocol static {\n  ipv4;\n  route 10.0.0.0/8 blackhole;\n}\n"
    mine = snap.replace("  ipv4;\n", "  ipv4;\n  route 192.0.2.0/24 blackhole;\n")
    theirs = mine.replace("  ipv4;\n", "  ipv4;\n  route 198.51.100.0/24 blackhole;\n")
    out = without_own_change(snap, mine, theirs, ("#",))
    assert "192.0.2.0/24" not in out and "198.51.100.0/24" in out and out.count("}") == 2


# --- device_ops: undo, both branches; a pending commit means wait --------------------------------
class HierFrr(FakeNapalmFrr):
    def load_merge_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        self.candidate = merge(self.running, self._load(config or "", Exception))


def _task(drv: Any) -> FakeTask:
    return FakeTask(FakeHost("dist-batamkota1", "frr", drv, "napalm"))


def test_push_records_the_config_after_the_commit() -> None:
    drv = HierFrr(DIST)
    out = device_ops.push_config(_task(drv), A, "merge", "run a", 90).result
    assert out["committed_at"] and out["after"] == drv.running == merge(DIST, A)


def test_undo_restores_the_snapshot_when_the_device_is_still_as_this_run_left_it() -> None:
    drv = HierFrr(DIST)
    after = device_ops.push_config(_task(drv), A, "merge", "run a", None).result["after"]
    res = device_ops.undo_change(_task(drv), DIST, after)
    assert res.result == "restored to its saved config" and drv.running == DIST


def test_undo_takes_off_only_its_own_change_when_another_landed_since() -> None:
    drv = HierFrr(DIST)
    after_a = device_ops.push_config(_task(drv), A, "merge", "run a", None).result["after"]
    device_ops.push_config(_task(drv), B, "merge", "run b", None)
    res = device_ops.undo_change(_task(drv), DIST, after_a)
    assert "only this run's change" in res.result
    assert drv.running == merge(DIST, B)


def test_undo_without_a_recorded_after_restores_the_snapshot() -> None:
    drv = HierFrr(merge(DIST, A))
    device_ops.undo_change(_task(drv), DIST, None)
    assert drv.running == DIST


def test_a_run_killed_mid_push_leaves_the_lines_of_runs_that_landed_after_its_revert() -> None:
    """The e2e failure of test_7_workers: a worker killed between its commit and the journal;
    the router reverted the unconfirmed commit by itself, another run committed, and the
    recovery (no ``after``) then put the snapshot back over the other run's lines."""
    drv = HierFrr(DIST)
    device_ops.push_config(_task(drv), A, "merge", "killed run", 90)  # pending, never confirmed
    drv.rollback()  # the router's own revert timer
    device_ops.push_config(_task(drv), B, "merge", "other run", 90)
    drv.confirm_commit()
    res = device_ops.undo_change(_task(drv), DIST, None, reverts_itself=True)
    assert "nothing of this run's is left" in res.result and not res.changed
    assert drv.running == merge(DIST, B)


def test_a_run_killed_mid_push_with_its_commit_still_pending_goes_back_to_the_snapshot() -> None:
    drv = HierFrr(DIST)
    device_ops.push_config(_task(drv), A, "merge", "killed run", 90)
    res = device_ops.undo_change(_task(drv), DIST, None, reverts_itself=True)
    assert res.result == "restored to its saved config"
    assert drv.running == DIST and not drv.has_pending_commit()


def test_a_pending_commit_of_another_run_is_refused_as_pending() -> None:
    drv = HierFrr(DIST)
    device_ops.push_config(_task(drv), A, "merge", "other run", 90)  # pending, not confirmed
    with pytest.raises(CommitPending, match="pending confirmation"):
        device_ops.push_config(_task(drv), B, "merge", "run b", 90, pending_wait=0)


def test_a_pending_commit_is_waited_for_then_the_push_goes_through() -> None:
    drv = HierFrr(DIST)
    device_ops.push_config(_task(drv), A, "merge", "other run", 90)
    told: list[str] = []

    def confirm_later() -> None:  # the other run confirms while this one waits
        time.sleep(0.2)
        drv.confirm_commit()

    threading.Thread(target=confirm_later).start()
    res = device_ops.retry_while_pending(
        lambda: device_ops.push_config(_task(drv), B, "merge", "run b", 90).result,
        wait=10,
        told=lambda: told.append("waiting"),
        interval=0.05,
    )
    assert res["committed_at"] and told == ["waiting"] and "10.250.1.1/30" in drv.running


def test_waiting_on_a_pending_commit_is_bounded() -> None:
    clock = Clock()

    def still_pending() -> None:
        raise CommitPending("r1: a commit is pending confirmation")

    with pytest.raises(CommitPending, match="after waiting 30 s"):
        device_ops.retry_while_pending(still_pending, 30, clock=clock, sleep=clock.sleep)


# --- the locks ------------------------------------------------------------------------------------
def test_local_locks_serialize_and_time_out_naming_the_holder() -> None:
    locks = LocalDeviceLocks(wait_s=0.2, poll_s=0.01)
    held = locks.hold(["b", "a"], "run1", lambda d, h: None)
    assert held.devices == ["a", "b"]
    waits: list[tuple[str, str]] = []
    with pytest.raises(ConcurrencyError, match="a is still being changed by run1"):
        locks.hold(["c", "a"], "run2", lambda d, h: waits.append((d, h)))
    assert waits == [("a", "run1")] and "c" not in locks.holders, "all or none"
    held.release()
    held.release()
    assert locks.hold(["a"], "run2", lambda d, h: None).devices == ["a"]


class RenewableTags(MemoryTags):
    def update(self, tag_id: int, description: str) -> bool:
        with self._mutex:
            for slug, (i, _) in self.rows.items():
                if i == tag_id:
                    self.rows[slug] = (i, description)
                    return True
        return False


def test_netbox_device_locks_take_sorted_all_or_none_and_name_the_holder() -> None:
    tags, clock = RenewableTags(), Clock()
    busy = lock_description("PJB-2026-0009 on elsewhere pid 1", clock() + 600)
    tags.create(LOCK_SLUG_PREFIX + "device-dist-batamkota1", busy)
    order: list[str] = []

    def take(t: Any, key: str, holder: str, **kw: Any) -> int:
        order.append(key)
        return take_lock(t, key, holder, **{**kw, "clock": clock, "sleep": clock.sleep})

    locks = ndl.NetBoxDeviceLocks(tags, ttl_s=60, wait_s=30, take=take)
    seen: list[tuple[str, str]] = []
    with pytest.raises(ConcurrencyError, match=r"device-dist-batamkota1.*PJB-2026-0009 on elsewhere pid 1"):
        locks.hold(
            ["dist-batamkota1", "core-dc1"], "PJB-2026-0001 on here pid 2", lambda d, h: seen.append((d, h))
        )
    assert order == ["device-core-dc1", "device-dist-batamkota1"]
    assert seen[0] == ("dist-batamkota1", "PJB-2026-0009 on elsewhere pid 1")
    assert set(tags.rows) == {LOCK_SLUG_PREFIX + "device-dist-batamkota1"}, "core-dc1 was given back"


def test_netbox_device_locks_renew_and_release() -> None:
    tags = RenewableTags()
    held = ndl.NetBoxDeviceLocks(tags, ttl_s=60).hold(["r2", "r1"], "me", lambda d, h: None)
    slug = LOCK_SLUG_PREFIX + "device-r1"
    first = lock_expiry(tags.rows[slug][1])
    time.sleep(1.1)
    held.renew()
    assert first is not None and (lock_expiry(tags.rows[slug][1]) or 0) > first
    held.release()
    assert tags.rows == {}


def test_a_lock_of_a_dead_process_on_this_host_is_taken_over_at_once() -> None:
    proc = subprocess.Popen(["true"])
    proc.wait()
    tags = RenewableTags()
    dead = lock_description(f"PJB-1 on {os.uname().nodename} pid {proc.pid}", time.time() + 600)
    tags.create(LOCK_SLUG_PREFIX + "device-r1", dead)
    held = ndl.NetBoxDeviceLocks(tags, wait_s=0).hold(["r1"], "me", lambda d, h: None)
    assert "me" in tags.rows[LOCK_SLUG_PREFIX + "device-r1"][1]
    held.release()


def test_the_allocation_lock_of_a_killed_process_is_taken_over_at_once() -> None:
    """A batch killed while one of its requests held the allocation lock: the resume does not
    wait out the lock's TTL (300 s)."""
    from netprov.netbox.lock import netbox_lock

    proc = subprocess.Popen(["true"])
    proc.wait()
    tags = RenewableTags()
    dead = lock_description(f"PJB-1 on {os.uname().nodename} pid {proc.pid}", time.time() + 300)
    tags.create(LOCK_SLUG_PREFIX + "allocate-intranet", dead)
    t0 = time.monotonic()
    with netbox_lock(tags, "allocate-intranet", "PJB-2 on here pid 1", wait_s=0):
        assert "PJB-2" in tags.rows[LOCK_SLUG_PREFIX + "allocate-intranet"][1]
    assert time.monotonic() - t0 < 2
    assert tags.rows == {}


# --- two link runs on one router: serialized, and an undo keeps the other's lines -------------------
class Multi(list[Any]):
    def __init__(self, items: list[Any], failed: bool = False) -> None:
        super().__init__(items)
        self.failed = failed


@dataclass
class FakeNornir:
    """``only(nr, names).run(task=..., **kw)`` over fake hosts, as the stages call it."""

    drivers: dict[str, Any]
    names: list[str] = field(default_factory=list)

    def run(self, task: Any, on_failed: bool = False, **kw: Any) -> dict[str, Multi]:
        out: dict[str, Multi] = {}
        for name in self.names or list(self.drivers):
            try:
                out[name] = Multi([task(FakeTask(FakeHost(name, "frr", self.drivers[name], "napalm")), **kw)])
            except Exception as exc:
                m = Multi([type("R", (), {"exception": exc})()], failed=True)
                out[name] = m
        return out

    def close_connections(self) -> None:
        return None


@pytest.fixture
def fake_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def only(nr: FakeNornir, names: list[str]) -> FakeNornir:
        return FakeNornir(nr.drivers, list(names))

    for mod in (link_stages, device_stages):
        monkeypatch.setattr(mod, "only", only)


def _run(
    name: str, locks: Any, drivers: dict[str, Any], text: str, seen: list[Any], through: bool = False
) -> LinkRun:
    deps: Any = LinkDeps(
        settings=SimpleNamespace(device_locks_through_checks=through),  # type: ignore[arg-type]
        service=Any,  # type: ignore[arg-type]
        ipam=Any,  # type: ignore[arg-type]
        topology=Any,  # type: ignore[arg-type]
        monitors=list,
        progress=lambda s, d, m: seen.append((name, s, d, m)),
        revert_in=90,
        converge_seconds=1,
        device_locks=locks,
        pending_wait_seconds=5,
    )
    record: Any = type("Rec", (), {"id": name})()
    run = LinkRun(deps, record, name, "staff1", Any, lambda dry: FakeNornir(drivers))  # type: ignore[arg-type]
    run.configs = [
        RenderedConfig(
            device="dist-batamkota1",
            platform="frr",
            role="distribution",
            template="d",
            mode="merge",
            text=text,
        )
    ]
    return run


def test_two_runs_on_one_router_are_serialized_and_an_undo_keeps_the_others_lines(fake_only: None) -> None:
    drv = HierFrr(DIST)
    locks, seen = LocalDeviceLocks(wait_s=10, poll_s=0.01), []
    a = _run("PJB-A", locks, {"dist-batamkota1": drv}, A, seen)
    b = _run("PJB-B", locks, {"dist-batamkota1": drv}, B, seen)
    a.hold_devices(["dist-batamkota1"])
    link_stages.snapshot(a)
    link_stages.push(a)

    def run_b() -> None:
        b.hold_devices(["dist-batamkota1"])  # waits until A has confirmed
        link_stages.snapshot(b)
        link_stages.push(b)
        link_stages.confirm(b)

    t = threading.Thread(target=run_b)
    t.start()
    time.sleep(0.2)
    assert any(s[0] == "PJB-B" and "waiting for dist-batamkota1" in s[3] for s in seen)
    assert b.snapshots == {}, "B must not save the config while A holds the router"
    link_stages.confirm(a)
    t.join(5)
    assert b.snapshots["dist-batamkota1"] == merge(DIST, A)
    assert "10.250.0.1/30" in drv.running and "10.250.1.1/30" in drv.running

    # A is undone later (e.g. undo_finished_run): B's lines survive
    device_stages.undo_push(a)
    device_stages.undo_lock(a)
    assert drv.running == merge(DIST, B)
    assert locks.holders == {}


def test_release_frees_the_router_for_the_checks_and_a_failed_check_takes_off_only_its_own(
    fake_only: None,
) -> None:
    """``release`` (right after the push) confirms and lets the router go: B changes it while A
    still checks; A's check then fails and its undo takes the lock again and only A's lines off."""
    drv = HierFrr(DIST)
    locks, seen = LocalDeviceLocks(wait_s=10, poll_s=0.01), []
    a = _run("PJB-A", locks, {"dist-batamkota1": drv}, A, seen)
    b = _run("PJB-B", locks, {"dist-batamkota1": drv}, B, seen)
    a.hold_devices(["dist-batamkota1"])
    a.locked = ["dist-batamkota1"]
    link_stages.snapshot(a)
    link_stages.push(a)
    assert device_stages.release(a) == {"confirmed": ["dist-batamkota1"]}
    assert locks.holders == {} and drv.pending_previous is None
    b.hold_devices(["dist-batamkota1"])  # at once: nobody waits for A's checks
    link_stages.snapshot(b)
    link_stages.push(b)
    device_stages.release(b)
    assert not any("waiting for" in s[3] for s in seen)
    device_stages.undo_push(a)  # A's verify failed
    device_stages.undo_lock(a)
    assert drv.running == merge(DIST, B)
    assert locks.holders == {}
    assert link_stages.confirm(b) == {"confirmed": []}, "release confirmed it already"


def test_locks_through_checks_keep_the_router_until_confirm(fake_only: None) -> None:
    drv = HierFrr(DIST)
    locks = LocalDeviceLocks(wait_s=10, poll_s=0.01)
    a = _run("PJB-A", locks, {"dist-batamkota1": drv}, A, [], through=True)
    a.hold_devices(["dist-batamkota1"])
    link_stages.snapshot(a)
    link_stages.push(a)
    assert device_stages.release(a) == {"confirmed": []}
    assert list(locks.holders) == ["dist-batamkota1"]
    assert drv.pending_previous is not None
    assert link_stages.confirm(a) == {"confirmed": ["dist-batamkota1"]}
    assert locks.holders == {} and drv.pending_previous is None


def test_an_undo_of_a_run_that_changed_nothing_on_a_device_leaves_it_alone(fake_only: None) -> None:
    drv = HierFrr(merge(DIST, A))
    run = _run("PJB-C", LocalDeviceLocks(), {"dist-batamkota1": drv}, A, [])
    run.hold_devices(["dist-batamkota1"])
    link_stages.snapshot(run)
    link_stages.push(run)  # nothing to change: no commit
    drv.running = merge(drv.running, B)  # someone else's change lands
    device_stages.undo_push(run)
    assert "10.250.1.1/30" in drv.running and "10.250.0.1/30" in drv.running


def test_hold_refuses_devices_it_did_not_lock() -> None:
    run = _run("PJB-D", LocalDeviceLocks(), {}, A, [])
    run.hold_devices(["r1"])
    with pytest.raises(PipelineError, match="not locked by this run"):
        run.hold_devices(["r2"])
    run.close()
    assert run.held is None


def test_a_fragment_of_comments_only_locks_nothing() -> None:
    def cfg(text: str, mode: str = "merge", platform: str = "frr") -> RenderedConfig:
        return RenderedConfig(
            device="core-dc1", platform=platform, role="core", template="c", mode=mode, text=text
        )  # type: ignore[arg-type]

    assert link_stages.changes_nothing(
        cfg("! netprov: x\n! intranet link: nothing to configure on core-dc1\n")
    )
    assert not link_stages.changes_nothing(cfg("! netprov: x\nip prefix-list P seq 5 permit 10.0.0.0/8\n"))
    assert not link_stages.changes_nothing(cfg("# only comments\n", mode="replace", platform="bird2"))
