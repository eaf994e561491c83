"""SMTP delivery with smtplib: none / STARTTLS / SSL, optional login, one connection per sending pass.

Errors are sorted for the outbox: 4xx answers and connection problems are transient (retry with backoff),
5xx answers are permanent for that recipient (fail over). Building the MIME message lives here too.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import mimetypes
import smtplib
import ssl
from collections.abc import Sequence
from datetime import datetime
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

from core.errors import NotifyError
from core.settings import Settings

logger = logging.getLogger(__name__)

# mimetypes' built-in table lacks some office formats on minimal systems.
_MIME_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
    ".html": "text/html",
    ".htm": "text/html",
    ".csv": "text/csv",
    ".png": "image/png",
    ".txt": "text/plain",
}


class ConnectionFailed(NotifyError):
    """The server could not be reached or dropped the connection: retry everything later."""


class MailTransport(Protocol):
    """A delivery channel. `send` raises NotifyError (permanent=True for a 5xx) or ConnectionFailed."""

    def send(self, message: EmailMessage, sender: str, recipient: str) -> str: ...

    def close(self) -> None: ...


class SmtpTransport:
    """Keeps one SMTP connection open for a sending pass and reconnects after a drop."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "none",
        user: str | None = None,
        password: str | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.user, self.password, self.timeout = user, password, timeout
        self._conn: smtplib.SMTP | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport:
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout_seconds,
        )

    def _connect(self) -> smtplib.SMTP:
        try:
            conn: smtplib.SMTP
            if self.security == "ssl":
                conn = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.security == "starttls":
                    conn.starttls(context=ssl.create_default_context())
            if self.user:
                conn.login(self.user, self.password or "")
            return conn
        except smtplib.SMTPAuthenticationError as exc:
            # A configuration problem affects every mail: keep them all for a later retry.
            raise ConnectionFailed(f"SMTP login refused: {exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except smtplib.SMTPResponseException as exc:  # e.g. 421 in the greeting
            raise ConnectionFailed(
                f"SMTP server refused the connection: {exc.smtp_code} {_text(exc.smtp_error)}"
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionFailed(f"cannot reach SMTP server {self.host}:{self.port}: {exc}") from exc

    def send(self, message: EmailMessage, sender: str, recipient: str) -> str:
        if self._conn is None:
            self._conn = self._connect()
        conn = self._conn
        try:
            # smtplib sends bytes as they are: the lines must already end in CRLF (policy.SMTP).
            conn.sendmail(sender, [recipient], message.as_bytes(policy=email_policy.SMTP))
            return "250 accepted"
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (0, b""))
            if code == 421:
                self._drop()
                raise ConnectionFailed(f"server closing: {code} {_text(text)}") from exc
            raise _coded(code, f"recipient {recipient} refused: {code} {_text(text)}") from exc
        except smtplib.SMTPSenderRefused as exc:
            # About our sender address or session (e.g. 530 STARTTLS/login required), not the recipient: every
            # mail would fail alike, so keep them all for a retry instead of failing over.
            self._drop()
            raise ConnectionFailed(
                f"server refused the sender: {exc.smtp_code} {_text(exc.smtp_error)}"
            ) from exc
        except smtplib.SMTPResponseException as exc:  # data refused, ...
            if exc.smtp_code == 421:
                self._drop()
                raise ConnectionFailed(f"server closing: {exc.smtp_code} {_text(exc.smtp_error)}") from exc
            raise _coded(exc.smtp_code, f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise ConnectionFailed(f"connection lost: {exc}") from exc

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _coded(code: int, message: str) -> NotifyError:
    if 500 <= code < 600:
        return NotifyError(message, permanent=True)
    return NotifyError(message, permanent=False)


TRANSPORTS: dict[str, type[SmtpTransport]] = {"email": SmtpTransport}


def message_id(dedupe_key: str, mail_from: str) -> str:
    """Stable per dedupe key, so a resend after a crash carries the same Message-ID (clients fold them)."""
    domain = mail_from.rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}.yuqing@{domain}>"


def build_message(
    *,
    mail_from: str,
    recipient: str,
    subject: str,
    body_text: str,
    body_html: str | None,
    attachments: Sequence[str],
    msg_id: str,
    dedupe_key: str,
    date: datetime,
) -> EmailMessage:
    """The MIME message: text (and HTML alternative), attachments with their MIME types.

    Raises NotifyError(permanent=True) when an attachment is missing: no retry will make it appear.
    """
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = msg_id
    message["X-Yuqing-Key"] = dedupe_key
    message.set_content(body_text)
    if body_html:
        message.add_alternative(body_html, subtype="html")
    for raw in attachments:
        path = Path(raw)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise NotifyError(f"attachment {path} cannot be read: {exc}", permanent=True) from exc
        ctype = (
            _MIME_TYPES.get(path.suffix.lower())
            or mimetypes.guess_type(path.name)[0]
            or "application/octet-stream"
        )
        maintype, _, subtype = ctype.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=path.name)
    return message
