"""A stage that produced work triggers the next stage at once instead of waiting for its interval."""

from __future__ import annotations

import threading
import time
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from core.clock import SystemClock
from core.db import Database
from core.models import JobRun
from core.runtime import JobContext
from core.settings import AppConfig
from yuqing.scheduler import JobSpec, YuqingScheduler


def _runs(db: Database, job: str) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(JobRun).where(JobRun.job == job)) or 0)


def _run_for(sched: YuqingScheduler, seconds: float) -> None:
    thread = threading.Thread(target=sched.run, daemon=True)
    thread.start()
    time.sleep(seconds)
    sched.stop()
    thread.join(timeout=10)


def test_chained_stage_runs_right_after_a_productive_run(db: Database, app_config: AppConfig) -> None:
    def crawl(ctx: JobContext) -> dict[str, Any]:
        return {"status": "success"}

    def analysis(ctx: JobContext) -> dict[str, Any]:
        return {"analyzed": 0}

    def alerts(ctx: JobContext) -> dict[str, Any]:
        return {}

    hour = IntervalTrigger(hours=1)
    specs = [
        JobSpec("crawl:x", crawl, IntervalTrigger(seconds=1), then="analysis", then_when=lambda s: True),
        JobSpec("analysis", analysis, hour, then="alerts", then_when=lambda s: s["analyzed"] > 0),
        JobSpec("alerts", alerts, hour),
    ]
    _run_for(YuqingScheduler(JobContext(config=app_config, db=db, clock=SystemClock()), specs), 2.6)
    assert _runs(db, "crawl:x") >= 1
    assert _runs(db, "analysis") >= 1  # on its own it would first run after an hour
    assert _runs(db, "alerts") == 0  # analysis found nothing, so alerts waits for its interval


def test_configured_jobs_crawl_at_start_and_chain_into_analysis(db: Database, app_config: AppConfig) -> None:
    from yuqing.scheduler import build_job_specs

    loaded = build_job_specs(JobContext(config=app_config, db=db, clock=SystemClock()))
    by_name = {spec.name: spec for spec in loaded.specs}
    enabled = [s.key for s in app_config.sources.sources if s.enabled and s.type != "file"]
    assert enabled and all(f"crawl:{key}" in by_name for key in enabled)
    for key in enabled:
        spec = by_name[f"crawl:{key}"]
        assert spec.run_at_start and spec.then == "analysis"
    assert by_name["analysis"].then == "alerts" and by_name["alerts"].then == "mail"
    assert loaded.missing == []  # every stage's entry point exists
