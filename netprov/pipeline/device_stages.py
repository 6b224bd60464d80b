"""The device side of a link run's undo: only this run's own change comes off, under the locks.

``push``'s undo first takes the device locks (a resume from another process after a kill takes
them too), then, device by device in reverse push order:

* a device this run committed nothing to, or did not lock (nothing to change there), is left
  alone;
* a device whose running config still equals what this run's commit left (``after``) goes
  back to its snapshot; so does one whose ``after`` was never recorded (the run died
  mid-push), unless its unconfirmed commit was already undone by the device itself and other
  runs changed it since (:func:`netprov.pipeline.device_ops.undo_change`): then it is left alone;
* a device that changed since (another run's change landed on it) gets only the inverse of
  this run's own change (:meth:`netprov.platforms.base.Platform.undo_own_change`): the other
  run's lines stay.

``release`` (right after ``push``) confirms this run's commits and lets the devices go, so the
checks and the first probe (``verify``, ``monitor``: most of a run's time) no longer keep other
runs off a shared router. It runs only once ``push``'s done data (each device's ``after``) is in
the journal, so every undo from then on (a failed check, a resume after a kill) takes off only
this run's own change where another run's change landed since; the undo takes the locks again.
The confirm right after the push still proves the device answers with its new config, which is
what the commit-confirm guards against. ``device_locks_through_checks`` keeps the locks (and the
pending commit) to the final ``confirm`` instead.
"""

from __future__ import annotations

from netprov.pipeline import device_ops
from netprov.pipeline.link_run import LinkRun, raise_failures
from netprov.pipeline.nornir_setup import only
from netprov.pipeline.saga import JournalData


def reload_push(run: LinkRun, data: JournalData) -> None:
    """What a resumed undo needs from ``push``'s done data: the devices and their ``after``."""
    run.devices = list(data.get("devices") or [])
    run.afters = dict(data.get("after") or {})


def reload_lock(run: LinkRun, data: JournalData) -> None:
    """Which devices the run locked (the only ones it may have changed)."""
    run.locked = list(data.get("devices") or [])


def undo_lock(run: LinkRun) -> None:
    """Release the device locks (after every later undo has run)."""
    run.release_devices()


def devices_to_undo(run: LinkRun) -> list[str]:
    """The devices whose change this run may have made, in reverse push order."""
    unchanged = {d["name"] for d in run.devices if not d.get("committed_at")}
    locked = set(run.locked) if run.locked is not None else set(run.snapshots)
    return [name for name in reversed(list(run.snapshots)) if name not in unchanged and name in locked]


def undo_push(run: LinkRun) -> None:
    """Take this run's change off every device it committed to (see the module docstring)."""
    names = devices_to_undo(run)
    if not names:
        return
    run.hold_devices(names)
    for name in names:
        res = only(run.nr, [name]).run(
            task=device_ops.undo_change,
            snapshot=run.snapshots[name],
            after=run.afters.get(name),
            reverts_itself=bool(run.deps.revert_in),
            on_failed=True,  # a device whose commit failed is marked failed: it is undone too
        )
        raise_failures(res, f"undoing this run's change on {name}")
        run.progress("push", name, str(res[name][0].result))


def confirm_commits(run: LinkRun) -> list[str]:
    """Confirm the pending commits of this run not confirmed yet (all devices at once)."""
    names = [d["name"] for d in run.devices if d["committed_at"] and d["name"] not in run.confirmed]
    if names:
        res = only(run.nr, names).run(task=device_ops.confirm)
        raise_failures(res, "confirming the commits")
        run.confirmed = sorted({*run.confirmed, *names})
    return names


def release(run: LinkRun) -> JournalData:
    """Confirm the commits and release the device locks before the checks (module docstring)."""
    if run.deps.settings.device_locks_through_checks:
        return {"confirmed": []}
    confirmed = confirm_commits(run)
    run.release_devices()
    if confirmed or run.locked:
        run.progress("release", "", "confirmed " + (", ".join(confirmed) or "nothing") + "; devices free")
    return {"confirmed": confirmed}


def reload_release(run: LinkRun, data: JournalData) -> None:
    run.confirmed = list(data.get("confirmed") or [])
