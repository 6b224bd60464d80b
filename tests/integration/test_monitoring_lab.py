"""The monitoring lab itself: daemons up, loopback only, probers inside the probe namespace."""

from __future__ import annotations

import json
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from netprov.settings import Settings
from netprov_lab import monitoring as mon
from netprov_lab import monitoring_proc as proc

pytestmark = [pytest.mark.lab, pytest.mark.monitoring]

PORTS = {8081: "nginx", 9090: "prometheus", 9115: "socat", 10051: "socat"}


def test_status_reports_every_daemon_up(monitoring_lab: dict[str, Any]) -> None:
    for key in (
        "zabbix_server",
        "zabbix_forwarder",
        "php_fpm",
        "nginx",
        "prometheus",
        "blackbox",
        "blackbox_forwarder",
    ):
        assert str(monitoring_lab[key]).startswith("up"), (key, monitoring_lab[key])
    assert monitoring_lab["state"] == "up"
    assert monitoring_lab["zabbix_api"] == "answering"
    assert monitoring_lab["prometheus_ready"] is True


def test_state_files_name_the_token_file_not_the_token(
    monitoring_lab: dict[str, Any], lab_settings: Settings
) -> None:
    state_dir = lab_settings.lab_dir / "state"
    zbx = json.loads((state_dir / "zabbix.json").read_text())
    prom = json.loads((state_dir / "prometheus.json").read_text())
    assert zbx["url"] == "http://127.0.0.1:8081"
    assert prom["url"] == "http://127.0.0.1:9090"
    token_file = Path(zbx["token_file"])
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    assert len(token) == 64
    assert token not in (state_dir / "zabbix.json").read_text()
    # settings pick them up
    assert lab_settings.zabbix_url == "http://127.0.0.1:8081"
    assert lab_settings.zabbix_token is not None
    assert lab_settings.prometheus_sd_dir == Path(prom["sd_dir"])


def test_ports_listen_on_loopback_only(monitoring_lab: dict[str, Any]) -> None:
    out = subprocess.run(["ss", "-Hltn"], capture_output=True, text=True, check=True).stdout
    for port in PORTS:
        locals_ = [
            line.split()[3] for line in out.splitlines() if line.split()[3].rsplit(":", 1)[-1] == str(port)
        ]
        assert locals_, f"nothing listens on {port}"
        assert all(addr == f"127.0.0.1:{port}" for addr in locals_), (port, locals_)


def test_probers_run_inside_the_probe_namespace(
    monitoring_lab: dict[str, Any], lab_settings: Settings
) -> None:
    ns = mon.probe_namespace(lab_settings)
    ns_inode = proc.netns_inode(ns)
    assert ns_inode is not None
    zp, pp = mon.zabbix_paths(lab_settings), mon.prom_paths(lab_settings)
    server = proc.alive(zp.server_pid, "zabbix_server")
    blackbox = proc.alive(pp.blackbox_pid, "blackbox")
    assert server and blackbox
    probers = [*proc.descendants(server), blackbox]
    assert len(probers) > 10  # the server's pinger and friends
    for pid in probers:
        if proc.pid_netns_inode(pid) is None:  # a short-lived child (fping) already gone
            continue
        assert proc.pid_netns_inode(pid) == ns_inode, (pid, proc.cmdline(pid))
    # and the root-namespace daemons are not in it
    prometheus = proc.alive(pp.prom_pid, "prometheus.yml")
    assert prometheus and proc.pid_netns_inode(prometheus) != ns_inode
    # the namespace never has a default route
    assert not any(r.startswith("default") for r in proc.netns_routes(ns))


def test_up_again_is_idempotent_and_fast(monitoring_lab: dict[str, Any], lab_settings: Settings) -> None:
    before = mon.status(lab_settings)
    t0 = time.monotonic()
    again = mon.up(lab_settings, lambda _msg: None)
    assert time.monotonic() - t0 < 15
    for key in ("zabbix_server", "nginx", "prometheus", "blackbox"):
        assert again[key] == before[key], key  # same pids: nothing restarted


def test_down_stops_everything_and_up_restores(
    monitoring_lab: dict[str, Any], lab_settings: Settings
) -> None:
    """`down` stops every daemon and forwarder (ports closed, state cleared); `up` is quick."""
    zp, pp = mon.zabbix_paths(lab_settings), mon.prom_paths(lab_settings)
    pids = [
        proc.alive(zp.server_pid, "zabbix_server"),
        proc.alive(pp.blackbox_pid, "blackbox"),
        proc.alive(pp.prom_pid, "prometheus.yml"),
        proc.alive(zp.nginx_pid, "nginx"),
    ]
    assert all(pids)
    try:
        mon.down(lab_settings, lambda _msg: None)
        for pid in pids:
            assert not proc.pid_running(pid, ""), pid
        for port in PORTS:
            assert not proc.tcp_open("127.0.0.1", port), port
        assert not (lab_settings.lab_dir / "state" / "zabbix.json").exists()
        assert not (lab_settings.lab_dir / "state" / "prometheus.json").exists()
        ns = mon.probe_namespace(lab_settings)
        assert proc.netns_pids(ns) == []
        if [x for x in proc.netns_links(ns) if x != "lo"] == []:
            assert not proc.netns_exists(ns)  # nothing of the device lab in it: removed
        assert mon.status(lab_settings)["state"] == "down"
    finally:
        t0 = time.monotonic()
        back = mon.up(lab_settings, lambda _msg: None)
        restart = time.monotonic() - t0
    assert back["state"] == "up"
    assert restart < 30, restart
    print(f"restart (database kept): {restart:.1f}s")


def test_up_reaps_daemons_whose_pid_files_were_lost(
    monitoring_lab: dict[str, Any], lab_settings: Settings
) -> None:
    pp = mon.prom_paths(lab_settings)
    old = proc.alive(pp.prom_pid, "prometheus.yml")
    assert old
    pp.prom_pid.unlink()
    after = mon.up(lab_settings, lambda _msg: None)
    assert after["state"] == "up"
    assert not proc.pid_running(old, "prometheus.yml")
    assert proc.find_processes([f"--config.file={pp.etc / 'prometheus.yml'}"]) == [
        proc.alive(pp.prom_pid, "prometheus.yml")
    ]
