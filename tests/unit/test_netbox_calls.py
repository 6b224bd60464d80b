"""How many NetBox calls each stage makes (issue 13, "NetBox calls"), pinned on a counting fake.

The fake only counts: one call per endpoint operation, as pynetbox makes one HTTP request for
each (a filter of fewer than a page of rows, a list-POST, a list-PATCH, a list-DELETE). That
the calls do the job is shown on the lab (tests/integration/test_netbox_allocate.py,
tests/e2e/test_1_pipeline.py, tests/e2e/test_4_batch.py).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import threading
import time
from types import SimpleNamespace
from typing import Any

from pynetbox.core.query import RequestError

from netprov.domain.letters import Letter, parse_letter
from netprov.domain.planning import ServiceRule
from netprov.netbox.adapter import NetBoxIpam
from netprov.netbox.device_locks import NetBoxDeviceLocks
from netprov.netbox.lock import netbox_lock

N_SITES = 4


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def tick(self) -> None:
        with self.lock:
            self.count += 1


class Rec(dict[str, Any]):
    """A pynetbox record: a dict with attribute access (``dict(rec)`` is its raw form)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _refused(text: str, status: int = 400) -> RequestError:
    req = SimpleNamespace(
        status_code=status, reason="Bad Request", url="/api/x/", text=text, request=SimpleNamespace(body="")
    )
    req.json = lambda: text  # type: ignore[attr-defined]
    return RequestError(req)


def _matches(row: dict[str, Any], key: str, value: Any) -> bool:
    if key in ("limit", "fields", "q", "region_id"):
        return True
    wanted = value if isinstance(value, list) else [value]
    if key.startswith("cf_"):
        return (row.get("custom_fields") or {}).get(key[3:]) in wanted
    if key == "name__ie":
        return str(row.get("name", "")).lower() == str(value).lower()
    if key == "role":
        return (row.get("role") or {}).get("slug") in wanted
    if key == "device":
        return (row.get("device") or {}).get("name") in wanted
    return row.get(key) in wanted


class Endpoint:
    ids = itertools.count(10_000)

    def __init__(self, counter: Counter, rows: list[Rec] | None = None, unique: str = "") -> None:
        self.c, self.rows, self.unique = counter, rows if rows is not None else [], unique

    def filter(self, **kw: Any) -> list[Rec]:
        self.c.tick()
        return [r for r in list(self.rows) if all(_matches(r, k, v) for k, v in kw.items())]

    def add(self, body: dict[str, Any]) -> Rec:
        if self.unique and any(r.get(self.unique) == body.get(self.unique) for r in self.rows):
            raise _refused(f'{{"{self.unique}": ["tag with this {self.unique} already exists."]}}')
        rec = Rec(body, id=next(self.ids))
        self.rows.append(rec)
        return rec

    def create(self, body: Any = None, **kw: Any) -> Any:
        self.c.tick()
        if isinstance(body, list):
            for b in body:  # all or none
                if self.unique and any(r.get(self.unique) == b.get(self.unique) for r in self.rows):
                    raise _refused(f'[{{"{self.unique}": ["tag with this {self.unique} already exists."]}}]')
            return [self.add(b) for b in body]
        return self.add(body or kw)

    def update(self, items: list[dict[str, Any]]) -> list[Rec]:
        self.c.tick()
        by_id = {r["id"]: r for r in self.rows}
        if any(i["id"] not in by_id for i in items):
            raise _refused("not found", 404)
        for i in items:
            by_id[i["id"]].update(i)
        return [by_id[i["id"]] for i in items]

    def delete(self, ids: list[int]) -> bool:
        self.c.tick()
        self.rows[:] = [r for r in self.rows if r["id"] not in ids]
        return True


class Pool(Rec):
    """A container prefix: carves its children one after another."""

    def setup(self, c: Counter, prefixes: Endpoint, ips: Endpoint) -> Pool:
        net = ipaddress.IPv4Network(self["prefix"])
        free = [{"prefix": str(net)}]

        def carve(body: dict[str, Any]) -> Rec:
            c.tick()
            length = body["prefix_length"]
            taken = {r["prefix"] for r in prefixes.rows}
            child = next(str(s) for s in net.subnets(new_prefix=length) if str(s) not in taken)
            rec = prefixes.add({k: v for k, v in body.items() if k != "prefix_length"} | {"prefix": child})
            return _with_ips(rec, c, ips)

        self.available_prefixes = SimpleNamespace(list=lambda: (c.tick(), free)[1], create=carve)
        return self


def _with_ips(rec: Rec, c: Counter, ips: Endpoint) -> Rec:
    hosts = ipaddress.IPv4Network(rec["prefix"]).hosts()

    def take(bodies: list[dict[str, Any]]) -> list[Rec]:
        c.tick()
        return [ips.add(b | {"address": f"{next(hosts)}/{rec['prefix'].split('/')[1]}"}) for b in bodies]

    rec.available_ips = SimpleNamespace(create=take)
    return rec


def fake_netbox(c: Counter) -> SimpleNamespace:
    dist = {"id": 100, "name": "dist1"}
    ifaces: list[Rec] = [
        Rec(
            id=99,
            name="eth0",
            device=dist,
            custom_fields={"netprov_service": "intranet", "uplink_capacity_mbps": 10_000},
        )
    ]
    sites, devices = [], [Rec(id=100, name="dist1", site={"id": 50})]
    for i in range(N_SITES):
        cpe = {"id": 200 + i, "name": f"cpe{i}"}
        sites.append(
            Rec(id=10 + i, slug=f"site-{i}", name=f"Site {i}", tenant={"slug": "disdik"}, region=None)
        )
        ifaces.append(Rec(id=1000 + i, name=f"eth{i + 1}", device=dist, custom_fields={}, site_id=50))
        peer = {"id": 1000 + i, "name": f"eth{i + 1}", "device": dist}
        ifaces.append(Rec(id=2000 + i, name="eth1", device=cpe, link_peers=[peer], site_id=10 + i))
        ifaces.append(Rec(id=3000 + i, name="lan1", label="LAN", device=cpe, link_peers=[], site_id=10 + i))
        devices.append(Rec(id=200 + i, name=f"cpe{i}", site={"id": 10 + i}))
    prefixes, ips, vlans = Endpoint(c), Endpoint(c), Endpoint(c)
    pools = [
        Pool(id=1, prefix="10.20.0.0/16", role={"slug": "intranet-lan"}, status="container"),
        Pool(id=2, prefix="10.255.0.0/24", role={"slug": "transfer"}, status="container"),
    ]
    for p in pools:
        prefixes.rows.append(p.setup(c, prefixes, ips))
    vids = itertools.count(100)

    def new_vlan(body: dict[str, Any]) -> Rec:
        c.tick()
        if any(v["name"] == body["name"] for v in vlans.rows):
            raise _refused('{"name": ["VLAN with this name already exists."]}')
        return vlans.add(body | {"vid": next(vids), "group_id": 7})

    group = Rec(id=7, name="vg-dist1", site=50)
    group.available_vlans = SimpleNamespace(list=lambda: (c.tick(), [{"vid": 100}])[1], create=new_vlan)
    return SimpleNamespace(
        tenancy=SimpleNamespace(tenants=Endpoint(c, [Rec(id=1, slug="disdik", name="Dinas Pendidikan")])),
        dcim=SimpleNamespace(
            sites=Endpoint(c, sites), interfaces=Endpoint(c, ifaces), devices=Endpoint(c, devices)
        ),
        ipam=SimpleNamespace(
            prefixes=prefixes, ip_addresses=ips, vlans=vlans, vlan_groups=Endpoint(c, [group])
        ),
        extras=SimpleNamespace(
            tags=Endpoint(c, [Rec(id=1, slug="netprov", name="netprov")], unique="slug"),
            journal_entries=Endpoint(c),
        ),
        http_session=SimpleNamespace(close=lambda: None),
    )


def letter(i: int) -> Letter:
    return parse_letter(
        {
            "letter": {
                "number": "005/TST/2026",
                "date": dt.date.today().isoformat(),
                "subject": "Permohonan",
            },
            "opd": "Dinas Pendidikan",
            "service": "intranet",
            "bandwidth_mbps": 10,
            "hosts": 20,
            "purpose": "uji",
            "site": {"name": f"Site {i}", "address": "Jl. Uji"},
            "contact": {"name": "Uji", "phone": "0812 0000 0000", "email": "uji@example.org"},
        }
    )


def ipam() -> tuple[NetBoxIpam, Counter]:
    c = Counter()
    rules = {
        "intranet": ServiceRule(pool_role="intranet-lan", uplink_scope="area", uplink_service="intranet")
    }
    nb = NetBoxIpam(fake_netbox(c), c, rules=rules, transfer_role="transfer")
    nb.register_id = "reg-a"
    return nb, c


def calls(c: Counter, fn: Any, *args: Any) -> int:
    before = c.count
    fn(*args)
    return c.count - before


def test_allocate_then_record_netbox_calls() -> None:
    nb, c = ipam()
    first: list[Any] = []
    assert calls(c, lambda: first.append(nb.allocate("PJB-2026-0001", letter(0)))) == 24  # was 24
    # a second request on the same adapter (a batch): the static reads are not made again
    assert calls(c, nb.allocate, "PJB-2026-0002", letter(1)) == 18
    # record-netbox: 3 list-PATCHes by id and the journal (was 9: the objects read back first)
    assert calls(c, nb.activate, first[0], 7, "dibangun") == 4
    assert {
        r["status"]
        for r in nb._api.ipam.prefixes.rows
        if r.get("custom_fields", {}).get("netprov_request") == "PJB-2026-0001"
    } == {"active"}
    ports = {r["address"]: r.get("assigned_object_id") for r in nb._api.ipam.ip_addresses.rows}
    a = first[0]
    assert ports[str(a.dist_address)] == 1000 and ports[str(a.cpe_address)] == 2000
    assert ports[str(a.lan_gateway)] == 3000


def test_device_locks_take_and_release_in_one_call_each() -> None:
    nb, c = ipam()
    locks = NetBoxDeviceLocks(nb.lock_tags, ttl_s=60)
    held: list[Any] = []
    assert (
        calls(
            c, lambda: held.append(locks.hold(["core1", "dist1", "cpe0"], "PJB-2026-0001", lambda d, h: None))
        )
        == 1
    )
    assert calls(c, held[0].renew) == 1
    assert calls(c, held[0].release) == 1
    assert [t["slug"] for t in nb._api.extras.tags.rows] == ["netprov"]


def test_device_locks_one_by_one_when_one_is_taken() -> None:
    nb, _c = ipam()
    locks = NetBoxDeviceLocks(nb.lock_tags, ttl_s=60, wait_s=0.5)
    other = locks.hold(["dist1"], "PJB-2026-0009", lambda d, h: None)
    other.release()  # a single lock: one call to take, one to release
    tags = nb._api.extras.tags
    tags.create(name="netprov-lock-device-dist1", slug="netprov-lock-device-dist1", description="hand-made")
    try:
        locks.hold(["core1", "dist1"], "PJB-2026-0001", lambda d, h: None)
    except Exception as exc:  # a lock without an expiry is taken over: not this error
        raise AssertionError(exc) from exc
    slugs = sorted(t["slug"] for t in tags.rows)
    assert slugs == ["netprov", "netprov-lock-device-core1", "netprov-lock-device-dist1"]


def test_the_allocation_lock_is_handed_over_to_a_waiting_thread() -> None:
    nb, c = ipam()
    inside = threading.Event()
    order: list[str] = []

    def hold(name: str, first: bool) -> None:
        with netbox_lock(nb.lock_tags, "allocate-intranet", name):
            if first:
                inside.set()
                time.sleep(0.3)  # the other thread queues meanwhile
            order.append(name)

    before = c.count
    t1 = threading.Thread(target=hold, args=("a", True))
    t1.start()
    inside.wait(5)
    t2 = threading.Thread(target=hold, args=("b", False))
    t2.start()
    t1.join(5)
    t2.join(5)
    assert order == ["a", "b"]
    assert c.count - before == 2  # one take, one release for both holders
    assert [t["slug"] for t in nb._api.extras.tags.rows] == ["netprov"]
