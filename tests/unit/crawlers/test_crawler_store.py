"""The store: batched idempotent upsert on SQLite and PostgreSQL, edits, replies, deletions, revisits, races."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from core.clock import FixedClock, ensure_utc
from core.db import Database
from core.models import Department, Item, SeenUrl, Source
from crawlers.departments import DepartmentMatcher
from crawlers.items import CrawledItem
from crawlers.seen import SeenIndex
from crawlers.store import ItemStore, RevisitPolicy

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
REVISIT = RevisitPolicy(timedelta(minutes=60), timedelta(days=30))


def make_source(db: Database, key: str = "board_a", kind: str = "board") -> int:
    with db.session() as session:
        source = Source(key=key, name=key, kind=kind, created_at=NOW, state={})
        session.add(source)
        session.flush()
        return source.id


def post(n: int, **changes: object) -> CrawledItem:
    item = CrawledItem(
        external_id=str(n),
        kind="board",
        url=f"http://127.0.0.1/post/{n}",
        title=f"标题{n}",
        content=f"内容{n}",
        published_at=NOW - timedelta(hours=1),
        published_raw="1小时前",
        reply_status="pending",
        addressee="市生态环境局",
    )
    for name, value in changes.items():
        setattr(item, name, value)
    return item


def count_items(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count(Item.id))) or 0


def test_batched_upsert_is_idempotent(any_db: Database) -> None:
    source_id = make_source(any_db)
    clock = FixedClock(NOW)
    store = ItemStore(any_db, clock, source_id=source_id, batch_size=7, revisit=REVISIT)
    for n in range(25):
        store.add(post(n))
    store.flush()
    assert store.counts["new"] == 25
    assert count_items(any_db) == 25
    again = ItemStore(any_db, clock, source_id=source_id, batch_size=10, revisit=REVISIT)
    for n in range(25):
        again.add(post(n))
    again.flush()
    assert dict(again.counts) == {"unchanged": 25}
    assert count_items(any_db) == 25
    with any_db.session() as session:
        seen = session.scalars(select(SeenUrl)).all()
        assert len(seen) == 25
        assert all(
            ensure_utc(s.next_visit_at) == NOW + timedelta(minutes=60) for s in seen if s.next_visit_at
        )


def test_two_stores_racing_never_duplicate(any_db: Database) -> None:
    """Two crawls of one source writing the same items (a manual crawl during a scheduled one)."""
    source_id = make_source(any_db)
    clock = FixedClock(NOW)
    first = ItemStore(any_db, clock, source_id=source_id, batch_size=1000)
    second = ItemStore(any_db, clock, source_id=source_id, batch_size=1000)
    for n in range(10):
        first.add(post(n))
        second.add(post(n, content=f"改过的内容{n}"))
    # `second` loads the existing rows before `first` commits: simulate by flushing first in between.
    original_load = second._load
    calls = {"n": 0}

    def load_then_race(session, ids):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        found = original_load(session, ids)
        if calls["n"] == 1:
            first.flush()  # commits in its own transaction while `second` is mid-batch
        return found

    second._load = load_then_race  # type: ignore[method-assign]
    second.flush()
    assert first.counts["new"] == 10
    assert second.counts["new"] == 0 and second.counts["updated"] == 10
    assert count_items(any_db) == 10
    with any_db.session() as session:
        assert {i.revision for i in session.scalars(select(Item))} == {2}


def test_edit_bumps_revision_and_resets_status(db: Database) -> None:
    source_id = make_source(db)
    clock = FixedClock(NOW)
    store = ItemStore(db, clock, source_id=source_id, revisit=REVISIT)
    store.add(post(1))
    store.flush()
    with db.session() as session:
        row = session.scalars(select(Item)).one()
        row.status = "analyzed"
    clock.advance(minutes=30)
    store.add(post(1, content="内容1（补充：情况更严重了）", published_raw="2小时前"))
    store.flush()
    with db.session() as session:
        row = session.scalars(select(Item)).one()
        assert row.revision == 2 and row.status == "new"
        assert row.content == "内容1（补充：情况更严重了）"
        assert row.published_raw == "1小时前"  # the first publication time stands
        assert ensure_utc(row.updated_at) == NOW + timedelta(minutes=30)
    assert store.counts["updated"] == 1


def test_reply_arrives_and_is_never_taken_back(db: Database) -> None:
    source_id = make_source(db)
    clock = FixedClock(NOW)
    store = ItemStore(db, clock, source_id=source_id, revisit=REVISIT)
    store.add(post(1))
    store.flush()
    reply_at = NOW + timedelta(hours=5)
    store.add(post(1, reply_status="replied", reply_text="已转交处理", reply_at=reply_at,
                   reply_department="市生态环境局", source_status="已回复"))  # fmt: skip
    store.flush()
    with db.session() as session:
        row = session.scalars(select(Item)).one()
        assert (row.reply_status, row.reply_text, row.revision) == ("replied", "已转交处理", 1)
        assert ensure_utc(row.reply_at) == reply_at
        seen = session.scalars(select(SeenUrl)).one()
        assert seen.next_visit_at is None  # answered: no more revisits
    store.add(post(1, reply_status="pending"))  # a page that lost its reply block
    store.flush()
    with db.session() as session:
        assert session.scalars(select(Item)).one().reply_status == "replied"


def test_gone_touch_and_retry(db: Database) -> None:
    source_id = make_source(db)
    clock = FixedClock(NOW)
    store = ItemStore(db, clock, source_id=source_id, revisit=REVISIT)
    store.add(post(1))
    store.add(post(2))
    store.flush()
    clock.advance(hours=2)
    store.mark_gone("http://127.0.0.1/post/1")
    store.touch("http://127.0.0.1/post/2")
    store.retry_later("http://127.0.0.1/post/3")
    store.flush()
    assert store.counts["gone"] == 1 and store.counts["unchanged"] == 1
    with db.session() as session:
        items = {i.external_id: i for i in session.scalars(select(Item))}
        assert ensure_utc(items["1"].deleted_at) == NOW + timedelta(hours=2)  # kept, marked deleted
        assert items["2"].deleted_at is None
        seen = {s.url.rsplit("/", 1)[1]: s for s in session.scalars(select(SeenUrl))}
        assert seen["1"].gone and seen["1"].next_visit_at is None
        assert ensure_utc(seen["2"].next_visit_at) == NOW + timedelta(hours=3)
        assert (
            ensure_utc(seen["3"].next_visit_at) == NOW + timedelta(hours=2) and seen["3"].content_hash is None
        )
    due = SeenIndex(db, source_id).due_revisits(NOW + timedelta(hours=2), timedelta(days=30), 100)
    assert [p.url for p in due] == ["http://127.0.0.1/post/3"]
    due = SeenIndex(db, source_id).due_revisits(NOW + timedelta(hours=4), timedelta(days=30), 100)
    assert {p.url for p in due} == {"http://127.0.0.1/post/2", "http://127.0.0.1/post/3"}
    # the post comes back (the site restored it): deleted_at is cleared
    store.add(post(1))
    store.flush()
    with db.session() as session:
        assert session.scalars(select(Item).where(Item.external_id == "1")).one().deleted_at is None


def test_revisits_stop_after_max_age() -> None:
    policy = RevisitPolicy(timedelta(hours=1), timedelta(days=30))
    assert policy.next_visit(NOW, NOW - timedelta(days=29), replied=False) == NOW + timedelta(hours=1)
    assert policy.next_visit(NOW, NOW - timedelta(days=31), replied=False) is None
    assert policy.next_visit(NOW, NOW, replied=True) is None


def test_department_mapping(db: Database) -> None:
    with db.session() as session:
        env = Department(code="sthjj", name="市生态环境局", aliases=["环保局"])
        traffic = Department(code="jtj", name="市交通运输局", aliases=[])
        session.add_all([env, traffic])
        session.flush()
        env_id, traffic_id = env.id, traffic.id
        matcher = DepartmentMatcher.load(session)
    assert matcher.match("市生态环境局") == env_id
    assert matcher.match("环保局") == env_id
    assert matcher.match("云江市交通运输局城区分局") == traffic_id  # contained name
    assert matcher.match("致市交通运输局局长") == traffic_id
    assert matcher.match(None, "未知单位", "环保局") == env_id
    assert matcher.match("区政府") is None
    source_id = make_source(db)
    store = ItemStore(db, FixedClock(NOW), source_id=source_id, departments=matcher)
    store.add(post(1))
    store.flush()
    with db.session() as session:
        assert session.scalars(select(Item)).one().department_id == env_id
