"""Source health: which sources are failing or silent, and how many items each brings per day.

`source_signals` is pure (session, config, clock in; signals out). The same facts live on the sources
row (consecutive_failures, last_item_at, last_error), which the alerts part reads directly: alerts may
not import crawlers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import Clock, ensure_utc, to_local
from core.models import Item, Source
from core.settings import AppConfig

SignalKind = Literal["failing", "silent"]


@dataclass(frozen=True)
class SourceSignal:
    source_key: str
    source_id: int
    source_name: str
    kind: SignalKind
    since: datetime | None  # failing: last success (or None); silent: the last new item (or creation)
    consecutive_failures: int
    last_error: str | None
    message: str  # 简体中文, for the alert text


def source_signals(session: Session, config: AppConfig, clock: Clock) -> list[SourceSignal]:
    """One signal per enabled source that failed `failures_before_alert` runs in a row, and one per source
    that stored no new item for `silent_after_hours` (file imports are never silent: people bring them)."""
    now = clock.now()
    defaults = config.sources.defaults
    rows = {row.key: row for row in session.scalars(select(Source))}
    signals: list[SourceSignal] = []
    for cfg in config.sources.sources:
        row = rows.get(cfg.key)
        if row is None or not cfg.enabled:
            continue
        failures = row.consecutive_failures or 0
        if failures >= defaults.failures_before_alert:
            since = ensure_utc(row.last_success_at) if row.last_success_at else None
            signals.append(
                SourceSignal(
                    cfg.key, row.id, cfg.name, "failing", since, failures, row.last_error,
                    f"信息源“{cfg.name}”连续{failures}次采集失败：{(row.last_error or '原因不明')[:200]}",
                )
            )  # fmt: skip
        if cfg.type == "file":
            continue
        silent_hours = cfg.silent_after_hours or defaults.silent_after_hours
        reference = row.last_item_at or row.created_at
        if reference is not None and now - ensure_utc(reference) > timedelta(hours=silent_hours):
            last = ensure_utc(reference)
            hours = (now - last).total_seconds() / 3600
            signals.append(
                SourceSignal(
                    cfg.key, row.id, cfg.name, "silent", last, failures, row.last_error,
                    f"信息源“{cfg.name}”已{hours:.0f}小时没有新内容（阈值{silent_hours:g}小时）",
                )
            )  # fmt: skip
    return signals


def items_per_day(session: Session, source_id: int, clock: Clock, days: int = 7) -> list[tuple[date, int]]:
    """New items stored per local (Asia/Shanghai) day over the last `days` days, oldest first, zeros included."""
    now = clock.now()
    start_day = to_local(now).date() - timedelta(days=days - 1)
    since = now - timedelta(days=days + 1)
    counts: Counter[date] = Counter()
    for (fetched,) in session.execute(
        select(Item.fetched_at).where(Item.source_id == source_id, Item.fetched_at >= since)
    ):
        day = to_local(ensure_utc(fetched)).date()
        if day >= start_day:
            counts[day] += 1
    return [(start_day + timedelta(days=n), counts[start_day + timedelta(days=n)]) for n in range(days)]
