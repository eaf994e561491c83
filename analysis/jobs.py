"""The scheduled analysis job: score pending items in batches, place them in events, keep rollups and bursts.

Each batch is one transaction: item_analysis rows, item status, event membership, the touched hours of
`rollup_hourly`, bursts and the touched events' aggregates and risk. Aggregates are recomputed from the
items, never incremented, so re-analysing an edited item (the crawler sets it back to 'new') cannot
double-count. A bad record is marked 'error' with its reason and the batch goes on.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from analysis.bursts import DEFAULT_BURST_PARAMS, BurstParams, detect_bursts
from analysis.dedupe import to_signed, to_unsigned
from analysis.events import (
    DEFAULT_EVENT_PARAMS,
    EventMatcher,
    EventMember,
    EventParams,
    PlacedItem,
    summarize_event,
    text_anchors,
    text_shingles,
)
from analysis.pipeline import Analyzer, ItemInput, ItemResult
from analysis.risk import DEFAULT_PARAMS, EventRiskInput, RiskFactor, RiskParams, event_risk
from core.clock import Clock, ensure_utc
from core.db import Database
from core.levels import Level
from core.models import (
    SOURCE_KINDS,
    Burst,
    Event,
    HourlyRollup,
    Item,
    ItemAnalysis,
    ResponseTask,
    SchedulerLock,
)
from core.runtime import JobContext
from core.settings import AppConfig

logger = logging.getLogger(__name__)


@dataclass
class AnalysisSummary:
    batches: int = 0
    analyzed: int = 0
    errors: int = 0
    events_created: int = 0
    events_updated: int = 0
    bursts: int = 0
    rollup_hours: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def run(ctx: JobContext) -> dict[str, int]:
    """Scheduler entry point (yuqing.scheduler calls `analysis.jobs.run`)."""
    return run_analysis(ctx.db, ctx.config, ctx.clock).as_dict()


def run_analysis(
    db: Database,
    app_config: AppConfig,
    clock: Clock,
    batch_size: int | None = None,
    *,
    max_batches: int | None = None,
    analyzer: Analyzer | None = None,
    event_params: EventParams = DEFAULT_EVENT_PARAMS,
    burst_params: BurstParams = DEFAULT_BURST_PARAMS,
    risk_params: RiskParams = DEFAULT_PARAMS,
) -> AnalysisSummary:
    """Analyse every item with status 'new' (in id order, `batch_size` at a time) and return a summary."""
    size = batch_size or app_config.settings.analysis_batch_size
    analyzer = analyzer or Analyzer.from_config(app_config)
    state = _RunState(EventMatcher(event_params), event_params)
    summary = AnalysisSummary()
    while max_batches is None or summary.batches < max_batches:
        with db.session() as session:
            items = _claim(session, size)
            if not items:
                break
            # Flushes happen where the batch needs them, not before every query (thousands otherwise).
            with session.no_autoflush:
                _process_batch(
                    session, items, analyzer, state, clock.now(), summary, burst_params, risk_params
                )
        summary.batches += 1
    if summary.batches:
        logger.info("analysis: %s", summary.as_dict())
    return summary


def _claim(session: Session, size: int) -> list[Item]:
    query = select(Item).where(Item.status == "new").order_by(Item.id).limit(size)
    if session.get_bind().dialect.name != "sqlite":
        # Several analysis workers on PostgreSQL each take different rows; SQLite has one writer anyway.
        query = query.with_for_update(skip_locked=True, of=Item)
    return list(session.scalars(query))


def _item_time(item: Item) -> datetime:
    return ensure_utc(item.published_at or item.fetched_at)


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _validate(item: Item) -> str | None:
    """Why a record cannot be analysed (简体中文, shown to administrators), or None."""
    if item.kind not in SOURCE_KINDS:
        return f"未知的信息类型：{item.kind!r}"
    if not (item.title or "").strip() and not (item.content or "").strip():
        return "标题和正文均为空"
    return None


def _overdue_ids(session: Session, item_ids: Sequence[int], now: datetime) -> set[int]:
    if not item_ids:
        return set()
    rows = session.scalars(
        select(ResponseTask.item_id).where(
            ResponseTask.item_id.in_(item_ids), ResponseTask.state == "running", ResponseTask.due_at < now
        )
    )
    return {int(r) for r in rows if r is not None}


def _analyze_isolated(
    analyzer: Analyzer, inputs: list[ItemInput], now: datetime
) -> dict[int, ItemResult | str]:
    """Analyse the batch at once; if that fails, item by item, so one bad record cannot stop the rest."""
    try:
        return {int(r.id): r for r in analyzer.analyze(inputs, now)}
    except Exception:  # a bad record must not stop the batch: isolate it below, item by item
        logger.warning("batch analysis failed; retrying item by item", exc_info=True)
    outcome: dict[int, ItemResult | str] = {}
    for record in inputs:
        try:
            outcome[int(record.id)] = analyzer.analyze([record], now)[0]
        except Exception as exc:  # the record is marked error with this reason
            logger.exception("analysis of item %s failed", record.id)
            outcome[int(record.id)] = f"分析失败：{type(exc).__name__}: {exc}"[:1000]
    return outcome


@dataclass
class _RunState:
    """What survives between batches of one run: the event matcher and how far back it is loaded."""

    matcher: EventMatcher
    params: EventParams
    hashes_from: datetime | None = None
    topic_from: dict[str | None, datetime] = field(default_factory=dict)
    token: str = field(default_factory=lambda: uuid.uuid4().hex)  # this run, in the aggregates turn row

    def forget_placements(self) -> None:
        """Drop the loaded items: other workers placed items since, and the matcher must see them."""
        self.matcher = EventMatcher(self.params)
        self.hashes_from = None
        self.topic_from = {}


AGGREGATES_TURN = "analysis:aggregates"  # a scheduler_lock row, used only for its row lock and holder


def _take_aggregates_turn(session: Session, state: _RunState, now: datetime) -> None:
    """Wait for this batch's turn at events, rollups and bursts; the turn lasts until the batch commits.

    Several analysis workers (PostgreSQL) analyse their claimed batches in parallel, but these aggregates
    are recomputed from every worker's items: two transactions doing it at once each miss the other's
    uncommitted items, collide on rollup_hourly's unique key (the batch fails and is redone), place related
    items in two new events, or deadlock on shared event rows. A row lock on one scheduler_lock row makes
    them take turns; its holder says whether another run placed items since this run's last turn, in which
    case the matcher's loaded items are stale and are loaded afresh. On SQLite the writer lock does this.
    """
    row = session.get(SchedulerLock, AGGREGATES_TURN, with_for_update=True)
    if row is None:
        try:
            with session.begin_nested():
                session.add(
                    SchedulerLock(name=AGGREGATES_TURN, holder=state.token, acquired_at=now, expires_at=now)
                )
            return
        except IntegrityError:  # another worker created it first; wait for its turn to end
            row = session.get(SchedulerLock, AGGREGATES_TURN, with_for_update=True, populate_existing=True)
            assert row is not None
    if row.holder != state.token:
        state.forget_placements()
        row.holder = state.token
        row.acquired_at = now
        row.expires_at = now


def _process_batch(
    session: Session,
    items: list[Item],
    analyzer: Analyzer,
    state: _RunState,
    now: datetime,
    summary: AnalysisSummary,
    burst_params: BurstParams,
    risk_params: RiskParams,
) -> None:
    overdue = _overdue_ids(session, [i.id for i in items], now)
    valid: list[Item] = []
    for item in items:
        reason = _validate(item)
        if reason is None:
            valid.append(item)
        else:
            _mark_error(session, item, reason)
            summary.errors += 1
    inputs = [
        ItemInput(
            id=item.id,
            kind=item.kind,
            title=item.title or "",
            content=item.content or "",
            region=item.region or None,
            published_at=ensure_utc(item.published_at) if item.published_at else None,
            reply_status=item.reply_status,
            overdue=item.id in overdue,
            addressee=" ".join(x for x in (item.addressee, item.department) if x) or None,
        )
        for item in valid
    ]
    outcome = _analyze_isolated(analyzer, inputs, now) if inputs else {}
    existing = {
        row.item_id: row
        for row in session.scalars(
            select(ItemAnalysis).where(ItemAnalysis.item_id.in_([i.id for i in items]))
        )
    }
    analyzed: list[tuple[Item, ItemResult]] = []
    touched_hours: set[datetime] = set()
    for item in items:
        result = outcome.get(item.id)
        if result is None:
            continue
        if isinstance(result, str):
            _mark_error(session, item, result)
            summary.errors += 1
            touched_hours.add(_hour(_item_time(item)))
            continue
        _store(session, item, result, now, existing.get(item.id))
        analyzed.append((item, result))
    session.flush()
    summary.analyzed += len(analyzed)

    _take_aggregates_turn(session, state, now)
    touched_events = _place_in_events(session, analyzed, state, now, summary)
    session.flush()

    touched_keys: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for item, result in analyzed:
        at = _item_time(item)
        touched_hours.add(_hour(at))
        touched_keys[(result.topic or "", item.region or "")].append(at)
    summary.rollup_hours += refresh_rollups(session, touched_hours)
    session.flush()

    written, burst_events = detect_bursts(session, touched_keys, now, burst_params)
    summary.bursts += written
    session.flush()
    summary.events_updated += refresh_events(session, touched_events | burst_events, now, risk_params)


def _mark_error(session: Session, item: Item, reason: str) -> None:
    item.status = "error"
    item.error_reason = reason
    # An old analysis describes content that is no longer there.
    session.execute(delete(ItemAnalysis).where(ItemAnalysis.item_id == item.id))


def _store(session: Session, item: Item, result: ItemResult, now: datetime, row: ItemAnalysis | None) -> None:
    if row is None:
        row = ItemAnalysis(item_id=item.id)
        session.add(row)
    row.sentiment = result.sentiment
    row.sentiment_score = result.sentiment_score
    row.topic = result.topic
    row.topic_confidence = result.topic_confidence
    row.tags = list(result.tags)
    row.scheme_hits = result.scheme_hits_json()
    row.risk_score = result.risk.score
    row.risk_level = int(result.risk.level)
    row.risk_factors = result.risk.factors_json()
    row.title_masked = result.title_masked[:500]
    row.content_masked = result.content_masked
    row.model_version = result.model_version
    row.analyzed_at = now
    item.status = "analyzed"
    item.error_reason = None
    item.simhash = to_signed(result.simhash)
    if not item.region and result.region:
        item.region = result.region  # found in the text; events, rollups and bursts group by it


# --- events -------------------------------------------------------------------------------------------------


def _load_hashes(session: Session, state: _RunState, since: datetime) -> None:
    """Load the SimHashes of placed items from `since` on (those not loaded yet): the near-duplicate path."""
    if state.hashes_from is not None and since >= state.hashes_from:
        return
    at = func.coalesce(Item.published_at, Item.fetched_at)
    conditions = [Item.event_id.is_not(None), Item.simhash.is_not(None), Item.status != "error", at >= since]
    if state.hashes_from is not None:
        conditions.append(at < state.hashes_from)
    rows = session.execute(
        select(Item.id, Item.event_id, Item.published_at, Item.fetched_at, Item.simhash, Event.first_seen_at)
        .join(Event, Event.id == Item.event_id)
        .where(*conditions)
    )
    for item_id, event_id, published, fetched, simhash, event_start in rows:
        if item_id in state.matcher:
            continue  # already there with its text
        state.matcher.add(
            PlacedItem(
                item_id,
                event_id,
                ensure_utc(published or fetched),
                None,
                None,
                to_unsigned(simhash or 0),
                event_start=ensure_utc(event_start),
            )
        )
    state.hashes_from = since


def _load_topic(session: Session, state: _RunState, topic: str | None, since: datetime) -> None:
    """Load placed items of one topic (every region) from `since` on, with their text: the related path."""
    loaded = state.topic_from.get(topic)
    if loaded is not None and since >= loaded:
        return
    at = func.coalesce(Item.published_at, Item.fetched_at)
    conditions = [
        Item.event_id.is_not(None),
        Item.status != "error",
        ItemAnalysis.topic == topic,
        at >= since,
    ]
    if loaded is not None:
        conditions.append(at < loaded)
    rows = session.execute(
        select(
            Item.id,
            Item.event_id,
            Item.published_at,
            Item.fetched_at,
            Item.region,
            Item.simhash,
            ItemAnalysis.title_masked,
            ItemAnalysis.content_masked,
            ItemAnalysis.scheme_hits,
            Event.first_seen_at,
        )
        .join(ItemAnalysis, ItemAnalysis.item_id == Item.id)
        .join(Event, Event.id == Item.event_id)
        .where(*conditions)
    )
    for item_id, event_id, published, fetched, region, simhash, title, content, hits, event_start in rows:
        text = f"{title}\n{content}"
        state.matcher.add(
            PlacedItem(
                item_id=item_id,
                event_id=event_id,
                at=ensure_utc(published or fetched),
                topic=topic,
                region=region or None,
                simhash=to_unsigned(simhash) if simhash is not None else 0,
                shingles=text_shingles(text),
                anchors=text_anchors(text),
                schemes=frozenset(h.get("scheme", "") for h in hits or ()),
                event_start=ensure_utc(event_start),
            )
        )
    state.topic_from[topic] = since


def _place_in_events(
    session: Session,
    analyzed: list[tuple[Item, ItemResult]],
    state: _RunState,
    now: datetime,
    summary: AnalysisSummary,
) -> set[int]:
    if not analyzed:
        return set()
    earliest = min(_item_time(item) for item, _ in analyzed)
    _load_hashes(session, state, earliest - state.params.dup_window)
    # New events get provisional keys (negative numbers) and their ids from one flush at the end.
    new_events: dict[int, Event] = {}
    targets: list[tuple[Item, int]] = []
    # Oldest first, so the first report of an incident founds its event and later ones join it.
    for item, result in sorted(analyzed, key=lambda pair: (_item_time(pair[0]), pair[0].id)):
        at = _item_time(item)
        text = f"{result.title_masked}\n{result.content_masked}"
        shingles = text_shingles(text)
        anchors = text_anchors(text)
        schemes = frozenset(h.scheme for h in result.scheme_hits)
        region = item.region or None
        # An item being re-analysed keeps its event: its copies and neighbours are still there, and moving
        # it would make the event's history jump. Its aggregates are recomputed below either way.
        target = item.event_id
        if target is None:
            _load_topic(session, state, result.topic, at - state.params.related_window)
            placement = state.matcher.find(
                item_id=item.id,
                at=at,
                topic=result.topic,
                region=region,
                simhash=result.simhash,
                shingles=shingles,
                anchors=anchors,
                schemes=schemes,
            )
            if placement is not None:
                target = cast(int, placement.event_id)
            else:
                target = -(len(new_events) + 1)
                new_events[target] = Event(
                    title=result.title_masked[:500] or result.content_masked[:60],
                    topic=result.topic,
                    region=region,
                    first_item_id=item.id,
                    first_source_id=item.source_id,
                    first_seen_at=at,
                    last_seen_at=at,
                    updated_at=now,
                    tags=list(result.tags),
                    kind_counts={},
                    risk_factors=[],
                    trend=[],
                    simhash=to_signed(result.simhash),
                )
        targets.append((item, target))
        state.matcher.add(
            PlacedItem(
                item_id=item.id,
                event_id=target,
                at=at,
                topic=result.topic,
                region=region,
                simhash=result.simhash,
                shingles=shingles,
                anchors=anchors,
                schemes=schemes,
            )
        )
    session.add_all(new_events.values())
    session.flush()
    ids = {key: event.id for key, event in new_events.items()}
    state.matcher.rekey(ids)
    summary.events_created += len(new_events)
    touched: set[int] = set()
    for item, target in targets:
        item.event_id = ids.get(target, target)
        touched.add(item.event_id)
    return touched


def refresh_events(
    session: Session, event_ids: Iterable[int], now: datetime, risk_params: RiskParams = DEFAULT_PARAMS
) -> int:
    """Recompute the aggregates and risk of the given events from their items. Returns events updated."""
    ids = sorted(set(event_ids))
    updated = 0
    for chunk_start in range(0, len(ids), 200):
        chunk = ids[chunk_start : chunk_start + 200]
        rows = session.execute(
            select(
                Item.id,
                Item.event_id,
                Item.source_id,
                Item.kind,
                Item.published_at,
                Item.fetched_at,
                Item.region,
                Item.reply_status,
                ItemAnalysis.title_masked,
                ItemAnalysis.sentiment,
                ItemAnalysis.topic,
                ItemAnalysis.tags,
                ItemAnalysis.risk_score,
                ItemAnalysis.risk_factors,
                ItemAnalysis.scheme_hits,
            )
            .join(ItemAnalysis, ItemAnalysis.item_id == Item.id)
            .where(Item.event_id.in_(chunk), Item.status != "error")
        ).all()
        by_event: dict[int, list[Any]] = defaultdict(list)
        for row in rows:
            by_event[int(row.event_id)].append(row)
        member_ids = [int(r.id) for r in rows]
        overdue = _overdue_ids(session, member_ids, now)
        bursts: list[Burst] = []
        if rows:
            times = [ensure_utc(r.published_at or r.fetched_at) for r in rows]
            bursts = list(
                session.scalars(
                    select(Burst).where(
                        Burst.bucket_start >= min(times) - timedelta(hours=1),
                        Burst.bucket_start <= max(times),
                    )
                )
            )
        for event in session.scalars(select(Event).where(Event.id.in_(chunk))):
            members = by_event.get(event.id, [])
            if not members:
                # Every item left (errors on re-analysis): keep the row for the alerts that point at it.
                event.item_count = 0
                event.status = "closed"
                event.updated_at = now
                continue
            _apply_summary(event, members, overdue, bursts, now, risk_params)
            updated += 1
    return updated


def _apply_summary(
    event: Event,
    members: list[Any],
    overdue: set[int],
    bursts: list[Burst],
    now: datetime,
    params: RiskParams,
) -> None:
    summary = summarize_event(
        [
            EventMember(
                item_id=int(m.id),
                source_id=m.source_id,
                kind=m.kind,
                at=ensure_utc(m.published_at or m.fetched_at),
                title=m.title_masked,
                sentiment=m.sentiment,
                topic=m.topic,
                region=m.region,
                tags=tuple(m.tags or ()),
            )
            for m in members
        ]
    )
    top = max(members, key=lambda m: (m.risk_score, -int(m.id)))
    floor = Level.NONE
    for m in members:
        for hit in m.scheme_hits or ():
            if hit.get("always_alert"):
                floor = max(floor, Level.parse(hit.get("level") or "none"))
    unanswered = sum(
        1
        for m in members
        if m.reply_status == "pending"
        and m.published_at is not None
        and (now - ensure_utc(m.published_at)).total_seconds() >= params.unanswered_hours * 3600
    )
    burst = _burst_for(
        bursts, event.id, summary.topic, summary.region, summary.first_seen_at, summary.last_seen_at
    )
    risk = event_risk(
        EventRiskInput(
            item_count=summary.item_count,
            source_count=summary.source_count,
            kind_counts=summary.kind_counts,
            neg_count=summary.neg_count,
            max_item_score=float(top.risk_score),
            max_item_factors=[
                RiskFactor(f.get("factor", ""), float(f.get("points", 0)), f.get("text", ""))
                for f in (top.risk_factors or ())
            ],
            floor=floor,
            bursting=burst is not None,
            burst_text=burst or "",
            unanswered_count=unanswered,
            overdue_count=sum(1 for m in members if int(m.id) in overdue),
        ),
        params,
    )
    event.title = summary.title[:500] or event.title
    event.topic = summary.topic
    event.region = summary.region
    event.tags = list(summary.tags)
    event.first_item_id = summary.first_item_id
    event.first_source_id = summary.first_source_id
    event.first_seen_at = summary.first_seen_at
    event.last_seen_at = summary.last_seen_at
    event.item_count = summary.item_count
    event.source_count = summary.source_count
    event.kind_counts = summary.kind_counts
    event.neg_count = summary.neg_count
    event.neu_count = summary.neu_count
    event.pos_count = summary.pos_count
    event.trend = summary.trend
    event.risk_score = risk.score
    event.risk_level = int(risk.level)
    event.risk_factors = risk.factors_json()
    event.status = "open"
    event.updated_at = now


def _burst_for(
    bursts: list[Burst], event_id: int, topic: str | None, region: str | None, first: datetime, last: datetime
) -> str | None:
    """A short text describing the strongest recent burst behind this event, or None.

    Recent: within a day of the event's latest item; a burst last week does not make today's event hot.
    """
    since = max(first - timedelta(hours=1), last - timedelta(hours=24))
    relevant = [
        b
        for b in bursts
        if since <= ensure_utc(b.bucket_start) <= last
        and (b.event_id == event_id or (b.topic == (topic or "") and b.region == (region or "")))
    ]
    if not relevant:
        return None
    burst = max(relevant, key=lambda b: b.score)
    if burst.path == "fast":
        return f"{burst.bucket_minutes}分钟内同类信息{burst.count}条，明显高于平时"
    ratio = burst.count / max(burst.baseline, 0.5)
    return f"1小时内同类信息{burst.count}条，为同期均值{burst.baseline:.1f}条的{ratio:.0f}倍"


# --- rollups ------------------------------------------------------------------------------------------------


def _hour_runs(hours: Iterable[datetime]) -> list[tuple[datetime, datetime]]:
    """Consecutive hours merged into [start, end) ranges, so a dense backlog needs few queries."""
    ordered = sorted(set(hours))
    runs: list[tuple[datetime, datetime]] = []
    for hour in ordered:
        if runs and runs[-1][1] == hour:
            runs[-1] = (runs[-1][0], hour + timedelta(hours=1))
        else:
            runs.append((hour, hour + timedelta(hours=1)))
    return runs


def refresh_rollups(session: Session, hours: Iterable[datetime]) -> int:
    """Recompute `rollup_hourly` for the given hours from the analysed items (idempotent). Returns hours."""
    hours = {ensure_utc(h) for h in hours}
    if not hours:
        return 0
    counts: Counter[tuple[datetime, str, str, str, str, int]] = Counter()
    for start, end in _hour_runs(hours):
        published = and_(Item.published_at.is_not(None), Item.published_at >= start, Item.published_at < end)
        fetched = and_(Item.published_at.is_(None), Item.fetched_at >= start, Item.fetched_at < end)
        rows = session.execute(
            select(
                Item.published_at,
                Item.fetched_at,
                Item.kind,
                Item.region,
                ItemAnalysis.topic,
                ItemAnalysis.sentiment,
                ItemAnalysis.risk_level,
            )
            .join(ItemAnalysis, ItemAnalysis.item_id == Item.id)
            .where(Item.status != "error", or_(published, fetched))
        )
        for published_at, fetched_at, kind, region, topic, sentiment, level in rows:
            hour = _hour(ensure_utc(published_at or fetched_at))
            counts[(hour, kind, topic or "", region or "", sentiment, int(level or 0))] += 1
    session.execute(delete(HourlyRollup).where(HourlyRollup.hour.in_(sorted(hours))))
    session.add_all(
        HourlyRollup(
            hour=hour, kind=kind, topic=topic, region=region, sentiment=sentiment, risk_level=level, count=n
        )
        for (hour, kind, topic, region, sentiment, level), n in counts.items()
    )
    return len(hours)


def rebuild_rollups(db: Database, since: datetime | None = None) -> int:
    """Recompute every hour (from `since`) of `rollup_hourly` from the items: a repair tool."""
    with db.session() as session:
        at = func.coalesce(Item.published_at, Item.fetched_at)
        query = select(at).join(ItemAnalysis, ItemAnalysis.item_id == Item.id)
        if since is not None:
            query = query.where(at >= since)
        hours = {_hour(ensure_utc(t)) for t in session.scalars(query) if t is not None}
        old = select(HourlyRollup.hour)
        if since is not None:
            old = old.where(HourlyRollup.hour >= since)
        hours |= {ensure_utc(h) for h in session.scalars(old)}
        return refresh_rollups(session, hours)
