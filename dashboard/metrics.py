"""/metrics: yuqing's health figures in the Prometheus text exposition format (version 0.0.4), so an office can
plug the platform into the monitoring it already runs. Reachable with a dashboard session or with
`Authorization: Bearer <YUQING_METRICS_TOKEN>` (auth.Auth.guard decides); every figure is a count answered by an
index or a lookup in a small table: 137 ms a scrape at 1,000,000 items (bench/RESULTS.md), mostly the two
counts over the items indexes.
"""

from __future__ import annotations

import hmac
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, Response
from pydantic import SecretStr
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.clock import ensure_utc
from core.db import Database
from core.levels import Level
from core.models import Alert, CrawlRun, Item, JobRun, Notification, ResponseTask, Source
from dashboard.runtime import services

logger = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
FAILED_RUN_STATUSES = ("failed", "timeout", "killed")


@dataclass
class Family:
    """One metric: name, help text, type and its samples (labels, value)."""

    name: str
    help: str
    type: str = "gauge"
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> None:
        self.samples.append((labels, float(value)))


def bearer_ok(authorization: str | None, token: SecretStr | None) -> bool:
    """Whether an Authorization header carries the configured metrics token (compared in constant time). No
    token configured: bearer access is off."""
    if token is None or not token.get_secret_value() or not authorization:
        return False
    scheme, _, sent = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(sent.strip().encode("utf-8"), token.get_secret_value().encode("utf-8"))


# --- queries (read-only) ----------------------------------------------------------------------------------


def _ts(value: datetime | None) -> float | None:
    return ensure_utc(value).timestamp() if value is not None else None


def _job_names(s: Session) -> list[str]:
    # A loose index scan over ix_job_runs_job_started: one index probe per distinct job, where DISTINCT would
    # read every run ever recorded (both databases lack a skip scan here).
    rows = s.execute(
        text(
            "WITH RECURSIVE j(job) AS ("
            " SELECT min(job) FROM job_runs"
            " UNION ALL"
            " SELECT (SELECT min(job) FROM job_runs WHERE job > j.job) FROM j WHERE j.job IS NOT NULL)"
            " SELECT job FROM j WHERE job IS NOT NULL"
        )
    )
    return [str(r[0]) for r in rows]


def collect(db: Database, now: datetime) -> list[Family]:
    """Every metric family, read in one session."""
    items = Family("yuqing_items", "Items stored, by source kind.")
    status = Family("yuqing_items_by_status", "Items by processing status (new: waiting for analysis).")
    consecutive = Family(
        "yuqing_source_consecutive_failures", "Failed crawl runs in a row, per source (0 after a success)."
    )
    failed = Family(
        "yuqing_crawl_runs_failed_total",
        "Crawl runs that failed, timed out or were killed, per source.",
        "counter",
    )
    last_success = Family(
        "yuqing_source_last_success_timestamp_seconds", "When each source last crawled successfully."
    )
    alerts = Family("yuqing_alerts", "Alerts by level and state.")
    outbox = Family(
        "yuqing_outbox_notifications", "Notifications in the outbox by status (pending: to send)."
    )
    tasks = Family("yuqing_response_tasks", "Response timers by state.")
    overdue = Family("yuqing_response_tasks_overdue", "Running response timers past their due time.")
    job_ts = Family("yuqing_job_last_run_timestamp_seconds", "When each scheduled job last finished.")
    job_ok = Family("yuqing_job_last_run_success", "1 if the job's last finished run succeeded, else 0.")
    job_success_ts = Family(
        "yuqing_job_last_success_timestamp_seconds", "When each scheduled job last finished successfully."
    )
    with db.session() as s:
        for kind, n in s.execute(select(Item.kind, func.count()).group_by(Item.kind)):
            items.add(n, kind=kind)
        for value, n in s.execute(select(Item.status, func.count()).group_by(Item.status)):
            status.add(n, status=value)
        sources = s.execute(
            select(Source.id, Source.key, Source.consecutive_failures, Source.last_success_at).order_by(
                Source.key
            )
        ).all()
        failures = dict(
            s.execute(
                select(CrawlRun.source_id, func.count())
                .where(CrawlRun.status.in_(FAILED_RUN_STATUSES))
                .group_by(CrawlRun.source_id)
            ).all()
        )
        for source_id, key, streak, success_at in sources:
            consecutive.add(streak or 0, source=key)
            failed.add(failures.get(source_id, 0), source=key)
            stamp = _ts(success_at)
            if stamp is not None:
                last_success.add(stamp, source=key)
        for level, state, n in s.execute(
            select(Alert.level, Alert.state, func.count()).group_by(Alert.state, Alert.level)
        ):
            alerts.add(n, level=Level(level).name, state=state)
        outbox_counts: dict[str, int] = dict(
            s.execute(select(Notification.status, func.count()).group_by(Notification.status)).all()
        )
        for value in ("pending", "failed", "sent", "cancelled"):
            outbox.add(outbox_counts.pop(value, 0), status=value)
        for value, n in sorted(outbox_counts.items()):
            outbox.add(n, status=value)
        task_counts: dict[str, int] = dict(
            s.execute(select(ResponseTask.state, func.count()).group_by(ResponseTask.state)).all()
        )
        for value, n in sorted(task_counts.items()):
            tasks.add(n, state=value)
        overdue.add(
            s.scalar(select(func.count()).where(ResponseTask.state == "running", ResponseTask.due_at < now))
            or 0
        )
        for job in _job_names(s):
            last = s.execute(
                select(JobRun.started_at, JobRun.finished_at, JobRun.status)
                .where(JobRun.job == job, JobRun.status != "running")
                .order_by(JobRun.started_at.desc())
                .limit(1)
            ).first()
            if last is not None:
                job_ts.add(_ts(last.finished_at or last.started_at) or 0.0, job=job)
                job_ok.add(1 if last.status == "success" else 0, job=job)
            ok_at = s.scalar(
                select(func.coalesce(JobRun.finished_at, JobRun.started_at))
                .where(JobRun.job == job, JobRun.status == "success")
                .order_by(JobRun.started_at.desc())
                .limit(1)
            )
            if ok_at is not None:
                job_success_ts.add(_ts(ok_at) or 0.0, job=job)
    return [
        items,
        status,
        consecutive,
        failed,
        last_success,
        alerts,
        outbox,
        tasks,
        overdue,
        job_ts,
        job_ok,
        job_success_ts,
    ]


# --- exposition format --------------------------------------------------------------------------------------


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def render(families: Iterable[Family]) -> str:
    """The text exposition format: HELP and TYPE lines, then one line per sample."""
    lines: list[str] = []
    for fam in families:
        lines.append(f"# HELP {fam.name} {fam.help.replace(chr(92), chr(92) * 2).replace(chr(10), ' ')}")
        lines.append(f"# TYPE {fam.name} {fam.type}")
        for labels, value in fam.samples:
            if labels:
                inner = ",".join(f'{k}="{_label_value(v)}"' for k, v in labels.items())
                lines.append(f"{fam.name}{{{inner}}} {_number(value)}")
            else:
                lines.append(f"{fam.name} {_number(value)}")
    return "\n".join(lines) + "\n"


def register_routes(server: Flask) -> None:
    """GET /metrics (the guard in auth.py has already checked the session or the bearer token)."""

    def metrics() -> Response:
        svc = services()
        # Kept for cache_seconds (5 s): several scrapers, or a person beside one, cost one computation.
        body = svc.cache.get(("metrics",), lambda: render(collect(svc.db, svc.clock.now())))
        response = Response(body, status=200, content_type=CONTENT_TYPE)
        response.headers["Cache-Control"] = "no-store"
        return response

    server.add_url_rule(METRICS_PATH, "metrics", metrics, methods=["GET"])
