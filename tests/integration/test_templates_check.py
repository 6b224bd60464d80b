"""``netprov templates check`` with the real parsers: vtysh --dryrun, bird -p, fake-switches.

Needs the FRR and BIRD packages (installed when missing, as root) and the fake-switches venv
(created on first use under the cache dir); the device lab itself need not be running.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netprov.domain.topology import load_topology
from netprov.render.link import render_link
from netprov.render.playbook import load_playbook
from netprov.render.validate import check_bird, check_frr
from netprov.settings import REPO_ROOT, load_settings
from netprov_lab.devices_plan import frr_baseline
from netprov_lab.fakeswitch import validation_switch
from netprov_lab.samples import load_samples

pytestmark = [pytest.mark.devices]

NETPROV = shutil.which("netprov") or str(Path(sys.executable).parent / "netprov")


@pytest.fixture(scope="module")
def tools() -> None:
    sbin = "/usr/sbin:/usr/bin:/sbin:/bin"  # the product never installs them: ./run setup does
    if not all(shutil.which(t) or shutil.which(t, path=sbin) for t in ("vtysh", "bird")):
        pytest.skip("vtysh/bird missing: ./run setup installs frr and bird2")


def test_templates_check_cli_json(tools: None, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPROV_")}
    env["NETPROV_DATA_DIR"] = str(tmp_path / "data")
    env["NETPROV_LAB_DIR"] = str(tmp_path / "lab")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [NETPROV, "templates", "check", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=REPO_ROOT,
    )
    elapsed = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["ok"] is True and report["uncovered"] == []
    rows = report["rows"]
    assert len(rows) >= 5 * 14
    validators = {r["validator"] for row in rows for r in row["results"]}
    assert validators == {
        "vtysh --dryrun",
        "bird -p",
        "fake-switches ios",
        "hier_config ios",
        "hier_config eos",
        "hier_config junos",
        "routeros syntax",
    }
    print(
        f"\ntemplates check: {len(rows)} configs in {elapsed:.2f} s wall "
        f"(render {report['render_seconds']} s, validate {report['validate_seconds']} s)"
    )


def test_templates_check_fails_on_a_broken_template(tools: None, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(REPO_ROOT / "templates" / "devices", templates / "devices")
    dist = templates / "devices" / "frr" / "distribution.j2"
    dist.write_text(dist.read_text().replace(" bandwidth ", " bandwith "))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPROV_")}
    env.update(
        NETPROV_DATA_DIR=str(tmp_path / "data"),
        NETPROV_LAB_DIR=str(tmp_path / "lab"),
        NETPROV_TEMPLATES_DIR=str(templates),
    )
    proc = subprocess.run(
        [NETPROV, "templates", "check", "--no-switch"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=REPO_ROOT,
    )
    assert proc.returncode == 1
    assert "FAIL" in proc.stdout and "bandwith" in proc.stdout


def test_real_parsers_reject_bad_configs(tools: None) -> None:
    ok, problems = check_frr("interface eth2\n ip adress 10.0.0.1/30\nexit\n")
    assert not ok and any("Unknown command" in p for p in problems)
    assert check_frr("interface eth2\n ip address 10.0.0.1/30\nexit\n") == (True, [])
    ok, problems = check_bird("router id 198.51.100.254;\nprotocol bgp x { neighbor as; }\n")
    assert not ok and problems
    ok, _ = check_bird("router id 198.51.100.254;\nprotocol device {\n}\n")
    assert ok


def test_fake_switch_rejects_invalid_lines(tools: None, tmp_path: Path) -> None:
    settings = load_settings(lab_dir=tmp_path / "lab")
    with validation_switch(settings) as sw:
        assert (
            sw.errors_for(
                ["vlan 120", " name OPD-X", "interface FastEthernet0/2", " switchport access vlan 120"]
            )
            == []
        )
        errors = sw.errors_for(["interface FastEthernet0/2", " no such thing", " shutdown"])
        assert errors == ["No such command : no such thing"]


def test_frr_fragments_merge_onto_the_lab_baseline(tools: None) -> None:
    """Baseline frr.conf (the devices part) + our fragment still parses as one config."""
    settings = load_settings()
    topo = load_topology(settings.topology_file)
    for s in load_samples():
        pb = load_playbook(settings, s.allocation.service)
        for cfg in render_link(
            s.request_id, s.letter, s.allocation, topo, pb, form=s.form, internet_prefixes=s.internet_prefixes
        ):
            if cfg.platform != "frr":
                continue
            baseline = frr_baseline(topo, topo.device(cfg.device)).removesuffix("end\n")
            ok, problems = check_frr(baseline + cfg.text + "end\n")
            assert ok, f"{s.name} {cfg.device}: {problems}"


def test_hostile_renders_pass_the_real_parsers(tools: None) -> None:
    """The hostile corpus, rendered for FRR and BIRD, is accepted by vtysh and bird."""
    sys.path.insert(0, str(REPO_ROOT / "tests" / "unit"))
    import test_render_hostile as h

    checked = 0
    for case in h.CORPUS["cases"]:
        if case.get("expect") == "reject":
            continue
        raw = h._raw("dinkes-internet-small")
        h._set(raw, case["field"], case["value"] * case.get("repeat", 1))
        try:
            data = h._build(raw)
        except Exception:
            continue
        from netprov.domain.resources import Allocation

        for template, text in h._render_all(data, Allocation.model_validate(raw["allocation"])).items():
            platform = template.split("/")[0]
            if platform in ("frr", "bird2"):
                ok, problems = (check_frr if platform == "frr" else check_bird)(text)
                assert ok, f"{case['name']} {template}: {problems}"
                checked += 1
    assert checked >= 30 * 4
