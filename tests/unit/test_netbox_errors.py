"""Error paths of the NetBox adapter and lab without a NetBox (fakes only for errors)."""

from __future__ import annotations

import socket
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pynetbox.core.query import AllocationError

from netprov.errors import ConfigError, LabError, NotFeasibleError
from netprov.netbox.adapter import NetBoxIpam
from netprov.settings import Settings, load_settings
from netprov_lab import netbox as nblab


def test_from_settings_names_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("NETPROV_NETBOX_URL", "NETPROV_NETBOX_TOKEN", "NETPROV_NETBOX_TOKEN_FILE"):
        monkeypatch.delenv(var, raising=False)
    s = load_settings(lab_dir=tmp_path)
    with pytest.raises(ConfigError, match="NETPROV_NETBOX_URL"):
        NetBoxIpam.from_settings(s)
    s2 = load_settings(lab_dir=tmp_path, netbox_url="http://127.0.0.1:9")
    with pytest.raises(ConfigError, match="NETPROV_NETBOX_TOKEN"):
        NetBoxIpam.from_settings(s2)


class _Full:
    """A pool whose available-prefixes POST answers 409."""

    prefix = "203.0.113.0/24"

    @property
    def available_prefixes(self) -> Any:
        def create(_body: Any) -> Any:
            req = SimpleNamespace(
                status_code=409,
                url="http://x/api/ipam/prefixes/1/",
                request=SimpleNamespace(body=b"{}"),
                text="",
            )
            raise AllocationError(req)

        return SimpleNamespace(create=create)


def test_full_pool_is_not_feasible_naming_the_pool() -> None:
    nb = NetBoxIpam(
        api=None,
        counter=SimpleNamespace(count=0),
        pool_roles={"intranet": "i", "internet": "x"},
        transfer_role="t",
    )
    undo: list[tuple[str, Any]] = []
    with pytest.raises(NotFeasibleError, match=r"203\.0\.113\.0/24.*/27"):
        nb._carve([_Full()], 27, "TST-2026-0099", {}, undo)
    assert undo == []


def test_token_never_in_error_messages() -> None:
    from netprov.netbox.client import describe

    req = SimpleNamespace(
        status_code=409,
        url="http://x/api/ipam/prefixes/1/available-prefixes/?a=1",
        request=SimpleNamespace(body=b"{}"),
        text="",
    )
    text = describe(AllocationError(req))
    assert text.startswith("HTTP 409 on /api/ipam/prefixes/1/available-prefixes/")


def test_up_refuses_a_taken_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        monkeypatch.setattr(nblab, "PORT", port)
        monkeypatch.setattr(nblab, "require_root", lambda what: None)
        settings = load_settings(lab_dir=tmp_path / "lab", cache_dir=tmp_path / "cache")
        with pytest.raises(LabError, match=f"port {port}"):
            nblab.up(settings, lambda m: None)


def test_up_needs_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    settings = load_settings(lab_dir=tmp_path / "lab", cache_dir=tmp_path / "cache")
    with pytest.raises(LabError, match="root"):
        nblab.up(settings, lambda m: None)


def test_no_python312_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.delenv("NETPROV_NETBOX_PYTHON", raising=False)
    with pytest.raises(LabError, match=r"3\.12"):
        nblab._python312()


def test_status_of_a_lab_never_started(tmp_path: Path) -> None:
    settings: Settings = load_settings(lab_dir=tmp_path / "lab", cache_dir=tmp_path / "cache")
    st = nblab.status(settings)
    assert st["state"] == "down"
    assert "token" not in st
