"""``netprov drift`` on the real lab: a provisioned link, a line taken off by hand, found, restored;
then a line added by hand in the link's own section, reported as extra.

The link is Dinas Pendidikan's intranet link (dist-batamkota1 eth2 <-> cpe-disdik-bk, with the
IOS access switch sw-disdik-bk): FRR and IOS devices. The hand change is made with vtysh inside
the CPE router's namespaces (over its SSH, the way an engineer would). The CLI runs as its own
process (its exit codes and messages are what a user sees).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paramiko
import pytest

from netprov.audit import audit_events
from netprov.domain.sop import State
from netprov.netbox.adapter import NetBoxIpam
from netprov.pipeline.provision import Provisioner
from netprov.settings import Settings, lab_state
from netprov.sop.service import RequestService
from tests.conftest import LAB_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.lab]

DISDIK = "1-intranet-disdik.yaml"
NETPROV = [str(Path(sys.executable).with_name("netprov"))]


def netprov(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as its own process on this test's register."""
    env = {
        **os.environ,
        "NETPROV_DATA_DIR": str(settings.data_dir),
        "NETPROV_LAB_DIR": str(LAB_DIR),
        "NETPROV_ID_PREFIX": "UJI",
        "NETPROV_COMMIT_CONFIRM_SECONDS": "120",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [*NETPROV, "--as", "staff1", *args], env=env, capture_output=True, text=True, timeout=600
    )


def vtysh(settings: Settings, router: str, *commands: str) -> str:
    """vtysh inside the router's namespaces (through its sshd, which runs in them)."""
    info: dict[str, Any] = lab_state(settings.lab_dir)["devices"]["devices"][router]
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        info["host"],
        port=int(info["port"]),
        username=info["username"],
        key_filename=info["key_file"],
        timeout=10,
        allow_agent=False,
        look_for_keys=False,
    )
    try:
        cmd = "vtysh " + " ".join(f"-c {shlex.quote(c)}" for c in commands)
        _, out, err = client.exec_command(cmd, timeout=60)
        text = out.read().decode()
        assert out.channel.recv_exit_status() == 0, f"{cmd}: {text} {err.read().decode()}"
        return text
    finally:
        client.close()


def interface_lines(settings: Settings, router: str, port: str) -> list[str]:
    """The lines of ``interface <port>`` in the router's running config (FRR 8.4 shows no
    ``show running-config interface``)."""
    out: list[str] = []
    inside = False
    for line in vtysh(settings, router, "show running-config").splitlines():
        if line == f"interface {port}":
            inside = True
        elif inside and not line.startswith(" "):
            break
        elif inside:
            out.append(line.strip())
    return out


def drift_json(settings: Settings, rid: str, *more: str) -> tuple[int, dict[str, Any]]:
    res = netprov(settings, "drift", rid, "--json", *more)
    assert res.returncode in (0, 3), res.stderr
    return res.returncode, json.loads(res.stdout)


def test_drift_finds_a_removed_line_and_remediate_restores_it(
    e2e_settings: Settings, svc: RequestService, walk: Callable[[str], str], cleanup: list[str]
) -> None:
    rid = walk(DISDIK)
    cleanup.append(rid)
    prov = Provisioner(e2e_settings, svc, NetBoxIpam.from_settings(e2e_settings))
    assert prov.run(rid, "staff1").status == "provisioned"
    alloc = svc.get(rid).allocation
    assert alloc is not None
    cpe, port = alloc.cpe_device, alloc.cpe_interface
    events = len(svc.get(rid).events)

    t0 = time.monotonic()
    code, clean = drift_json(e2e_settings, rid)
    print(f"drift of one clean link: {time.monotonic() - t0:.1f} s")
    assert code == 0, clean
    (link,) = clean["links"]
    assert link["status"] == "clean"
    assert {d["device"] for d in link["devices"]} >= {alloc.dist_device, cpe}
    assert all(not d["missing"] and not d["extra"] for d in link["devices"])

    assert "bandwidth 50" in interface_lines(e2e_settings, cpe, port)
    vtysh(e2e_settings, cpe, "configure terminal", f"interface {port}", "no bandwidth 50")
    res = netprov(e2e_settings, "drift", rid)
    assert res.returncode == 3, res.stdout + res.stderr
    assert cpe in res.stdout and "bandwidth 50" in res.stdout
    code, found = drift_json(e2e_settings, rid)
    assert code == 3
    (dev,) = [d for d in found["links"][0]["devices"] if d["drifted"]]
    assert dev["device"] == cpe
    assert dev["missing"] == [{"section": [f"interface {port}"], "line": "bandwidth 50"}]
    assert dev["extra"] == []

    rec = svc.get(rid)
    drifts = [e for e in rec.events if e.action == "drift"]
    assert len(drifts) == 3 and len(rec.events) == events + 3  # clean, drift, drift: all recorded
    assert drifts[-1].outputs["drift"]["status"] == "drift"
    assert rec.state is State.PROVISIONED  # annotations: no state change
    assert all(i.ok for i in audit_events(rec)), audit_events(rec)

    res = netprov(e2e_settings, "drift", rid, "--remediate", "--dry-run")
    assert res.returncode == 3, res.stdout + res.stderr
    assert "bandwidth 50" in res.stdout
    assert "bandwidth 50" not in interface_lines(e2e_settings, cpe, port)

    res = netprov(e2e_settings, "drift", rid, "--remediate")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "bandwidth 50" in interface_lines(e2e_settings, cpe, port)
    code, again = drift_json(e2e_settings, rid)
    assert code == 0 and again["links"][0]["status"] == "clean"
    assert svc.get(rid).state is State.PROVISIONED
    assert all(i.ok for i in audit_events(svc.get(rid)))
    res = netprov(e2e_settings, "audit", rid)
    assert res.returncode == 0, res.stdout + res.stderr  # the whole audit, NetBox and monitoring too

    # a line added by hand in the link's own section (the CPE's uplink port) is extra
    vtysh(e2e_settings, cpe, "configure terminal", f"interface {port}", "ip ospf cost 500")
    try:
        code, extra = drift_json(e2e_settings, rid)
    finally:
        vtysh(e2e_settings, cpe, "configure terminal", f"interface {port}", "no ip ospf cost")
    assert code == 3
    (dev,) = [d for d in extra["links"][0]["devices"] if d["drifted"]]
    assert dev["device"] == cpe and dev["missing"] == [] and dev["extra_checked"]
    assert dev["extra"] == [{"section": [f"interface {port}"], "line": "ip ospf cost 500"}]

    before = len(svc.get(rid).events)
    res = netprov(e2e_settings, "drift", "UJI-2026-9999")
    assert res.returncode == 1 and "UJI-2026-9999" in res.stderr and "Traceback" not in res.stderr
    assert len(svc.get(rid).events) == before
