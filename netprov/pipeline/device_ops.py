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
from typing import Any, TypeVar

from nornir.core.task import Result, Task

from netprov.errors import CommitPending
from netprov.platforms import Mode, Platform, get_platform
from netprov.platforms.base import PushOutcome

T = TypeVar("T")


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


def push_config(
    task: Task,
    config: str,
    mode: str,
    message: str,
    revert_in: int | None,
    pending_wait: float = 0.0,
    on_pending: Callable[[str], None] | None = None,
) -> Result:
    """Commit ``config`` (commit-confirm where the platform has it). Dry run: only the diff.

    A device that refuses because another commit awaits confirmation
    (:class:`~netprov.errors.CommitPending`) is asked again every few seconds for up to
    ``pending_wait`` seconds (``on_pending(device)`` is told once).

    Result: ``{"diff": str, "committed_at": ISO time or None, "after": running config after
    the commit (None when nothing was committed)}``.
    """
    if task.is_dry_run():
        return diff_config(task, config, mode)
    p = _platform(task)
    conn = p.open(task)
    name = task.host.name

    def attempt() -> PushOutcome:
        return p.push(
            conn,
            config,
            _mode(mode),
            message=message,
            revert_in=revert_in if p.commit_confirm else None,
            device=name,
        )

    out = retry_while_pending(attempt, pending_wait, lambda: on_pending(name) if on_pending else None)
    if not out.committed:
        return Result(host=task.host, result={"diff": "", "committed_at": None, "after": None}, changed=False)
    now = dt.datetime.now(dt.UTC).isoformat()
    after = p.running_config(conn, name)
    return Result(
        host=task.host,
        result={"diff": out.diff, "committed_at": now, "after": after},
        changed=True,
        diff=out.diff,
    )


def retry_while_pending(
    attempt: Callable[[], T],
    wait: float,
    told: Callable[[], object] = lambda: None,
    *,
    interval: float = 3.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``attempt()``, again while it raises ``CommitPending``, for up to ``wait`` seconds.

    Raises:
        CommitPending: still pending after ``wait`` seconds (the message says how long).
    """
    deadline = clock() + wait
    first = True
    while True:
        try:
            return attempt()
        except CommitPending as exc:
            if clock() >= deadline:
                if first:
                    raise
                raise CommitPending(f"{exc} (still, after waiting {wait:.0f} s)") from exc
            if first:
                told()
                first = False
            sleep(interval)


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


def undo_change(task: Task, snapshot: str, after: str | None, reverts_itself: bool = False) -> Result:
    """Take this run's change off the device; the result says which way.

    ``after`` is the device's config right after this run's commit (None: the run died
    mid-push before it was recorded). Still ``after`` (or back at ``snapshot``): restore the
    snapshot. Otherwise another change landed since: only this run's own change comes off.

    Without ``after``, on a device that undoes an unconfirmed commit by itself
    (``reverts_itself``: the run committed with commit-confirm, and it confirms only after the
    whole push is recorded) and has no commit pending now, nothing of this run is left: what
    the device runs beyond ``snapshot`` is other runs' changes, which landed once its own
    revert timer had run, and it is left alone. With this run's commit still pending, the
    snapshot comes back (no other run can commit on top of a pending commit).
    """
    if task.is_dry_run():
        return Result(host=task.host, result="dry run", changed=False)
    p = _platform(task)
    conn = p.open(task)
    name = task.host.name
    current = p.running_config(conn, name)
    if after is None and current != snapshot and reverts_itself and p.pending_commit(conn, name) is False:
        return Result(
            host=task.host,
            result="nothing of this run's is left (the device undid its unconfirmed commit); "
            "other changes stay",
            changed=False,
        )
    if after is None or current in (after, snapshot):
        p.restore(conn, snapshot, name)
        return Result(host=task.host, result="restored to its saved config", changed=True)
    p.undo_own_change(conn, snapshot, after, current, name)
    return Result(
        host=task.host,
        result="took off only this run's change (another change landed on it since)",
        changed=True,
    )


def bgp_announced(task: Task, prefix: str) -> Result:
    """Whether the device has ``prefix`` as a BGP route; result ``(ok, detail)``."""
    p = _platform(task)
    return Result(host=task.host, result=p.bgp_announced(p.open(task), str(prefix), task.host.name))


def wait_until(
    check: Callable[[], tuple[bool, str]],
    timeout: float,
    interval: float = 0.5,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bool, str]:
    """Call ``check() -> (ok, detail)`` until ok or ``timeout`` seconds pass.

    Tries again ``interval`` seconds after each failed try; the last try starts before the
    deadline (a sleep never runs past it), so the bound is ``timeout`` plus one try.
    """
    deadline = clock() + timeout
    ok, detail = check()
    while not ok and clock() < deadline:
        sleep(min(interval, max(0.0, deadline - clock())))
        ok, detail = check()
    return ok, detail


def connection(task: Task) -> Any:
    """The platform's open connection of ``task.host`` (for checks outside this module)."""
    return _platform(task).open(task)
