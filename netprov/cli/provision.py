"""``netprov provision``: SOP step 7, by the pipeline (or recorded as done by hand)."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn

import typer
from rich.markup import escape

from netprov.cli.common import EXIT_CHANGES, EXIT_OK, console, err_console, invocation, print_json
from netprov.cli.stage_board import StageBoard, live_wanted
from netprov.errors import InputError

if TYPE_CHECKING:
    from netprov.app import App
    from netprov.engine import Detached
    from netprov.pipeline.batch import Runner, RunResultLike
    from netprov.pipeline.provision import DryRunResult, Progress, Provisioner
    from netprov.settings import Settings

_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")


class RunLog:
    """The log file of one provisioning run: ``<data dir>/logs/<request id>-<UTC time>.log``.

    Every line is masked (``netprov.documents.masking``, and the configured secret values
    themselves) before it is written.
    """

    def __init__(self, settings: Settings, request_id: str) -> None:
        if not _SAFE_ID.fullmatch(request_id):
            raise InputError(["request id: not a request id (letters, digits and '-')"])
        logs = settings.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        self.path = logs / f"{request_id}-{stamp}.log"
        self._secrets = [
            s.get_secret_value()
            for s in (settings.netbox_token, settings.zabbix_token, settings.device_password)
            if s is not None and s.get_secret_value()
        ]
        self._file: IO[str] = self.path.open("x", encoding="utf-8")

    def write(self, line: str) -> None:
        from netprov.documents.masking import MASK, mask_line

        for secret in self._secrets:
            line = line.replace(secret, MASK)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self._file.write(f"{stamp} {mask_line(line)}\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def _progress(log: RunLog | None = None, quiet: bool = False, board: StageBoard | None = None) -> Progress:
    """The pipeline's callback: to the run log, and to the board or as plain timestamped lines."""
    t0 = time.monotonic()

    def report(stage: str, device: str, message: str) -> None:
        where = f" {device}" if device else ""
        if log is not None:
            log.write(f"{stage}{where}: {message}")
        if quiet:
            return
        if board is not None:
            board.report(stage, device, message)
            return
        console.print(
            f"[dim]{time.monotonic() - t0:6.1f}s[/dim] [bold]{stage}[/bold]{where}: {escape(message)}",
            highlight=False,
        )

    return report


def make_provisioner(app: App, progress: Progress | None = None) -> Provisioner:
    """The app's provisioner, printing its progress unless told otherwise."""
    return app.provisioner(progress=progress or _progress())


def _silent(stage: str, device: str, message: str) -> None:
    return None


def runner(root: App, progress: Progress, checkpoint: Callable[[str], None] | None = None) -> Runner:
    """Step 7's runner: Temporal workflows when ``NETPROV_TEMPORAL_ADDRESS`` is set, else in-process."""
    if root.settings.temporal_address:
        from netprov.engine.client import TemporalRunner

        return TemporalRunner(root.settings, root.service, progress, checkpoint)
    return root.provisioner(progress=progress, fault=checkpoint)


def detached(exc: Detached) -> NoReturn:
    """Ctrl-C while following workflows: they go on; say how to follow them (exit 130).

    The process ends here, without the interpreter's shutdown: after an interrupted client
    call the Temporal SDK's bridge threads can hang it (temporalio/sdk-python#300; seen here
    as a ``provision`` that never exits). Nothing is lost: the register commits each write,
    the run logs flush each line and are closed by the callers before this.
    """
    err_console.print(f"[yellow]{escape(str(exc))}[/yellow]", highlight=False, soft_wrap=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)


def register(app: typer.Typer) -> None:
    """Add the top-level ``provision`` command to the root app."""

    @app.command("provision")
    def provision(
        ctx: typer.Context,
        request_ids: list[str] = typer.Argument(
            None, metavar="ID", help="Request ids (several: one batch).", show_default=False
        ),
        ready: bool = typer.Option(
            False, "--ready", help="Every request at step 7 with a complete form that you may provision."
        ),
        dry_run: bool = typer.Option(
            False,
            "--dry-run",
            help="Show allocations and config diffs; change nothing (exit 3: changes pending).",
        ),
        resume: bool = typer.Option(False, "--resume", help="Roll back an interrupted run, then run again."),
        manual: bool = typer.Option(False, "--manual", help="Record step 7 done by hand."),
        evidence: Path | None = typer.Option(None, "--evidence", help="With --manual: the proof (file)."),
        note: str = typer.Option("", "--note"),
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Step 7 (staff): build the connection, assign addresses, register monitoring.

        Several ids (or --ready): one batch, each request its own all-or-nothing run, checked
        all first (one not ready: the whole batch is refused, nothing touched).
        """
        from netprov.app import App
        from netprov.sop.intake import check_request_id

        inv = invocation(ctx)
        ids = list(request_ids or [])
        if ready or len(ids) != 1:
            from netprov.cli.provision_batch import run_batch

            run_batch(inv, ids, ready=ready, manual=manual, dry_run=dry_run, resume=resume, json_out=json_out)
            return
        request_id = ids[0]
        check_request_id(request_id, inv.settings.id_prefix)  # before any use, in every mode
        root = App(inv.settings)
        if manual:
            if evidence is None:
                raise InputError(["--evidence: manual provisioning needs an evidence file"])
            record = root.service.provision_manual(request_id, inv.require_actor(), evidence, note)
            if json_out:
                print_json(record.detail_json())
            else:
                console.print(f"{record.id}: step 7 recorded (manual) → {record.state.value}")
            return
        if dry_run:
            quiet = json_out or inv.quiet
            with _board(quiet, request_id, stages=()) as board:
                progress = _silent if quiet else _progress(board=board)
                result = make_provisioner(root, progress).dry_run(request_id)
            print_dry_run(result, json_out)
            raise typer.Exit(EXIT_CHANGES if result.changes_pending else EXIT_OK)
        outcome = _logged_run(root, request_id, inv.require_actor(), resume, quiet=json_out or inv.quiet)
        if json_out:
            print_json(
                {
                    "request_id": request_id,
                    "status": outcome.status,
                    "run_id": outcome.run_id,
                    "seconds": outcome.seconds,
                    **outcome.outputs,
                }
            )
            return
        if outcome.status == "already-provisioned":
            console.print(f"{request_id}: already provisioned; nothing to do")
            return
        total = sum(outcome.seconds.values())
        console.print(
            f"[green]{request_id}: provisioned[/green] in {total:.1f}s (run {outcome.run_id}) → provisioned"
        )


def _logged_run(root: App, request_id: str, actor: str, resume: bool, quiet: bool) -> RunResultLike:
    """``Provisioner.run`` with its progress (and its end) in a per-run log file."""
    root.service.get(request_id)  # an unknown request: refused before any file is written
    log = RunLog(root.settings, request_id)
    if not quiet:
        console.print(f"[dim]log: {log.path}[/dim]", highlight=False)
    log.write(f"provision {request_id} by {actor}{' --resume' if resume else ''}")
    from netprov.engine import Detached
    from netprov.pipeline.link_stages import STAGES

    try:
        with _board(quiet, request_id, STAGES) as board:
            outcome = runner(root, _progress(log, quiet, board)).run(request_id, actor, resume=resume)
        log.write(f"finished: {outcome.status} (run {outcome.run_id})")
        return outcome
    except Detached as exc:  # Ctrl-C while following workflows: they go on
        log.write(f"detached: {exc}")
        log.close()
        detached(exc)
    except BaseException as exc:
        log.write(f"failed: {type(exc).__name__}: {exc}")
        raise
    finally:
        log.close()


@contextmanager
def _board(quiet: bool, title: str, stages: Iterable[str]) -> Iterator[StageBoard | None]:
    """A live stage board on a terminal (not --quiet); None: plain lines (CI logs, pipes)."""
    if not live_wanted(console, quiet):
        yield None
        return
    with StageBoard(console, stages, title) as board:
        yield board


def print_dry_run(result: DryRunResult, json_out: bool) -> None:
    if json_out:
        print_json(
            {
                "request_id": result.request_id,
                "allocated": result.allocated,
                "allocation": result.allocation.model_dump(mode="json"),
                "changes_pending": result.changes_pending,
                "devices": [d.__dict__ for d in result.diffs],
            }
        )
        return
    a = result.allocation
    how = "reserved" if result.allocated else "would reserve"
    console.print(
        f"[bold]{result.request_id}[/bold] allocation ({how}): LAN {a.lan_prefix} gw {a.lan_gateway}, "
        f"transfer {a.transfer_prefix}, VLAN {a.vlan_id}, "
        f"{a.dist_device}:{a.dist_interface} ↔ {a.cpe_device}:{a.cpe_interface}",
        highlight=False,
    )
    for d in result.diffs:
        console.rule(f"{d.device} ({d.platform}, {d.role}, {d.mode})")
        console.print(escape(d.diff) if d.diff.strip() else "[dim]no change[/dim]", highlight=False)
