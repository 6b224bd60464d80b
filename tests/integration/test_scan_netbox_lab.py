"""``request scan`` matches the sending department and the site against the lab's real NetBox
(read only: tenants and sites as seeded; nothing is written)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from netprov.domain.letters import parse_letter, parse_yaml_text
from netprov.netbox.adapter import NetBoxIpam
from netprov.settings import Settings
from tests.conftest import LAB_DIR
from tests.scan_corpus import make

pytestmark = [pytest.mark.lab, pytest.mark.netbox]
NETPROV = str(Path(sys.executable).parent / "netprov")


def test_names_come_from_netbox(netbox_lab: dict[str, Any], lab_settings: Settings) -> None:
    ipam = NetBoxIpam.from_settings(lab_settings)
    try:
        tenants, sites = ipam.tenant_names(), ipam.site_names()
    finally:
        ipam.close()
    assert {"Dinas Pendidikan", "Bappeda", "Dinas Perhubungan"} <= set(tenants)
    assert {"UPT Pendidikan Batam Kota", "Kantor Dinas Perhubungan"} <= set(sites)


def test_scan_cli_matches_department_and_site(netbox_lab: dict[str, Any], tmp_path: Path) -> None:
    photo, spec = make(3, "phone", tmp_path)  # Dinas Perhubungan, a phone photo
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPROV_")}
    env |= {
        "NETPROV_DATA_DIR": str(tmp_path / "data"),
        "NETPROV_LAB_DIR": str(LAB_DIR),
        "OMP_THREAD_LIMIT": "1",
    }
    out = tmp_path / "letter.yaml"
    proc = subprocess.run(
        [NETPROV, "request", "scan", str(photo), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert "not matched" not in text
    letter = parse_letter(parse_yaml_text(text, "scan"), services={"intranet", "internet"})
    assert (letter.opd, letter.site.name) == (spec.opd, spec.site)


def test_the_web_form_matches_them_too(
    netbox_lab: dict[str, Any], lab_settings: Settings, tmp_path: Path
) -> None:
    """The web's scanned-letter form asks the same NetBox: the names come matched, nothing noted."""
    from fastapi.testclient import TestClient

    from netprov.web.app import create_app
    from tests.unit.test_web_scan import form_values, mark
    from tests.web import sign_in, web_app

    pdf, spec = make(3, "pdf", tmp_path)  # Dinas Perhubungan, born-digital
    app = web_app(lab_settings)
    client = TestClient(create_app(app), follow_redirects=False)
    csrf = sign_in(client, "staff1")
    r = client.post("/submit/scan", data={"csrf_token": csrf}, files={"scan": (pdf.name, pdf.read_bytes())})
    assert r.status_code == 200, r.text
    values = form_values(r.text)
    assert (values["opd"], values["site.name"]) == (spec.opd, spec.site)
    assert "not matched" not in r.text and "periksa" not in mark(r.text, "site.name")
    assert app.service.find() == []
