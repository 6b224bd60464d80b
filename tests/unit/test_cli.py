"""The CLI through its real entry point (the installed ``netprov`` console script)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.form_file import FORM_YAML

DATA = Path(__file__).parent.parent / "data"
NETPROV = str(Path(sys.executable).parent / "netprov")  # the entry point of the running interpreter's venv


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPROV_")}
    env["NETPROV_DATA_DIR"] = str(tmp_path / "data")
    env["NETPROV_LAB_DIR"] = str(tmp_path / "lab")  # no lab state: NetBox not configured

    def _run(*args: str, user: str | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
        e = dict(env)
        if user:
            e["NETPROV_USER"] = user
        proc = subprocess.run([NETPROV, *args], capture_output=True, text=True, env=e, timeout=120)
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    return _run


def test_the_whole_manual_walk(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rid = run("request", "submit", str(DATA / "letter-intranet.yaml")).stdout.strip()
    assert rid == "PJB-2026-0001"
    run("--as", "kadis", "request", "dispose", rid, "--to", "kabid")
    run("--as", "kabid", "request", "assign", rid, "--to", "staff1")
    out = run("--as", "staff1", "request", "check", rid, "--manual", "--bandwidth-ok", "--ip-ok", "--json")
    assert json.loads(out.stdout)["feasible"] is True
    run("request", "accept", rid, user="staff1")  # actor from NETPROV_USER
    run("--as", "staff1", "request", "form", rid, "--fill", str(FORM_YAML))
    evidence = tmp_path / "foto.txt"
    evidence.write_text("foto perangkat terpasang")
    run("--as", "staff1", "provision", rid, "--manual", "--evidence", str(evidence))
    run("--as", "staff1", "request", "report", rid)
    run("--as", "kabid", "request", "forward", rid)
    run("--as", "kadis", "request", "review", rid, "--approve")
    shown = json.loads(run("request", "show", rid, "--json").stdout)
    assert shown["state"] == "done"
    assert [t["step"] for t in shown["timeline"]] == [1, 2, 3, 4, 6, 6, 7, 8, 9, 10, 11]
    assert all(t["actor"] and t["role"] and t["at"] for t in shown["timeline"])
    listed = json.loads(run("request", "list", "--json").stdout)
    assert [r["id"] for r in listed] == [rid]
    assert json.loads(run("request", "list", "--state", "done", "--json").stdout)[0]["state"] == "done"
    assert json.loads(run("sla", "--json").stdout) == []
    human = run("request", "show", rid).stdout
    assert "timeline" in human and "kadis" in human


def test_reject_path(run) -> None:  # type: ignore[no-untyped-def]
    rid = run("request", "submit", str(DATA / "letter-intranet.yaml")).stdout.strip()
    run("--as", "kadis", "request", "dispose", rid, "--to", "kabid")
    run("--as", "kabid", "request", "assign", rid, "--to", "staff1")
    run("--as", "staff1", "request", "check", rid, "--manual", "--no-bandwidth", "--ip-ok")
    bad = run("--as", "staff1", "request", "accept", rid, ok=False)
    assert bad.returncode == 1 and "not feasible" in bad.stderr
    out = run("--as", "staff1", "request", "reject", rid, "--reason", "Bandwidth tidak tersedia").stdout
    assert "rejected" in out and "sign-reply" in out  # the kadis signs before it goes out
    assert json.loads(run("request", "show", rid, "--json").stdout)["state"] == "rejected"
    refused = run("--as", "staff1", "request", "sign-reply", rid, ok=False)
    assert refused.returncode == 1 and "kadis" in refused.stderr
    run("--as", "kadis", "request", "sign-reply", rid, "--note", "Setuju")
    shown = json.loads(run("request", "show", rid, "--json").stdout)
    assert shown["state"] == "closed"
    assert [t["action"] for t in shown["timeline"]][-3:] == ["reject", "sign-reply", "close"]


def test_bad_letter_names_fields_exits_1_and_writes_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (DATA / "letter-intranet.yaml")
        .read_text()
        .replace("hosts: 20", "hosts: -3")
        .replace("service: intranet", "service: wifi")
    )
    proc = run("request", "submit", str(bad), ok=False)
    assert proc.returncode == 1
    assert "hosts" in proc.stderr and "service" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert json.loads(run("request", "list", "--json").stdout) == []


def test_wrong_role_is_a_short_error(run) -> None:  # type: ignore[no-untyped-def]
    rid = run("request", "submit", str(DATA / "letter-intranet.yaml")).stdout.strip()
    proc = run("--as", "staff1", "request", "dispose", rid, "--to", "kabid", ok=False)
    assert proc.returncode == 1 and "kadis" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("--as", "nobody", "request", "dispose", rid, "--to", "kabid", ok=False)
    assert proc.returncode == 1 and "unknown user" in proc.stderr
    proc = run("request", "dispose", rid, "--to", "kabid", ok=False)
    assert proc.returncode == 1 and "--as" in proc.stderr
    proc = run("request", "show", "PJB-2026-0999", ok=False)
    assert proc.returncode == 1 and "no request" in proc.stderr


def test_check_without_netbox_says_how_to_configure(run) -> None:  # type: ignore[no-untyped-def]
    rid = run("request", "submit", str(DATA / "letter-intranet.yaml")).stdout.strip()
    run("--as", "kadis", "request", "dispose", rid, "--to", "kabid")
    run("--as", "kabid", "request", "assign", rid, "--to", "staff1")
    proc = run("--as", "staff1", "request", "check", rid, ok=False)
    assert proc.returncode == 1 and "NETPROV_NETBOX_URL" in proc.stderr
