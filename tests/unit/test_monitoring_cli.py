"""`netprov monitor` without any backend configured: a clear message, not a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from netprov.cli.main import app
from netprov.errors import ConfigError


@pytest.mark.parametrize(
    "argv",
    [["monitor", "status", "PJB-2026-0001"], ["--as", "staff1", "monitor", "deregister", "PJB-2026-0001"]],
)
def test_no_backend_configured(argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "NETPROV_ZABBIX_URL",
        "NETPROV_ZABBIX_TOKEN",
        "NETPROV_ZABBIX_TOKEN_FILE",
        "NETPROV_PROMETHEUS_URL",
        "NETPROV_PROMETHEUS_SD_DIR",
        "NETPROV_CONFIG",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NETPROV_LAB_DIR", str(tmp_path / "no-lab"))
    monkeypatch.setenv("NETPROV_DATA_DIR", str(tmp_path / "data"))
    res = CliRunner().invoke(app, argv)
    assert isinstance(res.exception, ConfigError)
    assert "NETPROV_ZABBIX_URL" in str(res.exception)
    assert "NETPROV_PROMETHEUS_SD_DIR" in str(res.exception)


def test_status_of_unregistered_request_against_files_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prometheus configured without a server: an unregistered request is UNKNOWN, exit 1."""
    for var in (
        "NETPROV_ZABBIX_URL",
        "NETPROV_ZABBIX_TOKEN",
        "NETPROV_ZABBIX_TOKEN_FILE",
        "NETPROV_PROMETHEUS_URL",
        "NETPROV_CONFIG",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NETPROV_LAB_DIR", str(tmp_path / "no-lab"))
    monkeypatch.setenv("NETPROV_PROMETHEUS_SD_DIR", str(tmp_path))
    res = CliRunner().invoke(app, ["monitor", "status", "PJB-2026-0001", "--json"])
    assert res.exit_code == 1
    assert '"up": null' in res.output and "not registered" in res.output
