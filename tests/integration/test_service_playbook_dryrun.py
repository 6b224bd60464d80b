"""A third service, added as a playbook only, walked to step 7 and dry-run against the lab.

``internet-no-bgp``: an internet LAN (internet pool, bandwidth against the internet uplink)
whose provider is not touched. No code knows this service: it exists because its playbook is
in the playbooks folder. The dry run plans in NetBox, renders and diffs on the routers, and
changes nothing anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from netprov.domain.letters import parse_letter
from netprov.netbox.adapter import NetBoxIpam
from netprov.pipeline import device_ops
from netprov.pipeline.nornir_setup import build_nornir, only
from netprov.pipeline.provision import Provisioner
from netprov.render.playbook import available_services
from netprov.settings import REPO_ROOT, Settings, load_settings
from netprov.sop.service import RequestService
from netprov_lab.demo.scenario import sample_form
from tests.conftest import LAB_DIR
from tests.third_playbook import SERVICE, playbooks_folder

pytestmark = [pytest.mark.lab, pytest.mark.netbox, pytest.mark.devices]

LETTER = REPO_ROOT / "netprov_lab" / "demo" / "letters" / "2-internet-bappeda.yaml"
DEVICES = ["dist-batamkota1", "cpe-bappeda", "core-dc1", "isp-pe1"]


@pytest.fixture
def third_settings(
    netbox_lab: dict[str, Any], device_lab: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    folder = playbooks_folder(tmp_path)
    # letters reloaded from the register are checked against the same folder
    monkeypatch.setenv("NETPROV_PLAYBOOKS_DIR", str(folder))
    yield load_settings(data_dir=tmp_path / "data", lab_dir=LAB_DIR, id_prefix="UJI", playbooks_dir=folder)


def _configs(settings: Settings) -> dict[str, str]:
    nr = build_nornir(settings)
    try:
        res = only(nr, DEVICES).run(task=device_ops.running_config)
        return {name: str(r[0].result) for name, r in res.items()}
    finally:
        nr.close_connections()


def test_third_playbook_dry_run_without_code_change(third_settings: Settings) -> None:
    assert SERVICE in available_services(third_settings)
    data = yaml.safe_load(LETTER.read_text(encoding="utf-8"))
    letter = parse_letter({**data, "service": SERVICE}, services=available_services(third_settings))
    svc = RequestService.from_settings(third_settings)
    ipam = NetBoxIpam.from_settings(third_settings)
    rid = svc.submit(letter).id
    svc.dispose(rid, "kadis", "kabid")
    svc.assign(rid, "kabid", "staff1")
    fe = ipam.check(rid, letter)
    assert fe.feasible, fe.reasons
    assert fe.uplink is not None and fe.uplink.device == "core-dc1"  # the internet uplink
    svc.check(rid, "staff1", fe)
    svc.accept(rid, "staff1")
    svc.fill_form(rid, "staff1", sample_form(rid))
    assert svc.get(rid).letter.service == SERVICE

    before = _configs(third_settings)
    dry = Provisioner(third_settings, svc, ipam).dry_run(rid)
    assert not dry.allocated and dry.changes_pending
    assert dry.allocation.service == SERVICE
    assert dry.allocation.lan_prefix.subnet_of(__import__("ipaddress").ip_network("203.0.113.0/24"))
    assert {c.role for c in dry.configs} <= {"distribution", "cpe", "access"}
    assert {d.device for d in dry.diffs if d.diff.strip()} == {"dist-batamkota1", "cpe-bappeda"}
    assert _configs(third_settings) == before, "dry run changed a router"
    assert NetBoxIpam.from_settings(third_settings).tagged_objects(rid) == []
