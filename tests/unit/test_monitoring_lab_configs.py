"""The monitoring lab's generated configs: loopback only, probers in the probe namespace."""

from __future__ import annotations

from pathlib import Path

from netprov_lab import monitoring_proc as proc
from netprov_lab import monitoring_prom as prom
from netprov_lab import monitoring_zabbix as zbx


def test_server_conf_uses_unix_socket_and_fast_cache(tmp_path: Path) -> None:
    conf = zbx.render_server_conf(zbx.ZabbixPaths(tmp_path))
    lines = conf.splitlines()
    assert "DBHost=" in lines  # empty: PostgreSQL unix socket, works across namespaces
    assert not any(line.startswith("DBPassword") for line in lines)
    assert "ListenIP=127.0.0.1" in lines
    assert "ListenPort=10051" in lines
    assert "CacheUpdateFrequency=2" in lines
    assert "StartPingers=1" in lines
    assert f"PidFile={tmp_path / 'run' / 'zabbix_server.pid'}" in lines


def test_frontend_conf_escapes_the_password() -> None:
    php = zbx.render_frontend_conf("a'b\\c")
    assert "$DB['PASSWORD']" in php
    assert "'a\\'b\\\\c'" in php
    assert "$ZBX_SERVER_PORT" in php and "'10051'" in php


def test_nginx_listens_on_loopback_only(tmp_path: Path) -> None:
    conf = zbx.render_nginx_conf(zbx.ZabbixPaths(tmp_path))
    listens = [line.strip() for line in conf.splitlines() if line.strip().startswith("listen ")]
    assert listens == ["listen 127.0.0.1:8081;"]
    assert str(tmp_path / "run" / "php-fpm.sock") in conf


def test_prometheus_reads_file_sd_dir(tmp_path: Path) -> None:
    paths = prom.PromPaths(tmp_path)
    conf = prom.render_prometheus_conf(paths)
    assert f"files: ['{paths.sd_dir}/*.json']" in conf
    assert "replacement: 127.0.0.1:9115" in conf
    assert "module: [icmp]" in conf
    assert "prober: icmp" in prom.render_blackbox_conf()


def test_forwarder_enters_the_namespace() -> None:
    argv = proc.forwarder_argv(9115, "netprov-mon")
    assert argv[1] == "TCP-LISTEN:9115,bind=127.0.0.1,reuseaddr,fork"
    assert argv[2] == "EXEC:ip netns exec netprov-mon socat STDIO TCP\\:127.0.0.1\\:9115"


def test_pid_helpers_never_match_a_foreign_process(tmp_path: Path) -> None:
    pidfile = tmp_path / "x.pid"
    pidfile.write_text("1\n")  # pid 1 is init, not ours
    assert proc.alive(pidfile, "zabbix_server") is None
    assert proc.stop_pidfile(pidfile, "zabbix_server") is False
    assert not pidfile.exists()


def test_lab_dir_unreachable_for_daemon_users_moves_runtime(tmp_path: Path) -> None:
    from netprov.settings import load_settings
    from netprov_lab import monitoring as mon

    closed = tmp_path / "home"
    (closed / "repo" / ".lab").mkdir(parents=True)
    closed.chmod(0o700)
    try:
        s = load_settings(lab_dir=closed / "repo" / ".lab")
        d = mon.monitoring_dir(s)
        assert d.parent.parent == mon.SHARED_RUNTIME and d.name == "monitoring"
        assert mon.monitoring_dir(s) == d  # stable
    finally:
        closed.chmod(0o755)
