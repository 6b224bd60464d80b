"""The platform registry: entry points, unknown names, programmatic registration."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest

from netprov.errors import NetprovError, UnknownPlatform, UnsupportedOperation
from netprov.platforms import (
    Checker,
    Platform,
    deregister_platform,
    get_platform,
    netbox_model,
    platform_names,
    register_platform,
)
from netprov.platforms.frr import FrrPlatform
from netprov.platforms.registry import PlatformRegister
from tests.conformance.fakes import FakeHost, FakeTask


class VyosPlatform(Platform):
    name: ClassVar[str] = "vyos-test"
    provisionable: ClassVar[bool] = False

    def validators(self) -> list[tuple[str, Checker]]:
        return [("always", lambda text: (True, []))]


@pytest.fixture
def vyos() -> Iterator[type[Platform]]:
    register_platform(VyosPlatform)
    yield VyosPlatform
    deregister_platform("vyos-test")


def test_entry_points_register_the_builtin_platforms() -> None:
    assert platform_names() == ["bird2", "eos", "frr", "ios", "junos", "routeros"]
    assert isinstance(get_platform("frr"), FrrPlatform)
    assert get_platform("frr") is get_platform("frr")  # cached


def test_platform_facts() -> None:
    facts = {
        n: (get_platform(n).connection, get_platform(n).commit_confirm, get_platform(n).provisionable)
        for n in platform_names()
    }
    assert facts == {
        "frr": ("napalm", True, True),
        "bird2": ("napalm", True, True),
        "ios": ("netmiko", False, True),
        "eos": (None, False, False),
        "junos": (None, False, False),
        "routeros": (None, False, False),
    }
    assert netbox_model("frr") == "FRR router (netns)"
    assert netbox_model("ios") == "IOS switch"
    assert netbox_model("eos") == "eos"
    assert netbox_model("vyos") == "vyos"


def test_unknown_platform_names_the_known_ones() -> None:
    with pytest.raises(UnknownPlatform, match=r"unknown platform 'vyos' \(known: bird2, eos, frr"):
        get_platform("vyos")
    with pytest.raises(NetprovError):
        get_platform(None)


def test_programmatic_registration(vyos: type[Platform]) -> None:
    assert "vyos-test" in platform_names()
    assert get_platform("vyos-test").validators()[0][0] == "always"
    register_platform(vyos)  # the same class again is fine
    with pytest.raises(UnknownPlatform, match="already registered"):
        register_platform(FrrPlatform, "vyos-test")


def test_a_separate_register_with_no_entry_points() -> None:
    reg = PlatformRegister(group="netprov.platforms.none")
    assert reg.names() == []
    reg.register(FrrPlatform)
    assert reg.names() == ["frr"]
    with pytest.raises(UnknownPlatform, match="not a Platform class"):
        reg._add("x", object)


@pytest.mark.parametrize("name", ["eos", "junos", "routeros"])
def test_validate_only_platforms_refuse_device_operations(name: str) -> None:
    p = get_platform(name)
    task = FakeTask(FakeHost("r9", name, None, "napalm"))
    with pytest.raises(UnsupportedOperation, match=f"r9: platform {name} cannot connect"):
        p.open(task)
    with pytest.raises(UnsupportedOperation):
        p.push(None, "x", "merge", message="", revert_in=None, device="r9")
    with pytest.raises(UnsupportedOperation):
        p.restore(None, "x", "r9")
    with pytest.raises(UnsupportedOperation):
        p.bgp_announced(None, "192.0.2.0/24", "r9")
