"""End-to-end fixtures: the whole lab, and requests walked to step 7 in a fresh register."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from netprov.domain.letters import CompletenessForm, load_letter
from netprov.settings import Settings, load_settings
from netprov.sop.service import RequestService
from netprov_lab.demo.scenario import LETTERS, sample_form
from tests.conftest import LAB_DIR


@pytest.fixture(scope="session")
def full_lab(netbox_lab: dict[str, Any], device_lab: dict[str, Any], monitoring_lab: dict[str, Any]) -> None:
    return None


@pytest.fixture
def e2e_settings(full_lab: None, tmp_path: Path) -> Settings:
    settings = load_settings(
        data_dir=tmp_path / "data",
        lab_dir=LAB_DIR,
        id_prefix="UJI",
        monitoring_wait_seconds=120,
        commit_confirm_seconds=120,
    )
    forget_monitoring(settings, "UJI")
    return settings


def forget_monitoring(settings: Settings, prefix: str, count: int = 20) -> None:
    """Remove the lab's monitoring entries for the first ``count`` ids of ``prefix`` this year,
    whichever register made them: every test's register is new and starts at 0001, so an entry
    an earlier, failed test left would be another register's (and refused, rightly)."""
    import datetime as dt

    from netprov.monitoring.factory import backends_from_settings, deregister_all

    backends = backends_from_settings(settings)  # no register identity: sees every entry
    year = dt.date.today().year
    for n in range(1, count + 1):
        deregister_all(backends, f"{prefix}-{year}-{n:04d}")


@pytest.fixture
def svc(e2e_settings: Settings) -> RequestService:
    return RequestService.from_settings(e2e_settings)


def form_for(request_id: str) -> CompletenessForm:
    return sample_form(request_id)


@pytest.fixture
def walk(svc: RequestService, e2e_settings: Settings) -> Callable[[str], str]:
    """Submit a demo letter and walk it to form_complete (step 4 asks NetBox)."""
    from netprov.netbox.adapter import NetBoxIpam

    ipam = NetBoxIpam.from_settings(e2e_settings)

    def _walk(letter_file: str) -> str:
        from tests.letters import renumbered

        letter = renumbered(load_letter(LETTERS / letter_file))  # one letter file, walked many times
        rid = svc.submit(letter).id
        svc.dispose(rid, "kadis", "kabid")
        svc.assign(rid, "kabid", "staff1")
        svc.check(rid, "staff1", ipam.check(rid, letter))
        svc.accept(rid, "staff1")
        svc.fill_form(rid, "staff1", form_for(rid))
        return rid

    return _walk


@pytest.fixture
def cleanup(e2e_settings: Settings, svc: RequestService) -> Iterator[list[str]]:
    """Requests listed here are taken back out of the lab after the test (whatever happened)."""
    from netprov.netbox.adapter import NetBoxIpam
    from netprov.pipeline.provision import Provisioner

    ids: list[str] = []
    yield ids
    prov = Provisioner(e2e_settings, svc, NetBoxIpam.from_settings(e2e_settings))
    for rid in ids:
        try:
            prov.undo_finished_run(rid, "staff1")
        except Exception:
            interrupted = prov.saga("staff1").interrupted_run(rid)
            if interrupted:  # a killed run: its lines off the devices, from its journal
                with contextlib.suppress(Exception):
                    prov.rollback_interrupted(rid, interrupted, "staff1")
            prov.ipam.release(rid)
