"""How the driver talks to a router: commands over an SSH exec channel (paramiko).

A transport only runs shell commands and returns ``(rc, stdout, stderr)``; the driver never
depends on paramiko directly, so unit tests give it a fake transport with recorded outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import paramiko
from napalm.base.exceptions import (
    CommandTimeoutException,
    ConnectAuthError,
    ConnectionClosedException,
    ConnectionException,
    ConnectTimeoutError,
)


@dataclass(frozen=True)
class Result:
    """What one remote command returned."""

    rc: int
    stdout: str
    stderr: str


class Transport(Protocol):
    def open(self) -> None: ...

    def close(self) -> None: ...

    def is_alive(self) -> bool: ...

    def run(self, command: str, stdin: str | None = None, timeout: float | None = None) -> Result: ...


@dataclass
class SSHOptions:
    """Connection parameters (the password and key passphrase are never logged or shown)."""

    hostname: str
    username: str
    password: str | None = None
    port: int = 22
    key_file: str | None = None
    key_passphrase: str | None = None
    timeout: float = 60.0
    ssh_config_file: str | None = None
    strict_host_keys: bool = False
    known_hosts_file: str | None = None
    allow_agent: bool = False
    look_for_keys: bool = False
    keepalive: int = 30

    def __repr__(self) -> str:  # no secrets in reprs
        return f"SSHOptions({self.username}@{self.hostname}:{self.port})"


class SSHTransport:
    """paramiko SSH client running one exec channel per command."""

    def __init__(self, options: SSHOptions) -> None:
        self.options = options
        self.client: paramiko.SSHClient | None = None

    def _resolved(self) -> tuple[str, int, str, str | None]:
        o = self.options
        host, port, user, key = o.hostname, o.port, o.username, o.key_file
        if o.ssh_config_file:
            cfg = paramiko.SSHConfig.from_path(str(Path(o.ssh_config_file).expanduser()))
            entry = cfg.lookup(o.hostname)
            host = str(entry.get("hostname", host))
            port = int(entry.get("port", port))
            user = str(entry.get("user", user))
            ids = entry.get("identityfile")
            if key is None and ids:
                key = str(ids[0])
        return host, port, user, key

    def open(self) -> None:
        o = self.options
        host, port, user, key = self._resolved()
        client = paramiko.SSHClient()
        if o.known_hosts_file:
            client.load_host_keys(str(Path(o.known_hosts_file).expanduser()))
        else:
            client.load_system_host_keys()
        policy = paramiko.RejectPolicy() if o.strict_host_keys else paramiko.AutoAddPolicy()
        client.set_missing_host_key_policy(policy)
        try:
            client.connect(
                host,
                port=port,
                username=user,
                password=o.password or None,
                key_filename=key,
                passphrase=o.key_passphrase,
                allow_agent=o.allow_agent,
                look_for_keys=o.look_for_keys,
                timeout=o.timeout,
                banner_timeout=o.timeout,
                auth_timeout=o.timeout,
            )
        except paramiko.AuthenticationException as exc:
            raise ConnectAuthError(f"{user}@{host}:{port}: authentication failed") from exc
        except TimeoutError as exc:
            raise ConnectTimeoutError(f"{host}:{port}: connection timed out") from exc
        except (paramiko.SSHException, OSError) as exc:
            raise ConnectionException(f"{host}:{port}: cannot connect: {exc}") from exc
        transport = client.get_transport()
        if transport is not None and o.keepalive:
            transport.set_keepalive(o.keepalive)
        self.client = client

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        self.client = None

    def is_alive(self) -> bool:
        t = self.client.get_transport() if self.client else None
        return bool(t and t.is_active())

    def run(self, command: str, stdin: str | None = None, timeout: float | None = None) -> Result:
        if self.client is None or not self.is_alive():
            raise ConnectionClosedException(f"{self.options.hostname}: connection is not open")
        tmo = timeout or self.options.timeout
        try:
            chan_in, chan_out, chan_err = self.client.exec_command(command, timeout=tmo)
            if stdin is not None:
                chan_in.write(stdin)
                chan_in.flush()
            chan_in.channel.shutdown_write()
            out = chan_out.read().decode("utf-8", "replace")
            err = chan_err.read().decode("utf-8", "replace")
            rc = chan_out.channel.recv_exit_status()
        except TimeoutError as exc:
            raise CommandTimeoutException(f"command timed out after {tmo:.0f} s") from exc
        except paramiko.SSHException as exc:
            raise ConnectionClosedException(f"{self.options.hostname}: {exc}") from exc
        return Result(rc, out, err)
