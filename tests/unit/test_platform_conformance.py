"""The conformance suite against fakes, for every registered platform.

A registered provisionable platform without a fake here, or any platform without samples in
tests/conformance/samples.py, fails: a new platform brings both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from napalm.base.exceptions import ConnectionException
from netmiko.exceptions import NetmikoTimeoutException

from netprov.platforms import Mode, Platform, get_platform, platform_names
from tests.conformance.fakes import FakeBird2, FakeHost, FakeIos, FakeNapalmFrr, FakeTask
from tests.conformance.samples import SAMPLES
from tests.conformance.suite import Case, PlatformConformance, ValidatorConformance

FRR_RUNNING = "frr version 8.4\nhostname cpe1\n!\ninterface lan1\n ip address 10.100.1.1/24\nexit\n!\n"
BIRD_RUNNING = "router id 10.0.0.9;\nprotocol device {\n}\n"
IOS_RUNNING = "hostname sw1\n!\ninterface FastEthernet0/3\n switchport mode access\n!\n"
EXTRA_BIRD = "\nprotocol static netprov_conformance {\n  ipv4;\n  route 198.51.100.200/32 blackhole;\n}\n"


def _frr() -> tuple[Any, Callable[[str], tuple[str, Mode]], Callable[[str], tuple[str, Mode]]]:
    return (
        FakeNapalmFrr(FRR_RUNNING),
        lambda s: ("interface lan1\n description netprov conformance\nexit\n", "merge"),
        lambda s: ("interface lan1\n nonsense 1\nexit\n", "merge"),
    )


def _bird2() -> tuple[Any, Callable[[str], tuple[str, Mode]], Callable[[str], tuple[str, Mode]]]:
    return (
        FakeBird2(BIRD_RUNNING),
        lambda s: (s + EXTRA_BIRD, "replace"),
        lambda s: (s + "\nprotocol static {\n  nonsense;\n}\n", "replace"),
    )


def _ios() -> tuple[Any, Callable[[str], tuple[str, Mode]], Callable[[str], tuple[str, Mode]]]:
    return (
        FakeIos(IOS_RUNNING),
        lambda s: ("interface FastEthernet0/3\n description netprov conformance\n", "merge"),
        lambda s: ("interface FastEthernet0/3\n description x\n nonsense 1\n", "merge"),
    )


FAKES = {"frr": _frr, "bird2": _bird2, "ios": _ios}
UNREACHABLE: dict[str, BaseException] = {
    "napalm": ConnectionException("cannot connect to 127.0.0.1:2299"),
    "netmiko": NetmikoTimeoutException("TCP connection to device failed"),
}
PROVISIONABLE = [n for n in platform_names() if get_platform(n).provisionable]


@pytest.fixture(params=PROVISIONABLE)
def case(request: pytest.FixtureRequest) -> Case:
    platform = get_platform(request.param)
    assert request.param in FAKES, f"platform {request.param} has no fake in this suite"
    conn, change, refused = FAKES[request.param]()
    task = FakeTask(FakeHost(f"dev-{platform.name}", platform.name, conn, str(platform.connection)))
    return Case(platform, task.host.name, platform.open(task), change, refused)


@pytest.fixture(params=PROVISIONABLE)
def unreachable(request: pytest.FixtureRequest) -> tuple[Platform, FakeTask]:
    platform = get_platform(request.param)
    exc = UNREACHABLE[str(platform.connection)]
    return platform, FakeTask(FakeHost("dev-down", platform.name, exc, str(platform.connection)))


@pytest.fixture(params=platform_names())
def sample(request: pytest.FixtureRequest) -> tuple[Platform, str, str]:
    assert request.param in SAMPLES, f"platform {request.param} has no samples"
    good, bad = SAMPLES[request.param]
    return get_platform(request.param), good, bad


class TestFakeDevices(PlatformConformance):
    """Every provisionable platform against its fake."""


class TestValidators(ValidatorConformance):
    """Every platform's validators."""


def test_every_builtin_platform_is_covered() -> None:
    assert {"frr", "bird2", "ios", "eos", "junos", "routeros"} <= set(platform_names())
    assert set(PROVISIONABLE) == set(FAKES)
