"""System plumbing for the device lab: commands, packages, namespaces, processes, ports."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Sequence

from netprov.errors import LabError
from netprov_lab.proc import pid_alive

PACKAGES = (
    "frr",
    "frr-pythontools",
    "bird2",
    "openssh-server",
    "socat",
    "iproute2",
    "iputils-ping",
    "util-linux",
)


def run(
    cmd: Sequence[str], *, check: bool = True, input_text: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure raise LabError naming it (its stderr tail, never secrets)."""
    try:
        proc = subprocess.run(
            list(cmd), capture_output=True, text=True, input=input_text, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"{' '.join(cmd[:4])}: {exc}") from exc
    if check and proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip()[-400:]
        raise LabError(f"{' '.join(cmd)} failed (rc={proc.returncode}): {tail}")
    return proc


def ensure_packages(packages: Iterable[str], progress: object = None) -> list[str]:
    """Install the Debian packages that are missing (``apt-get install`` only when needed)."""
    missing = []
    for pkg in packages:
        proc = run(["dpkg-query", "-W", "-f=${Status}", pkg], check=False)
        if "install ok installed" not in proc.stdout:
            missing.append(pkg)
    if missing:
        if callable(progress):
            progress(f"installing Debian packages: {' '.join(missing)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        proc = subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", *missing],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if proc.returncode != 0:
            raise LabError(f"apt-get install {' '.join(missing)} failed: {proc.stderr[-400:]}")
    return missing


def netns_list() -> list[str]:
    proc = run(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]


def netns_pids(ns: str) -> list[int]:
    proc = run(["ip", "netns", "pids", ns], check=False)
    return [int(p) for p in proc.stdout.split() if p.isdigit()]


def kill_pids(pids: Iterable[int], grace: float = 1.0) -> None:
    """SIGTERM the given processes, then SIGKILL whatever is still alive after ``grace``."""
    alive = [p for p in set(pids) if p > 1 and p != os.getpid()]
    for p in alive:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(p, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if pid_alive(p)]
        if alive:
            time.sleep(0.05)
    for p in alive:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(p, signal.SIGKILL)


def port_listeners(port: int) -> list[int]:
    """PIDs listening on 127.0.0.1:port in the root namespace."""
    proc = run(["ss", "-Hltnp", f"sport = :{port}"], check=False)
    pids: list[int] = []
    for line in proc.stdout.splitlines():
        for part in line.split("pid=")[1:]:
            digits = part.split(",")[0]
            if digits.isdigit():
                pids.append(int(digits))
    return pids


def ssh_banner(port: int, timeout: float = 2.0) -> bool:
    """True when 127.0.0.1:port answers with an SSH banner (through socat, into the netns)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            return s.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def wait_ports(ports: Iterable[int], timeout: float) -> list[int]:
    """Wait until every port answers an SSH banner; return those that did not."""
    pending = list(ports)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        pending = [p for p in pending if not ssh_banner(p, timeout=1.0)]
        if pending:
            time.sleep(0.05)
    return pending


def which(name: str) -> str | None:
    return shutil.which(name)
