"""A batch's NetBox calls gathered (issue 13): the planner (pure) and the gather (threads)."""

from __future__ import annotations

import dataclasses
import ipaddress
import threading
import time
from pathlib import Path

import pytest

from netprov.domain.batch_planning import carve, plan_batch
from netprov.domain.planning import SiteRow
from netprov.errors import MonitoringError
from netprov.monitoring.base import MonitoredLink, Registration
from netprov.monitoring.bulk import register_many
from netprov.monitoring.prometheus import PrometheusBackend
from netprov.pipeline.gather import Gather, GatherGroup
from tests.unit.test_netbox_planning import LINK, N, letter, survey


def _site(sid: int, slug: str) -> SiteRow:
    return SiteRow(sid, slug, slug, "disdik", 7)


def test_carve_takes_a_block_out_of_the_free_space() -> None:
    assert carve([N("10.0.0.0/29")], N("10.0.0.0/29")) == ()
    assert carve([N("10.0.0.0/28"), N("10.0.1.0/24")], N("10.0.1.0/25")) == (
        N("10.0.0.0/28"),
        N("10.0.1.128/25"),
    )


def test_plan_gives_each_request_the_block_after_the_ones_before_it() -> None:
    a = survey(request_id="A", site=_site(5, "a"))
    b = survey(request_id="B", site=_site(6, "b"), link=dataclasses.replace(LINK, dist_interface_id=21))
    plan = plan_batch([(a, letter(hosts=20, bandwidth_mbps=10)), (b, letter(hosts=20, bandwidth_mbps=10))])
    assert plan.feasible == ["A", "B"]
    assert plan.results["A"].candidate.lan_prefix == N("203.0.113.0/27")
    assert plan.results["B"].candidate.lan_prefix == N("203.0.113.32/27")
    assert plan.results["A"].candidate.transfer_prefix == N("10.250.0.0/30")
    assert plan.results["B"].candidate.transfer_prefix == N("10.250.0.4/30")
    assert plan.lan == {10: ["A", "B"]} and plan.transfer == {11: ["A", "B"]} and plan.vlan == {1: ["A", "B"]}


def test_plan_counts_the_batch_bandwidth_against_the_shared_uplink() -> None:
    # 300 Mbps uplink, 200 committed: 60 + 60 do not both fit, the first one alone does
    a = survey(request_id="A", site=_site(5, "a"))
    b = survey(request_id="B", site=_site(6, "b"))
    plan = plan_batch([(a, letter(bandwidth_mbps=60)), (b, letter(bandwidth_mbps=60))])
    assert plan.feasible == ["A"]
    assert "bandwidth" in " ".join(plan.results["B"].reasons)
    assert plan.lan == {10: ["A"]}  # the infeasible one takes nothing


def test_plan_refuses_a_second_request_for_the_same_site() -> None:
    a, b = survey(request_id="A"), survey(request_id="B")
    plan = plan_batch([(a, letter(bandwidth_mbps=10)), (b, letter(bandwidth_mbps=10))])
    assert plan.feasible == ["A"]
    assert "A" in " ".join(plan.results["B"].reasons)


def test_plan_moves_to_the_next_pool_when_the_batch_fills_one() -> None:
    pools = survey().pools[0]
    small = dataclasses.replace(pools, available=(N("203.0.113.0/27"),))
    other = dataclasses.replace(pools, id=12, prefix=N("198.51.100.0/24"), available=(N("198.51.100.0/24"),))
    a = survey(request_id="A", site=_site(5, "a"), pools=(small, other))
    b = survey(request_id="B", site=_site(6, "b"), pools=(small, other))
    plan = plan_batch([(a, letter(hosts=20, bandwidth_mbps=1)), (b, letter(hosts=20, bandwidth_mbps=1))])
    assert plan.lan == {10: ["A"], 12: ["B"]}


def _run(gather: Gather[str, int, int], group: GatherGroup, keys: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}

    def one(key: str, delay: float) -> None:
        time.sleep(delay)
        try:
            out[key] = gather.submit(key, len(key))
        except Exception as exc:
            out[key] = exc
        finally:
            group.leave(key)

    threads = [threading.Thread(target=one, args=(k, 0.05 * i)) for i, k in enumerate(keys)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return out


def test_gather_makes_one_call_for_every_joined_request() -> None:
    calls: list[dict[str, int]] = []

    def call(items: dict[str, int]) -> dict[str, int | BaseException]:
        calls.append(dict(items))
        return {k: (ValueError(f"{k} failed") if k == "bb" else v * 10) for k, v in items.items()}

    group = GatherGroup()
    gather = group.add(Gather(call))
    for k in ("a", "bb", "ccc"):
        group.join(k)
    out = _run(gather, group, ["a", "bb", "ccc"])
    assert len(calls) == 1 and set(calls[0]) == {"a", "bb", "ccc"}
    assert out["a"] == 10 and out["ccc"] == 30
    assert isinstance(out["bb"], ValueError)  # only its own request sees its error


def test_gather_does_not_wait_for_a_request_that_left() -> None:
    calls: list[set[str]] = []
    group = GatherGroup()
    gather = group.add(Gather(lambda items: calls.append(set(items)) or dict(items), max_wait_s=30))
    for k in ("a", "b"):
        group.join(k)
    group.leave("b")  # its saga failed before the stage
    t0 = time.monotonic()
    assert gather.submit("a", 1) == 1
    assert time.monotonic() - t0 < 2 and calls == [{"a"}]


def test_gather_flushes_after_its_longest_wait() -> None:
    group = GatherGroup()
    gather = group.add(Gather(lambda items: dict(items), max_wait_s=0.3))
    group.join("a")
    group.join("never")
    assert gather.submit("a", 7) == 7


def test_an_error_of_the_whole_call_reaches_every_request() -> None:
    def boom(items: dict[str, int]) -> dict[str, int | BaseException]:
        raise RuntimeError("NetBox down")

    group = GatherGroup()
    gather = group.add(Gather(boom))
    for k in ("a", "b"):
        group.join(k)
    out = _run(gather, group, ["a", "b"])
    assert all(isinstance(v, RuntimeError) for v in out.values())


@pytest.mark.parametrize("workers", [1, 2])
def test_a_batch_with_a_bounded_pool_never_waits_for_a_request_not_started(workers: int) -> None:
    from netprov.pipeline.batch import Batch

    calls: list[set[str]] = []
    group = GatherGroup()
    gather = group.add(Gather(lambda items: calls.append(set(items)) or dict(items), max_wait_s=30))

    class Runner:
        def __init__(self, rid: str) -> None:
            self.rid = rid

        def run(self, request_id: str, actor: str, resume: bool = False) -> object:
            gather.submit(request_id, 1)
            return type("R", (), {"run_id": "r", "status": "provisioned", "seconds": {}, "outputs": {}})()

    t0 = time.monotonic()
    entries = Batch(lambda rid, cp: Runner(rid), workers=workers, gathers=group).run(
        ["A", "B", "C"], "staff1"
    )
    assert [e.status for e in entries] == ["provisioned"] * 3
    assert time.monotonic() - t0 < 5
    assert sum(len(c) for c in calls) == 3 and max(len(c) for c in calls) <= workers


def _link(rid: str) -> MonitoredLink:
    return MonitoredLink(
        request_id=rid,
        opd="disdik",
        opd_name="Dinas Pendidikan",
        site="S",
        service="intranet",
        bandwidth_mbps=5,
        circuit="a:1 ↔ b:2",
        address=ipaddress.IPv4Address("10.100.0.1"),
        device="cpe",
    )


class _FailsFor:
    """A backend that refuses one request and registers the others (a fake for the error path)."""

    name = "fake"

    def __init__(self, bad: str) -> None:
        self.bad, self.held = bad, set[str]()

    def register(self, link: MonitoredLink) -> Registration:
        if link.request_id == self.bad:
            raise MonitoringError(f"{link.request_id} refused")
        self.held.add(link.request_id)
        return Registration(backend=self.name, request_id=link.request_id, created=True)

    def deregister(self, request_id: str) -> bool:
        self.held.discard(request_id)
        return True


def test_bulk_registration_takes_a_failing_request_off_alone(tmp_path: Path) -> None:
    prom, fake = PrometheusBackend(tmp_path), _FailsFor("PJB-2026-0002")
    ids = ["PJB-2026-0001", "PJB-2026-0002", "PJB-2026-0003"]
    out = register_many([prom, fake], [_link(r) for r in ids])  # type: ignore[list-item]
    assert isinstance(out["PJB-2026-0002"], MonitoringError)
    assert sorted(p.name for p in tmp_path.glob("*.json")) == ["PJB-2026-0001.json", "PJB-2026-0003.json"]
    assert list(tmp_path.glob(".*.tmp")) == []
    assert fake.held == {"PJB-2026-0001", "PJB-2026-0003"}
    assert all(isinstance(out[r], list) and len(out[r]) == 2 for r in ("PJB-2026-0001", "PJB-2026-0003"))
