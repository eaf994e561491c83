"""`yuqing worker analysis` and `yuqing worker mail`, two of each as real processes on one PostgreSQL: the work
is shared and nothing is done twice; the shared aggregates (events, hourly rollups) come out as one process
would make them."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text, update

from core.db import Database
from core.models import Item, Notification, Source
from tests.integration.alerts.smtpserver import Recorder, start_server
from tests.integration.scaleout.fleet import ANALYSIS_LOG, REPO, Fleet, wait_for, with_app_name
from tests.pgserver import free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

REGIONS = ("临湖区", "江北区", "高新区", "江南区")
COMPLAINTS = (
    "{region}{n}号路口积水严重，雨后一直排不出去，行人只能绕行，希望有关部门尽快疏通下水道。",
    "{region}某小区物业长期不作为，电梯坏了{n}天没人修，老人上下楼非常困难。",
    "{region}建筑工地夜间施工噪音扰民，已经连续{n}个晚上到凌晨两点还在打桩。",
    "{region}菜市场周边占道经营严重，早高峰堵车{n}分钟以上，请城管加强管理。",
)
# Twenty copies of one complaint, spread through the backlog: whichever worker analyses a copy, it must
# join the same event (a worker that missed the other's placements would found a second event).
COPY = "临湖区柳塘河突然变黑发臭，河面漂着死鱼，附近居民开窗都受不了，请环保部门马上来查污染源。"


def _env(pg_url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    env.update(
        YUQING_CONFIG_DIR=str(REPO / "config"),
        YUQING_DATA_DIR=str(tmp_path / "var"),
        YUQING_DATABASE_URL=pg_url,
        YUQING_LOG_LEVEL="INFO",
    )
    return env


def _seed_items(db: Database, now: datetime, count: int) -> None:
    rows = []
    with db.session() as s:
        s.add(
            Source(key="board", name="board", kind="board", url="http://127.0.0.1/", created_at=now, state={})
        )
        s.flush()
        source_id = s.scalar(select(Source.id))
    for n in range(count):
        copy = n % 30 == 0
        content = COPY if copy else COMPLAINTS[n % 4].format(region=REGIONS[n % 3], n=n)
        at = now - timedelta(hours=6) + timedelta(minutes=n * 300 / count)
        rows.append(
            {
                "source_id": source_id, "external_id": f"p{n}", "kind": "board", "url": f"http://127.0.0.1/p{n}",
                "title": content[:20], "content": content, "published_at": at, "fetched_at": at,
                "updated_at": at, "reply_status": "pending", "status": "new", "extra": {}, "revision": 1,
                "content_hash": hashlib.sha256(f"{n}{content}".encode()).hexdigest(),
            }
        )  # fmt: skip
    with db.session() as s:
        s.execute(insert(Item), rows)


def _idle(db: Database) -> bool:
    with db.engine.connect() as conn:
        return not conn.execute(text("SELECT count(*) FROM items WHERE status = 'new'")).scalar()


def test_two_analysis_workers_share_the_backlog_and_analyse_each_revision_once(
    pg_url: str, tmp_path: Path
) -> None:
    db = Database(pg_url)
    with db.engine.begin() as conn:
        for statement in ANALYSIS_LOG:
            conn.exec_driver_sql(statement)
    now = datetime.now(UTC)
    _seed_items(db, now, 600)
    fleet = Fleet(tmp_path, _env(pg_url, tmp_path))
    try:
        for name in ("analysis-1", "analysis-2"):
            fleet.start(
                name,
                ["worker", "analysis", "--batch-size", "10", "--idle-seconds", "0.3"],
                env={"YUQING_DATABASE_URL": with_app_name(pg_url, name)},
            )
        wait_for(lambda: _idle(db), 90, interval=0.5, what="the backlog to be analysed")
        # Edits seen by the crawler: new content, revision + 1, back to 'new'; analysed again, once.
        with db.session() as s:
            s.execute(
                update(Item)
                .where(Item.external_id.in_([f"p{n}" for n in range(1, 600, 7)]))
                .values(content=Item.content + "（补充：问题仍未解决）", revision=2, status="new")
            )
        wait_for(lambda: _idle(db), 60, interval=0.5, what="the edits to be analysed")
        for proc in fleet.procs.values():  # a clean stop on SIGTERM, as systemd does it
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in fleet.procs.values():
            assert proc.popen.wait(timeout=20) == 0, proc.output()[-2000:]
    finally:
        fleet.stop_all()

    with db.engine.connect() as conn:
        twice = conn.execute(
            text(
                "SELECT item_id, revision, count(DISTINCT txid) FROM test_analysis_log "
                "GROUP BY item_id, revision HAVING count(DISTINCT txid) > 1"
            )
        ).all()
        assert twice == [], twice[:10]
        per_revision = dict(
            conn.execute(
                text("SELECT revision, count(DISTINCT item_id) FROM test_analysis_log GROUP BY 1")
            ).all()
        )
        assert per_revision == {1: 600, 2: len(range(1, 600, 7))}
        workers = dict(conn.execute(text("SELECT worker, count(*) FROM test_analysis_log GROUP BY 1")).all())
        assert set(workers) == {"analysis-1", "analysis-2"} and min(workers.values()) >= 50, workers
        assert conn.execute(text("SELECT count(*) FROM items WHERE status = 'analyzed'")).scalar() == 600
        # The shared aggregates: rollups add up, every copy of the one complaint is in one event.
        assert conn.execute(text("SELECT sum(count) FROM rollup_hourly")).scalar() == 600
        copies = Counter(
            conn.execute(text("SELECT event_id FROM items WHERE content = :c"), {"c": COPY}).scalars()
        )
        assert len(copies) == 1 and None not in copies, copies
        events = conn.execute(text("SELECT id, item_count FROM events")).all()
        assert sum(n for _, n in events) == 600
    # No batch failed and was redone (concurrent rollup writes used to collide on their unique key).
    for proc in fleet.procs.values():
        assert "pass failed" not in proc.output(), proc.output()[-3000:]
    db.dispose()


def test_two_mail_workers_send_each_row_once(pg_url: str, tmp_path: Path) -> None:
    db = Database(pg_url)
    now = datetime.now(UTC)
    with db.session() as s:
        s.execute(
            insert(Notification),
            [
                {
                    "dedupe_key": f"test:{n}|duty@yunjiang.gov.example", "kind": "alert",
                    "recipient": "duty@yunjiang.gov.example", "fallbacks": [], "subject": f"[测试] 第{n}封",
                    "body_text": f"第{n}封", "body_html": None, "attachments": [], "status": "pending",
                    "attempts": 0, "next_attempt_at": now, "created_at": now,
                }
                for n in range(200)
            ],
        )  # fmt: skip
    recorder = Recorder()
    port = free_port()
    smtp = start_server(recorder, port)
    env = _env(pg_url, tmp_path)
    env.update(YUQING_SMTP_HOST="127.0.0.1", YUQING_SMTP_PORT=str(port))
    fleet = Fleet(tmp_path, env)
    try:
        for number in (1, 2):
            fleet.start(
                f"mail-{number}",
                ["worker", "mail", "--batch", "5", "--idle-seconds", "0.3"],
                env={"YUQING_MAIL_FROM": f"mail-{number}@yuqing.test"},
            )

        def delivered() -> bool:
            with db.engine.connect() as conn:
                return not conn.execute(
                    text("SELECT count(*) FROM notifications WHERE status <> 'sent'")
                ).scalar()

        wait_for(delivered, 60, interval=0.5, what="the outbox to be delivered")
        time.sleep(1)  # anything sent twice would arrive now
    finally:
        fleet.stop_all()
        smtp.stop()
    ids = Counter(str(m["Message-ID"]) for m in recorder.messages)
    assert len(ids) == 200 and max(ids.values()) == 1, ids.most_common(3)
    senders = Counter(str(m["From"]).split("@")[0] for m in recorder.messages)
    assert set(senders) == {"mail-1", "mail-2"}, senders
    db.dispose()
