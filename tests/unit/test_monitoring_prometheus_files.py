"""Prometheus backend: target files (atomic, 0644, idempotent) and query errors."""

from __future__ import annotations

import ipaddress
import json
import socket
import stat
from pathlib import Path

import pytest

from netprov.errors import MonitoringError
from netprov.monitoring import MonitoredLink, PrometheusBackend


def link(**over: object) -> MonitoredLink:
    data: dict[str, object] = dict(
        request_id="PJB-2026-0001",
        opd="disdik",
        opd_name="Dinas Pendidikan",
        site="UPT Pendidikan Batam Kota",
        service="intranet",
        bandwidth_mbps=50,
        circuit="dist-batamkota1:eth2 ↔ cpe-disdik-bk:eth1",
        address=ipaddress.IPv4Address("10.100.0.1"),
        device="cpe-disdik-bk",
    )
    data.update(over)
    return MonitoredLink.model_validate(data)


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return int(port)


def test_register_writes_one_file_atomically(tmp_path: Path) -> None:
    b = PrometheusBackend(tmp_path)
    reg = b.register(link())
    assert reg.created is True
    f = tmp_path / "PJB-2026-0001.json"
    assert stat.S_IMODE(f.stat().st_mode) == 0o644
    groups = json.loads(f.read_text(encoding="utf-8"))
    assert groups == [{"targets": ["10.100.0.1"], "labels": link().labels()}]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["PJB-2026-0001.json"]  # no temp left


def test_register_twice_updates_the_same_file(tmp_path: Path) -> None:
    b = PrometheusBackend(tmp_path)
    b.register(link())
    reg = b.register(link(bandwidth_mbps=100))
    assert reg.created is False
    assert reg.labels["bandwidth_mbps"] == "100"
    assert len(list(tmp_path.glob("*.json"))) == 1
    found = b.find("PJB-2026-0001")
    assert found is not None and found.labels["bandwidth_mbps"] == "100"


def test_deregister_removes_only_its_file(tmp_path: Path) -> None:
    b = PrometheusBackend(tmp_path)
    b.register(link())
    b.register(link(request_id="PJB-2026-0002"))
    assert b.deregister("PJB-2026-0001") is True
    assert b.deregister("PJB-2026-0001") is False
    assert [p.name for p in tmp_path.glob("*.json")] == ["PJB-2026-0002.json"]
    assert b.find("PJB-2026-0001") is None


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    b = PrometheusBackend(tmp_path / "nope")
    with pytest.raises(MonitoringError, match="does not exist"):
        b.register(link())


def test_failed_write_leaves_no_temp_file(tmp_path: Path, mocker: object) -> None:
    b = PrometheusBackend(tmp_path)
    import netprov.monitoring.prometheus as mod

    def boom(fd: int) -> None:
        raise OSError(28, "No space left on device")

    mocker.patch.object(mod.os, "fsync", side_effect=boom)  # type: ignore[attr-defined]
    with pytest.raises(MonitoringError, match="No space left"):
        b.register(link())
    assert list(tmp_path.iterdir()) == []


def test_status_without_url_says_which_setting(tmp_path: Path) -> None:
    b = PrometheusBackend(tmp_path)
    b.register(link())
    with pytest.raises(MonitoringError, match="NETPROV_PROMETHEUS_URL"):
        b.status("PJB-2026-0001")


def test_status_with_server_down_is_a_clear_error(tmp_path: Path) -> None:
    b = PrometheusBackend(tmp_path, f"http://127.0.0.1:{closed_port()}")
    b.register(link())
    with pytest.raises(MonitoringError, match="not reachable"):
        b.status("PJB-2026-0001", wait_seconds=0)
