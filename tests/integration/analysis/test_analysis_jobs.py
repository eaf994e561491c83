"""analysis.jobs on a migrated database: batches, errors, events, rollups, re-analysis without double counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from analysis.dedupe import to_unsigned
from analysis.jobs import _claim, rebuild_rollups, run, run_analysis
from core.clock import FixedClock, ensure_utc
from core.db import Database
from core.models import Event, HourlyRollup, Item, ItemAnalysis
from core.runtime import JobContext
from core.settings import AppConfig
from tests.integration.analysis.factory import add_item, add_sources

WATER = "江北区清水河近期水体发黑发臭，河面上漂浮着死鱼，周边居民不敢开窗。联系人：张伟，电话13912345678。"


def _rollup_total(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.coalesce(func.sum(HourlyRollup.count), 0))) or 0)


def test_batches_masking_errors_and_copies(db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    now = clock.now()
    src = add_sources(db, now, ("board", "board"), ("hotline", "hotline"))
    t0 = now - timedelta(hours=2)
    first = add_item(db, src["hotline"], "hotline", "h1", "清水河黑臭", WATER, t0)
    copy = add_item(
        db, src["board"], "board", "b1", "转：清水河黑臭", "转发：" + WATER, t0 + timedelta(minutes=30)
    )
    bad = add_item(db, src["board"], "board", "b2", "", "   ", t0 + timedelta(minutes=31))
    other = add_item(
        db, src["board"], "board", "b3", "公交线路调整咨询", "请问临湖区12路公交什么时候恢复原线路？", t0
    )

    summary = run_analysis(db, app_config, clock, batch_size=2)

    assert summary.batches == 2 and summary.analyzed == 3 and summary.errors == 1
    with db.session() as s:
        items = {i.id: i for i in s.scalars(select(Item))}
        assert items[bad].status == "error" and items[bad].error_reason == "标题和正文均为空"
        assert {items[i].status for i in (first, copy, other)} == {"analyzed"}
        analysis = s.get(ItemAnalysis, first)
        assert analysis is not None
        assert "张伟" not in analysis.content_masked and "13912345678" not in analysis.content_masked
        assert "[手机号" in analysis.content_masked and analysis.model_version
        assert ensure_utc(analysis.analyzed_at) == now
        assert analysis.risk_factors and {"factor", "points", "text"} <= set(analysis.risk_factors[0])
        # SimHash fits the signed BIGINT column and converts back
        assert items[first].simhash is not None and 0 <= to_unsigned(items[first].simhash) < 2**64
        # the copy from another source joins the first report's event; the unrelated item has its own
        assert items[first].event_id == items[copy].event_id != items[other].event_id
        event = s.get(Event, items[first].event_id)
        assert event is not None
        assert (event.item_count, event.source_count) == (2, 2)
        assert (event.first_item_id, event.first_source_id) == (first, src["hotline"])
        assert event.kind_counts == {"board": 1, "hotline": 1}
        assert event.region == "江北区"  # found in the text
        assert items[first].region == "江北区"
        assert event.risk_score > 0 and event.risk_factors
    assert _rollup_total(db) == 3
    # nothing left to do: a second run is a no-op
    assert run_analysis(db, app_config, clock).analyzed == 0


def test_reanalysis_of_an_edited_item_does_not_double_count(
    db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    now = clock.now()
    src = add_sources(db, now, ("board", "board"), ("hotline", "hotline"))
    t0 = now - timedelta(hours=3)
    a = add_item(db, src["board"], "board", "b1", "清水河黑臭", WATER, t0)
    b = add_item(db, src["hotline"], "hotline", "h1", "清水河黑臭", WATER, t0 + timedelta(minutes=5))
    run_analysis(db, app_config, clock)
    with db.session() as s:
        event_id = s.get(Item, a).event_id  # type: ignore[union-attr]
        before = s.get(Event, event_id)
        assert before is not None and before.item_count == 2
        rollup_rows = s.scalar(select(func.count()).select_from(HourlyRollup))
    # the crawler saw an edit: new content, revision + 1, back to 'new'
    with db.session() as s:
        s.execute(
            update(Item)
            .where(Item.id == b)
            .values(content=WATER + "今天又看到死鱼了，恳请尽快处理！", revision=2, status="new")
        )
    clock.advance(minutes=10)
    summary = run_analysis(db, app_config, clock)
    assert summary.analyzed == 1
    with db.session() as s:
        after = s.get(Event, event_id)
        assert after is not None and after.item_count == 2 and after.source_count == 2
        assert s.get(Item, b).event_id == event_id  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(Event)) == 1
        assert s.scalar(select(func.count()).select_from(HourlyRollup)) == rollup_rows
        analysis = s.get(ItemAnalysis, b)
        assert analysis is not None and "今天又看到死鱼了" in analysis.content_masked
    assert _rollup_total(db) == 2
    # the repair tool gives the same numbers
    rebuild_rollups(db)
    assert _rollup_total(db) == 2


def test_rollups_split_by_hour_kind_topic_region_and_sentiment(
    db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    now = clock.now()
    src = add_sources(db, now, ("board", "board"), ("news", "news"))
    h0 = now.replace(minute=0) - timedelta(hours=5)
    add_item(db, src["board"], "board", "b1", "清水河黑臭", WATER, h0 + timedelta(minutes=5))
    add_item(
        db,
        src["board"],
        "board",
        "b2",
        "清水河又臭了",
        "江北区清水河又黑又臭，死鱼漂满河面",
        h0 + timedelta(minutes=50),
    )
    add_item(
        db,
        src["news"],
        "news",
        "n1",
        "我市表彰优秀志愿者",
        "临湖区举行志愿服务表彰大会，一百名优秀志愿者受到表彰。",
        h0 + timedelta(hours=1, minutes=5),
    )
    run_analysis(db, app_config, clock)
    with db.session() as s:
        rows = s.execute(
            select(HourlyRollup.hour, HourlyRollup.kind, HourlyRollup.region, HourlyRollup.count)
        ).all()
    by_hour: dict[object, int] = {}
    for hour, _kind, _region, count in rows:
        by_hour[ensure_utc(hour)] = by_hour.get(ensure_utc(hour), 0) + count
    assert by_hour == {h0: 2, h0 + timedelta(hours=1): 1}
    assert {(r.kind, r.region) for r in rows} == {("board", "江北区"), ("news", "临湖区")}


def test_scheduler_entry_point_returns_a_summary(
    db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    src = add_sources(db, clock.now(), ("board", "board"))
    add_item(db, src["board"], "board", "b1", "清水河黑臭", WATER, clock.now() - timedelta(minutes=5))
    result = run(JobContext(app_config, db, clock))
    assert result["analyzed"] == 1 and result["events_created"] == 1 and result["rollup_hours"] == 1


def test_same_job_on_both_backends(any_db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    now = clock.now()
    src = add_sources(any_db, now, ("board", "board"), ("hotline", "hotline"))
    first = add_item(any_db, src["hotline"], "hotline", "h1", "清水河黑臭", WATER, now - timedelta(hours=1))
    copy = add_item(
        any_db, src["board"], "board", "b1", "转：清水河黑臭", "转发：" + WATER, now - timedelta(minutes=20)
    )
    summary = run_analysis(any_db, app_config, clock, batch_size=1)
    assert (summary.batches, summary.analyzed, summary.events_created) == (2, 2, 1)
    with any_db.session() as s:
        assert s.get(Item, first).event_id == s.get(Item, copy).event_id  # type: ignore[union-attr]
        assert s.scalar(select(func.sum(HourlyRollup.count))) == 2


@pytest.mark.postgres
def test_postgres_workers_skip_rows_claimed_by_another(
    pg_url: str, app_config: AppConfig, clock: FixedClock
) -> None:
    db = Database(pg_url)
    try:
        now = clock.now()
        src = add_sources(db, now, ("board", "board"))
        ids = [
            add_item(db, src["board"], "board", f"b{i}", f"第{i}条", f"临湖区第{i}个路灯坏了，晚上很黑", now)
            for i in range(4)
        ]
        with db.session() as other_worker:
            claimed = _claim(other_worker, 2)  # held, uncommitted, by a second worker
            assert [i.id for i in claimed] == ids[:2]
            summary = run_analysis(db, app_config, clock, batch_size=10)
            assert summary.analyzed == 2
        with db.session() as s:
            statuses = dict(s.execute(select(Item.id, Item.status)).all())
        assert [statuses[i] for i in ids] == ["new", "new", "analyzed", "analyzed"]
    finally:
        db.dispose()
