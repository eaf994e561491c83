"""A real aiosmtpd server for the mail tests: records what arrives and answers RCPT/DATA with scripted codes."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session


class Recorder:
    """Collects messages. `rcpt_plan[address]` / `data_plan` hold replies to give (in order) before accepting."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.rcpt_plan: dict[str, list[str]] = {}
        self.always_reject: dict[str, str] = {}
        self.data_plan: list[str] = []
        self.on_message: Callable[[EmailMessage], None] | None = None
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        with self.lock:
            if address in self.always_reject:
                return self.always_reject[address]
            plan = self.rcpt_plan.get(address)
            if plan:
                return plan.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        with self.lock:
            if self.data_plan:
                return self.data_plan.pop(0)
            raw = envelope.original_content or envelope.content or b""
            assert isinstance(raw, bytes)
            message = message_from_bytes(raw, policy=policy.default)
            assert isinstance(message, EmailMessage)
            message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            self.messages.append(message)
            hook = self.on_message
        if hook is not None:
            hook(message)
        return "250 Message accepted"

    def keys(self) -> list[str]:
        with self.lock:
            return [str(m["X-Yuqing-Key"]) for m in self.messages]


class KillSecondMessage:
    """on_message hook: SIGKILL the sending process when it delivers its second message of a run, i.e. after
    the server has the message and before the sender can mark it sent."""

    def __init__(self) -> None:
        self.victim: int | None = None
        self.seen_in_run = 0
        self.kills = 0
        self.killed = threading.Event()

    def arm(self, pid: int) -> None:
        self.victim, self.seen_in_run = pid, 0
        self.killed.clear()

    def __call__(self, message: EmailMessage) -> None:
        if self.victim is None:
            return
        self.seen_in_run += 1
        if self.seen_in_run == 2:
            os.kill(self.victim, signal.SIGKILL)
            self.kills += 1
            self.victim = None
            self.killed.set()


def start_server(recorder: Recorder, port: int) -> Controller:
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    return controller
