"""fake-switches for the device lab: its own venv (under the cache dir) and one process.

fake-switches 1.5.0 pins Twisted<17, which does not build on Python 3.11+, so it lives in a
venv of its own: ``fake-switches`` installed with ``--no-deps`` plus ``twisted[conch] tftpy
netaddr lxml``. The venv survives ``down`` (it is a cache); creating it takes ~10 s once.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

from netprov.errors import LabError
from netprov_lab.devices_plan import Switch
from netprov_lab.devices_sys import kill_pids, run, which
from netprov_lab.proc import cmdline, pid_alive, read_pid

FAKE_SWITCHES = "fake-switches==1.5.0"
FS_DEPS = ("twisted[conch]", "tftpy", "netaddr", "lxml")
SCRIPT = Path(__file__).resolve().parent / "files" / "fs_lab.py"
SWITCH_USER = "admin"


def venv_dir(cache_dir: Path) -> Path:
    return cache_dir / "venv-fake-switches"


def fake_switches_python(cache_dir: Path) -> Path:
    """The python of the fake-switches venv, created on first use (idempotent)."""
    venv = venv_dir(cache_dir)
    py = venv / "bin" / "python"
    marker = venv / ".netprov-ready"
    if marker.exists() and py.exists():
        return py
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / ".venv-fake-switches.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one creator at a time (lab up, templates check)
        if not (marker.exists() and py.exists()):
            _create_venv(venv, py, marker)
    return py


def _create_venv(venv: Path, py: Path, marker: Path) -> None:
    shutil.rmtree(venv, ignore_errors=True)
    uv = which("uv")
    base = getattr(sys, "_base_executable", sys.executable)
    if uv:
        run([uv, "venv", "-q", "--python", base, str(venv)], timeout=120)
        env_install = [uv, "pip", "install", "-q", "--python", str(py)]
    else:
        run([base, "-m", "venv", str(venv)], timeout=120)
        env_install = [str(py), "-m", "pip", "install", "-q"]
    run([*env_install, "--no-deps", FAKE_SWITCHES], timeout=300)
    run([*env_install, *FS_DEPS], timeout=300)
    run([str(py), "-c", "import fake_switches, twisted.conch"], timeout=60)
    marker.write_text("ok\n", encoding="ascii")


def password_path(lab_dir: Path) -> Path:
    """Where the switches' password lives (may not exist yet)."""
    return lab_dir / "devices" / "switch_password"


def password_file(lab_dir: Path) -> Path:
    """The switches' login (and enable) password, generated once, mode 0600."""
    path = password_path(lab_dir)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_urlsafe(12) + "\n")
    return path


def pid_file(lab_dir: Path) -> Path:
    return lab_dir / "devices" / "fake-switches.pid"


def launch(lab_dir: Path, cache_dir: Path, switches: tuple[Switch, ...]) -> subprocess.Popen[bytes] | None:
    """Start every switch in one process (returns at once; see :func:`wait_ready`)."""
    if not switches:
        return None
    py = fake_switches_python(cache_dir)
    log = lab_dir / "devices" / "fake-switches.log"
    specs = [f"{s.model}:{s.name}:{s.port}" for s in switches]
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [
                str(py),
                str(SCRIPT),
                "--user",
                SWITCH_USER,
                "--password-file",
                str(password_file(lab_dir)),
                "--spec",
                *specs,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    pid_file(lab_dir).write_text(f"{proc.pid}\n", encoding="ascii")
    return proc


def wait_ready(lab_dir: Path, proc: subprocess.Popen[bytes] | None, timeout: float = 30) -> None:
    """Wait until the switches process printed READY; LabError if it died or hung."""
    if proc is None:
        return
    log = lab_dir / "devices" / "fake-switches.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LabError(f"fake-switches exited (rc={proc.returncode}); see {log}")
        if "READY" in log.read_text(encoding="utf-8", errors="replace"):
            return
        time.sleep(0.05)
    raise LabError(f"fake-switches did not start within {timeout:.0f} s; see {log}")


def start(lab_dir: Path, cache_dir: Path, switches: tuple[Switch, ...]) -> int:
    """Start the switches and wait until they listen; return the pid (0 if none)."""
    proc = launch(lab_dir, cache_dir, switches)
    wait_ready(lab_dir, proc)
    return proc.pid if proc else 0


def stop(lab_dir: Path) -> None:
    pid = read_pid(pid_file(lab_dir))
    if pid and pid_alive(pid) and SCRIPT.name in cmdline(pid):
        kill_pids([pid])
    pid_file(lab_dir).unlink(missing_ok=True)
