"""A private fake-switches device for validating IOS access-switch configs through Netmiko.

``templates check`` starts its OWN fake-switches process (one ``cisco_generic`` switch on
127.0.0.1:2391 by default), separate from the device lab's switches, using the device lab's
venv and launcher (:mod:`netprov_lab.devices_fs`), and stops it by its pid afterwards.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from netprov.errors import ValidationFailed
from netprov.settings import Settings
from netprov_lab.devices_fs import SCRIPT, fake_switches_python
from netprov_lab.devices_sys import kill_pids

DEFAULT_PORT = 2391
SWITCH_NAME = "sw-validate"
USER = "admin"
ERROR_MARKERS = (
    "% Invalid",
    "% Incomplete",
    "% Ambiguous",
    "% Unknown",
    "No such command",
    "Invalid input",
    "% Error",
)


class SwitchSession:
    """A Netmiko session to a fake-switches device; :meth:`errors_for` sends config lines."""

    def __init__(self, port: int, password: str) -> None:
        from netmiko import ConnectHandler

        self._conn: Any = ConnectHandler(
            device_type="cisco_ios",
            host="127.0.0.1",
            port=port,
            username=USER,
            password=password,
            secret=password,
            fast_cli=False,
            conn_timeout=15,
        )
        self._conn.enable()

    def errors_for(self, lines: list[str]) -> list[str]:
        """Send ``lines`` in config mode; return each line the device rejected."""
        if not lines:
            return []
        out: str = self._conn.send_config_set(
            [ln.strip() for ln in lines], exit_config_mode=False, cmd_verify=True
        )
        errors: list[str] = []
        for ln in out.splitlines():
            if any(mark in ln for mark in ERROR_MARKERS):
                errors.append(ln.strip())
        return errors

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the fake switch may already be gone
            self._conn.disconnect()

    def __enter__(self) -> SwitchSession:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _password_file(work_dir: Path) -> tuple[Path, str]:
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / f"fake-switch-password.{os.getpid()}"
    password = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(password + "\n")
    return path, password


def _claim_port(first: int, lock_dir: Path, tries: int = 9) -> tuple[int, IO[bytes]]:
    """``first`` or the next port that no other check holds (a flock) and nothing listens on.

    Returns the port and the open lock file; the lock lasts until the file is closed.
    """
    lock_dir.mkdir(parents=True, exist_ok=True)
    for port in range(first, first + tries):
        fh = (lock_dir / f"fake-switch-{port}.lock").open("wb")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                fh.close()
                continue
        return port, fh
    raise ValidationFailed(f"no free port for fake-switches in {first}-{first + tries - 1}")


@contextmanager
def validation_switch(settings: Settings, port: int = DEFAULT_PORT) -> Iterator[SwitchSession]:
    """Start a private fake-switches IOS device, yield a session to it, stop it.

    Listens on 127.0.0.1:``port`` (2391), or the next free port when another check holds it.

    Raises:
        ValidationFailed: fake-switches cannot be installed or started.
    """
    port, lock = _claim_port(port, settings.cache_dir / "locks")
    work = settings.lab_dir / "render"
    try:
        py = fake_switches_python(settings.cache_dir)
    except Exception as exc:
        lock.close()
        raise ValidationFailed(f"fake-switches is not available: {exc}") from exc
    pw_file, password = _password_file(work)
    log = work / f"fake-switch.{port}.log"
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [
                str(py),
                str(SCRIPT),
                "--user",
                USER,
                "--password-file",
                str(pw_file),
                "--spec",
                f"cisco_generic:{SWITCH_NAME}:{port}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    try:
        deadline = time.monotonic() + 30
        while "READY" not in log.read_text(encoding="utf-8", errors="replace"):
            if proc.poll() is not None:
                raise ValidationFailed(f"fake-switches exited (rc={proc.returncode}); see {log}")
            if time.monotonic() > deadline:
                raise ValidationFailed(f"fake-switches did not start in 30 s; see {log}")
            time.sleep(0.05)
        with SwitchSession(port, password) as session:
            yield session
    finally:
        kill_pids([proc.pid])
        proc.wait(timeout=10)
        pw_file.unlink(missing_ok=True)
        lock.close()
