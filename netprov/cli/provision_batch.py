"""``netprov provision ID ID ...`` and ``netprov provision --ready``: many requests at once.

Every id is checked first (well-formed, known, at step 7 with a complete form or provisioned
already, the actor may provision it, no other run holds it, no interrupted run unless
``--resume``); if any is not, the whole batch is refused naming each such id, and nothing is
touched. Then each request runs as its own saga (:mod:`netprov.pipeline.batch`), at most
``batch_workers`` at once, each with its own run log; the display is one line per request, then a
table (state, seconds per stage, error). Exit 0: every request provisioned (or already was); 1:
any failed (it was rolled back alone).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from netprov.cli.common import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, Invocation, console, err_console, print_json
from netprov.errors import InputError, NetprovError

if TYPE_CHECKING:
    from netprov.app import App
    from netprov.cli.batch_board import BatchBoard, Report
    from netprov.pipeline.batch import BatchEntry, Checkpoint, Runner
    from netprov.pipeline.provision import DryRunResult

# stage → short column label in the table
_SHORT = {"monitor-register": "mon-reg", "record-netbox": "rec-nb", "allocate": "alloc"}


def _silent(stage: str, device: str, message: str) -> None:
    return None


def batch_ids(root: App, ids: list[str], ready: bool, actor: str | None) -> list[str]:
    """The batch's request ids: the ones given (checked well-formed, each once), or with
    ``ready`` every request at step 7 with a complete form that ``actor`` may provision."""
    from netprov.pipeline.batch import ready_ids, unique
    from netprov.sop.intake import check_request_id

    if ready:
        if actor is None:
            raise NetprovError("--ready: who is acting? give --as USER or set NETPROV_USER")
        mine, others = ready_ids(root.service, actor)
        if others:
            err_console.print(
                f"[dim]--ready: skipping {len(others)} ready request(s) {actor} may not provision: "
                f"{', '.join(others)}[/dim]",
                highlight=False,
            )
        return mine
    problems = []
    for rid in unique(ids):
        try:
            check_request_id(rid, root.settings.id_prefix)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems, source="request ids")
    return unique(ids)


def run_batch(
    inv: Invocation,
    ids: list[str],
    *,
    ready: bool,
    manual: bool = False,
    dry_run: bool = False,
    resume: bool = False,
    json_out: bool = False,
) -> None:
    """The batch command: several ids, or ``--ready`` (ends with ``typer.Exit``)."""
    from netprov.app import App
    from netprov.pipeline.batch import BatchRefused, preflight

    if ready and ids:
        raise InputError(["--ready: give request ids or --ready, not both"], source="options")
    if not ready and not ids:
        raise typer.BadParameter("give a request id (several: one batch) or --ready", param_hint="ID")
    if manual:
        raise InputError(["--manual: records one request at a time"], source="options")
    root = App(inv.settings)
    actor = None if dry_run else inv.require_actor()
    ids = batch_ids(root, ids, ready, actor or inv.actor or inv.settings.user)
    if not ids:
        if json_out:
            print_json({"requests": [], "provisioned": 0, "failed": 0})
        else:
            console.print("no request is at step 7 with a complete form; nothing to do")
        raise typer.Exit(EXIT_OK)
    problems = preflight(root.service, ids, actor or "", resume=resume, check_actor=not dry_run)
    if problems:
        raise BatchRefused(problems)
    try:
        if dry_run:
            _dry_runs(root, ids, json_out)
        _real_runs(root, ids, actor or "", resume=resume, json_out=json_out, quiet=json_out or inv.quiet)
    finally:
        root.close()


# --- dry runs ---------------------------------------------------------------------------------------
def _dry_runs(root: App, ids: list[str], json_out: bool) -> None:
    from netprov.cli.provision import print_dry_run

    base = root.provisioner(progress=_silent)
    with ThreadPoolExecutor(max_workers=root.settings.batch_workers) as pool:
        futures = [pool.submit(base.dry_run, rid) for rid in ids]
        results: list[DryRunResult] = [f.result() for f in futures]
    if json_out:
        print_json({"requests": [_dry_json(r) for r in results]})
    else:
        for r in results:
            print_dry_run(r, json_out=False)
    raise typer.Exit(EXIT_CHANGES if any(r.changes_pending for r in results) else EXIT_OK)


def _dry_json(result: DryRunResult) -> dict[str, Any]:
    return {
        "request_id": result.request_id,
        "allocated": result.allocated,
        "allocation": result.allocation.model_dump(mode="json"),
        "changes_pending": result.changes_pending,
        "devices": [d.__dict__ for d in result.diffs],
    }


# --- the real runs ----------------------------------------------------------------------------------
def _real_runs(root: App, ids: list[str], actor: str, *, resume: bool, json_out: bool, quiet: bool) -> None:
    from netprov.cli.provision import RunLog, runner
    from netprov.pipeline.batch import Batch
    from netprov.pipeline.link_stages import STAGES

    temporal = bool(root.settings.temporal_address)  # the workers reach NetBox; this machine need not
    base = None if temporal else root.provisioner(progress=_silent)
    if base is not None:
        base.for_request(_silent)  # the shared parts now: monitoring not configured fails before any run
    calls0 = None if temporal else _calls(root)
    t0 = time.monotonic()
    with ExitStack() as stack:
        logs = {rid: RunLog(root.settings, rid) for rid in ids}
        for rid, log in logs.items():
            stack.callback(log.close)
            log.write(f"provision {rid} by {actor}{' --resume' if resume else ''} (batch of {len(ids)})")
        if not quiet:
            console.print(f"[dim]logs: {root.settings.data_dir / 'logs'}[/dim]", highlight=False)
        board = stack.enter_context(_board(quiet, ids, STAGES))

        def runner_for(rid: str, checkpoint: Checkpoint) -> Runner:
            report = _reporter(rid, logs[rid], board, quiet, t0)
            if base is None:  # workflows: submitted at once, followed here, run by the workers
                return runner(root, report, checkpoint)
            return base.for_request(report, fault=checkpoint)

        def changed(entry: BatchEntry) -> None:
            if entry.status not in ("waiting", "running"):
                logs[entry.request_id].write(f"finished: {entry.status} {entry.error}".strip())
            if board is not None:
                board.update(entry)

        workers = min(64, len(ids)) if temporal else root.settings.batch_workers
        gathered = None if base is None else base.batch_netbox
        batch = Batch(
            runner_for, workers=workers, on_change=changed, gathers=gathered.group if gathered else None
        )
        try:
            entries: list[BatchEntry] | None = batch.run(ids, actor, resume=resume)
        except KeyboardInterrupt:
            if not temporal:
                raise
            entries = None  # the workflows go on; the board and the logs are closed first
    if entries is None:
        from netprov.cli.provision import detached
        from netprov.engine import Detached

        detached(Detached(ids))
    wall = round(time.monotonic() - t0, 2)
    calls1 = None if temporal else _calls(root)
    calls = calls1 - calls0 if calls0 is not None and calls1 is not None else None
    _print_result(entries, wall, calls, json_out)
    failed = [e.request_id for e in entries if not e.ok]
    if failed:
        if not json_out:
            err_console.print(
                f"[red]error:[/red] {len(failed)} of {len(entries)} requests failed and were rolled "
                f"back alone: {', '.join(failed)}",
                highlight=False,
                soft_wrap=True,
            )
        raise typer.Exit(EXIT_ERROR)
    raise typer.Exit(EXIT_OK)


def _calls(root: App) -> int | None:
    """NetBox calls so far on the app's NetBox session (IPAM and, in a batch, device locks)."""
    calls = getattr(root.ipam, "api_calls", None)
    return int(calls) if isinstance(calls, int) else None


@contextmanager
def _board(quiet: bool, ids: list[str], stages: list[str]) -> Iterator[BatchBoard | None]:
    from netprov.cli.stage_board import live_wanted

    if not live_wanted(console, quiet):
        yield None
        return
    from netprov.cli.batch_board import BatchBoard

    with BatchBoard(console, ids, stages) as board:
        yield board


def _reporter(rid: str, log: Any, board: BatchBoard | None, quiet: bool, t0: float) -> Report:
    from netprov.cli.batch_board import plain_reporter

    show = board.reporter(rid) if board is not None else None if quiet else plain_reporter(console, rid, t0)

    def report(stage: str, device: str, message: str) -> None:
        log.write(f"{stage}{' ' + device if device else ''}: {message}")
        if show is not None:
            show(stage, device, message)

    return report


def _print_result(entries: list[BatchEntry], wall: float, calls: int | None, json_out: bool) -> None:
    ok = sum(1 for e in entries if e.ok)
    if json_out:
        print_json(
            {
                "requests": [e.as_json() for e in entries],
                "provisioned": ok,
                "failed": len(entries) - ok,
                "wall_seconds": wall,
                "netbox_calls": calls,
            }
        )
        return
    console.print(batch_table(entries))
    per = f"; NetBox calls: {calls} ({calls / len(entries):.1f} per request)" if calls is not None else ""
    console.print(f"{ok} of {len(entries)} provisioned in {wall:.1f}s wall{per}", highlight=False)


def batch_table(entries: list[BatchEntry]) -> Any:
    """The result table: one row per request (state, total seconds, seconds per stage, error)."""
    from rich.table import Table

    from netprov.pipeline.link_stages import STAGES

    table = Table(title="provision batch", show_lines=False)
    table.add_column("request", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("s", justify="right")
    table.add_column("seconds per stage")
    table.add_column("error", overflow="fold")
    for e in entries:
        style = "green" if e.ok else "red"
        stages = " ".join(f"{_SHORT.get(s, s)}:{e.seconds[s]:.1f}" for s in STAGES if s in e.seconds)
        table.add_row(
            escape(e.request_id),
            f"[{style}]{escape(e.status)}[/{style}]",
            f"{e.wall_seconds:.1f}",
            escape(stages),
            escape(e.error),
        )
    return table
