"""Step 4 and step 7 against the real NetBox: check, allocate, race, release, journal."""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from netprov.domain.letters import Letter, parse_letter
from netprov.errors import NotFeasibleError
from netprov.netbox.adapter import NetBoxIpam
from netprov.netbox.client import connect, credentials
from netprov.settings import Settings

pytestmark = [pytest.mark.lab, pytest.mark.netbox]

N_RACE = 20


def make_letter(
    opd: str = "Dinas Pendidikan",
    site: str = "UPT Pendidikan Batam Kota",
    service: str = "internet",
    bandwidth: int = 50,
    hosts: int = 20,
) -> Letter:
    return parse_letter(
        {
            "letter": {
                "number": "005/TST/2026",
                "date": dt.date.today().isoformat(),
                "subject": "Permohonan jaringan baru",
            },
            "opd": opd,
            "service": service,
            "bandwidth_mbps": bandwidth,
            "hosts": hosts,
            "purpose": "uji integrasi",
            "site": {"name": site, "address": "Jl. Uji"},
            "contact": {"name": "Uji", "phone": "0812 0000 0000", "email": "uji@example.org"},
        }
    )


@pytest.fixture
def ipam(netbox_lab: dict[str, Any], lab_settings: Settings) -> Iterator[NetBoxIpam]:
    nb = NetBoxIpam.from_settings(lab_settings)
    used: list[str] = []
    nb.used = used  # type: ignore[attr-defined]
    yield nb
    for rid in used:
        nb.release(rid)


def _tagged_anywhere(settings: Settings, request_id: str) -> int:
    api, _ = connect(*credentials(settings))
    f = {"cf_netprov_request": request_id}
    n = sum(
        len(list(ep.filter(**f)))
        for ep in (api.ipam.prefixes, api.ipam.ip_addresses, api.ipam.vlans, api.dcim.interfaces)
    )
    n += len(list(api.extras.tags.filter(name=request_id)))
    return n


def test_check_feasible_writes_nothing(ipam: NetBoxIpam, lab_settings: Settings) -> None:
    api, _ = connect(*credentials(lab_settings))
    before = api.core.object_changes.count()
    calls0 = ipam.api_calls
    fe = ipam.check("TST-2026-0001", make_letter(bandwidth=100))
    calls = ipam.api_calls - calls0
    print(f"API calls per check: {calls}")
    assert fe.feasible, fe.reasons
    assert fe.prefix_length == 27
    assert fe.candidate.lan_prefix is not None
    assert fe.candidate.lan_prefix.subnet_of(ipaddress.IPv4Network("203.0.113.0/24"))
    assert fe.candidate.dist_device == "dist-batamkota1"
    assert fe.candidate.dist_interface == "eth2"
    assert fe.candidate.vlan_id is not None and 100 <= fe.candidate.vlan_id <= 399
    assert fe.uplink is not None
    assert (fe.uplink.capacity_mbps, fe.uplink.committed_mbps) == (300, 200)
    assert api.core.object_changes.count() == before
    assert calls <= 20


def test_check_no_bandwidth(ipam: NetBoxIpam) -> None:
    fe = ipam.check("TST-2026-0002", make_letter(bandwidth=150))
    assert not fe.feasible
    assert [f.check for f in fe.findings if not f.ok] == ["bandwidth"]


def test_check_pool_exhausted(ipam: NetBoxIpam) -> None:
    # the internet pool is a /24 holding two legacy links: no /24 is free any more
    fe = ipam.check("TST-2026-0003", make_letter(hosts=200, bandwidth=10))
    assert not fe.feasible
    bad = [f for f in fe.findings if not f.ok]
    assert [f.check for f in bad] == ["prefix"]
    assert "203.0.113.0/24" in bad[0].detail
    with pytest.raises(NotFeasibleError, match=r"203\.0\.113\.0/24"):
        ipam.allocate("TST-2026-0003", make_letter(hosts=200, bandwidth=10))


def test_check_unknown_opd_and_site(ipam: NetBoxIpam) -> None:
    fe = ipam.check("TST-2026-0004", make_letter(opd="Dinas Pariwisata", site="Pulau Entah"))
    bad = {f.check for f in fe.findings if not f.ok}
    assert {"opd", "site"} <= bad


def test_allocate_twice_same_objects_then_release(ipam: NetBoxIpam, lab_settings: Settings) -> None:
    rid = "TST-2026-0010"
    ipam.used.append(rid)  # type: ignore[attr-defined]
    letter = make_letter(bandwidth=50)
    planned = ipam.plan(rid, letter)
    calls0 = ipam.api_calls
    first = ipam.allocate(rid, letter)
    calls = ipam.api_calls - calls0
    print(f"API calls per allocation: {calls}")
    assert first.lan_prefix == planned.lan_prefix
    assert first.transfer_prefix == planned.transfer_prefix
    assert first.vlan_id == planned.vlan_id
    assert first.lan_gateway.ip == next(first.lan_prefix.hosts())
    assert first.dist_address.network == first.transfer_prefix
    assert first.cpe_address.network == first.transfer_prefix
    assert (first.dist_device, first.dist_interface) == ("dist-batamkota1", "eth2")
    assert (first.cpe_device, first.cpe_interface, first.cpe_lan_interface) == (
        "cpe-disdik-bk",
        "eth1",
        "lan1",
    )
    assert first.access_switch == "sw-disdik-bk"
    second = ipam.allocate(rid, letter)
    assert second == first
    assert ipam.find_allocation(rid) == first
    assert ipam.plan(rid, letter) == first
    # the port is now taken: another request for the same site is refused by the check
    fe = ipam.check("TST-2026-0011", letter)
    assert "port" in {f.check for f in fe.findings if not f.ok}
    with pytest.raises(NotFeasibleError):
        ipam.allocate("TST-2026-0011", letter)
    # internet: the reserved prefix is announced and its bandwidth is committed
    assert first.lan_prefix in ipam.active_prefixes("internet")
    fe2 = ipam.check("TST-2026-0012", make_letter(site="Kantor Bappeda", opd="Bappeda", bandwidth=60))
    assert "bandwidth" in {f.check for f in fe2.findings if not f.ok}
    # audit: every object journaled
    objs = ipam.tagged_objects(rid)
    assert sorted(o["kind"] for o in objs) == ["interface", "ip", "ip", "ip", "prefix", "prefix", "vlan"]
    assert all(o["journaled"] for o in objs), objs
    ipam.activate(first, 7, "dikonfigurasi")
    ipam.journal(rid, 8, "Berita Acara ditandatangani")
    released = ipam.release(rid)
    assert any(r.startswith("prefix") for r in released)
    assert _tagged_anywhere(lab_settings, rid) == 0
    assert ipam.find_allocation(rid) is None
    assert ipam.release(rid) == []


def test_allocate_undoes_on_failure(
    ipam: NetBoxIpam, lab_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = "TST-2026-0013"
    ipam.used.append(rid)  # type: ignore[attr-defined]

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected failure after the addresses")

    monkeypatch.setattr(ipam, "_journal_ids", boom)
    with pytest.raises(RuntimeError):
        ipam.allocate(rid, make_letter(opd="Bappeda", site="Kantor Bappeda", service="intranet"))
    assert _tagged_anywhere(lab_settings, rid) == 0


# ------------------------------------------------------------------------------ the race


@pytest.fixture
def race_sites(netbox_lab: dict[str, Any], lab_settings: Settings) -> Iterator[list[str]]:
    """N_RACE temporary department sites, each with a CPE cabled to its own dist port."""
    api, _ = connect(*credentials(lab_settings))

    def cleanup() -> None:
        for i in range(N_RACE):
            rid = f"TST-2026-{100 + i:04d}"
            for ep in (api.ipam.ip_addresses, api.ipam.prefixes, api.ipam.vlans):
                ids = [r.id for r in ep.filter(cf_netprov_request=rid)]
                if ids:
                    ep.delete(ids)
            for t in api.extras.tags.filter(name=rid):
                t.delete()
        ports = [i.id for i in api.dcim.interfaces.filter(device="dist-batamkota1", name__isw="tst")]
        cables = {i.cable.id for i in api.dcim.interfaces.filter(id=ports) if i.cable} if ports else set()
        if cables:
            api.dcim.cables.delete(list(cables))
        if ports:
            api.dcim.interfaces.delete(ports)
        devs = [d.id for d in api.dcim.devices.filter(name__isw="tst-cpe-")]
        if devs:
            api.dcim.devices.delete(devs)
        sites = [s.id for s in api.dcim.sites.filter(slug__isw="tst-site-")]
        if sites:
            api.dcim.sites.delete(sites)

    cleanup()
    tenant = api.tenancy.tenants.get(slug="disdik")
    region = api.dcim.regions.get(slug="batamkota")
    dist = api.dcim.devices.get(name="dist-batamkota1")
    proto = api.dcim.devices.get(name="cpe-disdik-bk")
    sites = api.dcim.sites.create(
        [
            {
                "name": f"TST Site {i:02d}",
                "slug": f"tst-site-{i:02d}",
                "tenant": tenant.id,
                "region": region.id,
                "status": "active",
            }
            for i in range(N_RACE)
        ]
    )
    devs = api.dcim.devices.create(
        [
            {
                "name": f"tst-cpe-{i:02d}",
                "role": proto.role.id,
                "device_type": proto.device_type.id,
                "platform": proto.platform.id,
                "site": s.id,
                "tenant": tenant.id,
                "status": "active",
            }
            for i, s in enumerate(sites)
        ]
    )
    ifs = api.dcim.interfaces.create(
        [{"device": d.id, "name": "eth1", "type": "1000base-t"} for d in devs]
        + [{"device": d.id, "name": "lan1", "type": "1000base-t", "label": "LAN"} for d in devs]
        + [{"device": dist.id, "name": f"tst{i:02d}", "type": "1000base-t"} for i in range(N_RACE)]
    )
    cpe_eth1 = ifs[:N_RACE]
    ports = ifs[2 * N_RACE :]
    api.dcim.cables.create(
        [
            {
                "a_terminations": [{"object_type": "dcim.interface", "object_id": p.id}],
                "b_terminations": [{"object_type": "dcim.interface", "object_id": c.id}],
                "status": "connected",
            }
            for p, c in zip(ports, cpe_eth1, strict=True)
        ]
    )
    yield [s.name for s in sites]
    cleanup()


def test_concurrent_allocations_are_distinct(race_sites: list[str], lab_settings: Settings) -> None:
    barrier = threading.Barrier(N_RACE)

    def work(i: int) -> Any:
        nb = NetBoxIpam.from_settings(lab_settings)
        letter = make_letter(site=race_sites[i], service="intranet", bandwidth=10, hosts=20)
        barrier.wait()
        return nb.allocate(f"TST-2026-{100 + i:04d}", letter)

    with ThreadPoolExecutor(N_RACE) as ex:
        allocs = list(ex.map(work, range(N_RACE)))
    lans = [a.lan_prefix for a in allocs]
    transfers = [a.transfer_prefix for a in allocs]
    nets = lans + transfers
    assert len(set(lans)) == N_RACE
    assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
    assert len({a.vlan_id for a in allocs}) == N_RACE
    assert len({a.dist_interface for a in allocs}) == N_RACE
    # each is found again as the same allocation
    nb = NetBoxIpam.from_settings(lab_settings)
    for i, a in enumerate(allocs):
        assert nb.find_allocation(f"TST-2026-{100 + i:04d}") == a
    for i in range(N_RACE):
        nb.release(f"TST-2026-{100 + i:04d}")


def test_two_requests_race_for_one_port(race_sites: list[str], lab_settings: Settings) -> None:
    barrier = threading.Barrier(2)

    def work(i: int) -> Any:
        nb = NetBoxIpam.from_settings(lab_settings)
        letter = make_letter(site=race_sites[0], service="intranet", bandwidth=10, hosts=5)
        barrier.wait()
        try:
            return nb.allocate(f"TST-2026-{100 + i:04d}", letter)
        except NotFeasibleError as exc:
            return exc

    with ThreadPoolExecutor(2) as ex:
        results = list(ex.map(work, range(2)))
    ok = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, NotFeasibleError)]
    assert len(ok) == 1 and len(refused) == 1, results
    nb = NetBoxIpam.from_settings(lab_settings)
    for i in range(2):
        nb.release(f"TST-2026-{100 + i:04d}")


def test_concurrent_allocations_never_overcommit_an_uplink(
    race_sites: list[str], lab_settings: Settings
) -> None:
    """Eight departments ask at once for a share of one uplink that has room for two of them.

    Without the lock about half the rounds let a third one through; two rounds.
    """
    n = 8
    probe = NetBoxIpam.from_settings(lab_settings).check(
        "TST-2026-0199", make_letter(site=race_sites[0], service="intranet", bandwidth=1, hosts=5)
    )
    assert probe.uplink is not None
    headroom = probe.uplink.headroom_mbps
    bandwidth = headroom // 2  # two fit, a third does not
    assert bandwidth >= 1 and 3 * bandwidth > headroom

    def work(i: int, barrier: threading.Barrier) -> Any:
        nb = NetBoxIpam.from_settings(lab_settings)
        letter = make_letter(site=race_sites[i], service="intranet", bandwidth=bandwidth, hosts=5)
        barrier.wait()
        try:
            return nb.allocate(f"TST-2026-{100 + i:04d}", letter)
        except NotFeasibleError as exc:
            return exc

    api, _ = connect(*credentials(lab_settings))
    nb = NetBoxIpam.from_settings(lab_settings)
    for _round in range(2):
        barrier = threading.Barrier(n)
        try:
            with ThreadPoolExecutor(n) as ex:
                results = list(ex.map(work, range(n), [barrier] * n))
            ok = [r for r in results if not isinstance(r, Exception)]
            refused = [r for r in results if isinstance(r, NotFeasibleError)]
            assert (len(ok), len(refused)) == (2, n - 2), [str(r)[:200] for r in results]
            assert all("bandwidth" in str(r).lower() for r in refused), refused
            after = nb.check(
                "TST-2026-0199", make_letter(site=race_sites[0], service="intranet", bandwidth=1)
            )
            assert after.uplink is not None
            assert after.uplink.committed_mbps == probe.uplink.committed_mbps + 2 * bandwidth
            assert list(api.extras.tags.filter(slug__isw="netprov-lock-")) == []  # none left behind
        finally:
            for i in range(n):
                nb.release(f"TST-2026-{100 + i:04d}")
