"""A pynetbox API object that counts its HTTP calls and keeps connections alive.

The only place a pynetbox client is built. Errors from NetBox become :class:`NetBoxError`
with the URL path and NetBox's own message; the token never appears in them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pynetbox
import requests
from pynetbox.core.query import AllocationError, ContentError, RequestError
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from netprov.errors import ConfigError, NetBoxError
from netprov.settings import Settings

T = TypeVar("T")


class CallCounter:
    """Thread-safe count of HTTP responses seen by one session."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            self.count += 1


class _TimeoutSession(requests.Session):
    """A session with a default timeout on every request."""

    def __init__(self, timeout: float | tuple[float, float]) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)


Timeout = float | tuple[float, float]

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0


def timeouts(settings: Settings | None = None) -> tuple[float, float]:
    """(connect, read) seconds: ``NETPROV_NETBOX_CONNECT_TIMEOUT`` and ``NETPROV_NETBOX_TIMEOUT``."""
    if settings is None:
        from netprov.settings import get_settings

        try:
            settings = get_settings()
        except ConfigError:
            return DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT
    return settings.netbox_connect_timeout, settings.netbox_timeout


def connect(url: str, token: str, timeout: Timeout | None = None) -> tuple[Any, CallCounter]:
    """A pynetbox API with call counting, pooled keep-alive connections and GET retries.

    ``timeout`` is (connect, read) seconds, from settings when not given. A refused or timed-out
    connection is retried twice (quickly); a read that timed out is not retried: a NetBox that
    accepts connections and never answers fails after one read timeout, not several.
    """
    api = pynetbox.api(url, token=token)
    session = _TimeoutSession(timeout if timeout is not None else timeouts())
    retry = Retry(
        total=3,
        connect=2,
        read=0,
        backoff_factor=0.2,
        allowed_methods=frozenset({"GET", "HEAD", "OPTIONS"}),
        status_forcelist=(502, 503, 504),
    )
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    counter = CallCounter()
    session.hooks["response"].append(counter.hook)
    api.http_session = session
    return api, counter


def credentials(settings: Settings) -> tuple[str, str]:
    """NetBox URL and token from settings, or ConfigError naming the settings."""
    url = settings.netbox_url
    token = settings.netbox_token.get_secret_value() if settings.netbox_token else None
    if not url:
        raise ConfigError(
            "NetBox is not configured: set NETPROV_NETBOX_URL (and NETPROV_NETBOX_TOKEN or "
            "NETPROV_NETBOX_TOKEN_FILE), or start the lab with `netprov lab up netbox`"
        )
    if not token:
        raise ConfigError(f"no NetBox token for {url}: set NETPROV_NETBOX_TOKEN or NETPROV_NETBOX_TOKEN_FILE")
    return url.rstrip("/"), token


def describe(exc: BaseException) -> str:
    """A short, secret-free description of a pynetbox/requests error."""
    if isinstance(exc, RequestError | AllocationError | ContentError):
        req = getattr(exc, "req", None)
        status = getattr(req, "status_code", "?")
        path = _path(getattr(req, "url", ""))
        detail = getattr(exc, "error", "") or str(exc)
        return f"HTTP {status} on {path}: {str(detail)[:300]}"
    if isinstance(exc, requests.RequestException):
        return _network_reason(exc)
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _network_reason(exc: requests.RequestException) -> str:
    """Timed out (connecting, or waiting for an answer), refused, or a name that does not resolve.

    requests reports a read timeout after urllib3's retries as a ConnectionError wrapping a
    MaxRetryError: the true reason is that error's ``reason``.
    """
    reason: BaseException = exc
    for arg in exc.args:
        if isinstance(arg, MaxRetryError) and arg.reason is not None:
            reason = arg.reason
    host = _host(getattr(exc.request, "url", "") if exc.request is not None else "")
    text = str(reason)
    if isinstance(reason, ReadTimeoutError | requests.ReadTimeout):
        return (
            f"timed out: {host} accepted the connection but did not answer in time (NETPROV_NETBOX_TIMEOUT)"
        )
    if isinstance(reason, NameResolutionError) or "Name or service not known" in text or "resolve" in text:
        return f"cannot resolve the host name of {host}"
    if "refused" in text.lower():
        return f"connection refused by {host} (is NetBox running?)"
    if isinstance(reason, NewConnectionError):  # a ConnectTimeoutError subclass in urllib3, not one
        return f"cannot connect to {host}: {text.rsplit(':', 1)[-1].strip()[:120]}"
    if isinstance(reason, ConnectTimeoutError | requests.ConnectTimeout) or "timed out" in text:
        return f"timed out connecting to {host} (NETPROV_NETBOX_CONNECT_TIMEOUT)"
    if isinstance(exc, requests.ConnectionError):
        return f"cannot connect to {host}: the connection failed or was closed"
    return f"{type(exc).__name__} talking to {host}"


def _host(url: str) -> str:
    """``host:port`` of a URL (never its path, query or credentials)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.netloc.rsplit("@", 1)[-1] or "NetBox"


def _path(url: str) -> str:
    idx = url.find("/api/")
    return url[idx:].split("?")[0] if idx >= 0 else url


@contextmanager
def netbox_errors(what: str) -> Iterator[None]:
    """Turn pynetbox/requests failures into NetBoxError naming what was being done.

    AllocationError (HTTP 409, a full pool) is re-raised unchanged: callers turn it into
    NotFeasibleError naming the pool.
    """
    try:
        yield
    except AllocationError:
        raise
    except (RequestError, ContentError, requests.RequestException) as exc:
        raise NetBoxError(f"NetBox: {what}: {describe(exc)}") from exc


def call(what: str, fn: Callable[[], T]) -> T:
    with netbox_errors(what):
        return fn()
