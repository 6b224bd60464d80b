"""Zabbix backend error paths: clear MonitoringError sentences that never contain the token."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from zabbix_utils.exceptions import APIRequestError

from netprov.errors import MonitoringError
from netprov.monitoring import ZabbixBackend

TOKEN = "f" * 64


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return int(port)


def test_server_down_is_a_clear_error() -> None:
    b = ZabbixBackend(f"http://127.0.0.1:{closed_port()}", TOKEN, timeout=2)
    with pytest.raises(MonitoringError) as err:
        b.find("PJB-2026-0001")
    msg = str(err.value)
    assert "not reachable" in msg and "look up host PJB-2026-0001" in msg
    assert TOKEN not in msg


class _Silent(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # never answers within the client's timeout
        threading.Event().wait(3)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def silent_server() -> Iterator[str]:
    srv = HTTPServer(("127.0.0.1", 0), _Silent)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_timeout_is_a_clear_error(silent_server: str) -> None:
    b = ZabbixBackend(silent_server, TOKEN, timeout=1)
    with pytest.raises(MonitoringError) as err:
        b.find("PJB-2026-0001")
    assert TOKEN not in str(err.value)
    assert "did not answer" in str(err.value) or "not reachable" in str(err.value)


def test_api_error_messages(mocker: object) -> None:
    b = ZabbixBackend("http://127.0.0.1:8081", TOKEN)
    api = mocker.MagicMock()  # type: ignore[attr-defined]
    b._api = api
    api.send_api_request.side_effect = APIRequestError(
        {"code": -32602, "message": "Invalid params.", "data": "Not authorized.", "body": {"auth": TOKEN}}
    )
    with pytest.raises(MonitoringError) as err:
        b.find("PJB-2026-0001")
    assert "refused the API token" in str(err.value)
    assert "NETPROV_ZABBIX_TOKEN" in str(err.value)
    assert TOKEN not in str(err.value)

    api.send_api_request.side_effect = APIRequestError(
        {
            "code": -32602,
            "message": "Invalid params.",
            "data": f'Host with the same name "X" already exists {TOKEN}',
            "body": {},
        }
    )
    with pytest.raises(MonitoringError) as err:
        b.find("PJB-2026-0001")
    assert "already exists" in str(err.value)
    assert TOKEN not in str(err.value)
