"""Step-4 logic without NetBox (netprov.domain): first fit, addresses, headroom, findings."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest

from netprov.domain.feasibility import evaluate
from netprov.domain.letters import Letter, parse_letter
from netprov.domain.planning import (
    LinkRow,
    PoolRow,
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
from netprov.netbox import naming as nm

N = ipaddress.IPv4Network


def letter(**over: object) -> Letter:
    data: dict[str, object] = {
        "letter": {
            "number": "005/DISDIK/2026",
            "date": dt.date.today().isoformat(),
            "subject": "Permohonan jaringan baru",
        },
        "opd": "Dinas Pendidikan",
        "service": "internet",
        "bandwidth_mbps": 50,
        "hosts": 20,
        "purpose": "Akses internet UPT",
        "site": {"name": "UPT Pendidikan Batam Kota", "address": "Jl. Engku Putri No. 1"},
        "contact": {"name": "Budi", "phone": "0812 0000 0000", "email": "budi@example.org"},
    }
    data.update(over)
    return parse_letter(data)


LINK = LinkRow(
    dist_device="dist-batamkota1",
    dist_device_id=2,
    dist_site_id=3,
    dist_interface="eth2",
    dist_interface_id=20,
    dist_mark="",
    cpe_device="cpe-disdik-bk",
    cpe_device_id=4,
    cpe_interface="eth1",
    cpe_interface_id=40,
    cpe_lan_interface="lan1",
    cpe_lan_interface_id=41,
    access_switch="sw-disdik-bk",
    access_uplink="FastEthernet0/1",
    access_ports=("FastEthernet0/2", "FastEthernet0/3"),
)


def survey(**over: object) -> Survey:
    base: dict[str, object] = dict(
        request_id="PJB-2026-0001",
        service="internet",
        tenant=TenantRow(1, "disdik", "Dinas Pendidikan"),
        site=SiteRow(5, "upt-disdik-batamkota", "UPT Pendidikan Batam Kota", "disdik", 7),
        link=LINK,
        pools=(
            PoolRow(10, N("203.0.113.0/24"), "internet-opd", (N("203.0.113.0/25"), N("203.0.113.128/26"))),
        ),
        transfer_pools=(PoolRow(11, N("10.250.0.0/16"), "transfer", (N("10.250.0.0/16"),)),),
        vlan_group=VlanGroupRow(1, "OPD Batam Kota", 100),
        uplinks=(UplinkRow("core-dc1", "eth3", 300),),
        committed_mbps=200,
    )
    base.update(over)
    return Survey(**base)  # type: ignore[arg-type]


def test_first_fit_takes_first_block_big_enough() -> None:
    avail = [N("10.0.0.8/29"), N("10.0.0.16/28"), N("10.0.0.64/26")]
    assert first_fit(avail, 29) == N("10.0.0.8/29")
    assert first_fit(avail, 28) == N("10.0.0.16/28")
    assert first_fit(avail, 27) == N("10.0.0.64/27")
    assert first_fit(avail, 25) is None
    assert largest_free(avail) == 26
    assert largest_free([]) is None


def test_addresses() -> None:
    assert transfer_addresses(N("10.250.0.4/30")) == (
        ipaddress.IPv4Interface("10.250.0.5/30"),
        ipaddress.IPv4Interface("10.250.0.6/30"),
    )
    assert lan_gateway(N("203.0.113.32/27")) == ipaddress.IPv4Interface("203.0.113.33/27")


def test_tenant_matching_is_case_insensitive_on_name_or_slug() -> None:
    rows = [TenantRow(1, "disdik", "Dinas Pendidikan"), TenantRow(2, "dinkes", "Dinas Kesehatan")]
    assert match_tenant(rows, "dinas pendidikan") == rows[0]
    assert match_tenant(rows, " DINKES ") == rows[1]
    assert match_tenant(rows, "Dinas Pariwisata") is None


def test_committed_bandwidth_ignores_missing_values() -> None:
    cfs = [{nm.CF_BANDWIDTH: 100}, {nm.CF_BANDWIDTH: None}, {}, {nm.CF_BANDWIDTH: 100}]
    assert committed_bandwidth(cfs, nm.CF_BANDWIDTH) == 200


def test_feasible_with_candidates_and_headroom() -> None:
    fe = evaluate(survey(), letter())
    assert fe.feasible, fe.reasons
    assert fe.prefix_length == 27
    assert fe.candidate.lan_prefix == N("203.0.113.0/27")
    assert fe.candidate.transfer_prefix == N("10.250.0.0/30")
    assert fe.candidate.vlan_id == 100
    assert fe.candidate.dist_interface == "eth2"
    assert fe.uplink is not None and fe.uplink.headroom_mbps == 100
    assert {f.check for f in fe.findings} >= {"opd", "site", "prefix", "port", "vlan", "bandwidth"}


def test_no_bandwidth() -> None:
    fe = evaluate(survey(), letter(bandwidth_mbps=150))
    assert not fe.feasible
    bad = [f for f in fe.findings if not f.ok]
    assert [f.check for f in bad] == ["bandwidth"]
    assert "150" in bad[0].detail and "100" in bad[0].detail


def test_pool_exhausted_names_the_pool() -> None:
    full = (PoolRow(10, N("203.0.113.0/24"), "internet-opd", (N("203.0.113.0/28"),)),)
    fe = evaluate(survey(pools=full), letter(hosts=20))
    assert not fe.feasible
    bad = [f for f in fe.findings if not f.ok]
    assert bad[0].check == "prefix" and "203.0.113.0/24" in bad[0].detail
    assert "/28" in bad[0].detail


@pytest.mark.parametrize(
    ("over", "check"),
    [
        ({"tenant": None}, "opd"),
        ({"site": None, "link": None, "vlan_group": None}, "site"),
        ({"link": None, "vlan_group": None}, "port"),
        ({"link": LinkRow(**{**LINK.__dict__, "dist_mark": "PJB-2026-0009"})}, "port"),
        ({"vlan_group": VlanGroupRow(1, "OPD Batam Kota", None)}, "vlan"),
        ({"vlan_group": VlanGroupRow(1, "OPD", 101, port_vlan_holder="PJB-2026-0002")}, "vlan"),
        ({"uplinks": ()}, "bandwidth"),
        ({"pools": ()}, "prefix"),
    ],
)
def test_each_failing_check_is_a_finding(over: dict[str, object], check: str) -> None:
    fe = evaluate(survey(**over), letter())
    assert not fe.feasible
    assert check in {f.check for f in fe.findings if not f.ok}


def test_own_mark_does_not_block_a_recheck() -> None:
    link = LinkRow(**{**LINK.__dict__, "dist_mark": "PJB-2026-0001"})
    assert evaluate(survey(link=link), letter()).feasible


def test_site_of_another_tenant_is_refused() -> None:
    site = SiteRow(5, "puskesmas-sekupang", "Puskesmas Sekupang", "dinkes", 8)
    fe = evaluate(survey(site=site), letter())
    assert "site" in {f.check for f in fe.findings if not f.ok}


def test_too_many_hosts_is_a_specification_finding() -> None:
    fe = evaluate(survey(), letter(hosts=5000))
    assert "specification" in {f.check for f in fe.findings if not f.ok}


def test_feasibility_json_has_boolean_feasible() -> None:
    data = evaluate(survey(), letter()).model_dump(mode="json")
    assert data["feasible"] is True
    assert data["candidate"]["lan_prefix"] == "203.0.113.0/27"


def test_build_allocation() -> None:
    s = survey()
    assert s.tenant and s.site
    dist, cpe = transfer_addresses(N("10.250.0.0/30"))
    a = build_allocation(
        request_id="PJB-2026-0001",
        service="internet",
        bandwidth_mbps=50,
        tenant=s.tenant,
        site=s.site,
        link=LINK,
        lan_prefix=N("203.0.113.0/27"),
        lan_gateway_address=lan_gateway(N("203.0.113.0/27")),
        transfer_prefix=N("10.250.0.0/30"),
        dist_address=dist,
        cpe_address=cpe,
        vlan_id=100,
        vlan_name_="opd-upt-disdik-batamkota",
        netbox_ids={"prefix": [1, 2]},
    )
    assert a.opd_slug == "disdik" and a.cpe_lan_interface == "lan1"
    assert a.access_ports == ["FastEthernet0/2", "FastEthernet0/3"]
    assert str(a.dist_address) == "10.250.0.1/30" and str(a.cpe_address) == "10.250.0.2/30"


def test_naming() -> None:
    assert nm.request_tag_slug("TST-2026-0001") == "req-tst-2026-0001"
    assert nm.allocation_description("PJB-2026-0001", "Dinas Pendidikan", "UPT Pendidikan Batam Kota") == (
        "PJB-2026-0001 · Dinas Pendidikan · UPT Pendidikan Batam Kota"
    )
    assert len(nm.vlan_name("x" * 100)) == 64
    assert sorted(["eth10", "eth2", "eth1"], key=interface_sort_key) == ["eth1", "eth2", "eth10"]


def test_old_import_path_still_works() -> None:
    from netprov.netbox import planning as old

    assert old.evaluate is evaluate and old.Survey is Survey and old.first_fit is first_fit
