"""Burst detection: counts per topic × region in time buckets against a same-hour-of-week baseline.

The baseline path fires only above a minimum count, after a warm-up (enough observed history), when an
hour's count is well above the mean of the same hour in previous weeks. The fast path watches a short
trailing window for sudden waves (a baseline needs an hour to fill). Pure functions first; the
database-facing part at the end reads `rollup_hourly` and items and upserts `bursts` rows.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core.clock import ensure_utc
from core.models import Burst, HourlyRollup, Item, ItemAnalysis

logger = logging.getLogger(__name__)

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class BurstParams:
    """Tunables of burst detection (defaults suit a city's hotline and boards)."""

    bucket_minutes: int = 60
    min_count: int = 5  # the baseline path never fires below this many items in the bucket
    warmup: timedelta = timedelta(days=7)  # observed history needed before the baseline path may fire
    baseline_weeks: int = 4  # same hour of week in up to this many previous weeks
    ratio: float = 3.0  # count must be at least ratio × baseline ...
    z: float = 3.0  # ... and at least baseline + z·sqrt(baseline) (Poisson noise)
    min_baseline: float = 0.5  # floor under an empty baseline
    fast_window: timedelta = timedelta(minutes=30)
    fast_min_count: int = 6  # fast path, once warmed up
    fast_min_count_cold: int = 8  # fast path during the warm-up (no baseline to compare with)
    fast_ratio: float = 5.0  # window count vs the baseline rate scaled to the window


DEFAULT_BURST_PARAMS = BurstParams()


@dataclass(frozen=True)
class BurstDecision:
    path: str  # baseline | fast
    count: int
    baseline: float
    score: float  # (count - baseline) / sqrt(baseline): how many Poisson deviations above normal
    bucket_start: datetime
    bucket_minutes: int


def floor_bucket(at: datetime, minutes: int) -> datetime:
    at = ensure_utc(at)
    start = at.replace(second=0, microsecond=0)
    return start - timedelta(minutes=(start.hour * 60 + start.minute) % minutes)


def is_warm(history_start: datetime | None, at: datetime, params: BurstParams = DEFAULT_BURST_PARAMS) -> bool:
    return history_start is not None and ensure_utc(at) - ensure_utc(history_start) >= params.warmup


def same_hour_baseline(
    counts: Mapping[datetime, int],
    bucket_start: datetime,
    history_start: datetime | None,
    params: BurstParams = DEFAULT_BURST_PARAMS,
) -> float:
    """Mean count of the same hour of week over the previous `baseline_weeks` weeks that were observed.

    A week before the history started is not evidence of silence, so it is left out rather than counted 0.
    """
    values: list[int] = []
    for week in range(1, params.baseline_weeks + 1):
        past = bucket_start - week * WEEK
        if history_start is not None and past < floor_bucket(history_start, params.bucket_minutes):
            break
        values.append(counts.get(past, 0))
    return sum(values) / len(values) if values else 0.0


def _score(count: float, baseline: float, params: BurstParams) -> float:
    base = max(baseline, params.min_baseline)
    return round((count - base) / math.sqrt(base), 2)


def evaluate_bucket(
    count: int,
    baseline: float,
    *,
    warm: bool,
    bucket_start: datetime,
    params: BurstParams = DEFAULT_BURST_PARAMS,
) -> BurstDecision | None:
    """The baseline path: a full bucket compared with the same hour of previous weeks."""
    if not warm or count < params.min_count:
        return None
    base = max(baseline, params.min_baseline)
    if count < params.ratio * base or count < base + params.z * math.sqrt(base):
        return None
    return BurstDecision(
        "baseline",
        count,
        round(baseline, 2),
        _score(count, baseline, params),
        bucket_start,
        params.bucket_minutes,
    )


def evaluate_fast(
    window_count: int,
    hourly_baseline: float,
    *,
    warm: bool,
    window_end: datetime,
    params: BurstParams = DEFAULT_BURST_PARAMS,
) -> BurstDecision | None:
    """The fast path: a trailing short window, for a wave that cannot wait for the hour to close."""
    share = params.fast_window / timedelta(minutes=params.bucket_minutes)
    expected = hourly_baseline * share
    if warm:
        if window_count < params.fast_min_count:
            return None
        if window_count < params.fast_ratio * max(expected, params.min_baseline * share):
            return None
    elif window_count < params.fast_min_count_cold:
        return None
    minutes = int(params.fast_window.total_seconds() // 60)
    return BurstDecision(
        "fast",
        window_count,
        round(expected, 2),
        _score(window_count, expected, params),
        floor_bucket(window_end, minutes),
        minutes,
    )


# --- database ---------------------------------------------------------------------------------------------


def _item_time() -> object:
    return func.coalesce(Item.published_at, Item.fetched_at)


def history_start(session: Session) -> datetime | None:
    """When observation began: the first hour in the rollup table."""
    first = session.scalar(select(func.min(HourlyRollup.hour)))
    return ensure_utc(first) if first is not None else None


def _hour_counts(
    session: Session, topic: str, region: str, start: datetime, end: datetime
) -> dict[datetime, int]:
    rows = session.execute(
        select(HourlyRollup.hour, func.sum(HourlyRollup.count))
        .where(
            HourlyRollup.topic == topic,
            HourlyRollup.region == region,
            HourlyRollup.hour >= start,
            HourlyRollup.hour <= end,
        )
        .group_by(HourlyRollup.hour)
    )
    return {ensure_utc(hour): int(total or 0) for hour, total in rows}


def _window_filter(topic: str, region: str, start: datetime, end: datetime) -> list[object]:
    region_clause = Item.region == region if region else or_(Item.region.is_(None), Item.region == "")
    published = and_(Item.published_at.is_not(None), Item.published_at >= start, Item.published_at < end)
    fetched = and_(Item.published_at.is_(None), Item.fetched_at >= start, Item.fetched_at < end)
    return [ItemAnalysis.topic == topic, region_clause, Item.status == "analyzed", or_(published, fetched)]


def _window_count(session: Session, topic: str, region: str, start: datetime, end: datetime) -> int:
    query = (
        select(func.count())
        .select_from(Item)
        .join(ItemAnalysis, ItemAnalysis.item_id == Item.id)
        .where(*_window_filter(topic, region, start, end))  # type: ignore[arg-type]
    )
    return int(session.scalar(query) or 0)


def _main_event(session: Session, topic: str, region: str, start: datetime, end: datetime) -> int | None:
    query = (
        select(Item.event_id, func.count())
        .join(ItemAnalysis, ItemAnalysis.item_id == Item.id)
        .where(*_window_filter(topic, region, start, end), Item.event_id.is_not(None))  # type: ignore[arg-type]
        .group_by(Item.event_id)
        .order_by(func.count().desc(), Item.event_id)
        .limit(1)
    )
    row = session.execute(query).first()
    return int(row[0]) if row is not None and row[0] is not None else None


def _upsert(
    session: Session, topic: str, region: str, decision: BurstDecision, event_id: int | None, now: datetime
) -> bool:
    """Insert or strengthen the burst row of (topic, region, bucket_start); True when a row was written."""
    row = session.scalar(
        select(Burst).where(
            Burst.topic == topic, Burst.region == region, Burst.bucket_start == decision.bucket_start
        )
    )
    if row is None:
        session.add(
            Burst(
                topic=topic,
                region=region,
                bucket_start=decision.bucket_start,
                bucket_minutes=decision.bucket_minutes,
                count=decision.count,
                baseline=decision.baseline,
                score=decision.score,
                path=decision.path,
                event_id=event_id,
                detected_at=now,
            )
        )
        return True
    if decision.count > row.count or (decision.count == row.count and decision.score > row.score):
        row.count = decision.count
        row.baseline = decision.baseline
        row.score = decision.score
        row.path = decision.path
        row.bucket_minutes = decision.bucket_minutes
        if event_id is not None:
            row.event_id = event_id
        return True
    if row.event_id is None and event_id is not None:
        row.event_id = event_id
    return False


def detect_bursts(
    session: Session,
    touched: Mapping[tuple[str, str], Iterable[datetime]],
    now: datetime,
    params: BurstParams = DEFAULT_BURST_PARAMS,
) -> tuple[int, set[int]]:
    """Evaluate the touched (topic, region) keys at the touched item times; upsert `bursts`. Needs
    `rollup_hourly` to be current for those hours. Returns the rows written and the events they point at."""
    start_of_history = history_start(session)
    written = 0
    events: set[int] = set()
    for (topic, region), times in touched.items():
        times = sorted({ensure_utc(t) for t in times})
        if not times:
            continue
        buckets = sorted({floor_bucket(t, params.bucket_minutes) for t in times})
        counts = _hour_counts(session, topic, region, buckets[0] - params.baseline_weeks * WEEK, buckets[-1])
        for bucket in buckets:
            warm = is_warm(start_of_history, bucket, params)
            baseline = same_hour_baseline(counts, bucket, start_of_history, params)
            decision = evaluate_bucket(
                counts.get(bucket, 0), baseline, warm=warm, bucket_start=bucket, params=params
            )
            if decision is not None:
                end = bucket + timedelta(minutes=params.bucket_minutes)
                event_id = _main_event(session, topic, region, bucket, end)
                written += _upsert(session, topic, region, decision, event_id, now)
                if event_id is not None:
                    events.add(event_id)
        # Fast path: the trailing window ending at the latest item of this key (never in the future).
        window_end = min(times[-1], now) + timedelta(seconds=1)
        window_start = window_end - params.fast_window
        window_count = _window_count(session, topic, region, window_start, window_end)
        if window_count:
            bucket = floor_bucket(window_end, params.bucket_minutes)
            baseline = same_hour_baseline(counts, bucket, start_of_history, params)
            warm = is_warm(start_of_history, window_end, params)
            decision = evaluate_fast(window_count, baseline, warm=warm, window_end=window_end, params=params)
            if decision is not None:
                event_id = _main_event(session, topic, region, window_start, window_end)
                written += _upsert(session, topic, region, decision, event_id, now)
                if event_id is not None:
                    events.add(event_id)
    if written:
        logger.info("burst detection wrote %d burst rows", written)
    return written, events
