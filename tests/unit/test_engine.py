"""The Temporal engine's pure parts (issue 17); the workflows themselves run on a real Temporal
server in ``tests/integration/test_engine_temporal.py`` and on the lab in ``tests/e2e/test_7_workers.py``."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netprov.cli.main import app
from netprov.engine import Detached, client
from netprov.engine.activities import fault_hook
from netprov.engine.client import _error
from netprov.errors import ConcurrencyError, PipelineError, WorkflowError
from netprov.settings import Settings


def test_doctests() -> None:
    assert doctest.testmod(client).failed == 0


def test_a_worker_without_an_address_is_refused_in_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NETPROV_TEMPORAL_ADDRESS", raising=False)
    res = CliRunner().invoke(app, ["worker"])
    assert res.exit_code != 0
    assert "NETPROV_TEMPORAL_ADDRESS: not set" in str(res.exception)


def test_the_fault_hook_fails_its_request_only_at_its_stage() -> None:
    assert fault_hook("", "A") is None and fault_hook("B:push", "A") is None
    hook = fault_hook("A:push", "A")
    assert hook is not None
    hook("allocate")
    with pytest.raises(PipelineError, match="after stage push"):
        hook("push")


def test_a_refusal_comes_back_as_the_same_netprov_error() -> None:
    assert isinstance(_error("ConcurrencyError", "held"), ConcurrencyError)
    assert isinstance(_error("RunInterrupted", "x"), WorkflowError)  # not in netprov.errors: generic
    assert str(_error("InputError", "bad")) == "bad"


def test_detached_says_how_to_follow() -> None:
    text = str(Detached(["PJB-2026-0001", "PJB-2026-0002"]))
    assert "keeps running" in text and "netprov provision PJB-2026-0001 PJB-2026-0002" in text


def test_lab_up_leaves_the_engine_out_unless_asked() -> None:
    import netprov_lab

    assert "engine" in netprov_lab.PARTS and "engine" not in netprov_lab.DEFAULT_PARTS


def test_a_run_whose_lock_was_taken_over_may_write_no_more(tmp_path: Path, settings: Settings) -> None:
    """The fence of a hung worker's run: its journal writes refused once another took the lock."""
    from netprov.errors import StaleRun
    from tests.letters import distinct_letter
    from tests.unit.test_pipeline_units import _svc

    svc = _svc(tmp_path, settings)
    rid, runs = svc.submit(distinct_letter()).id, svc.runs
    old = runs.acquire_lock(rid, "staff1@temporal:R1")
    runs.journal_if_held(old, rid, "run-a", "push", "begin")
    assert runs.holds_lock(rid, old)
    runs.release_lock(rid)  # another worker's begin takes the lock over
    new = runs.acquire_lock(rid, "staff1@temporal:R1")
    with pytest.raises(StaleRun, match=f"run-a of {rid} no longer holds its lock"):
        runs.journal_if_held(old, rid, "run-a", "push", "done")
    runs.journal_if_held(new, rid, "run-b", "push", "begin")
    assert not runs.holds_lock(rid, old) and isinstance(StaleRun("x"), ConcurrencyError)
    assert [(e.run_id, e.phase) for e in runs.entries(rid)] == [("run-a", "begin"), ("run-b", "begin")]
    runs.release_lock(rid, new)
    with pytest.raises(StaleRun):  # released: nobody's run writes under a lock it lost
        runs.journal_if_held(new, rid, "run-b", "push", "done")


def test_the_fence_of_a_worker_run_raises_once_the_lock_is_not_its_own(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from netprov.engine.activities import _fence
    from netprov.errors import StaleRun
    from netprov.sop.runs import RunJournal
    from netprov.store.db import Store

    runs = RunJournal(Store(f"sqlite:///{tmp_path / 'r.sqlite3'}"))
    token = runs.acquire_lock("R1", "h")
    fence = _fence(SimpleNamespace(svc=SimpleNamespace(runs=runs)), "R1", "run-a", token)  # type: ignore[arg-type]
    fence()
    runs.release_lock("R1", token)
    with pytest.raises(StaleRun, match="taken over by another worker"):
        fence()
