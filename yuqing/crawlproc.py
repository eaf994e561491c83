"""Run one crawl as a subprocess with a hard timeout.

Twisted's reactor cannot be restarted inside a process, and a hung site must never hang the scheduler, so
each crawl is `python -m crawlers.run SOURCE` in its own process group, killed whole when time is up.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update

from core.clock import Clock
from core.db import Database
from core.models import CrawlRun, Source
from core.settings import Settings

logger = logging.getLogger(__name__)

KILL_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class CrawlOutcome:
    source_key: str
    status: str  # success | failed | timeout
    returncode: int | None
    duration_s: float
    output_tail: str


def crawl_command(source_key: str, trigger: str = "schedule") -> list[str]:
    return [sys.executable, "-m", "crawlers.run", source_key, "--trigger", trigger]


def subprocess_env(settings: Settings) -> dict[str, str]:
    """The child gets the parent's effective settings through the environment (secrets included, never argv)."""
    env = dict(os.environ)
    env["YUQING_CONFIG_DIR"] = str(settings.config_dir)
    env["YUQING_DATA_DIR"] = str(settings.data_dir)
    env["YUQING_DATABASE_URL"] = settings.effective_database_url
    return env


def run_subprocess(
    command: Sequence[str], *, timeout: float, env: dict[str, str] | None = None
) -> tuple[str, int | None, float, str]:
    """Run `command` in its own process group; on timeout, SIGTERM the group, then SIGKILL after a grace."""
    started = time.monotonic()
    proc = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
        status = "success" if proc.returncode == 0 else "failed"
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        output, _ = proc.communicate()
        status = "timeout"
    duration = time.monotonic() - started
    tail = output.decode("utf-8", "replace")[-4000:] if output else ""
    return status, proc.returncode, duration, tail


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def run_crawl(
    settings: Settings,
    db: Database,
    clock: Clock,
    source_key: str,
    *,
    timeout: float,
    trigger: str = "schedule",
    command: Sequence[str] | None = None,
) -> CrawlOutcome:
    """Crawl `source_key` in a subprocess; a run that times out or dies is recorded on its crawl_runs row."""
    cmd = list(command) if command is not None else crawl_command(source_key, trigger)
    status, returncode, duration, tail = run_subprocess(cmd, timeout=timeout, env=subprocess_env(settings))
    if status != "success":
        logger.warning("crawl of %s ended %s (exit %s) after %.1fs", source_key, status, returncode, duration)
        _close_dangling_runs(db, clock, source_key, status, tail)
    else:
        logger.info("crawl of %s finished in %.1fs", source_key, duration)
    return CrawlOutcome(source_key, status, returncode, duration, tail)


def _close_dangling_runs(db: Database, clock: Clock, source_key: str, status: str, tail: str) -> None:
    """A killed child cannot close its own crawl_runs row; mark it, and count the failure on the source."""
    now = clock.now()
    message = "超时被终止 (timeout)" if status == "timeout" else f"进程异常退出: {tail[-500:]}"
    with db.session() as session:
        source = session.scalar(select(Source).where(Source.key == source_key))
        if source is None:
            return
        result = session.execute(
            update(CrawlRun)
            .where(CrawlRun.source_id == source.id, CrawlRun.status == "running")
            .values(
                status="timeout" if status == "timeout" else "failed", finished_at=now, error_message=message
            )
        )
        if not result.rowcount and status != "timeout":  # type: ignore[attr-defined]
            return  # the child closed its own run and counted its own failure
        source.consecutive_failures = (source.consecutive_failures or 0) + 1
        source.last_failure_at = now
        source.last_run_at = now
        source.last_error = message
