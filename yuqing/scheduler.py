"""The one scheduler process: holds a database lease, then runs every stage's jobs on APScheduler.

A second scheduler started against the same database waits for the lease instead of double-running jobs,
and takes over when the holder stops renewing it (crash or shutdown). Every run is logged in job_runs.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import update

from core import locks
from core.models import JobRun
from core.retention import prune_items
from core.runtime import JobContext
from yuqing.crawlnodes import dispatch_crawl
from yuqing.crawlproc import run_crawl

logger = logging.getLogger(__name__)

LOCK_NAME = "scheduler"
JobFunc = Callable[[JobContext], Any]


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: JobFunc
    trigger: BaseTrigger
    misfire_grace_time: int = 60
    # Run this job at once after a successful run whose summary satisfies `then_when`: a crawl that stored
    # items flows straight through analysis, alerts and mail instead of waiting for each stage's interval.
    then: str | None = None
    then_when: Callable[[Any], bool] | None = None
    run_at_start: bool = False  # crawls: fetch at once on start-up instead of one interval later


def _stored_something(summary: Any) -> bool:
    return isinstance(summary, dict) and summary.get("status") == "success"


def _analyzed_something(summary: Any) -> bool:
    return isinstance(summary, dict) and int(summary.get("analyzed", 0) or 0) > 0


@dataclass
class _Loaded:
    specs: list[JobSpec] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


# Each stage's scheduled entry points: (job name, module, function). Functions take a JobContext.
STAGE_JOBS: Sequence[tuple[str, str, str]] = (
    ("analysis", "analysis.jobs", "run"),
    ("alerts", "alerts.jobs", "evaluate"),
    ("mail", "alerts.jobs", "send_mail"),
    ("alert_digest", "alerts.jobs", "send_digest"),
    ("report_requests", "reports.jobs", "process_requests"),
    ("weekly_report", "reports.jobs", "weekly"),
    ("daily_brief", "reports.jobs", "daily"),
)


_CHAIN: dict[str, tuple[str, Callable[[Any], bool] | None]] = {
    "analysis": ("alerts", _analyzed_something),
    "alerts": ("mail", None),
}


def _resolve(module: str, function: str) -> JobFunc | None:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise
    func = getattr(mod, function, None)
    return func if callable(func) else None


def build_job_specs(ctx: JobContext) -> _Loaded:
    """The jobs the configuration asks for: one crawl per enabled source plus each stage's jobs."""
    settings = ctx.config.settings
    loaded = _Loaded()
    defaults = ctx.config.sources.defaults
    for source in ctx.config.sources.sources:
        if not source.enabled or source.type == "file":
            continue
        minutes = source.interval_minutes or defaults.interval_minutes
        timeout = source.timeout_seconds or min(defaults.timeout_seconds, settings.crawl_timeout_seconds)

        def crawl(job_ctx: JobContext, key: str = source.key, limit: float = timeout) -> dict[str, Any]:
            if job_ctx.config.settings.scrapyd_nodes:  # several machines: a Scrapyd node runs it
                outcome = dispatch_crawl(job_ctx.config, job_ctx.db, job_ctx.clock, key, timeout=limit)
            else:
                outcome = run_crawl(job_ctx.config.settings, job_ctx.db, job_ctx.clock, key, timeout=limit)
            return {"status": outcome.status, "duration_s": round(outcome.duration_s, 2)}

        loaded.specs.append(
            JobSpec(
                f"crawl:{source.key}",
                crawl,
                IntervalTrigger(minutes=minutes, jitter=2),
                misfire_grace_time=300,
                then="analysis",
                then_when=_stored_something,
                run_at_start=True,
            )
        )
    intervals: dict[str, BaseTrigger] = {
        "analysis": IntervalTrigger(seconds=settings.analysis_interval_seconds),
        "alerts": IntervalTrigger(seconds=settings.alerts_interval_seconds),
        "mail": IntervalTrigger(seconds=settings.mail_interval_seconds),
        "alert_digest": CronTrigger.from_crontab(ctx.config.alerts.digest_cron, timezone=settings.timezone),
        "report_requests": IntervalTrigger(seconds=30),
        "weekly_report": CronTrigger.from_crontab(settings.weekly_report_cron, timezone=settings.timezone),
        "daily_brief": CronTrigger.from_crontab(settings.daily_brief_cron, timezone=settings.timezone),
    }
    if settings.retention_days > 0:
        days = settings.retention_days
        loaded.specs.append(
            JobSpec(
                "retention",
                lambda job_ctx: {"deleted": prune_items(job_ctx.db, job_ctx.clock, days)},
                CronTrigger(hour=3, minute=17, timezone=settings.timezone),
                misfire_grace_time=3600,
            )
        )
    for name, module, function in STAGE_JOBS:
        if name == "daily_brief" and not settings.daily_brief_enabled:
            continue
        if name in settings.dedicated_workers:
            continue  # `yuqing worker <name>` processes run it (several machines, docs/deploy.md)
        func = _resolve(module, function)
        if func is None:
            loaded.missing.append(f"{module}.{function}")
            continue
        chain = _CHAIN.get(name)
        loaded.specs.append(
            JobSpec(
                name,
                func,
                intervals[name],
                misfire_grace_time=600,
                then=chain[0] if chain else None,
                then_when=chain[1] if chain else None,
            )
        )
    return loaded


class YuqingScheduler:
    def __init__(
        self, ctx: JobContext, specs: Sequence[JobSpec] | None = None, *, max_workers: int = 4
    ) -> None:
        self.ctx = ctx
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.ttl = timedelta(seconds=ctx.config.settings.scheduler_lock_seconds)
        self.lock = locks.leader_lock(ctx.db, LOCK_NAME, self.holder, self.ttl, ctx.clock)
        if specs is None:
            loaded = build_job_specs(ctx)
            for missing in loaded.missing:
                logger.warning("job %s is not available yet; not scheduled", missing)
            specs = loaded.specs
        self.specs = list(specs)
        if ctx.config.settings.scrapyd_nodes:
            # Crawls run on the Scrapyd nodes (whose max_proc limits them); here a crawl only waits for its
            # job, so it must not hold up the other jobs for a thread.
            max_workers += sum(1 for spec in self.specs if spec.name.startswith("crawl:"))
        self.max_workers = max_workers
        self._aps: BackgroundScheduler | None = None
        self._stop = threading.Event()
        self.is_leader = False

    # -- running jobs ------------------------------------------------------------------------------------

    def _run_job(self, spec: JobSpec) -> None:
        if not self.is_leader:
            return
        db, clock = self.ctx.db, self.ctx.clock
        with db.session() as session:
            run = JobRun(
                job=spec.name, started_at=clock.now(), status="running", detail={"holder": self.holder}
            )
            session.add(run)
            session.flush()
            run_id = run.id
        status, error, summary = "success", None, None
        try:
            summary = spec.func(self.ctx)
        except Exception:  # a process boundary: log with traceback, record, and keep the scheduler alive
            status, error = "failed", traceback.format_exc()
            logger.exception("job %s failed", spec.name)
        with db.session() as session:
            row = session.get(JobRun, run_id)
            if row is not None:
                row.finished_at = clock.now()
                row.status = status
                row.error = error
                detail = {"holder": self.holder}
                if isinstance(summary, dict):
                    detail.update(
                        {k: v for k, v in summary.items() if isinstance(v, str | int | float | bool)}
                    )
                row.detail = detail
        logger.info("job %s %s", spec.name, status)
        if status == "success" and spec.then and (spec.then_when is None or spec.then_when(summary)):
            self._trigger_now(spec.then)

    def _trigger_now(self, name: str) -> None:
        aps = self._aps
        if aps is None or aps.get_job(name) is None:
            return
        # If that job is running right now, max_instances=1 makes APScheduler skip this extra run; its next
        # interval picks the work up.
        aps.modify_job(name, next_run_time=datetime.now(UTC))

    def _close_abandoned_runs(self) -> None:
        """Runs still marked running when this scheduler takes the lock belong to a leader that died."""
        with self.ctx.db.session() as session:
            abandoned = session.execute(
                update(JobRun)
                .where(JobRun.status == "running")
                .values(
                    status="abandoned",
                    finished_at=self.ctx.clock.now(),
                    error="scheduler died during the run",
                )
            )
            count = abandoned.rowcount  # type: ignore[attr-defined]
        if count:
            logger.warning("marked %d job runs of a previous scheduler as abandoned", count)

    def _start_jobs(self) -> None:
        self._close_abandoned_runs()
        aps = BackgroundScheduler(
            timezone=self.ctx.config.settings.timezone,
            executors={"default": {"type": "threadpool", "max_workers": self.max_workers}},
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        start = datetime.now(UTC)
        for index, spec in enumerate(self.specs):
            extra: dict[str, Any] = {}
            if spec.run_at_start:
                # Staggered, so start-up does not launch every crawl subprocess in the same second.
                extra["next_run_time"] = start + timedelta(seconds=1 + 2 * index)
            aps.add_job(
                self._run_job,
                trigger=spec.trigger,
                args=[spec],
                id=spec.name,
                name=spec.name,
                misfire_grace_time=spec.misfire_grace_time,
                coalesce=True,
                max_instances=1,
                **extra,
            )
        aps.start()
        self._aps = aps
        logger.info("scheduler %s holds the lock; %d jobs scheduled", self.holder, len(self.specs))

    def _stop_jobs(self, wait: bool) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=wait)
            self._aps = None

    # -- leadership loop -----------------------------------------------------------------------------------

    def run(self) -> None:
        """Block until stop(): hold (or wait for) the lease and run jobs while holding it."""
        waiting_logged = False
        interval = max(self.ttl.total_seconds() / 3, 0.2)
        try:
            while not self._stop.is_set():
                have = self.lock.try_acquire()
                if have and not self.is_leader:
                    self.is_leader = True
                    waiting_logged = False
                    self._start_jobs()
                elif not have and self.is_leader:
                    logger.error("scheduler %s lost the lock; stopping its jobs", self.holder)
                    self.is_leader = False
                    self._stop_jobs(wait=False)
                elif not have and not waiting_logged:
                    holder = locks.holder_of(self.ctx.db, LOCK_NAME, self.ctx.clock)
                    logger.info("another scheduler (%s) holds the lock; waiting", holder)
                    waiting_logged = True
                self._stop.wait(interval)
        finally:
            self.is_leader = False
            self._stop_jobs(wait=True)
            self.lock.release()

    def stop(self) -> None:
        self._stop.set()
