"""The platform conformance suite: what every registered platform must do.

Subclass :class:`PlatformConformance` and provide two fixtures:

* ``case`` -> :class:`Case`: an open connection to one device of one provisionable platform,
  with a change it accepts and a config it refuses (both built from the device's snapshot).
  The fixture restores the device to its snapshot at the end.
* ``unreachable`` -> ``(platform, task)``: a Nornir task whose host cannot be reached.

Subclass :class:`ValidatorConformance` with a ``sample`` fixture -> ``(platform, good, bad)``
for every registered platform (validate-only included).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from netprov.errors import CommitRefused, DeviceUnreachable
from netprov.platforms import Mode, Platform

ConfigFor = Callable[[str], tuple[str, Mode]]


@dataclass(frozen=True)
class Case:
    """One device under test.

    Attributes:
        change: snapshot -> (a config that changes the device, mode).
        provision: snapshot -> (what a provision pushes to such a device, mode); ``change``
            when not given.
        refused: snapshot -> (a config the device refuses, mode).
    """

    platform: Platform
    device: str
    conn: Any
    change: ConfigFor
    refused: ConfigFor
    revert_in: int = 60
    provision: ConfigFor | None = None

    def revert(self) -> int | None:
        return self.revert_in if self.platform.commit_confirm else None

    def running(self) -> str:
        return self.platform.running_config(self.conn, self.device)

    def push(self, config: str, mode: Mode) -> Any:
        return self.platform.push(
            self.conn,
            config,
            mode,
            message="netprov conformance",
            revert_in=self.revert(),
            device=self.device,
        )

    def same_as(self, snapshot: str) -> bool:
        return not self.platform.diff(self.conn, snapshot, "replace", self.device).strip()


class PlatformConformance:
    """Device operations of a provisionable platform (see the module docstring)."""

    def test_running_config_is_text(self, case: Case) -> None:
        text = case.running()
        assert isinstance(text, str) and text.strip()

    def test_diff_of_the_running_config_is_empty(self, case: Case) -> None:
        assert case.same_as(case.running())

    def test_push_of_a_change_commits_and_is_idempotent(self, case: Case) -> None:
        snapshot = case.running()
        config, mode = case.change(snapshot)
        assert case.platform.diff(case.conn, config, mode, case.device).strip()
        out = case.push(config, mode)
        assert out.committed and out.diff.strip()
        if case.platform.commit_confirm:
            assert case.platform.confirm(case.conn, case.device)
        assert not case.platform.diff(case.conn, config, mode, case.device).strip()
        again = case.push(config, mode)
        assert not again.committed and not again.diff.strip()
        assert not case.same_as(snapshot)

    def test_idempotent_after_push(self, case: Case) -> None:
        """What a provision pushes, then a diff (as ``provision --dry-run`` does): empty."""
        config, mode = (case.provision or case.change)(case.running())
        case.push(config, mode)
        if case.platform.commit_confirm:
            case.platform.confirm(case.conn, case.device)
        diff = case.platform.diff(case.conn, config, mode, case.device)
        assert not diff.strip(), f"{case.device} still differs after the push:\n{diff}"

    def test_restore_returns_to_the_snapshot(self, case: Case) -> None:
        snapshot = case.running()
        config, mode = case.change(snapshot)
        case.push(config, mode)  # left pending on commit-confirm platforms: restore cancels it
        case.platform.restore(case.conn, snapshot, case.device)
        assert case.same_as(snapshot)
        case.platform.restore(case.conn, snapshot, case.device)  # restoring twice is harmless
        assert case.same_as(snapshot)

    def test_a_refused_push_raises_and_leaves_the_device_unchanged(self, case: Case) -> None:
        snapshot = case.running()
        config, mode = case.refused(snapshot)
        with pytest.raises(CommitRefused, match=case.device):
            case.push(config, mode)
        assert case.same_as(snapshot)

    def test_confirm(self, case: Case) -> None:
        snapshot = case.running()
        config, mode = case.change(snapshot)
        case.push(config, mode)
        confirmed = case.platform.confirm(case.conn, case.device)
        assert confirmed is case.platform.commit_confirm
        assert not case.same_as(snapshot)

    def test_unreachable_device(self, unreachable: tuple[Platform, Any]) -> None:
        platform, task = unreachable
        with pytest.raises(DeviceUnreachable, match=task.host.name):
            platform.running_config(platform.open(task), task.host.name)


class ValidatorConformance:
    """Offline validators of every platform (see the module docstring)."""

    def test_validators_accept_a_good_sample(self, sample: tuple[Platform, str, str]) -> None:
        platform, good, _ = sample
        checks = platform.validators()
        assert checks
        for name, check in checks:
            ok, problems = check(good)
            assert ok, (name, problems)

    def test_validators_reject_a_bad_sample(self, sample: tuple[Platform, str, str]) -> None:
        platform, _, bad = sample
        for name, check in platform.validators():
            ok, problems = check(bad)
            assert not ok and problems, name
