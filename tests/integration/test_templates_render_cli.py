"""``netprov render REQUEST_ID``: the register + NetBox ``plan`` (writes nothing) + templates."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from netprov.domain.letters import load_letter
from netprov.render.validate import check_frr
from netprov.settings import REPO_ROOT, Settings
from netprov.sop.service import NoPapers, RequestService

pytestmark = [pytest.mark.lab, pytest.mark.netbox]

NETPROV = shutil.which("netprov") or str(Path(sys.executable).parent / "netprov")


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPROV_")}
    env["NETPROV_DATA_DIR"] = str(settings.data_dir)
    env["NETPROV_LAB_DIR"] = str(settings.lab_dir)
    return subprocess.run(
        [NETPROV, *args], capture_output=True, text=True, env=env, timeout=300, cwd=REPO_ROOT
    )


def test_render_a_registered_request(
    netbox_lab: dict[str, Any], lab_settings: Settings, tmp_path: Path
) -> None:
    service = RequestService.from_settings(lab_settings, papers=NoPapers())
    rec = service.submit(load_letter(REPO_ROOT / "tests" / "data" / "letter-intranet.yaml"))
    proc = _cli(lab_settings, "render", rec.id, "--json")
    assert proc.returncode == 0, proc.stderr
    configs = json.loads(proc.stdout)
    by_role = {c["role"]: c for c in configs}
    assert set(by_role) == {"distribution", "cpe", "access"}
    assert by_role["cpe"]["device"] == "cpe-disdik-bk"
    assert by_role["distribution"]["template"] == "frr/distribution.j2"
    assert f"description {rec.id} Dinas Pendidikan intranet" in by_role["cpe"]["text"]
    for c in configs:
        if c["platform"] == "frr":
            assert check_frr(c["text"]) == (True, [])

    out = tmp_path / "out"
    proc = _cli(lab_settings, "render", rec.id, "--device", "cpe-disdik-bk", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in out.iterdir()] == ["cpe-disdik-bk.frr.cfg"]
    assert (out / "cpe-disdik-bk.frr.cfg").read_text() == by_role["cpe"]["text"]

    proc = _cli(lab_settings, "render", rec.id, "--device", "core-dc1")
    assert proc.returncode == 1 and "does not touch device core-dc1" in proc.stderr


def test_render_unknown_request(lab_settings: Settings) -> None:
    proc = _cli(lab_settings, "render", "PJB-2026-9999")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
