"""Worker loops for several machines: analysis and mail passes repeated, with a short sleep when idle.

Any number of workers on any number of machines share one PostgreSQL database: analysis claims 'new' items
with FOR UPDATE SKIP LOCKED (held until the batch commits), mail claims due outbox rows under a lease, so no
two workers take the same work. A worker killed mid-pass loses nothing: its transaction rolls back (analysis)
or its lease expires (mail: at most the one message in flight is sent twice, with the same Message-ID).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from alerts.jobs import transport_for
from alerts.notify.outbox import DEFAULT_LEASE_SECONDS, deliver_due
from analysis.jobs import run_analysis
from analysis.pipeline import Analyzer
from core.runtime import JobContext

logger = logging.getLogger(__name__)

ERROR_PAUSE_SECONDS = 5.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class WorkerLoop:
    """Runs `step` (returns how much work it did) until `stop` is set; sleeps `idle_seconds` when it did none.

    A failing pass (database restarting, SMTP misconfigured) is logged with its traceback and retried after a
    pause: a worker is a process boundary and keeps going.
    """

    name: str
    step: Callable[[], int]
    idle_seconds: float = 2.0
    error_seconds: float = ERROR_PAUSE_SECONDS
    passes: int = 0
    done: int = 0

    def run(self, stop: threading.Event, *, max_passes: int | None = None) -> None:
        logger.info("%s worker %s started", self.name, worker_name())
        while not stop.is_set() and (max_passes is None or self.passes < max_passes):
            self.passes += 1
            try:
                did = self.step()
            except Exception:  # process boundary: log, pause, try again
                logger.exception("%s worker pass failed; retrying in %.0fs", self.name, self.error_seconds)
                stop.wait(self.error_seconds)
                continue
            self.done += did
            if not did:
                stop.wait(self.idle_seconds)
        logger.info(
            "%s worker %s stopped after %d passes (%d done)", self.name, worker_name(), self.passes, self.done
        )


# Batches per analysis pass: a stop request (SIGTERM) is honoured between passes, so a long backlog does not
# delay it, and one pass keeps its loaded event matcher across its batches.
BATCHES_PER_PASS = 10


def analysis_step(ctx: JobContext, batch_size: int | None = None) -> Callable[[], int]:
    """One analysis pass over the items with status 'new'; the models are loaded once, here."""
    analyzer = Analyzer.from_config(ctx.config)

    def step() -> int:
        summary = run_analysis(
            ctx.db, ctx.config, ctx.clock, batch_size, analyzer=analyzer, max_batches=BATCHES_PER_PASS
        )
        return summary.analyzed + summary.errors

    return step


def mail_step(
    ctx: JobContext, *, batch: int = 10, lease_seconds: float = DEFAULT_LEASE_SECONDS
) -> Callable[[], int]:
    """One pass of the outbox sender. A small batch: rows claimed by a worker that dies wait for the lease."""
    settings = ctx.config.settings

    def step() -> int:
        report = deliver_due(
            ctx.db,
            ctx.clock,
            transport_for(settings),
            mail_from=settings.mail_from,
            limit=batch,
            lease_seconds=lease_seconds,
        )
        return report.claimed

    return step
