"""Time to build a weekly report from a large database.

Builds a SQLite database of N items (default 1,000,000) over W weeks with analysis rows, events, alerts,
response timers and bursts (bulk insert), then times the weekly report of the last full week: collecting the
figures, composing (prose and charts), writing Word and HTML. As a baseline in the same process it times
loading that week's items and analyses as ORM objects, which is what a report written without SQL
aggregation would start with.

    .venv/bin/python bench/report.py                      # 1,000,000 items over 26 weeks
    .venv/bin/python bench/report.py --weeks 4            # the same items packed into 4 weeks
    .venv/bin/python bench/report.py --db /tmp/r.db --reuse   # time again on an existing database
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.clock import FixedClock  # noqa: E402
from core.db import Database  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.models import (  # noqa: E402
    Alert,
    Burst,
    Department,
    Event,
    Item,
    ItemAnalysis,
    ResponseTask,
    Source,
)
from core.settings import TOPIC_CLASSES, load_config  # noqa: E402
from reports.build import build  # noqa: E402
from reports.compose import weekly_document  # noqa: E402
from reports.periods import last_full_week  # noqa: E402
from reports.render_docx import write_docx  # noqa: E402
from reports.render_html import write_html  # noqa: E402
from reports.weekly import collect_weekly  # noqa: E402

REGIONS = ["江北区", "江南区", "临湖区", "高新区", "东城区", "西山县", "青石县", None]
KINDS = ["hotline"] * 6 + ["board"] * 3 + ["news"]
TAGS = ["生态环境", "欠薪", "房地产市场", "养老服务", "食品药品", "社会治安"]
SCHEMES = ["黑臭水体", "欠薪讨薪", "群体性事件苗头", "媒体曝光威胁"]
END = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 08:00 local; the last full week is 2026-W47
CHUNK = 50_000


def populate(db: Database, n_items: int, weeks: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = END - timedelta(weeks=weeks) - timedelta(hours=8)
    span = (END - start).total_seconds()
    with db.session() as s:
        sources = [Source(key=k, name=n, kind=k, created_at=start, state={})
                   for k, n in (("hotline", "12345热线"), ("board", "市民留言板"), ("news", "云江日报"))]  # fmt: skip
        s.add_all(sources)
        depts = [Department(code=f"d{i}", name=f"市第{i}局", aliases=[]) for i in range(12)]
        s.add_all(depts)
        s.flush()
        source_ids = {src.kind: src.id for src in sources}
        dept_ids = [d.id for d in depts]
    n_events = max(1, n_items // 50)
    with db.engine.begin() as conn:
        # Events first (items refer to them); their time range is fixed up from the items afterwards.
        event_rows = []
        for e in range(n_events):
            first = start + timedelta(seconds=rng.random() * span)
            event_rows.append({
                "title": f"事件{e}：某小区供暖不足居民集中反映", "first_seen_at": first,
                "last_seen_at": first + timedelta(hours=rng.random() * 72), "item_count": 0, "source_count": 1,
                "kind_counts": {}, "neg_count": 0, "neu_count": 0, "pos_count": 0, "risk_score": rng.random() * 100,
                "risk_level": rng.choice([0, 0, 0, 1, 1, 2, 3, 4]), "risk_factors": [], "trend": [], "tags": [],
                "status": "open", "updated_at": first, "first_source_id": source_ids["board"],
            })  # fmt: skip
        for i in range(0, len(event_rows), CHUNK):
            conn.execute(insert(Event), event_rows[i : i + CHUNK])
        task_rows: list[dict[str, Any]] = []
        for base in range(0, n_items, CHUNK):
            items, analyses = [], []
            for i in range(base, min(base + CHUNK, n_items)):
                kind = rng.choice(KINDS)
                when = start + timedelta(seconds=rng.random() * span)
                sentiment = rng.choices(["negative", "neutral", "positive"], [3, 5, 2])[0]
                items.append({
                    "id": i + 1, "source_id": source_ids[kind], "external_id": f"x{i}", "kind": kind,
                    "title": f"关于{rng.choice(TOPIC_CLASSES)}问题的反映{i}", "content": "市民反映相关问题，请尽快处理。",
                    "published_at": when, "fetched_at": when, "updated_at": when, "region": rng.choice(REGIONS),
                    "content_hash": f"h{i}", "reply_status": "none", "revision": 1, "status": "analyzed",
                    "event_id": rng.randint(1, n_events) if rng.random() < 0.3 else None, "extra": {},
                })  # fmt: skip
                analyses.append({
                    "item_id": i + 1, "sentiment": sentiment, "sentiment_score": rng.random(),
                    "topic": rng.choice(TOPIC_CLASSES), "topic_confidence": 0.8,
                    "tags": [rng.choice(TAGS)] if rng.random() < 0.2 else [],
                    "scheme_hits": [{"scheme": rng.choice(SCHEMES), "terms": ["词"]}] if rng.random() < 0.05 else [],
                    "risk_score": rng.random() * 100, "risk_level": rng.choices([0, 1, 2, 3, 4], [70, 15, 10, 4, 1])[0],
                    "risk_factors": [], "title_masked": f"关于问题的反映{i}", "content_masked": "市民反映相关问题，请尽快处理。",
                    "model_version": "bench", "analyzed_at": when,
                })  # fmt: skip
                if kind != "news" and rng.random() < 0.5:
                    due = when + timedelta(days=rng.choice([1, 5, 7]))
                    answered = when + timedelta(hours=rng.expovariate(1 / 60)) if rng.random() < 0.9 else None
                    task_rows.append({
                        "item_id": i + 1, "department_id": rng.choice(dept_ids), "kind": "board_reply",
                        "limit_spec": {}, "started_at": when, "due_at": due, "warn_at": None,
                        "state": "answered" if answered else "running", "paused_seconds": 0.0, "extensions": 0,
                        "answered_at": answered, "updated_at": answered or when,
                    })  # fmt: skip
            conn.execute(insert(Item), items)
            conn.execute(insert(ItemAnalysis), analyses)
        for i in range(0, len(task_rows), CHUNK):
            conn.execute(insert(ResponseTask), task_rows[i : i + CHUNK])
        alerts = []
        for a in range(n_items // 200):
            opened = start + timedelta(seconds=rng.random() * span)
            alerts.append({
                "fingerprint": f"bench:{a}", "rule": "event_risk", "level": rng.choice([1, 2, 2, 3, 4]),
                "state": "resolved", "title": f"预警{a}", "detail": {}, "opened_at": opened, "updated_at": opened,
                "resolved_at": opened + timedelta(hours=4), "escalation_policy": [],
            })  # fmt: skip
        conn.execute(insert(Alert), alerts)
        bursts = []
        for b in range(weeks * 10):
            bucket = (start + timedelta(seconds=rng.random() * span)).replace(
                minute=0, second=0, microsecond=0
            )
            bursts.append({
                "topic": rng.choice(TOPIC_CLASSES), "region": f"{rng.choice(REGIONS[:-1])}#{b}",
                "bucket_start": bucket, "bucket_minutes": 60, "count": rng.randint(10, 40), "baseline": 2.0,
                "score": rng.random() * 10, "path": "baseline", "detected_at": bucket,
            })  # fmt: skip
        conn.execute(insert(Burst), bursts)


def naive_orm_load(db: Database, start: datetime, end: datetime) -> int:
    """Baseline: the week's items and analyses as ORM objects (every column), as a naive report would."""
    with Session(db.engine) as s:
        rows = s.execute(
            select(Item, ItemAnalysis)
            .outerjoin(ItemAnalysis)
            .where(Item.published_at >= start, Item.published_at < end)
        ).all()
        return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="time on an existing --db without rebuilding it")
    parser.add_argument("--out", type=Path, default=None, help="where the report files go")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="yuqing-bench-report-")
    path = args.db or Path(tmp.name) / "bench.db"
    out = args.out or Path(tmp.name) / "reports"
    if not args.reuse:
        path.unlink(missing_ok=True)
        db = Database(f"sqlite:///{path}")
        upgrade(db.engine)
        t0 = time.perf_counter()
        populate(db, args.items, args.weeks)
        print(
            f"populated {args.items:,} items over {args.weeks} weeks in {time.perf_counter() - t0:.1f} s ({path})"
        )
    else:
        db = Database(f"sqlite:///{path}")
    with db.session() as s:
        total = s.scalar(select(func.count()).select_from(Item))
    config = load_config({"config_dir": ROOT / "config", "data_dir": Path(tmp.name) / "var"})
    period = last_full_week(END)
    clock = FixedClock(END)

    t0 = time.perf_counter()
    data = collect_weekly(db, config, period, clock.now())
    t_data = time.perf_counter() - t0
    t0 = time.perf_counter()
    document = weekly_document(data)
    t_compose = time.perf_counter() - t0
    t0 = time.perf_counter()
    write_docx(document, out / "weekly.docx")
    write_html(document, out / "weekly.html")
    t_write = time.perf_counter() - t0
    t0 = time.perf_counter()
    built = build(config, db, period, out, clock.now())  # the whole path again, end to end
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    loaded = naive_orm_load(db, period.start, period.end)
    t_naive = time.perf_counter() - t0

    print(f"database: {total:,} items; week {period.slug}: {data.current.items_total:,} items, "
          f"{len(data.events)} top events, {len(data.bursts)} burst episodes, {len(data.departments)} departments")  # fmt: skip
    print(f"  collect figures (SQL + pandas): {t_data:6.2f} s")
    print(f"  compose (prose + 4 charts):     {t_compose:6.2f} s")
    print(f"  write .docx + .html:            {t_write:6.2f} s")
    print(f"  weekly report end to end:       {t_build:6.2f} s   (target < 30 s)  -> {built.docx_path.name}")
    print(f"  baseline, ORM load of the week's {loaded:,} items + analyses only: {t_naive:6.2f} s "
          f"({t_naive / t_data:.1f}x the whole figure collection)")  # fmt: skip
    db.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
