"""Refusals of change requests through the real ``netprov`` entry point: one sentence naming the
field, exit 1, no traceback, nothing written (the lab run is tests/e2e/test_6_link_life.py).

The link changed here was walked by hand and its step 7 recorded as the pipeline's through the
service (no lab in a unit test). Step 7's refusals of a change (wrong state, wrong role, not the
staff assigned) need NetBox configured first: they are in the lab test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from netprov.domain.letters import load_letter
from netprov.domain.resources import Feasibility, Finding
from netprov.settings import load_settings
from netprov.sop.service import RequestService
from netprov_lab.demo.scenario import sample_form

DATA = Path(__file__).parent.parent / "data"
NETPROV = str(Path(sys.executable).parent / "netprov")


def test_change_refusals_name_the_field_exit_1_and_write_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPROV_")}
    env |= {
        "NETPROV_DATA_DIR": str(tmp_path / "data"),
        "NETPROV_LAB_DIR": str(tmp_path / "lab"),
        "COLUMNS": "300",
    }
    settings = load_settings(data_dir=tmp_path / "data", lab_dir=tmp_path / "lab")
    svc = RequestService.from_settings(settings)
    ok = Feasibility(
        feasible=True,
        service="intranet",
        hosts=20,
        bandwidth_mbps=50,
        prefix_length=27,
        source="manual",
        findings=[Finding(check="bandwidth", ok=True, detail="ok")],
    )

    def walk(rid: str) -> None:
        svc.dispose(rid, "kadis", "kabid")
        svc.assign(rid, "kabid", "staff1")
        svc.check(rid, "staff1", ok)
        svc.accept(rid, "staff1")
        svc.fill_form(rid, "staff1", sample_form(rid))

    link = svc.submit(load_letter(DATA / "letter-intranet.yaml")).id
    walk(link)
    svc.record_provisioned(link, "staff1", {})

    def cli(*args: str, user: str = "staff1") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [NETPROV, "--as", user, *args], capture_output=True, text=True, env=env, timeout=120
        )

    def size() -> list[tuple[str, int]]:
        return [(r.id, len(r.events)) for r in svc.find()]

    def refused(res: subprocess.CompletedProcess[str], *words: str) -> None:
        """Exit 1, no traceback, one sentence naming the field (a letter's problems are listed
        one sentence a line under ``error: letter is invalid:``, as for every letter)."""
        assert res.returncode == 1, res.stdout + res.stderr
        lines = res.stderr.strip().splitlines()
        assert "Traceback" not in res.stderr, res.stderr
        sentence = lines[0] if len(lines) == 1 else lines[1].strip(" -")
        header = lines[0].startswith("error: letter") and lines[0].endswith("is invalid:")
        assert len(lines) == 1 or (len(lines) == 2 and header), lines
        assert all(w in sentence for w in words), (words, sentence)

    def letter(name: str, **fields: object) -> str:
        base = {
            "letter": {"number": "900/1/DISDIK/XII/2026", "date": "2026-12-01", "subject": "Perubahan"},
            "opd": "Dinas Pendidikan",
            "contact": {"name": "Rina Wati", "phone": "+62 778 462000", "email": "rina@disdik.batam.go.id"},
        }
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump({**base, **fields}), encoding="utf-8")
        return str(path)

    before = size()
    refused(cli("request", "submit", letter("u", kind="decommission", of="PJB-2026-0999", reason="x")), "of:")
    refused(
        cli("request", "submit", letter("s", kind="bandwidth-change", of=link, bandwidth_mbps=50)),
        "bandwidth_mbps",
    )
    refused(cli("request", "submit", letter("n", kind="decommission", of=link)), "reason")
    assert size() == before

    res = cli("request", "submit", letter("d", kind="decommission", of=link, reason="Kantor pindah"))
    assert res.returncode == 0, res.stderr
    change = res.stdout.strip()
    before = size()
    refused(
        cli("request", "submit", letter("again", kind="decommission", of=link, reason="lagi")), "of:", change
    )
    assert size() == before
    shown = json.loads(cli("request", "show", link, "--json").stdout)
    assert [c["id"] for c in shown["changes"]] == [change]
