"""What the pipeline does to one device, per platform, as Nornir tasks.

NAPALM platforms (``frr`` with netprov's driver, ``bird2`` with napalm-bird2) are driven through
nornir-napalm's connection; Cisco-IOS-style access switches (``ios``) through nornir-netmiko,
because the NAPALM ios driver needs SCP or tclsh. Every task honours Nornir's dry-run flag.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from nornir.core.task import Result, Task

from netprov.pipeline import bird_commit

NAPALM_PLATFORMS = {"frr", "bird2"}
COMMIT_CONFIRM_PLATFORMS = {"frr", "bird2"}
NETMIKO_PLATFORMS = {"ios"}
IOS_ERRORS = ("% Invalid", "% Incomplete", "% Ambiguous", "% Unknown")


def _napalm(task: Task) -> Any:
    return task.host.get_connection("napalm", task.nornir.config)


def _netmiko(task: Task) -> Any:
    conn = task.host.get_connection("netmiko", task.nornir.config)
    if not conn.check_enable_mode():
        conn.enable()
    return conn


def running_config(task: Task) -> Result:
    """The device's running config as text (the snapshot a rollback returns to)."""
    platform = task.host.platform
    if platform == "frr":
        text = _napalm(task).get_config(retrieve="running")["running"]
    elif platform == "bird2":
        text = _napalm(task).get_bird_running_config()
    elif platform in NETMIKO_PLATFORMS:
        text = _ios_running(_netmiko(task))
    else:
        raise ValueError(f"{task.host.name}: unsupported platform {platform}")
    return Result(host=task.host, result=text)


IOS_BANNER = ("Building configuration", "Current configuration")


def _ios_running(conn: Any) -> str:
    """``show running-config`` without the banner lines IOS prints before the config."""
    text = str(conn.send_command("show running-config"))
    return "\n".join(ln for ln in text.splitlines() if not ln.startswith(IOS_BANNER)) + "\n"


def _ios_lines(config: str) -> list[str]:
    return [ln.rstrip() for ln in config.splitlines() if ln.strip() and not ln.strip().startswith("!")]


def _ios_remediation(running: str, intended: str, mode: str) -> list[str]:
    """Lines that take an IOS running config to the intended one (hier_config)."""
    from hier_config import WorkflowRemediation, get_hconfig
    from hier_config.models import Platform

    run = get_hconfig(Platform.CISCO_IOS, running)
    if mode == "merge":
        target = get_hconfig(Platform.CISCO_IOS, running)
        target.merge(get_hconfig(Platform.CISCO_IOS, intended))
    else:
        target = get_hconfig(Platform.CISCO_IOS, intended)
    remediation = WorkflowRemediation(run, target).remediation_config
    return [ln for ln in remediation.dump_simple(sectional_exiting=True) if ln.strip()]


def _load_candidate(drv: Any, config: str, mode: str) -> None:
    if mode == "replace":
        drv.load_replace_candidate(config=config)
    else:
        drv.load_merge_candidate(config=config)


def diff_config(task: Task, config: str, mode: str) -> Result:
    """What pushing ``config`` would change (never changes anything)."""
    platform = task.host.platform
    if platform in NAPALM_PLATFORMS:
        drv = _napalm(task)
        _load_candidate(drv, config, mode)
        try:
            diff = drv.compare_config() or ""
        finally:
            drv.discard_config()
    elif platform in NETMIKO_PLATFORMS:
        diff = "\n".join(_ios_remediation(_ios_running(_netmiko(task)), config, mode))
    else:
        raise ValueError(f"{task.host.name}: unsupported platform {platform}")
    return Result(host=task.host, result=diff, changed=bool(diff.strip()), diff=diff)


def push_config(task: Task, config: str, mode: str, message: str, revert_in: int | None) -> Result:
    """Commit ``config`` (commit-confirm where the platform has it). Dry run: only the diff."""
    platform = task.host.platform
    if task.is_dry_run():
        return diff_config(task, config, mode)
    if platform in NAPALM_PLATFORMS:
        drv = _napalm(task)
        _load_candidate(drv, config, mode)
        diff = drv.compare_config() or ""
        if not diff.strip():
            drv.discard_config()
            return Result(host=task.host, result={"diff": "", "committed_at": None}, changed=False)
        if platform == "bird2" and revert_in:
            drv.discard_config()
            _bird_commit_confirmed(drv, config, mode, revert_in, task.host.name)
        else:
            drv.commit_config(
                message=message, revert_in=revert_in if platform in COMMIT_CONFIRM_PLATFORMS else None
            )
    elif platform in NETMIKO_PLATFORMS:
        conn = _netmiko(task)
        lines = _ios_remediation(_ios_running(conn), config, mode)
        diff = "\n".join(lines)
        if not lines:
            return Result(host=task.host, result={"diff": "", "committed_at": None}, changed=False)
        _send_ios(conn, lines, task.host.name)
    else:
        raise ValueError(f"{task.host.name}: unsupported platform {platform}")
    now = dt.datetime.now(dt.UTC).isoformat()
    return Result(host=task.host, result={"diff": diff, "committed_at": now}, changed=True, diff=diff)


def _bird_transport(drv: Any) -> Any:
    if drv.transport is None:
        drv.open()
    return drv.transport


def _bird_commit_confirmed(drv: Any, config: str, mode: str, revert_in: int, name: str) -> None:
    """BIRD's own commit-confirm (see :mod:`netprov.pipeline.bird_commit`)."""
    previous = str(drv.get_bird_running_config())
    new = config if mode == "replace" or not previous else previous.rstrip() + "\n" + config.lstrip()
    bird_commit.commit_confirmed(
        _bird_transport(drv), drv.bird_config_path, previous, new, revert_in, name
    )


def _send_ios(conn: Any, lines: list[str], name: str) -> None:
    output = conn.send_config_set(lines, exit_config_mode=False, cmd_verify=False)
    bad = [ln for ln in str(output).splitlines() if ln.strip().startswith(IOS_ERRORS)]
    if bad:
        raise RuntimeError(f"{name} refused the config: {bad[0].strip()}")
    conn.send_command_timing("end")


def confirm(task: Task) -> Result:
    """Confirm a pending commit (the device stops counting down to its own revert).

    Run it only on devices this run committed to: a BIRD with nothing pending means its timer
    already undid the change, and that is an error.
    """
    if task.is_dry_run() or task.host.platform not in COMMIT_CONFIRM_PLATFORMS:
        return Result(host=task.host, result="nothing to confirm", changed=False)
    drv = _napalm(task)
    if task.host.platform == "bird2":
        bird_commit.confirm(_bird_transport(drv), task.host.name)
        return Result(host=task.host, result="confirmed", changed=True)
    if drv.has_pending_commit():
        drv.confirm_commit()
        return Result(host=task.host, result="confirmed", changed=True)
    return Result(host=task.host, result="no pending commit", changed=False)


def restore(task: Task, snapshot: str) -> Result:
    """Return the device to ``snapshot`` and prove it: a compare against it shows no difference."""
    platform = task.host.platform
    if task.is_dry_run():
        return Result(host=task.host, result="dry run", changed=False)
    if platform in NAPALM_PLATFORMS:
        drv = _napalm(task)
        # BIRD: the plain ``configure`` of the commit below also cancels a pending undo.
        if platform == "frr" and drv.has_pending_commit():
            drv.rollback()  # back to the pre-commit config; stops the router's own revert timer
        drv.load_replace_candidate(config=snapshot)
        diff = drv.compare_config() or ""
        if diff.strip():
            drv.commit_config(message="netprov rollback")
        else:
            drv.discard_config()
        drv.load_replace_candidate(config=snapshot)
        left = drv.compare_config() or ""
        drv.discard_config()
    elif platform in NETMIKO_PLATFORMS:
        conn = _netmiko(task)
        lines = _ios_remediation(_ios_running(conn), snapshot, "replace")
        if lines:
            _send_ios(conn, lines, task.host.name)
        left = "\n".join(_ios_remediation(_ios_running(conn), snapshot, "replace"))
    else:
        raise ValueError(f"{task.host.name}: unsupported platform {platform}")
    if left.strip():
        raise RuntimeError(f"{task.host.name} did not return to its saved config:\n{left[:2000]}")
    return Result(host=task.host, result="restored", changed=True)


def wait_until(check: Any, timeout: float, interval: float = 2.0) -> tuple[bool, str]:
    """Call ``check() -> (ok, detail)`` until ok or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    ok, detail = check()
    while not ok and time.monotonic() < deadline:
        time.sleep(interval)
        ok, detail = check()
    return ok, detail
