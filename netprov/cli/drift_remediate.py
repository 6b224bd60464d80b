"""``netprov drift --remediate``: the diff first, then the intended lines pushed back (the saga).

Only staff change devices. Per drifted link: the platform's diff of every device to mend
(:meth:`netprov.pipeline.drift.LinkDrift.restorable`); with ``--dry-run`` that is all.
Otherwise :meth:`netprov.pipeline.provision.Provisioner.remediate` pushes (device locks,
commit-confirm, the link's checks, undo on failure), the link is checked again, and the trail
gets a ``drift`` annotation saying what was pushed and what is left.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from netprov.cli.common import EXIT_ERROR, console, print_json
from netprov.cli.drift import EXIT_DRIFT, annotate, checker, exit_code, print_table
from netprov.documents.masking import mask_secrets
from netprov.domain.sop import Role
from netprov.errors import NetprovError, PermissionDenied

if TYPE_CHECKING:
    from netprov.app import App
    from netprov.pipeline.drift import DriftChecker, LinkDrift
    from netprov.pipeline.link_run import DeviceDiff


def remediate(
    root: App, actor: str, links: list[LinkDrift], dry_run: bool, json_out: bool, quiet: bool
) -> int:
    """Show, then (unless ``dry_run``) mend every drifted link; the exit code of what is left."""
    user = root.service.users.get(actor)
    if user.role is not Role.STAFF and not dry_run:
        raise PermissionDenied(
            f"{actor} may not remediate: device changes are done by staff, not {user.role.value}"
        )
    if not json_out:
        print_table(links)
    chk = checker(root)
    report: list[dict[str, Any]] = []
    after: list[LinkDrift] = []
    for link in links:
        if not link.drifted:
            after.append(link)
            continue
        devices = link.restorable()
        diffs = chk.diffs(link, devices) if devices else []
        entry: dict[str, Any] = {"request_id": link.request_id, "devices": devices, "diffs": _diffs(diffs)}
        report.append(entry)
        if not json_out:
            _print_diffs(link, diffs)
        if dry_run or not devices:
            after.append(link)
            continue
        entry["run_id"], fixed = _push(root, chk, actor, link, devices, diffs, quiet or json_out)
        after.append(fixed)
    if json_out:
        print_json(
            {
                "links": [x.to_json() for x in links],
                "remediation": report,
                "dry_run": dry_run,
                "after": [x.to_json() for x in after],
            }
        )
    elif not dry_run:
        console.rule("after remediation")
        print_table(after)
    return EXIT_DRIFT if dry_run else exit_code(after)


def _push(
    root: App,
    chk: DriftChecker,
    actor: str,
    link: LinkDrift,
    devices: list[str],
    diffs: list[DeviceDiff],
    quiet: bool,
) -> tuple[str, LinkDrift]:
    """Remediate one link through the saga, check it again, record both in its trail."""
    from netprov.cli.provision import _progress, _silent, make_provisioner
    from netprov.pipeline.drift import drivers_talk_to_stderr

    assert link.allocation is not None
    prov = make_provisioner(root, _silent if quiet else _progress())
    try:
        with drivers_talk_to_stderr() if quiet else contextlib.nullcontext():
            result = prov.remediate(link.request_id, actor, link.allocation, devices)
    except NetprovError as exc:
        annotate(
            root.service,
            link.request_id,
            actor,
            f"Perbaikan drift gagal: {exc}"[:2000],  # the error says whether all was rolled back
            {"drift_remediation": {"ok": False, "devices": devices, "error": str(exc)[:500]}},
        )
        raise
    (fixed,) = chk.run([link.request_id])
    annotate(
        root.service,
        link.request_id,
        actor,
        f"Drift diperbaiki pada {', '.join(devices)} (run {result.run_id}); {fixed.note()}"[:2000],
        {
            "drift": fixed.to_json(),
            "drift_remediation": {
                "ok": True,
                "run_id": result.run_id,
                "devices": devices,
                "diffs": _diffs(diffs),
            },
        },
    )
    return result.run_id, fixed


def _diffs(diffs: list[DeviceDiff]) -> dict[str, str]:
    return {d.device: mask_secrets(d.diff) for d in diffs}


def _print_diffs(link: LinkDrift, diffs: list[DeviceDiff]) -> None:
    if not diffs:
        console.print(f"{link.request_id}: only extra lines in merged sections: not removed by a push")
        return
    for d in diffs:
        console.rule(f"{link.request_id} {d.device} ({d.platform}, {d.role}, {d.mode})")
        text = mask_secrets(d.diff)
        console.print(escape(text) if text.strip() else "[dim]no change[/dim]", highlight=False)


__all__ = ["EXIT_ERROR", "remediate"]
