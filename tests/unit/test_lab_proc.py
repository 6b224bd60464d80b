"""One definition of a live process for every lab part."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from netprov_lab.proc import cmdline, pid_alive, pid_running, proc_state, read_pid


def test_read_pid(tmp_path: Path) -> None:
    f = tmp_path / "x.pid"
    assert read_pid(f) is None
    f.write_text("1234\n")
    assert read_pid(f) == 1234
    f.write_text("  77 extra words\n")
    assert read_pid(f) == 77
    f.write_text("")
    assert read_pid(f) is None
    f.write_text("abc")
    assert read_pid(f) is None


def test_this_process_is_alive_and_named() -> None:
    me = os.getpid()
    assert pid_alive(me)
    assert proc_state(me) in ("R", "S")
    assert "python" in cmdline(me)
    assert pid_running(me, "python")
    assert not pid_running(me, "no-such-marker-xyz")
    assert not pid_running(None, "python")


def test_exited_and_impossible_pids_are_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not pid_alive(child.pid)
    assert cmdline(child.pid) == ""
    assert not pid_alive(0) and not pid_alive(-5)


def test_a_zombie_counts_as_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    for _ in range(200):  # exited but not yet reaped: a zombie
        if proc_state(child.pid) == "Z":
            break
        time.sleep(0.01)
    assert proc_state(child.pid) == "Z"
    assert not pid_alive(child.pid)
    child.wait()
