"""Choosing backends from settings, and register_all undoing its own creations."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from netprov.errors import ConfigError, MonitoringError
from netprov.monitoring import (
    MonitoredLink,
    ProbeStatus,
    PrometheusBackend,
    Registration,
    ZabbixBackend,
    backends_from_settings,
    register_all,
)
from netprov.settings import load_settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for var in (
        "NETPROV_ZABBIX_URL",
        "NETPROV_ZABBIX_TOKEN",
        "NETPROV_ZABBIX_TOKEN_FILE",
        "NETPROV_PROMETHEUS_URL",
        "NETPROV_PROMETHEUS_SD_DIR",
        "NETPROV_CONFIG",
    ):
        monkeypatch.delenv(var, raising=False)
    return tmp_path / "no-lab"  # a lab dir without state: nothing configured


def test_no_backend_is_a_clear_config_error(clean_env: Path) -> None:
    with pytest.raises(ConfigError) as err:
        backends_from_settings(load_settings(lab_dir=clean_env))
    assert "NETPROV_ZABBIX_URL" in str(err.value)
    assert "NETPROV_PROMETHEUS_SD_DIR" in str(err.value)


def test_zabbix_url_without_token(clean_env: Path) -> None:
    with pytest.raises(ConfigError, match="NETPROV_ZABBIX_TOKEN"):
        backends_from_settings(load_settings(lab_dir=clean_env, zabbix_url="http://127.0.0.1:1"))


def test_both_backends(clean_env: Path, tmp_path: Path) -> None:
    token = "s3cr3t-token-value"
    bs = backends_from_settings(
        load_settings(
            lab_dir=clean_env,
            zabbix_url="http://127.0.0.1:8081",
            zabbix_token=token,
            prometheus_sd_dir=tmp_path,
            prometheus_url="http://127.0.0.1:9090",
        )
    )
    assert [b.name for b in bs] == ["zabbix", "prometheus"]
    assert isinstance(bs[0], ZabbixBackend) and isinstance(bs[1], PrometheusBackend)
    assert token not in repr(bs)


def test_token_file_is_read(clean_env: Path, tmp_path: Path) -> None:
    f = tmp_path / "tok"
    f.write_text("abc\n")
    bs = backends_from_settings(
        load_settings(lab_dir=clean_env, zabbix_url="http://127.0.0.1:8081", zabbix_token_file=f)
    )
    assert [b.name for b in bs] == ["zabbix"]


class Failing:
    """A backend that refuses every registration (error-path stand-in)."""

    name = "failing"

    def register(self, link: MonitoredLink) -> Registration:
        raise MonitoringError("refused")

    def deregister(self, request_id: str) -> bool:
        return False

    def status(self, request_id: str, wait_seconds: float = 0.0, until_up: bool = True) -> ProbeStatus:
        return ProbeStatus(backend=self.name, request_id=request_id, up=None)

    def find(self, request_id: str) -> Registration | None:
        return None


def test_register_all_undoes_what_it_created(tmp_path: Path) -> None:
    link = MonitoredLink(
        request_id="PJB-2026-0001",
        opd="disdik",
        opd_name="Dinas Pendidikan",
        site="S",
        service="intranet",
        bandwidth_mbps=5,
        circuit="a:1 ↔ b:2",
        address=ipaddress.IPv4Address("10.100.0.1"),
        device="cpe",
    )
    prom = PrometheusBackend(tmp_path)
    with pytest.raises(MonitoringError, match="refused"):
        register_all([prom, Failing()], link)
    assert list(tmp_path.glob("*.json")) == []  # created in this call, so undone
    prom.register(link)
    with pytest.raises(MonitoringError):
        register_all([prom, Failing()], link)
    assert prom.find(link.request_id) is not None  # existed before: kept


class Slow(Failing):
    """Answers after a delay (to show that status_all asks backends in parallel)."""

    def __init__(self, name: str, delay: float) -> None:
        self.name = name
        self.delay = delay

    def status(self, request_id: str, wait_seconds: float = 0.0, until_up: bool = True) -> ProbeStatus:
        import time

        time.sleep(self.delay)
        return ProbeStatus(backend=self.name, request_id=request_id, up=True)


def test_status_all_is_parallel_and_ordered() -> None:
    import time

    from netprov.monitoring import status_all

    t0 = time.monotonic()
    out = status_all([Slow("a", 1.0), Slow("b", 0.9)], "PJB-2026-0001", 1)
    assert [s.backend for s in out] == ["a", "b"]
    assert time.monotonic() - t0 < 1.8  # one after the other would take 1.9 s


def test_evidence_entries() -> None:
    from netprov.monitoring import evidence_entries

    regs = [
        Registration(backend="zabbix", request_id="R-1", created=True, ids={"hostid": "10601"}),
        Registration(
            backend="prometheus", request_id="R-1", created=True, ids={"file": "/x/targets/R-1.json"}
        ),
    ]
    sts = [
        ProbeStatus(backend="zabbix", request_id="R-1", up=True),
        ProbeStatus(backend="prometheus", request_id="R-1", up=False),
    ]
    assert evidence_entries(regs, sts) == [
        {"backend": "zabbix", "id": "10601", "status": "up"},
        {"backend": "prometheus", "id": "R-1.json", "status": "down"},
    ]
    assert evidence_entries(regs)[0]["status"] == "registered"
