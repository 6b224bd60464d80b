"""The Temporal engine's pure parts (issue 17); the workflows themselves run on a real Temporal
server in ``tests/integration/test_engine_temporal.py`` and on the lab in ``tests/e2e/test_6_workers.py``."""

from __future__ import annotations

import doctest

import pytest
from typer.testing import CliRunner

from netprov.cli.main import app
from netprov.engine import Detached, client
from netprov.engine.activities import fault_hook
from netprov.engine.client import _error
from netprov.errors import ConcurrencyError, PipelineError, WorkflowError


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
