"""A real SMTP server for the mail tests (aiosmtpd, in this process, on 127.0.0.1): every mail
it takes is parsed and kept. Ports 19025-19039 belong to these tests."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    """A loopback port nothing listens on now, chosen by the kernel (a fixed range ran out
    when earlier tests' connections still sat in TIME_WAIT on it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class SmtpSink:
    """``with SmtpSink(port) as sink: ...; sink.wait_for(3)`` -> the parsed mails."""

    def __init__(
        self,
        port: int,
        tls_context: ssl.SSLContext | None = None,
        logins: dict[str, str] | None = None,
    ) -> None:
        self.port = port
        self.messages: list[dict[str, Any]] = []
        self.logins_seen: list[str] = []
        self._lock = threading.Lock()
        kw: dict[str, Any] = {}
        if tls_context is not None:
            kw.update(tls_context=tls_context, require_starttls=True)
        if logins is not None:
            kw.update(authenticator=self._auth(logins), auth_required=True, auth_require_tls=True)
        self._ctl = Controller(self, hostname="127.0.0.1", port=port, server_hostname="localhost", **kw)

    def _auth(self, logins: dict[str, str]) -> Any:
        def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and logins.get(data.login.decode()) == data.password.decode()
            if ok:
                self.logins_seen.append(data.login.decode())
            return AuthResult(success=ok, handled=False)

        return check

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "msg": msg})
        return "250 Message accepted for delivery"

    def mails(self) -> list[EmailMessage]:
        with self._lock:
            return [m["msg"] for m in self.messages]

    def wait_for(self, n: int, timeout: float = 10.0) -> list[EmailMessage]:
        end = time.monotonic() + timeout
        while len(self.messages) < n and time.monotonic() < end:
            time.sleep(0.02)
        assert len(self.messages) >= n, f"expected {n} mails, got {len(self.messages)}"
        return self.mails()

    def __enter__(self) -> SmtpSink:
        self._ctl.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._ctl.stop()


def pdf_attachments(msg: EmailMessage) -> dict[str, bytes]:
    """The mail's PDF attachments: file name -> bytes."""
    out = {}
    for part in msg.iter_attachments():
        assert part.get_content_type() == "application/pdf"
        out[str(part.get_filename())] = part.get_content()
    return out


def body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())
