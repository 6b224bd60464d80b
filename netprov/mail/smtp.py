"""The SMTP seam: one connection (STARTTLS and login when configured) and the message built
from an outbox row, with its stored papers attached after their SHA-256 is checked.

Errors are :class:`~netprov.errors.MailError` naming the server and the problem, never the
password.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from netprov.errors import MailError
from netprov.settings import Settings
from netprov.store.outbox import OutboxEntry


def _clean(text: str, settings: Settings) -> str:
    """An error text with the password (if any) masked, on one line, capped."""
    secret = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
    if secret:
        text = text.replace(secret, "***")
    return " ".join(text.split())[:300]


def _helo_name(settings: Settings) -> str:
    """The name netprov greets the server with: the sender's domain (no local name lookup)."""
    return settings.mail_sender.rpartition("@")[2] or "localhost"


def attachment_bytes(att: dict[str, object], documents_dir: Path) -> bytes:
    """The stored paper's bytes, refused when missing or changed since it was recorded."""
    path = Path(str(att.get("path", "")))
    if not path.is_file():
        path = documents_dir / str(att.get("name", ""))
    try:
        data = path.read_bytes()
    except OSError:
        raise MailError(f"attachment {att.get('filename')}: the stored file is missing") from None
    if hashlib.sha256(data).hexdigest() != att.get("sha256"):
        raise MailError(f"attachment {att.get('filename')}: the stored file changed since it was recorded")
    return data


def build_message(entry: OutboxEntry, settings: Settings) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_sender
    msg["To"] = entry.address
    msg["Subject"] = entry.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid("netprov", domain=settings.mail_sender.rpartition("@")[2] or None)
    msg["X-Netprov-Request"] = entry.request_id
    msg["X-Netprov-Mail"] = f"{entry.id} {entry.kind}"
    msg.set_content(entry.body)
    for att in entry.attachments:
        data = attachment_bytes(att, settings.documents_dir)
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=str(att["filename"]))
    return msg


class SmtpMailer:
    """``with SmtpMailer(settings) as m: m.send(msg)``: connects on entering."""

    def __init__(self, settings: Settings, timeout: float | None = None) -> None:
        if not settings.smtp_host:
            raise MailError("NETPROV_SMTP_HOST is not set: mail stays queued until it is")
        self.settings = settings
        self.where = f"SMTP server {settings.smtp_host}:{settings.smtp_port}"
        self.timeout = timeout or settings.smtp_timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpMailer:
        s = self.settings
        try:
            smtp = smtplib.SMTP(
                str(s.smtp_host), s.smtp_port, local_hostname=_helo_name(s), timeout=self.timeout
            )
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"{self.where}: cannot connect ({_clean(str(exc), s)})") from None
        try:
            smtp.ehlo()
            if s.smtp_starttls:
                ctx = ssl.create_default_context(cafile=str(s.smtp_ca_file) if s.smtp_ca_file else None)
                smtp.starttls(context=ctx)
                smtp.ehlo()
            if s.smtp_username:
                password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                smtp.login(s.smtp_username, password)
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            smtp.close()
            raise MailError(f"{self.where}: {type(exc).__name__}: {_clean(str(exc), s)}") from None
        self._smtp = smtp
        return self

    def send(self, msg: EmailMessage) -> None:
        if self._smtp is None:
            raise MailError(f"{self.where}: not connected")
        try:
            refused = self._smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(
                f"{self.where}: {type(exc).__name__}: {_clean(str(exc), self.settings)}"
            ) from None
        if refused:
            raise MailError(f"{self.where}: refused the recipient {msg['To']}")

    def __exit__(self, *exc: object) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None


__all__ = ["SmtpMailer", "attachment_bytes", "build_message"]
