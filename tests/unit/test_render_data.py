"""Template data: one pure function, typed values, inconsistencies named."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from netprov.domain.resources import Allocation
from netprov.domain.topology import load_topology
from netprov.errors import RenderError
from netprov.render.data import build_template_data, prefix_list_seq
from netprov.settings import load_settings
from netprov_lab.samples import DEFAULT_SAMPLES_DIR, load_sample, load_samples

TOPOLOGY = load_topology(load_settings().topology_file)
INTRANET = load_sample(DEFAULT_SAMPLES_DIR / "disdik-intranet-small.yaml")
INTERNET = load_sample(DEFAULT_SAMPLES_DIR / "dinkes-internet-small.yaml")


def _alloc(sample: Any, **changes: Any) -> Allocation:
    return Allocation.model_validate({**sample.allocation.model_dump(), **changes})


def test_intranet_values_are_precomputed() -> None:
    d = build_template_data(INTRANET.request_id, INTRANET.letter, INTRANET.allocation, TOPOLOGY)
    assert d.name == "NETPROV-PJB-2026-0001"
    assert str(d.lan.netmask) == "255.255.255.224" and str(d.lan.wildcard) == "0.0.0.31"
    assert d.lan.prefixlen == 27 and str(d.lan.gateway_ip) == "10.100.0.1"
    assert str(d.transfer.dist) == "10.250.0.1/30" and str(d.transfer.cpe_ip) == "10.250.0.2"
    assert str(d.transfer.wildcard) == "0.0.0.3"
    assert d.bandwidth.kbps == 50_000 and d.bandwidth.bps == 50_000_000
    assert d.bandwidth.burst_bytes == 1_250_000  # 200 ms at 50 Mbit/s
    assert d.routing.prefix_list_seq == 0 and d.routing.internet_prefixes == ()
    assert d.routing.city_asn == 65010 and d.routing.provider_asn == 64500
    assert str(d.routing.core_isp_address) == "198.51.100.0/31"
    assert str(d.routing.provider_isp_address) == "198.51.100.1/31"
    assert d.access is not None and d.access.ports == ("FastEthernet0/2", "FastEthernet0/3")
    assert d.text.description == "PJB-2026-0001 Dinas Pendidikan intranet"
    assert not d.is_internet


def test_internet_prefixes_include_this_link_sorted() -> None:
    d = build_template_data(
        INTERNET.request_id,
        INTERNET.letter,
        INTERNET.allocation,
        TOPOLOGY,
        internet_prefixes=["203.0.113.224/28", "203.0.113.192/27"],
    )
    assert [str(n.prefix) for n in d.routing.internet_prefixes] == [
        "203.0.113.0/28",
        "203.0.113.192/27",
        "203.0.113.224/28",
    ]
    assert d.routing.prefix_list_seq == 10
    assert d.is_internet


def test_prefix_list_seq_is_unique_per_pool_and_in_range() -> None:
    pool = ipaddress.IPv4Network("203.0.113.0/24")
    seqs = {prefix_list_seq(n, pool) for n in pool.subnets(new_prefix=30)}
    assert len(seqs) == 64 and min(seqs) > 5 and max(seqs) <= 65535
    with pytest.raises(RenderError, match="not inside"):
        prefix_list_seq(ipaddress.IPv4Network("10.100.0.0/27"), pool)


def test_samples_are_consistent() -> None:
    for s in load_samples():
        build_template_data(
            s.request_id, s.letter, s.allocation, TOPOLOGY, form=s.form, internet_prefixes=s.internet_prefixes
        )


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"lan_gateway": "10.100.1.1/27"}, "lan_gateway"),
        ({"lan_gateway": "10.100.0.0/27"}, "lan_gateway"),
        ({"cpe_address": "10.250.9.2/30"}, "cpe_address"),
        ({"cpe_address": "10.250.0.1/30"}, "same address"),
        ({"vlan_id": 5000}, "vlan_id"),
        ({"bandwidth_mbps": 0}, "bandwidth_mbps"),
        ({"lan_prefix": "203.0.113.0/27", "lan_gateway": "203.0.113.1/27"}, "not inside its pool"),
        ({"access_uplink": None}, "access_uplink"),
        ({"dist_interface": "eth2 shutdown"}, "dist_interface"),
        ({"request_id": "PJB-2026-0002"}, "allocation is for"),
    ],
)
def test_inconsistent_allocation_is_named(changes: dict[str, Any], match: str) -> None:
    with pytest.raises(RenderError, match=match):
        build_template_data(INTRANET.request_id, INTRANET.letter, _alloc(INTRANET, **changes), TOPOLOGY)


def test_internet_rejects_intranet_space() -> None:
    with pytest.raises(RenderError, match="may never leave"):
        build_template_data(
            INTERNET.request_id,
            INTERNET.letter,
            INTERNET.allocation,
            TOPOLOGY,
            internet_prefixes=["10.100.0.0/24"],
        )
    with pytest.raises(RenderError, match="internet_prefixes"):
        build_template_data(
            INTERNET.request_id,
            INTERNET.letter,
            INTERNET.allocation,
            TOPOLOGY,
            internet_prefixes=["not-a-prefix"],
        )


def test_bad_request_id_and_service_mismatch() -> None:
    with pytest.raises(RenderError, match="request_id"):
        build_template_data("PJB-2026-0001\nend", INTRANET.letter, INTRANET.allocation, TOPOLOGY)
    with pytest.raises(RenderError, match="service"):
        build_template_data(INTRANET.request_id, INTERNET.letter, INTRANET.allocation, TOPOLOGY)


def test_data_is_frozen() -> None:
    d = build_template_data(INTRANET.request_id, INTRANET.letter, INTRANET.allocation, TOPOLOGY)
    with pytest.raises(ValueError, match="frozen"):
        d.request_id = "X"  # type: ignore[misc]
