"""A local SMTP server (aiosmtpd) that keeps every message it receives as an .eml file.

`yuqing run` starts it so that the whole alert loop works with no mail server configured; the newcomer
and the dashboard read what arrived from <data_dir>/mail.
"""

from __future__ import annotations

import logging
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

logger = logging.getLogger(__name__)


class MaildirHandler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._counter = 0

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        with self._lock:
            self._counter += 1
            name = f"{time.strftime('%Y%m%d-%H%M%S')}-{self._counter:05d}.eml"
        tmp = self.directory / (name + ".tmp")
        header = "".join(f"X-Envelope-To: {rcpt}\r\n" for rcpt in envelope.rcpt_tos).encode()
        tmp.write_bytes(header + content)
        tmp.rename(self.directory / name)  # readers never see a half-written file
        subject = message_from_bytes(content, policy=policy.default).get("Subject", "")
        logger.info("mail catcher received %s for %s", subject, ", ".join(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def start_catcher(directory: Path, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    controller = Controller(MaildirHandler(directory), hostname=host, port=port)
    controller.start()
    return controller
