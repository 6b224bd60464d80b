"""Process, package and namespace helpers for the monitoring lab (no systemd, pid files only).

Every daemon the monitoring lab starts is recorded in a pid file; stopping reads the pid file,
checks that the process still runs the expected program (a recycled pid is never killed) and
sends TERM, then KILL after a timeout.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from netprov.errors import LabError
from netprov_lab.proc import cmdline, pid_alive, pid_running, read_pid

POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
_CHILDREN: list[subprocess.Popen[bytes]] = []


# --- Debian packages ------------------------------------------------------------------------


def missing_packages(packages: Sequence[str]) -> list[str]:
    """The packages of ``packages`` that dpkg does not report as installed."""
    missing: list[str] = []
    for pkg in packages:
        res = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", pkg],
            capture_output=True,
            text=True,
            check=False,
        )
        if "install ok installed" not in res.stdout:
            missing.append(pkg)
    return missing


def apt_ensure(packages: Sequence[str], log_dir: Path) -> list[str]:
    """Install the missing ones of ``packages`` (no recommends, no service start).

    Daemons are started by the lab itself, so package scripts must not start them on the
    ports the lab uses: a temporary ``policy-rc.d`` (exit 101) is put in place if none exists.

    Returns:
        The packages that were installed (empty when all were present).
    """
    missing = missing_packages(packages)
    if not missing:
        return []
    if shutil.which("apt-get") is None:
        raise LabError(f"packages {', '.join(missing)} are missing and apt-get is not available")
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / "apt.log"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    made_policy = False
    if not POLICY_RC_D.exists():
        POLICY_RC_D.write_text("#!/bin/sh\n# netprov lab: do not start services\nexit 101\n")
        POLICY_RC_D.chmod(0o755)
        made_policy = True
    try:
        with log.open("a") as out:
            lists = list(Path("/var/lib/apt/lists").glob("*_Packages*"))
            if not lists:
                subprocess.run(
                    ["apt-get", "-o", "DPkg::Lock::Timeout=900", "update", "-q"],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                    check=False,
                )
            res = subprocess.run(
                [
                    "apt-get",
                    "-o",
                    "DPkg::Lock::Timeout=900",
                    "install",
                    "-y",
                    "-q",
                    "--no-install-recommends",
                    *missing,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                check=False,
            )
    finally:
        if made_policy:
            POLICY_RC_D.unlink(missing_ok=True)
    if res.returncode != 0:
        raise LabError(f"apt-get install {' '.join(missing)} failed (see {log})")
    return missing


# --- pid files --------------------------------------------------------------------------------


def alive(pidfile: Path, marker: str) -> int | None:
    """The pid from ``pidfile`` if that process runs a command containing ``marker``."""
    pid = read_pid(pidfile)
    return pid if pid_running(pid, marker) else None


def start_background(argv: Sequence[str], pidfile: Path, log: Path, env: dict[str, str] | None = None) -> int:
    """Start ``argv`` detached (own session, stdin /dev/null, output to ``log``); record its pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=env,
        )
    _CHILDREN.append(proc)  # kept referenced: the daemon outlives this call
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    pidfile.write_text(f"{proc.pid}\n")
    return proc.pid


def stop_pidfile(pidfile: Path, marker: str, timeout: float = 30.0) -> bool:
    """TERM the process named by ``pidfile`` (if it still runs ``marker``), then KILL.

    Returns:
        True if a process was stopped.
    """
    pid = alive(pidfile, marker)
    if pid is None:
        pidfile.unlink(missing_ok=True)
        return False
    stop_pid(pid, timeout)
    pidfile.unlink(missing_ok=True)
    return True


def stop_pid(pid: int, timeout: float) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    for _ in range(50):
        if not pid_alive(pid):
            return
        time.sleep(0.1)


def parent_pid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def descendants(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def find_processes(markers: Sequence[str]) -> list[int]:
    """Pids whose command line contains any of ``markers`` (this process excluded)."""
    me = os.getpid()
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        line = cmdline(int(entry.name))
        if line and any(m in line for m in markers):
            found.append(int(entry.name))
    return found


# --- waiting ----------------------------------------------------------------------------------


def wait_for(what: str, check: Callable[[], bool], timeout: float, interval: float = 0.2) -> None:
    """Poll ``check`` until it is true; LabError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() >= deadline:
            raise LabError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def tcp_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True if something accepts TCP connections on ``host:port`` (loopback only)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# --- network namespace -----------------------------------------------------------------------


def netns_exists(name: str) -> bool:
    return Path(f"/run/netns/{name}").exists()


def netns_ensure(name: str) -> bool:
    """Create the namespace (lo up) if missing. Returns True if it was created."""
    created = False
    if not netns_exists(name):
        res = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True, check=False)
        if res.returncode != 0 and not netns_exists(name):
            raise LabError(f"cannot create network namespace {name}: {res.stderr.strip()}")
        created = res.returncode == 0
    subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True, capture_output=True)
    return created


def netns_pids(name: str) -> list[int]:
    if not netns_exists(name):
        return []
    res = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True, check=False)
    return [int(p) for p in res.stdout.split() if p.isdigit()]


def netns_links(name: str) -> list[str]:
    """Interface names inside the namespace (``lo`` included)."""
    if not netns_exists(name):
        return []
    res = subprocess.run(
        ["ip", "-n", name, "-o", "link", "show"], capture_output=True, text=True, check=False
    )
    names: list[str] = []
    for line in res.stdout.splitlines():
        parts = line.split(":", 2)
        if len(parts) >= 2:
            names.append(parts[1].strip().split("@", 1)[0])
    return names


def netns_routes(name: str) -> list[str]:
    """IPv4 routes inside the namespace, one line each (local/loopback table excluded)."""
    if not netns_exists(name):
        return []
    res = subprocess.run(
        ["ip", "-n", name, "-4", "route", "show"], capture_output=True, text=True, check=False
    )
    return [line.strip() for line in res.stdout.splitlines() if line.strip()]


def netns_delete(name: str) -> None:
    if netns_exists(name):
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)


def netns_inode(name: str) -> int | None:
    try:
        return Path(f"/run/netns/{name}").stat().st_ino
    except OSError:
        return None


def pid_netns_inode(pid: int) -> int | None:
    try:
        return Path(f"/proc/{pid}/ns/net").stat().st_ino
    except OSError:
        return None


def forwarder_argv(port: int, netns: str, inner_port: int | None = None) -> list[str]:
    """socat: 127.0.0.1:``port`` in the root namespace to 127.0.0.1:``inner_port`` in ``netns``."""
    inner = inner_port or port
    return [
        "socat",
        f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork",
        f"EXEC:ip netns exec {netns} socat STDIO TCP\\:127.0.0.1\\:{inner}",
    ]


@dataclass(frozen=True)
class DaemonPaths:
    """Where one monitoring daemon family keeps its files: etc, run and log under one root."""

    root: Path

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def log(self) -> Path:
        return self.root / "log"
