"""Cost of one `alerts.jobs.evaluate` pass on a large database (it runs every 30 s): the first pass over a
ten-day backlog (timers started, alerts opened), the pass that mails every new alert, and a steady pass.

    .venv/bin/python bench/alert_evaluate.py [--items 20000] [--events 2000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alerts import jobs  # noqa: E402
from core.clock import FixedClock  # noqa: E402
from core.db import Database  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.models import Event, Item, ItemAnalysis, Notification, ResponseTask, Source  # noqa: E402
from core.runtime import JobContext  # noqa: E402
from core.settings import load_config  # noqa: E402


def populate(db: Database, now: datetime, items: int, events: int, rng: random.Random) -> None:
    with db.session() as s:
        sources = [
            Source(key=k, name=k, kind=kind, created_at=now, state={}, consecutive_failures=0, items_total=0)
            for k, kind in (("h", "hotline"), ("b", "board"), ("n", "news"))
        ]
        s.add_all(sources)
        s.flush()
        rows = [
            Event(
                title=f"事件{i}",
                first_seen_at=now - timedelta(hours=rng.uniform(0, 40)),
                last_seen_at=now - timedelta(hours=rng.uniform(0, 40)),
                risk_level=rng.choice([0, 0, 0, 1, 2, 3, 4]),
                updated_at=now,
                kind_counts={},
                tags=[],
                trend=[],
                risk_factors=[{"factor": "volume", "points": 10, "text": "相关信息增多"}],
            )
            for i in range(events)
        ]
        s.add_all(rows)
        s.flush()
        for i in range(items):
            src = rng.choice(sources)
            published = now - timedelta(hours=rng.uniform(0, 240))
            item = Item(
                source_id=src.id, external_id=str(i), kind=src.kind, title=f"标题{i}", content="内容",
                published_at=published, fetched_at=published, updated_at=published, content_hash=str(i),
                reply_status=rng.choice(["pending", "replied"]), reply_at=published + timedelta(days=1),
                request_type=rng.choice(["投诉", "咨询", "求助", None]), event_id=rng.choice(rows).id, extra={},
                status="analyzed",
            )  # fmt: skip
            s.add(item)
            s.flush()
            hits = (
                [{"scheme": "欠薪讨薪", "terms": ["欠薪"], "always_alert": False, "level": "III"}]
                if i % 50 == 0
                else []
            )
            s.add(
                ItemAnalysis(
                    item_id=item.id, sentiment="negative", sentiment_score=0.2, model_version="bench",
                    analyzed_at=published, tags=[], risk_factors=[], scheme_hits=hits, title_masked="",
                    content_masked="",
                )
            )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="yuqing-evaluate-"))
    db = Database(f"sqlite:///{work / 'yuqing.db'}")
    upgrade(db.engine)
    config = load_config({"config_dir": REPO / "config", "data_dir": work})
    clock = FixedClock(datetime(2026, 11, 20, 2, tzinfo=UTC))
    populate(db, clock.now(), args.items, args.events, random.Random(1))
    ctx = JobContext(config=config, db=db, clock=clock)
    print(f"{args.items} items (hotline/board/news over 10 days), {args.events} events, SQLite")
    for label in ("first pass (backlog)", "second pass (mails)", "steady pass"):
        began = time.perf_counter()
        summary = jobs.evaluate(ctx)
        took = time.perf_counter() - began
        print(
            f"  {label:22s} {took:6.2f} s  alerts opened {summary['rules']['opened']:5d}  "
            f"timers started {summary['timers']['created']:5d}  alerts mailed {summary['notify']['notified']:5d}"
        )
        clock.advance(seconds=30)
    with db.session() as s:
        tasks = s.query(ResponseTask).count()
        mails = s.query(Notification).count()
    print(f"  response tasks {tasks}, outbox rows {mails}")


if __name__ == "__main__":
    main()
