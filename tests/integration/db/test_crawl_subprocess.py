"""Each crawl runs as a subprocess with a hard timeout; a hung crawl is killed and recorded."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sqlalchemy import select

from core.clock import FixedClock
from core.db import Database
from core.models import CrawlRun, Source
from core.processes import pid_alive
from core.settings import AppConfig
from yuqing.crawlproc import run_crawl, run_subprocess


def test_hung_process_group_is_killed_at_the_timeout(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild.pid"
    # The child starts a grandchild and both hang; the whole process group must die.
    script = (
        "import subprocess, sys, time;"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']);"
        f"open({str(marker)!r}, 'w').write(str(p.pid));"
        "time.sleep(120)"
    )
    started = time.monotonic()
    status, _code, duration, _tail = run_subprocess([sys.executable, "-c", script], timeout=1.5)
    assert status == "timeout"
    assert duration < 10 and time.monotonic() - started < 10
    grandchild = int(marker.read_text())
    time.sleep(0.3)
    assert not pid_alive(grandchild)


def test_timeout_closes_the_running_crawl_row_and_counts_a_failure(
    db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    with db.session() as s:
        src = Source(key="slow", name="slow", kind="board", created_at=clock.now(), state={})
        s.add(src)
        s.flush()
        s.add(CrawlRun(source_id=src.id, started_at=clock.now(), status="running"))
    outcome = run_crawl(
        app_config.settings,
        db,
        clock,
        "slow",
        timeout=1,
        command=[sys.executable, "-c", "import time; time.sleep(60)"],
    )
    assert outcome.status == "timeout"
    with db.session() as s:
        run = s.scalar(select(CrawlRun))
        source = s.scalar(select(Source))
        assert run is not None and source is not None
        assert run.status == "timeout" and run.finished_at is not None
        assert source.consecutive_failures == 1 and "timeout" in (source.last_error or "")


def test_successful_subprocess(db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    outcome = run_crawl(
        app_config.settings, db, clock, "none", timeout=30, command=[sys.executable, "-c", "print('fine')"]
    )
    assert outcome.status == "success" and "fine" in outcome.output_tail
