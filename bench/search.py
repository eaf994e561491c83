"""Full-text search (core/search.py) against the LIKE scan it replaced, on SQLite and optionally PostgreSQL.

Builds a database of N items with Chinese titles and bodies (with the 0002 indexes and their triggers), then
times each query two ways in the same process: the indexed condition (FTS5 trigram / pg_trgm) against the
old `LIKE '%term%'` scan on SQLite, and against the same ILIKE without the trigram indexes on PostgreSQL. Also prints what the index costs: insert time with and without the
full-text triggers, and the database size. The answers of both ways are compared (they must be equal).

    .venv/bin/python bench/search.py                 # SQLite, 200,000 items
    .venv/bin/python bench/search.py --items 50000 --pg   # also a throw-away PostgreSQL cluster
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import ColumnElement, and_, create_engine, func, or_, select, text  # noqa: E402
from sqlalchemy import insert as insert_stmt  # noqa: E402

from core.db import Database  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.models import Item, Source  # noqa: E402
from core.search import item_search_clause, like_pattern, search_terms  # noqa: E402

REGIONS = ["江北区", "江南区", "临湖区", "高新区", "东城区", "西山县", "青石县"]
ESTATES = ["幸福里", "锦绣花园", "阳光新城", "滨江一号", "翠湖苑", "金桂园", "和平家园", "东风小区"]
PROBLEMS = [
    ("小区电梯故障长期未修", "电梯这个月坏了好几次，物业一直拖着不修，楼里老人只能爬楼"),
    ("拖欠农民工工资", "老板拖欠工资三个月，二十多名工人讨薪无果，希望劳动监察部门介入"),
    ("河道黑臭水体", "河水发黑发臭，还有死鱼漂浮，疑似上游企业偷排污水"),
    ("夜间施工噪音扰民", "工地每天晚上施工到凌晨，噪音很大，严重影响休息"),
    ("冬季供暖温度不达标", "室内温度只有十四度左右，供热公司说管网老化，迟迟没有解决"),
    ("公交线路调整出行不便", "公交车改线后不再经过小区，居民出行要步行二十分钟"),
    ("医院挂号排队过长", "挂号排了两个小时，医保报销窗口只开一个"),
    ("预付卡商家跑路", "健身房突然关门，老板联系不上，预付卡还有几千元没有消费"),
    ("燃气管道老化", "楼道里的燃气管道锈蚀严重，担心漏气，希望尽快更换"),
    ("路灯损坏无人维修", "小区门口路灯坏了一个多月，晚上出行很不安全"),
]
QUERIES = [
    ("rare 4+ characters", "编号123457"),
    ("common 4 characters", "供暖温度"),
    ("two terms, 3+ each", "拖欠工资 临湖区"),
    ("3 characters", "黑臭水"),
    ("long phrase", "物业一直拖着不修"),
    ("2 characters (LIKE fallback)", "电梯"),
    ("2 + 4 characters", "电梯 幸福里小区"),
    ("ASCII, any case", "wifi"),
    ("no match", "不存在的词语组合"),
]


def generate(n: int, seed: int = 5) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        title, body = rng.choice(PROBLEMS)
        region, estate = rng.choice(REGIONS), rng.choice(ESTATES)
        extra = " 小区WiFi信号差" if rng.random() < 0.01 else ""
        rows.append(
            (
                f"{region}{estate}{title}",
                f"{region}{estate}居民反映：{body}。{extra}联系人已登记，编号{i}。多次反映未解决，请尽快处理。",
            )
        )
    return rows


def insert(db: Database, rows: list[tuple[str, str]], *, first_id: int = 1) -> float:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    with db.session() as s:
        source = s.scalar(select(Source.id).where(Source.key == "bench"))
        if source is None:
            row = Source(key="bench", name="bench", kind="board", created_at=now, state={})
            s.add(row)
            s.flush()
            source = row.id
    records = [
        {
            "id": first_id + n,
            "source_id": source,
            "external_id": f"b{first_id + n}",
            "kind": "board",
            "title": title,
            "content": content,
            "published_at": now - timedelta(minutes=n),
            "fetched_at": now,
            "updated_at": now,
            "content_hash": f"{first_id + n:x}",
            "reply_status": "none",
            "revision": 1,
            "status": "analyzed",
            "extra": {},
        }
        for n, (title, content) in enumerate(rows)
    ]
    t0 = time.perf_counter()
    with db.engine.begin() as conn:
        for start in range(0, len(records), 10_000):
            conn.execute(insert_stmt(Item), records[start : start + 10_000])
    return time.perf_counter() - t0


def like_clause(query: str, dialect: str) -> ColumnElement[bool]:
    """What the items page did before the indexes: a LIKE scan per term."""
    conds = []
    for term in search_terms(query):
        pattern = like_pattern(term)
        if dialect == "sqlite":
            conds.append(or_(Item.title.like(pattern, escape="\\"), Item.content.like(pattern, escape="\\")))
        else:
            conds.append(or_(Item.title.ilike(pattern), Item.content.ilike(pattern)))
    return and_(*conds)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    fn()  # warm-up
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, result


def time_queries(db: Database, clause: Callable[[str], Any], repeat: int) -> list[tuple[float, Any]]:
    """(median ms, (count, newest 500 ids)) per query of QUERIES, as the items page asks them."""

    def run(condition: Any) -> tuple[int, list[int]]:
        with db.session() as s:
            total = s.scalar(select(func.count()).select_from(Item).where(condition)) or 0
            newest = list(
                s.scalars(select(Item.id).where(condition).order_by(Item.published_at.desc()).limit(500))
            )
        return total, newest

    return [timed(lambda q=query: run(clause(q)), repeat) for _, query in QUERIES]  # type: ignore[misc]


def report(dialect: str, fast: list[tuple[float, Any]], slow: list[tuple[float, Any]], baseline: str) -> None:
    print(f"| query ({dialect}) | matches | indexed ms | {baseline} ms | ratio |")
    print("|---|---|---|---|---|")
    for (name, query), (fast_ms, fast_result), (slow_ms, slow_result) in zip(
        QUERIES, fast, slow, strict=True
    ):
        assert fast_result == slow_result, (name, fast_result[0], slow_result[0])
        print(
            f"| {name}: `{query}` | {fast_result[0]:,} | {fast_ms:.1f} | {slow_ms:.1f} | "
            f"{slow_ms / fast_ms:.1f}x |"
        )


def indexed_clause(dialect: str) -> Callable[[str], Any]:
    def clause(query: str) -> Any:
        condition = item_search_clause(dialect, query)
        assert condition is not None
        return condition

    return clause


def build(db: Database, rows: list[tuple[str, str]], label: str) -> None:
    upgrade(db.engine)
    indexed = insert(db, rows)
    print(f"{label}: inserted {len(rows):,} items with the full-text index in {indexed:.1f} s")


def sqlite_run(n: int, repeat: int) -> None:
    rows = generate(n)
    with tempfile.TemporaryDirectory() as tmp:
        plain = Database(f"sqlite:///{tmp}/plain.db")
        upgrade(plain.engine, "0001")
        bare = insert(plain, rows)
        plain.dispose()
        size_plain = Path(f"{tmp}/plain.db").stat().st_size
        db = Database(f"sqlite:///{tmp}/fts.db")
        build(db, rows, "SQLite")
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        size = Path(f"{tmp}/fts.db").stat().st_size
        print(
            f"SQLite: the same insert without the index (schema 0001) {bare:.1f} s; database {size / 1e6:.0f} MB "
            f"with the index, {size_plain / 1e6:.0f} MB without"
        )
        fast = time_queries(db, indexed_clause("sqlite"), repeat)
        slow = time_queries(db, lambda q: like_clause(q, "sqlite"), repeat)
        report("sqlite", fast, slow, "LIKE scan (no index)")
        db.dispose()


def pg_run(n: int, repeat: int) -> None:
    from tests.pgserver import PostgresCluster, find_bindir

    bindir = find_bindir()
    if bindir is None:
        print("PostgreSQL is not installed; skipped")
        return
    cluster = PostgresCluster(bindir)
    cluster.start()
    try:
        admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE bench"))
        admin.dispose()
        db = Database(cluster.url("bench"))
        build(db, generate(n), "PostgreSQL")
        with db.engine.begin() as conn:  # committed: planner statistics, as autovacuum would leave them
            conn.execute(text("ANALYZE"))
        with db.engine.connect() as conn:
            size = conn.scalar(text("SELECT pg_database_size('bench')")) or 0
            trgm = (
                conn.scalar(
                    text(
                        "SELECT sum(pg_relation_size(indexrelid)) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE '%_trgm'"
                    )
                )
                or 0
            )
        print(
            f"PostgreSQL: database {int(size) / 1e6:.0f} MB, of which trigram indexes {int(trgm) / 1e6:.0f} MB"
        )
        fast = time_queries(db, indexed_clause("postgresql"), repeat)
        with db.engine.begin() as conn:  # the same ILIKE queries once the trigram indexes are gone
            for name in ("ix_items_title_trgm", "ix_items_content_trgm"):
                conn.execute(text(f"DROP INDEX {name}"))
            conn.execute(text("ANALYZE items"))
        slow = time_queries(db, indexed_clause("postgresql"), repeat)
        report("postgresql", fast, slow, "without the trigram indexes")
        db.dispose()
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg", action="store_true", help="Also measure a throw-away PostgreSQL cluster.")
    args = parser.parse_args()
    sqlite_run(args.items, args.repeat)
    if args.pg:
        pg_run(args.items, args.repeat)


if __name__ == "__main__":
    main()
