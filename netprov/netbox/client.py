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

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)


def connect(url: str, token: str, timeout: float = 60) -> tuple[Any, CallCounter]:
    """A pynetbox API with call counting, pooled keep-alive connections and GET retries."""
    api = pynetbox.api(url, token=token)
    session = _TimeoutSession(timeout)
    retry = Retry(
        total=3,
        connect=3,
        read=2,
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
    if isinstance(exc, requests.ConnectionError):
        return "cannot connect (is NetBox running?)"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    return f"{type(exc).__name__}: {str(exc)[:200]}"


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
