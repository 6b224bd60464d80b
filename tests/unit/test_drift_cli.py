"""``netprov drift`` refusals: bad arguments, unknown or unprovisioned requests; nothing written.

No NetBox and no device here: every refusal comes from the arguments or the register alone,
before anything is connected to.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from netprov.audit import _ANNOTATIONS
from netprov.cli.main import app
from netprov.domain.users import load_directory
from netprov.errors import InputError, NotFoundError, WorkflowError
from netprov.settings import Settings
from netprov.sop.service import NoPapers, RequestService
from netprov.store.db import Store
from tests.letters import distinct_letter


@pytest.fixture
def svc(settings: Settings) -> RequestService:
    return RequestService(Store(settings.effective_database_url), load_directory(None), settings, NoPapers())


def _drift(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> object:
    monkeypatch.setenv("NETPROV_LAB_DIR", str(tmp_path / "no-lab"))
    for var in ("NETPROV_NETBOX_URL", "NETPROV_NETBOX_TOKEN", "NETPROV_NETBOX_TOKEN_FILE", "NETPROV_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    return CliRunner().invoke(app, ["--as", "staff1", "drift", *args])


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((), "request ids"),
        (("PJB-2026-0001", "--all"), "request ids"),
        (("PJB-2026-0001", "--dry-run"), "--dry-run"),
    ],
)
def test_bad_arguments_are_refused(
    args: tuple[str, ...], field: str, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    res = _drift(monkeypatch, tmp_path, *args)
    assert isinstance(res.exception, InputError)  # type: ignore[attr-defined]
    assert field in str(res.exception.problems)  # type: ignore[attr-defined]


def test_unknown_request_is_refused(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    res = _drift(monkeypatch, tmp_path, "PJB-2026-0999")
    assert isinstance(res.exception, NotFoundError)  # type: ignore[attr-defined]
    assert "PJB-2026-0999" in str(res.exception)  # type: ignore[attr-defined]


def test_unprovisioned_request_is_refused_and_nothing_recorded(
    svc: RequestService, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rid = svc.submit(distinct_letter()).id
    before = len(svc.get(rid).events)
    res = _drift(monkeypatch, tmp_path, rid)
    assert isinstance(res.exception, WorkflowError)  # type: ignore[attr-defined]
    assert str(res.exception) == f"{rid} is received: drift checks links provisioned by step 7"  # type: ignore[attr-defined]
    assert len(svc.get(rid).events) == before


def test_drift_is_an_annotation_not_a_step(svc: RequestService) -> None:
    """The trail event changes no state and the audit does not count it as a step."""
    rid = svc.submit(distinct_letter()).id
    state = svc.get(rid).state
    svc.annotate(rid, "staff1", "drift", "Pemeriksaan drift: konfigurasi perangkat sesuai", {"drift": {}})
    rec = svc.get(rid)
    assert rec.state is state and rec.events[-1].action == "drift"
    assert "drift" in _ANNOTATIONS


def test_remediation_runs_are_their_own_view_of_the_journal(svc: RequestService) -> None:
    """A remediation run is never the request's provisioning run (undo, resume, live_run)."""
    from netprov.pipeline.drift import live_run
    from netprov.pipeline.saga import Saga
    from netprov.sop.runs import REMEDIATE_PREFIX

    rid = svc.submit(distinct_letter()).id
    svc.runs.journal(rid, "p1", "snapshot", "done", {"snapshots": {"d": "S"}})
    svc.runs.journal(rid, "p1", "run", "finished", {})
    svc.remediation_runs.journal(rid, REMEDIATE_PREFIX + "r1", "run", "start", {})
    svc.remediation_runs.journal(rid, REMEDIATE_PREFIX + "r1", "run", "finished", {})
    assert {e.run_id for e in svc.runs.entries(rid)} == {"p1"}
    assert {e.run_id for e in svc.remediation_runs.entries(rid)} == {REMEDIATE_PREFIX + "r1"}
    assert Saga(svc.runs, []).last_finished_run(rid) == "p1"
    live = live_run(svc.runs.entries(rid))
    assert live is not None and live.run_id == "p1"


def test_remediation_reuses_the_device_stages_of_the_saga() -> None:
    from netprov.pipeline.link_stages import LINK_STAGES
    from netprov.pipeline.remediate import REMEDIATE_STAGES, remediation_stages

    stages = remediation_stages(["cpe-disdik-bk"])
    assert [s.name for s in stages] == list(REMEDIATE_STAGES)
    by_name = {s.name: s for s in LINK_STAGES}
    assert all(s is by_name[s.name] for s in stages[1:])  # the very stages of step 7
    assert stages[0].undo is by_name["lock"].undo and stages[0].reload is by_name["lock"].reload
    assert {"allocate", "record", "record-netbox", "monitor-register"}.isdisjoint(REMEDIATE_STAGES)


def test_all_with_nothing_provisioned_is_clean(
    svc: RequestService, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No provisioned link: nothing to check, exit 0, and no NetBox needed to say so."""
    svc.submit(distinct_letter())
    res = _drift(monkeypatch, tmp_path, "--all", "--json")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert '"links": []' in res.output  # type: ignore[attr-defined]


def test_two_checks_at_once_both_get_their_annotation(svc: RequestService) -> None:
    """Two drift processes annotating one trail at the same moment: neither fails, both recorded."""
    from concurrent.futures import ThreadPoolExecutor

    from netprov.cli.drift import annotate

    rid = svc.submit(distinct_letter()).id
    before = len(svc.get(rid).events)
    with ThreadPoolExecutor(4) as pool:
        list(
            pool.map(
                lambda i: annotate(svc, rid, "staff1", f"check {i}", {"drift": {}}, attempts=50), range(12)
            )
        )
    rec = svc.get(rid)
    assert len(rec.events) == before + 12
    assert sorted(e.note for e in rec.events if e.action == "drift") == sorted(
        f"check {i}" for i in range(12)
    )
