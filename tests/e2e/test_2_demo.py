"""The demo scenario on the real lab, with every effect asserted, then the audit catching a gap.

Runs the same code as `netprov demo`: reset the lab, walk four requests through the SOP.
Run twice: the second run starts from a clean lab and gives the same result.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from netprov.audit import LiveMonitors, audit_record
from netprov.domain.sop import State
from netprov.monitoring.factory import backends_from_settings
from netprov.netbox.adapter import NetBoxIpam
from netprov.pipeline.nornir_setup import build_nornir, only
from netprov.pipeline.provision import Provisioner
from netprov.settings import Settings, load_settings
from netprov.sop.service import RequestService
from netprov_lab.demo.scenario import WIB, DemoResult, demo_settings, reset_lab, run_scenario
from tests.conftest import LAB_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.lab]
NETPROV = str(Path(sys.executable).parent / "netprov")


def _pdf_text(path: str) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def _ping(settings: Settings, device: str, target: str, source: str = "") -> bool:
    nr = build_nornir(settings)
    try:
        res = only(nr, [device]).run(
            task=lambda t: t.host.get_connection("napalm", t.nornir.config).ping(
                target, source=source, count=2
            )
        )
        ok = res[device][0].result.get("success", {})
        return bool(ok) and ok["packet_loss"] < ok["probes_sent"]
    finally:
        nr.close_connections()


def _bird_route(settings: Settings, prefix: str) -> str:
    nr = build_nornir(settings)
    try:
        res = only(nr, ["isp-pe1"]).run(
            task=lambda t: t.host.get_connection("napalm", t.nornir.config)._send_bird_command(
                f"show route {prefix} all"
            )
        )
        return str(res["isp-pe1"][0].result)
    finally:
        nr.close_connections()


def _run_demo() -> tuple[DemoResult, Settings]:
    base = load_settings(lab_dir=LAB_DIR)
    lines: list[str] = []
    reset_lab(base, lines.append)
    result = run_scenario(base, lines.append)
    return result, demo_settings(load_settings(lab_dir=LAB_DIR))


@pytest.fixture(scope="module")
def demo(
    netbox_lab: dict[str, Any], device_lab: dict[str, Any], monitoring_lab: dict[str, Any]
) -> Iterator[tuple[DemoResult, Settings]]:
    try:
        result, s = _run_demo()
    except Exception:
        # a failed demo must not leave its links for the next tests: back to the clean lab
        reset_lab(load_settings(lab_dir=LAB_DIR), lambda _line: None)
        raise
    yield result, s
    # leave the lab as the next tests expect it: no demo link on routers, in NetBox or monitoring
    svc = RequestService.from_settings(s)
    prov = Provisioner(s, svc, NetBoxIpam.from_settings(s))
    for rid in result.finished:
        prov.undo_finished_run(rid, "staff1")


def test_every_effect_of_the_demo(demo: tuple[DemoResult, Settings]) -> None:
    result, s = demo
    svc = RequestService.from_settings(s)
    ipam = NetBoxIpam.from_settings(s)

    # the register: two done, one closed, one waiting with a holiday-aware deadline
    assert svc.get(result.intranet).state is State.DONE
    assert svc.get(result.internet).state is State.DONE
    rejected = svc.get(result.rejected)
    assert rejected.state is State.CLOSED
    assert rejected.feasibility is not None and not rejected.feasibility.feasible
    assert any(f.check == "bandwidth" and not f.ok for f in rejected.feasibility.findings)
    holiday = svc.get(result.holiday)
    assert holiday.due_at == dt.datetime(2026, 8, 18, 16, 0, tzinfo=WIB)

    for rid in result.finished:
        rec = svc.get(rid)
        alloc = rec.allocation
        assert alloc is not None
        # NetBox: objects tagged with the request and journaled, status active
        objs = ipam.tagged_objects(rid)
        assert objs and all(o["journaled"] for o in objs)
        # routers: the core reaches the department LAN; the department reaches the core
        assert _ping(s, "core-dc1", str(alloc.lan_gateway.ip))
        assert _ping(s, alloc.cpe_device, "10.254.0.1", source=str(alloc.lan_gateway.ip))
        # papers: the Berita Acara names the request, the letter number, the prefix, the roles
        ba = [d for d in rec.documents if d["kind"] == "berita-acara"][-1]
        text = _pdf_text(ba["pdf"])
        for needle in (rid, rec.letter.letter.number, str(alloc.lan_prefix), rec.letter.opd):
            assert needle in text.replace("\n", " "), needle

    # the internet prefix is announced to the provider; the intranet one is not
    inet = svc.get(result.internet).allocation
    intra = svc.get(result.intranet).allocation
    assert inet is not None and intra is not None
    assert "BGP" in _bird_route(s, str(inet.lan_prefix))
    assert str(intra.lan_prefix) not in _bird_route(s, str(intra.lan_prefix))

    # monitoring: both backends see both links up
    monitors = LiveMonitors(list(backends_from_settings(s)))
    for rid in result.finished:
        probes = monitors.find_and_probe(rid)
        assert {p["backend"] for p in probes} == {"zabbix", "prometheus"}
        assert all(p["registered"] and p["up"] for p in probes), probes

    # the reply letter of the rejection carries the reason
    reply = [d for d in rejected.documents if d["kind"] == "surat-balasan"][-1]
    assert "bandwidth" in _pdf_text(reply["pdf"]).lower()


def test_audit_passes_then_names_a_missing_record(demo: tuple[DemoResult, Settings]) -> None:
    result, s = demo
    svc = RequestService.from_settings(s)
    ipam = NetBoxIpam.from_settings(s)
    monitors = LiveMonitors(list(backends_from_settings(s)))
    for rid in result.finished:
        report = audit_record(svc.get(rid), ipam, monitors)
        assert report.ok, [i for i in report.missing]
    # through the real CLI as well
    env_cmd = [
        "env",
        f"NETPROV_DATA_DIR={s.data_dir}",
        f"NETPROV_LAB_DIR={LAB_DIR}",
        NETPROV,
        "audit",
        result.intranet,
    ]
    assert subprocess.run(env_cmd, capture_output=True, text=True).returncode == 0

    # remove one record: the Berita Acara PDF of the internet link
    rec = svc.get(result.internet)
    ba = [d for d in rec.documents if d["kind"] == "berita-acara"][-1]
    Path(ba["pdf"]).unlink()
    report = audit_record(svc.get(result.internet), ipam, monitors)
    assert [i.record for i in report.missing] == ["document berita-acara"]
    proc = subprocess.run(
        [
            "env",
            f"NETPROV_DATA_DIR={s.data_dir}",
            f"NETPROV_LAB_DIR={LAB_DIR}",
            NETPROV,
            "audit",
            result.internet,
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "berita-acara" in proc.stdout

    # and a monitoring registration removed behind netprov's back is named too
    for b in backends_from_settings(s):
        if b.name == "prometheus":
            b.deregister(result.intranet)
    report = audit_record(svc.get(result.intranet), ipam, monitors)
    assert any("prometheus" in i.record for i in report.missing)


def test_second_run_starts_clean_and_gives_the_same_result(demo: tuple[DemoResult, Settings]) -> None:
    first, s = demo
    svc = RequestService.from_settings(s)
    before = {rid: svc.get(rid).allocation for rid in first.finished}
    second, s2 = _run_demo()
    svc2 = RequestService.from_settings(s2)
    assert [second.intranet, second.internet, second.rejected, second.holiday] == [
        first.intranet,
        first.internet,
        first.rejected,
        first.holiday,
    ]
    for rid in second.finished:
        a, b = before[rid], svc2.get(rid).allocation
        assert a is not None and b is not None
        assert (a.lan_prefix, a.transfer_prefix, a.vlan_id) == (b.lan_prefix, b.transfer_prefix, b.vlan_id)
        assert svc2.get(rid).state is State.DONE
    assert svc2.get(second.rejected).state is State.CLOSED
