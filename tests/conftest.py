"""Shared fixtures: settings isolated per test, and the real lab parts started once per session.

The lab fixtures call the project's own lab code (``netprov_lab.<part>.up``): the same code a
user runs with ``netprov lab up``. They are session-scoped and leave the lab running at the end
(``./run test`` tears it down), so a developer's second run is fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import netprov_lab as labmod
from netprov.settings import REPO_ROOT, Settings, load_settings

LAB_DIR = Path(os.environ.get("NETPROV_LAB_DIR", str(REPO_ROOT / ".lab")))


def _progress(msg: str) -> None:
    print(f"[lab] {msg}", flush=True)


@pytest.fixture(autouse=True)
def _default_playbooks_dir() -> Iterator[None]:
    """Every test starts with the default playbooks directory (an App may have named another)."""
    from netprov.domain.services import use_playbooks_dir

    use_playbooks_dir(None)
    yield
    use_playbooks_dir(None)


@pytest.fixture(autouse=True)
def _private_default_register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's own register (~/.local/share/netprov): a command run
    without an explicit data dir gets this test's own."""
    if "NETPROV_DATA_DIR" not in os.environ:
        monkeypatch.setenv("NETPROV_DATA_DIR", str(tmp_path / "default-data"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def settings(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings whose register and documents live in a fresh temp dir."""
    monkeypatch.setenv("NETPROV_DATA_DIR", str(data_dir))
    monkeypatch.delenv("NETPROV_DATABASE_URL", raising=False)
    monkeypatch.delenv("NETPROV_USER", raising=False)
    return load_settings(data_dir=data_dir, lab_dir=LAB_DIR)


def _lab_settings() -> Settings:
    return load_settings(lab_dir=LAB_DIR)


def _start(part: str) -> dict[str, Any]:
    if os.geteuid() != 0:
        pytest.skip(f"the {part} lab needs root")  # CI runs as root: never skipped there
    return dict(labmod.part(part).up(_lab_settings(), _progress))


@pytest.fixture(scope="session")
def netbox_lab() -> Iterator[dict[str, Any]]:
    """NetBox 4.7.3 up and seeded with the city network."""
    status = _start("netbox")
    from netprov_lab.reset import reset_netbox

    reset_netbox(_lab_settings(), _progress)  # every test session starts from the seed alone
    yield status


@pytest.fixture(scope="session")
def device_lab() -> Iterator[dict[str, Any]]:
    """The router network (FRR, BIRD, fake-switches) up, every router at its baseline."""
    status = _start("devices")
    from netprov_lab.reset import reset_devices

    reset_devices(_lab_settings(), _progress)
    yield status


@pytest.fixture(scope="session")
def monitoring_lab() -> Iterator[dict[str, Any]]:
    """Zabbix 6.0 and Prometheus + blackbox up."""
    yield _start("monitoring")


@pytest.fixture
def lab_settings(settings: Settings) -> Settings:
    """Per-test register, lab endpoints from the lab state (call after a lab fixture)."""
    return load_settings(data_dir=settings.data_dir, lab_dir=LAB_DIR)
