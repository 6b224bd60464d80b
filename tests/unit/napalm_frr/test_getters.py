"""One test per getter, each against every recorded case in mocked_data/<getter>/."""

from __future__ import annotations

import json

import pytest

from tests.unit.napalm_frr.fake import cases, load_case

GETTERS = [
    "get_facts",
    "get_interfaces",
    "get_interfaces_ip",
    "get_bgp_neighbors",
    "get_route_to",
    "get_config",
    "ping",
]


def _run(method: str, case: str) -> tuple[object, object]:
    driver, spec, expected = load_case(method, case)
    result = getattr(driver, method)(*spec["args"], **spec["kwargs"])
    return json.loads(json.dumps(result)), expected


@pytest.mark.parametrize("case", cases("get_facts"))
def test_get_facts(case: str) -> None:
    result, expected = _run("get_facts", case)
    assert result == expected
    assert result["vendor"] == "FRRouting"  # type: ignore[index]


@pytest.mark.parametrize("case", cases("get_interfaces"))
def test_get_interfaces(case: str) -> None:
    result, expected = _run("get_interfaces", case)
    assert result == expected


@pytest.mark.parametrize("case", cases("get_interfaces_ip"))
def test_get_interfaces_ip(case: str) -> None:
    result, expected = _run("get_interfaces_ip", case)
    assert result == expected


@pytest.mark.parametrize("case", cases("get_bgp_neighbors"))
def test_get_bgp_neighbors(case: str) -> None:
    result, expected = _run("get_bgp_neighbors", case)
    assert result == expected
    assert "global" in result  # type: ignore[operator]


@pytest.mark.parametrize("case", cases("get_route_to"))
def test_get_route_to(case: str) -> None:
    result, expected = _run("get_route_to", case)
    assert result == expected


@pytest.mark.parametrize("case", cases("get_config"))
def test_get_config(case: str) -> None:
    result, expected = _run("get_config", case)
    assert result == expected
    assert result["running"].startswith("frr version")  # type: ignore[index]


@pytest.mark.parametrize("case", cases("ping"))
def test_ping(case: str) -> None:
    result, expected = _run("ping", case)
    assert result == expected


def test_every_getter_has_cases() -> None:
    for method in GETTERS:
        assert cases(method), method
