"""Process facts from /proc and pid files, shared by every lab part (one definition of "alive")."""

from __future__ import annotations

import os
from pathlib import Path


def read_pid(pidfile: Path) -> int | None:
    """The pid written first in ``pidfile``, or None (missing file, no number)."""
    try:
        words = pidfile.read_text(encoding="ascii", errors="replace").split()
    except OSError:
        return None
    return int(words[0]) if words and words[0].isdigit() else None


def cmdline(pid: int) -> str:
    """The command line of ``pid`` with spaces for NULs ('' if gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()


def proc_state(pid: int) -> str:
    """The one-letter state from /proc/PID/stat ('R', 'S', 'Z', ...), '' if unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return fields.rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a zombie has already exited)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return proc_state(pid) != "Z"


def pid_running(pid: int | None, marker: str) -> bool:
    """True if ``pid`` is alive and its command line contains ``marker`` (not a reused pid)."""
    return pid is not None and pid_alive(pid) and marker in cmdline(pid)
