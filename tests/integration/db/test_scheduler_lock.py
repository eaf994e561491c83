"""Two schedulers against one database: exactly one runs the jobs; the other takes over when it stops."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from core import locks
from core.clock import FixedClock, SystemClock
from core.db import Database
from core.models import JobRun
from core.runtime import JobContext
from core.settings import AppConfig
from yuqing.scheduler import JobSpec, YuqingScheduler


def test_lease_is_exclusive_until_it_expires(any_db: Database, clock: FixedClock) -> None:
    ttl = timedelta(seconds=30)
    assert locks.acquire(any_db, "scheduler", "a", ttl, clock)
    assert not locks.acquire(any_db, "scheduler", "b", ttl, clock)
    assert locks.acquire(any_db, "scheduler", "a", ttl, clock)  # renewal
    clock.advance(seconds=31)
    assert locks.acquire(any_db, "scheduler", "b", ttl, clock)  # a stopped renewing
    assert not locks.acquire(any_db, "scheduler", "a", ttl, clock)
    locks.release(any_db, "scheduler", "b")
    assert locks.acquire(any_db, "scheduler", "a", ttl, clock)


def _tick(ctx: JobContext) -> dict[str, Any]:
    return {"ok": True}


def _holders(db: Database) -> Counter[str]:
    with db.session() as s:
        rows = s.scalars(select(JobRun).where(JobRun.job == "tick", JobRun.status == "success")).all()
        return Counter(r.detail.get("holder", "?") for r in rows)


def test_two_schedulers_one_runs_jobs_then_the_other_takes_over(
    any_db: Database, app_config: AppConfig
) -> None:
    config = AppConfig(
        **{
            **app_config.__dict__,
            "settings": app_config.settings.model_copy(update={"scheduler_lock_seconds": 2}),
        }
    )
    ctx = JobContext(config=config, db=any_db, clock=SystemClock())
    spec = JobSpec("tick", _tick, IntervalTrigger(seconds=0.2))
    first = YuqingScheduler(ctx, [spec])
    second = YuqingScheduler(ctx, [spec])
    t1 = threading.Thread(target=first.run, daemon=True)
    t1.start()
    time.sleep(0.5)
    t2 = threading.Thread(target=second.run, daemon=True)
    t2.start()
    time.sleep(2.5)
    holders = _holders(any_db)
    assert set(holders) == {first.holder}, holders
    assert holders[first.holder] >= 5
    assert first.is_leader and not second.is_leader

    first.stop()  # releases the lease on a clean stop; the second must take over
    t1.join(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _holders(any_db)[second.holder] < 3:
        time.sleep(0.2)
    assert _holders(any_db)[second.holder] >= 3
    second.stop()
    t2.join(timeout=10)


def test_a_failing_job_is_recorded_and_the_scheduler_goes_on(db: Database, app_config: AppConfig) -> None:
    def boom(ctx: JobContext) -> None:
        raise RuntimeError("kaput")

    ctx = JobContext(config=app_config, db=db, clock=SystemClock())
    sched = YuqingScheduler(
        ctx,
        [
            JobSpec("boom", boom, IntervalTrigger(seconds=0.2)),
            JobSpec("tick", _tick, IntervalTrigger(seconds=0.2)),
        ],
    )
    thread = threading.Thread(target=sched.run, daemon=True)
    thread.start()
    time.sleep(1.5)
    sched.stop()
    thread.join(timeout=10)
    with db.session() as s:
        failed = s.scalars(select(JobRun).where(JobRun.job == "boom")).all()
    assert failed and all(r.status == "failed" and "kaput" in (r.error or "") for r in failed)
    assert sum(_holders(db).values()) >= 2


CHILD = """
import sys, time
from datetime import timedelta
from apscheduler.triggers.interval import IntervalTrigger
from core.clock import SystemClock
from core.db import Database
from core.runtime import JobContext
from core.settings import load_config
from yuqing.scheduler import JobSpec, YuqingScheduler

def tick(ctx):
    return {"ok": True}

config = load_config({"config_dir": sys.argv[2], "data_dir": sys.argv[3], "scheduler_lock_seconds": 2})
sched = YuqingScheduler(JobContext(config=config, db=Database(sys.argv[1]), clock=SystemClock()),
                        [JobSpec("tick", tick, IntervalTrigger(seconds=0.2))])
sched.run()
"""


def test_standby_takes_over_when_the_leader_is_killed(
    any_db: Database, app_config: AppConfig, tmp_path: Any
) -> None:
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import REPO

    url = any_db.engine.url.render_as_string(hide_password=False)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(REPO / "config"), str(tmp_path / "var")],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sum(_holders(any_db).values()) < 3:
            time.sleep(0.2)
        leader_holders = set(_holders(any_db))
        assert len(leader_holders) == 1, leader_holders
        config = AppConfig(
            **{
                **app_config.__dict__,
                "settings": app_config.settings.model_copy(update={"scheduler_lock_seconds": 2}),
            }
        )
        standby = YuqingScheduler(
            JobContext(config=config, db=any_db, clock=SystemClock()),
            [JobSpec("tick", _tick, IntervalTrigger(seconds=0.2))],
        )
        thread = threading.Thread(target=standby.run, daemon=True)
        thread.start()
        time.sleep(1.0)
        assert not standby.is_leader
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        killed_at = time.monotonic()
        while time.monotonic() - killed_at < 15 and _holders(any_db)[standby.holder] < 2:
            time.sleep(0.1)
        assert _holders(any_db)[standby.holder] >= 2
        standby.stop()
        thread.join(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()


def test_a_dead_holder_on_this_host_is_taken_over_at_once(db: Database, clock: FixedClock) -> None:
    import socket
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = socket.gethostname()
    ttl = timedelta(seconds=600)
    for holder, expected in (
        (f"{host}:{dead.pid}:aaaa", True),  # process gone: take over now
        (f"{host}:{os.getpid()}:bbbb", False),  # alive: wait for the lease
        (f"another-host:{dead.pid}:cccc", False),  # cannot tell from here: wait for the lease
    ):
        locks.release(db, "scheduler", locks.holder_of(db, "scheduler", clock) or "")
        assert locks.acquire(db, "scheduler", holder, ttl, clock)
        lease = locks.LeaseLock(db, "scheduler", f"{host}:{os.getpid()}:me", ttl, clock)
        assert lease.try_acquire() is expected, holder
        locks.release(db, "scheduler", f"{host}:{os.getpid()}:me")


def test_runs_left_running_by_a_dead_leader_are_marked_abandoned(db: Database, app_config: AppConfig) -> None:
    from datetime import UTC, datetime

    with db.session() as s:
        s.add(
            JobRun(job="analysis", started_at=datetime(2026, 11, 20, tzinfo=UTC), status="running", detail={})
        )
    sched = YuqingScheduler(JobContext(config=app_config, db=db, clock=SystemClock()), [])
    thread = threading.Thread(target=sched.run, daemon=True)
    thread.start()
    time.sleep(1.0)
    sched.stop()
    thread.join(timeout=10)
    with db.session() as s:
        run = s.scalars(select(JobRun).where(JobRun.job == "analysis")).one()
        assert run.status == "abandoned" and run.finished_at is not None
