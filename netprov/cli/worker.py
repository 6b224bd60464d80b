"""``netprov worker``: serve step-7 workflows from a Temporal server (``NETPROV_TEMPORAL_ADDRESS``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
from typing import TYPE_CHECKING

import typer

from netprov.cli.common import console, invocation

if TYPE_CHECKING:
    from netprov.pipeline.provision import Progress, Provisioner


def _printer(request_id: str) -> Progress:
    """One line per progress report, tagged with the request and this worker's pid."""
    pid = os.getpid()

    def report(stage: str, device: str, message: str) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S.%f")[:-3]
        where = f" {device}" if device else ""
        print(f"{stamp} [{pid}] {request_id} {stage}{where}: {message}", flush=True)

    return report


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def register(app: typer.Typer) -> None:
    """Add the top-level ``worker`` command."""

    @app.command("worker")
    def worker(
        ctx: typer.Context,
        concurrency: int = typer.Option(
            4, "--concurrency", "-c", min=1, max=64, help="Runs this worker holds at once."
        ),
        fault: str = typer.Option("", "--fault", hidden=True, help="Tests: REQUEST:STAGE fails there."),
    ) -> None:
        """Run step-7 workflows from Temporal (NETPROV_TEMPORAL_ADDRESS) until stopped.

        Start any number, on any machine sharing the register, NetBox and the devices.
        """
        from netprov.app import App
        from netprov.engine.activities import fault_hook
        from netprov.engine.worker import address, serve

        settings = invocation(ctx).settings
        where = address(settings)  # refused before anything is built
        root = App(settings)
        base = root.provisioner(progress=_printer("-"))
        base.for_request(_printer("-"))  # shared parts now: a misconfigured monitor fails here

        def provisioner_for(request_id: str) -> Provisioner:
            return base.for_request(_printer(request_id), fault=fault_hook(fault, request_id))

        def ready(queue: str) -> None:
            console.print(
                f"worker {os.getpid()} on {where} (queue {settings.temporal_task_queue}, own {queue}), "
                f"concurrency {concurrency}",
                highlight=False,
            )

        signal.signal(signal.SIGTERM, _stop)
        try:
            asyncio.run(serve(settings, provisioner_for, concurrency, on_ready=ready))
        except KeyboardInterrupt:
            console.print(f"worker {os.getpid()} stopped")
            sys.exit(0)
        finally:
            root.close()
