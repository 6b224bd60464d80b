"""What the pipeline does to one device, as Nornir tasks; the platform does the work.

Each task looks up ``task.host.platform`` in the registry (:mod:`netprov.platforms`) and calls
that :class:`~netprov.platforms.base.Platform`; no task knows a platform by name. Every task
honours Nornir's dry-run flag. A device error is raised as a
:class:`~netprov.errors.DeviceError` subclass, which Nornir keeps in the host's failed
``Result`` (``result.exception``) until the caller reports it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from nornir.core.task import Result, Task

from netprov.platforms import Mode, Platform, get_platform


def _platform(task: Task) -> Platform:
    return get_platform(task.host.platform)


def _mode(mode: str) -> Mode:
    return "replace" if mode == "replace" else "merge"


def running_config(task: Task) -> Result:
    """The device's running config as text (the snapshot a rollback returns to)."""
    p = _platform(task)
    text = p.running_config(p.open(task), task.host.name)
    return Result(host=task.host, result=text)


def diff_config(task: Task, config: str, mode: str) -> Result:
    """What pushing ``config`` would change (never changes anything)."""
    p = _platform(task)
    diff = p.diff(p.open(task), config, _mode(mode), task.host.name)
    return Result(host=task.host, result=diff, changed=bool(diff.strip()), diff=diff)


def push_config(task: Task, config: str, mode: str, message: str, revert_in: int | None) -> Result:
    """Commit ``config`` (commit-confirm where the platform has it). Dry run: only the diff.

    Result: ``{"diff": str, "committed_at": ISO time or None}``.
    """
    if task.is_dry_run():
        return diff_config(task, config, mode)
    p = _platform(task)
    out = p.push(
        p.open(task),
        config,
        _mode(mode),
        message=message,
        revert_in=revert_in if p.commit_confirm else None,
        device=task.host.name,
    )
    if not out.committed:
        return Result(host=task.host, result={"diff": "", "committed_at": None}, changed=False)
    now = dt.datetime.now(dt.UTC).isoformat()
    return Result(host=task.host, result={"diff": out.diff, "committed_at": now}, changed=True, diff=out.diff)


def confirm(task: Task) -> Result:
    """Confirm a pending commit (the device stops counting down to its own revert).

    Run it only on devices this run committed to: a BIRD with nothing pending means its timer
    already undid the change, and that is an error (:class:`~netprov.errors.ConfirmFailed`).
    """
    p = _platform(task)
    if task.is_dry_run() or not p.commit_confirm:
        return Result(host=task.host, result="nothing to confirm", changed=False)
    if p.confirm(p.open(task), task.host.name):
        return Result(host=task.host, result="confirmed", changed=True)
    return Result(host=task.host, result="no pending commit", changed=False)


def restore(task: Task, snapshot: str) -> Result:
    """Return the device to ``snapshot`` and prove it: a compare against it shows no difference."""
    if task.is_dry_run():
        return Result(host=task.host, result="dry run", changed=False)
    p = _platform(task)
    p.restore(p.open(task), snapshot, task.host.name)
    return Result(host=task.host, result="restored", changed=True)


def bgp_announced(task: Task, prefix: str) -> Result:
    """Whether the device has ``prefix`` as a BGP route; result ``(ok, detail)``."""
    p = _platform(task)
    return Result(host=task.host, result=p.bgp_announced(p.open(task), str(prefix), task.host.name))


def wait_until(
    check: Callable[[], tuple[bool, str]], timeout: float, interval: float = 2.0
) -> tuple[bool, str]:
    """Call ``check() -> (ok, detail)`` until ok or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    ok, detail = check()
    while not ok and time.monotonic() < deadline:
        time.sleep(interval)
        ok, detail = check()
    return ok, detail


def connection(task: Task) -> Any:
    """The platform's open connection of ``task.host`` (for checks outside this module)."""
    return _platform(task).open(task)
