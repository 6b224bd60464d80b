"""The device lab itself: every device answers, isolation holds, up/down are idempotent."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import pytest

from netprov.errors import LabError
from netprov.settings import Settings, load_settings
from netprov_lab import devices
from tests.conftest import LAB_DIR

pytestmark = [pytest.mark.lab, pytest.mark.devices]

LAB_PREFIXES = ("10.", "198.51.100.", "203.0.113.")


def _sh(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), capture_output=True, text=True, check=False)


def _settings() -> Settings:
    return load_settings(lab_dir=LAB_DIR)


def _noop(_: str) -> None:
    pass


def test_status_lists_every_device_up(device_lab: dict[str, Any]) -> None:
    st = devices.status(_settings())
    assert st["state"] == "up", st
    names = {d["name"] for d in st["devices"]}
    assert {"core-dc1", "dist-batamkota1", "cpe-disdik-bk", "isp-pe1", "sw-disdik-bk"} <= names
    for d in st["devices"]:
        assert d["host"] == "127.0.0.1"
        assert d["state"] == "up", d
        assert d["credentials"] and "PRIVATE KEY" not in json.dumps(d)
    assert st["probe"]["wired"] is True


def test_state_file_feeds_settings(device_lab: dict[str, Any]) -> None:
    s = _settings()
    assert s.device_username == "root"
    assert s.device_key_file is not None and s.device_key_file.exists()


def test_no_default_route_out_of_the_lab(device_lab: dict[str, Any]) -> None:
    """The core, the provider and the probe have none; the others' default is OSPF to the core."""
    plan = devices._plan(_settings())
    for ns in ("np-core-dc1", "np-isp-pe1", plan.probe_ns):
        out = _sh("ip", "-n", ns, "route", "show", "default").stdout
        assert out.strip() == "", (ns, out)
    for r in plan.routers:
        for route in json.loads(_sh("ip", "-n", r.netns, "-j", "route", "show", "default").stdout):
            assert route.get("protocol") == "ospf" and route["dev"].startswith("eth"), route
    routes = _sh("ip", "-n", plan.probe_ns, "-j", "route", "show").stdout
    dsts = {r["dst"] for r in json.loads(routes)}
    assert dsts == {"10.0.0.0/8", "198.51.100.0/24", "203.0.113.0/24", "10.253.0.0/30"}


def test_root_namespace_gets_no_lab_routes(device_lab: dict[str, Any]) -> None:
    for r in json.loads(_sh("ip", "-j", "route", "show").stdout):
        assert not str(r.get("dev", "")).startswith("npv"), r
    links = _sh("ip", "-o", "link", "show").stdout
    assert "npv" not in links  # every cable end lives inside a lab namespace


def test_probe_reaches_core_loopback(device_lab: dict[str, Any]) -> None:
    deadline = time.monotonic() + 30
    while True:
        res = _sh("ip", "netns", "exec", "netprov-mon", "ping", "-c1", "-W1", "10.254.0.2")
        if res.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert res.returncode == 0, res.stdout + res.stderr


def test_up_again_is_fast_and_keeps_the_lab(device_lab: dict[str, Any]) -> None:
    t0 = time.monotonic()
    st = devices.up(_settings(), _noop)
    assert time.monotonic() - t0 < 5
    assert st["state"] == "up"


def test_not_root_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(LabError, match="needs root"):
        devices.up(_settings(), _noop)
    with pytest.raises(LabError, match="needs root"):
        devices.down(_settings(), _noop)


def test_down_leaves_nothing_and_probes_die_here_then_up_again(device_lab: dict[str, Any]) -> None:
    """down: no namespace, process or port; probes from netprov-mon are unreachable; up again.

    Runs last in this module and leaves the lab up for the tests after it.
    """
    s = _settings()
    plan = devices._plan(s)
    ports = [r.port for r in plan.routers] + [sw.port for sw in plan.switches]
    t0 = time.monotonic()
    devices.down(s, _noop)
    down_seconds = time.monotonic() - t0
    try:
        namespaces = _sh("ip", "netns", "list").stdout
        for r in plan.routers:
            assert r.netns not in namespaces
        listening = _sh("ss", "-Hltn").stdout
        for port in ports:
            assert f"127.0.0.1:{port} " not in listening, port
        procs = _sh("ps", "-eo", "args").stdout
        assert str(LAB_DIR / "devices") not in procs
        assert "fs_lab.py" not in procs
        created = False
        if "netprov-mon" not in namespaces:  # monitoring is not running: make one to probe from
            _sh("ip", "netns", "add", "netprov-mon")
            created = True
        res = _sh("ip", "netns", "exec", "netprov-mon", "ping", "-c1", "-W1", "10.254.0.1")
        assert res.returncode != 0
        assert "Network is unreachable" in res.stdout + res.stderr
        if created:
            _sh("ip", "netns", "del", "netprov-mon")
    finally:
        t1 = time.monotonic()
        devices.up(s, _noop)
        up_seconds = time.monotonic() - t1
    print(f"lab down {down_seconds:.2f} s, up {up_seconds:.2f} s")
    assert down_seconds < 10 and up_seconds < 60
    assert devices.status(s)["state"] == "up"
