"""Config methods replayed against outputs recorded on the lab routers (FRR 8.4).

Each ``mocked_data/<method>/<case>/responses.json`` lists the ``steps`` (driver calls) of a
scenario; ``expected_result.json`` is what the last step returned or raised.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.napalm_frr.fake import MOCKED, make_driver

METHODS = ["load_merge_candidate", "compare_config", "commit_config", "confirm_commit", "rollback"]


def _cases() -> list[tuple[str, str]]:
    return [(m, p.name) for m in METHODS for p in sorted((MOCKED / m).iterdir()) if p.is_dir()]


def _replay(method: str, case: str) -> tuple[Any, Any, list[tuple[str, str | None]]]:
    base = MOCKED / method / case
    spec = json.loads((base / "responses.json").read_text(encoding="utf-8"))
    expected = json.loads((base / "expected_result.json").read_text(encoding="utf-8"))
    driver, fake = make_driver(spec["responses"], base)
    result: Any = None
    for name, kwargs in spec["steps"]:
        try:
            result = getattr(driver, name)(**kwargs)
        except Exception as exc:
            result = {"exception": type(exc).__name__, "message": str(exc)}
            break
    return result, expected, fake.calls


@pytest.mark.parametrize(("method", "case"), _cases())
def test_recorded_scenario(method: str, case: str) -> None:
    result, expected, calls = _replay(method, case)
    assert result == expected
    assert calls, "the scenario talked to the router"


def test_every_config_method_has_a_recorded_case() -> None:
    cases = _cases()
    for m in METHODS:
        assert any(c[0] == m for c in cases), m


def test_recorded_failed_commit_restores_before_raising() -> None:
    result, _, calls = _replay("commit_config", "merge_fails_in_bgpd")
    assert result["exception"] == "MergeConfigException"
    assert "restore.log" in (calls[-1][1] or "")  # the last call put the snapshot back


def test_recorded_revert_in_leaves_a_pending_timer() -> None:
    result, _, calls = _replay("commit_config", "revert_in")
    assert result is True  # has_pending_commit() right after the commit
    assert any("setsid sh" in (stdin or "") for _, stdin in calls)
