"""NAPALM's and Netmiko's exceptions mapped to netprov's, at the platform seam."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from napalm.base import exceptions as nx

from netprov.errors import (
    CommitRefused,
    DeviceError,
    DeviceUnreachable,
    NetprovError,
    UnsupportedOperation,
)

_COMMIT = (
    nx.MergeConfigException,
    nx.ReplaceConfigException,
    nx.CommitError,
    nx.CommitConfirmException,
    nx.LockError,
    nx.SessionLockedException,
)
_UNREACHABLE: tuple[type[BaseException], ...] = (
    nx.ConnectionException,
    nx.ConnectTimeoutError,
    nx.ConnectAuthError,
    socket.timeout,
    EOFError,
    OSError,  # socket and SSH errors (connection refused, reset, no route)
)


def _netmiko_unreachable() -> tuple[type[BaseException], ...]:
    try:
        from netmiko import exceptions as mx
        from paramiko import SSHException
    except ImportError:  # pragma: no cover - netmiko is a dependency
        return ()
    return (mx.NetmikoTimeoutException, mx.NetmikoAuthenticationException, mx.ReadTimeout, SSHException)


@contextmanager
def device_errors(device: str, what: str) -> Iterator[None]:
    """Turn driver exceptions raised inside the block into netprov device errors.

    ``what`` is the operation (``"connect"``, ``"push"`` ...), used in the message.
    netprov's own errors pass through unchanged.
    """
    try:
        yield
    except NetprovError:
        raise
    except _COMMIT as exc:
        raise CommitRefused(f"{device} refused the config: {_short(exc)}") from exc
    except (*_UNREACHABLE, *_netmiko_unreachable()) as exc:
        raise DeviceUnreachable(f"{device}: cannot {what}: {_short(exc)}") from exc
    except NotImplementedError as exc:
        raise UnsupportedOperation(f"{device}: the driver cannot {what}: {_short(exc)}") from exc
    except nx.NapalmException as exc:
        raise DeviceError(f"{device}: {what} failed: {_short(exc)}") from exc


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300] if "\n" in text else text[:300]
