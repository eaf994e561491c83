"""SQLAlchemy 2.0 models for the whole domain. The tables are the contract between stages.

DDL lives only in Alembic migrations (migrations/versions); a test checks that models and migrations agree.
All datetimes are aware UTC (`DateTime(timezone=True)`); read them through `core.clock.ensure_utc`
because SQLite returns them naive.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so migrations can refer to them on both SQLite (batch mode) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

UTCDateTime = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


# --- item and source vocabulary -------------------------------------------------------------------

SOURCE_KINDS = ("hotline", "board", "news")
ITEM_STATUSES = ("new", "analyzed", "error")
REPLY_STATUSES = ("none", "pending", "replied")  # none: the kind has no reply (news)
SENTIMENTS = ("negative", "neutral", "positive")
ALERT_STATES = ("triggered", "acknowledged", "responding", "resolved")
TASK_STATES = ("running", "paused", "answered", "cancelled")
NOTIFICATION_STATUSES = ("pending", "sent", "failed", "cancelled")
ROLES = ("duty", "leader", "admin")


class Source(Base):
    """A configured source (from config/sources.yaml) and its health."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(1000))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # health
    last_run_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    last_item_at: Mapped[datetime | None]  # last time a new item was stored
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    items_total: Mapped[int] = mapped_column(Integer, default=0)
    # free-form incremental state (e.g. the hotline API's last update-time watermark)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    __table_args__ = (
        Index("ix_crawl_runs_source_started", "source_id", "started_at"),
        Index("ix_crawl_runs_started", "started_at"),  # dashboard: runs of the last days across sources
        Index("ix_crawl_runs_status_source", "status", "source_id"),  # /metrics: failed runs per source
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # running | success | failed | timeout | killed
    status: Mapped[str] = mapped_column(String(16), default="running")
    trigger: Mapped[str] = mapped_column(String(16), default="schedule")  # schedule | manual | test
    pages: Mapped[int] = mapped_column(Integer, default=0)
    items_new: Mapped[int] = mapped_column(Integer, default=0)
    items_updated: Mapped[int] = mapped_column(Integer, default=0)
    items_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    items_dropped: Mapped[int] = mapped_column(Integer, default=0)
    dropped_reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    error_message: Mapped[str | None] = mapped_column(Text)
    duration_s: Mapped[float | None] = mapped_column(Float)
    pid: Mapped[int | None] = mapped_column(Integer)
    node: Mapped[str | None] = mapped_column(String(200))


class SeenUrl(Base):
    """Per-source record of fetched URLs, for incremental crawling and HTTP revalidation."""

    __tablename__ = "seen_urls"
    __table_args__ = (UniqueConstraint("source_id", "url", name="uq_seen_urls_source_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(1000))
    external_id: Mapped[str | None] = mapped_column(String(200))
    etag: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    next_visit_at: Mapped[datetime | None]  # revisits of unanswered board posts
    gone: Mapped[bool] = mapped_column(Boolean, default=False)  # 404/410 after it was seen


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    email: Mapped[str | None] = mapped_column(String(320))
    aliases: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Event(Base):
    """A group of near-duplicate or closely related items across sources."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_last_seen", "last_seen_at"),
        Index("ix_events_risk", "risk_level", "last_seen_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(String(32))
    region: Mapped[str | None] = mapped_column(String(64))
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    first_item_id: Mapped[int | None] = mapped_column(Integer)
    first_source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    source_count: Mapped[int] = mapped_column(Integer, default=0)
    kind_counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"board": 3, "news": 1}
    neg_count: Mapped[int] = mapped_column(Integer, default=0)
    neu_count: Mapped[int] = mapped_column(Integer, default=0)
    pos_count: Mapped[int] = mapped_column(Integer, default=0)
    risk_score: Mapped[float] = mapped_column(Float, default=0.0)
    risk_level: Mapped[int] = mapped_column(Integer, default=0)  # core.levels.Level
    risk_factors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    trend: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[iso hour, count], ...]
    simhash: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    updated_at: Mapped[datetime]


class Item(Base):
    """One crawled or imported record: a hotline work order, a board post or a news article."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id", name="uq_items_source_external"),
        Index("ix_items_status", "status", "id"),
        Index("ix_items_published", "published_at"),
        Index("ix_items_kind_published", "kind", "published_at"),
        Index("ix_items_event", "event_id"),
        Index("ix_items_reply", "reply_status", "published_at"),
        Index("ix_items_content_hash", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # hotline | board | news (denormalised from source)
    url: Mapped[str | None] = mapped_column(String(1000))
    title: Mapped[str] = mapped_column(String(500), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(200))
    media: Mapped[str | None] = mapped_column(String(200))  # news outlet name
    published_at: Mapped[datetime | None]
    published_raw: Mapped[str | None] = mapped_column(String(100))
    fetched_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    region: Mapped[str | None] = mapped_column(String(64))
    addressee: Mapped[str | None] = mapped_column(String(200))  # 留言对象
    request_type: Mapped[str | None] = mapped_column(String(32))  # 诉求类型: 咨询/求助/投诉/举报/建议
    department: Mapped[str | None] = mapped_column(String(200))  # 承办单位 as the source names it
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    source_status: Mapped[str | None] = mapped_column(String(32))  # the source's own status text
    reply_status: Mapped[str] = mapped_column(String(16), default="none")
    reply_at: Mapped[datetime | None]
    reply_text: Mapped[str | None] = mapped_column(Text)
    reply_department: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    simhash: Mapped[int | None] = mapped_column(BigInteger)  # signed view of the unsigned 64-bit hash
    revision: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None]  # the source removed it (404) after we stored it
    status: Mapped[str] = mapped_column(String(16), default="new")
    error_reason: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ItemAnalysis(Base):
    __tablename__ = "item_analysis"
    __table_args__ = (
        Index("ix_item_analysis_risk", "risk_level"),
        Index("ix_item_analysis_topic", "topic"),
    )

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    sentiment: Mapped[str] = mapped_column(String(16))
    sentiment_score: Mapped[float] = mapped_column(Float)  # P(positive) in [0, 1]
    topic: Mapped[str | None] = mapped_column(String(32))
    topic_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    scheme_hits: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"scheme":..,"terms":[..]}]
    risk_score: Mapped[float] = mapped_column(Float, default=0.0)
    risk_level: Mapped[int] = mapped_column(Integer, default=0)
    risk_factors: Mapped[list[Any]] = mapped_column(
        JSON, default=list
    )  # [{"factor":..,"points":..,"text":..}]
    title_masked: Mapped[str] = mapped_column(String(500), default="")
    content_masked: Mapped[str] = mapped_column(Text, default="")
    model_version: Mapped[str] = mapped_column(String(64))
    analyzed_at: Mapped[datetime]


class Burst(Base):
    __tablename__ = "bursts"
    __table_args__ = (
        UniqueConstraint("topic", "region", "bucket_start", name="uq_bursts_topic_region_bucket"),
        Index("ix_bursts_detected", "detected_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(64))
    bucket_start: Mapped[datetime]
    bucket_minutes: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    path: Mapped[str] = mapped_column(String(16), default="baseline")  # baseline | fast
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    detected_at: Mapped[datetime]


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        # One open alert per fingerprint; resolved alerts are final and a new trigger opens a new row.
        Index(
            "uq_alerts_open_fingerprint",
            "fingerprint",
            unique=True,
            sqlite_where=text("state != 'resolved'"),
            postgresql_where=text("state != 'resolved'"),
        ),
        Index("ix_alerts_state_level", "state", "level"),
        Index("ix_alerts_opened", "opened_at"),
        Index("ix_alerts_event", "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)  # core.levels.Level
    state: Mapped[str] = mapped_column(String(16), default="triggered")
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # risk factors, counts at trigger
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    response_task_id: Mapped[int | None] = mapped_column(ForeignKey("response_tasks.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    assigned_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    inhibited_by: Mapped[int | None] = mapped_column(Integer)  # id of the higher-level alert
    # escalation: the policy is copied here when the alert opens, so later edits do not change who is paged
    escalation_policy: Mapped[list[Any]] = mapped_column(JSON, default=list)
    escalation_step: Mapped[int] = mapped_column(Integer, default=0)
    escalation_repeats: Mapped[int] = mapped_column(Integer, default=0)
    next_escalation_at: Mapped[datetime | None]
    notify_after: Mapped[datetime | None]  # group_wait: first notification not before this
    last_notified_at: Mapped[datetime | None]
    last_notified_level: Mapped[int] = mapped_column(Integer, default=0)
    instruction: Mapped[str | None] = mapped_column(Text)  # a leader's 批示


class Silence(Base):
    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class ResponseTask(Base):
    """A response clock (限时办结 / 回应时限) on an item or an event."""

    __tablename__ = "response_tasks"
    __table_args__ = (
        UniqueConstraint("item_id", "kind", name="uq_response_tasks_item_kind"),
        Index("ix_response_tasks_state_due", "state", "due_at"),
        Index("ix_response_tasks_department", "department_id", "state"),
        Index("ix_response_tasks_started", "started_at"),  # dashboard: department figures by period
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    kind: Mapped[str] = mapped_column(String(32))  # the timers.yaml rule name, e.g. board_reply
    limit_spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # copied rule: unit, amount, ...
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    warn_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16), default="running")
    paused_at: Mapped[datetime | None]
    paused_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[str | None] = mapped_column(String(64))  # user name, or "crawler"
    answer_text: Mapped[str | None] = mapped_column(Text)
    warned_at: Mapped[datetime | None]  # 黄灯 notified
    overdue_at: Mapped[datetime | None]  # 红灯 notified
    reminded_at: Mapped[datetime | None]  # last 催办
    updated_at: Mapped[datetime]


class Notification(Base):
    """The outbox. Written in the same transaction as the alert change that causes it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # alert | escalation | timer | digest | report | test
    channel: Mapped[str] = mapped_column(String(16), default="email")
    recipient: Mapped[str] = mapped_column(String(320))
    fallbacks: Mapped[list[Any]] = mapped_column(JSON, default=list)  # next recipients on a 5xx
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list)  # file paths
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]  # a sender's lease; expires if the sender dies
    message_id: Mapped[str | None] = mapped_column(String(300))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16))  # duty | leader | admin
    email: Mapped[str | None] = mapped_column(String(320))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]


class DashboardSession(Base):
    """A signed-in dashboard session, kept server-side so signing out, disabling a user or idling past the
    timeout ends it for good (the browser's signed cookie only carries the random id, stored here hashed)."""

    __tablename__ = "dashboard_sessions"
    __table_args__ = (Index("ix_dashboard_sessions_user", "user_id", "ended_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the session id
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    last_active_at: Mapped[datetime]  # last request by a person (automatic refreshes do not count)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))  # logout | timeout | admin
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_object", "object_type", "object_id"), Index("ix_audit_at", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))  # user name, or "system"
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Label(Base):
    """A human correction of an item's sentiment or topic, used for retraining."""

    __tablename__ = "labels"
    __table_args__ = (Index("ix_labels_item", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(16))  # sentiment | topic
    value: Mapped[str] = mapped_column(String(64))
    previous: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class WorkdayOverride(Base):
    """An administrator's correction of the working-day calendar (e.g. a local holiday)."""

    __tablename__ = "workday_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("kind", "period_start", name="uq_reports_kind_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # weekly | daily
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="requested")  # requested | done | error
    requested_by: Mapped[str | None] = mapped_column(String(64))
    generated_at: Mapped[datetime | None]
    docx_path: Mapped[str | None] = mapped_column(String(1000))
    html_path: Mapped[str | None] = mapped_column(String(1000))
    error: Mapped[str | None] = mapped_column(Text)


class HourlyRollup(Base):
    """Counts per hour and dimension, kept by the analysis job so the dashboard never scans items."""

    __tablename__ = "rollup_hourly"
    __table_args__ = (
        UniqueConstraint(
            "hour", "kind", "topic", "region", "sentiment", "risk_level", name="uq_rollup_hourly_dims"
        ),
        Index("ix_rollup_hourly_hour", "hour"),
        # Covers the dashboard's overview scans (every column they read), ordered for its GROUP BY.
        Index(
            "ix_rollup_hourly_cover", "hour", "kind", "sentiment", "risk_level", "topic", "region", "count"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hour: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(32), default="")
    region: Mapped[str] = mapped_column(String(64), default="")
    sentiment: Mapped[str] = mapped_column(String(16))
    risk_level: Mapped[int] = mapped_column(Integer, default=0)
    count: Mapped[int] = mapped_column(Integer, default=0)


class SchedulerLock(Base):
    """A lease held by the one scheduler allowed to run jobs; renewed by heartbeat."""

    __tablename__ = "scheduler_lock"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | success | failed
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
