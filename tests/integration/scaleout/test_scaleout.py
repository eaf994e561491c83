"""Several machines against one PostgreSQL: two Scrapyd crawl nodes, two analysis workers, two mail workers and
two schedulers (one on standby), all real processes; one of each is killed with SIGKILL half-way, at a moment
when it holds work (a crawl running on the node, a claimed analysis batch, a mail the SMTP server has but the
sender has not marked, the leader with a crawl under way).

At the end: every item the demo published is stored once; every revision of every item was analysed by exactly
one committed transaction (a trigger logs each write of item_analysis with its transaction id); the hourly
rollups add up to the analysed items; every alert mail was delivered, with at most one duplicate (same
Message-ID) for the mail worker killed between the server's acceptance and its mark.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from core.db import Database
from demo.server import DemoServer
from tests.integration.alerts.smtpserver import Recorder, start_server
from tests.integration.scaleout.fleet import (
    ANALYSIS_LOG,
    Fleet,
    get_json,
    make_config,
    node_answers,
    wait_for,
    with_app_name,
)
from tests.pgserver import free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

# source key -> (demo source, news channel or None)
FEEDS = {"demo_hotline": ("hotline", None), "demo_board": ("board", None), "demo_news_rss": ("news", "rss")}
ACTIVE_SECONDS = 50  # the demo publishes (its clock is advanced) for this long
KILLS_AFTER = 14  # seconds into the active phase: the kill watchers start
KILL_DEADLINE = 30  # a watcher that has not seen its moment by then kills anyway (and says so)
CONVERGE_SECONDS = 110
MAIL_LEASE_SECONDS = 10


class Scenario:
    def __init__(self, db: Database, fleet: Fleet, nodes: dict[str, str], recorder: Recorder) -> None:
        self.db, self.fleet, self.nodes, self.recorder = db, fleet, nodes, recorder
        self.notes: dict[str, str] = {}
        self.node_pids_at_kill: set[int] = set()
        self.mail_armed = threading.Event()
        self.mail_killed = threading.Event()

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.db.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    # -- the four kills --------------------------------------------------------------------------------------

    def kill_analysis_worker(self) -> None:
        """While analysis-1's transaction has an xid: it has locked (claimed) or written rows of a batch."""
        deadline = time.monotonic() + KILL_DEADLINE
        while time.monotonic() < deadline:
            busy = self.scalar(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = 'analysis-1' AND backend_xid IS NOT NULL"
            )
            if busy:
                self.fleet.kill("analysis-1")
                self.notes["analysis-1"] = "killed holding a claimed batch"
                return
            time.sleep(0.005)
        self.fleet.kill("analysis-1")
        self.notes["analysis-1"] = "killed idle (no batch seen in time)"

    def kill_node(self) -> None:
        """Node 1 (Scrapyd and its crawl processes: the machine) while it runs a crawl."""
        deadline = time.monotonic() + KILL_DEADLINE
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                running = get_json(f"{self.nodes['node-1']}/listjobs.json", timeout=1)["running"]
                pids = [int(job["pid"]) for job in running if job.get("pid")]
                # ... and the crawl has opened its crawl_runs row (past its imports and start-up).
                opened = pids and self.scalar(
                    "SELECT count(*) FROM crawl_runs WHERE status = 'running' AND pid = ANY(:pids)", pids=pids
                )
                if opened:
                    self.node_pids_at_kill = set(pids)
                    self.fleet.kill("node-1")
                    self.notes["node-1"] = f"killed running {len(running)} crawl(s)"
                    return
            time.sleep(0.05)
        self.fleet.kill("node-1")
        self.notes["node-1"] = "killed idle (no crawl seen in time)"

    def on_message(self, message: EmailMessage) -> None:
        """The SMTP server holds mail-1's message and has not answered 250 yet: kill the sender now."""
        if self.mail_armed.is_set() and not self.mail_killed.is_set() and "mail-1@" in str(message["From"]):
            os.killpg(self.fleet.procs["mail-1"].pid, signal.SIGKILL)
            self.mail_killed.set()

    def kill_mail_worker(self) -> None:
        self.mail_armed.set()
        if self.mail_killed.wait(KILL_DEADLINE):
            self.notes["mail-1"] = "killed after the server took its message, before the 250"
        else:
            self.notes["mail-1"] = "killed idle (it sent nothing in time)"
        self.fleet.kill("mail-1")

    def leader(self) -> str | None:
        holder = self.scalar("SELECT holder FROM scheduler_lock WHERE name = 'scheduler'")
        for name in ("scheduler-1", "scheduler-2"):
            proc = self.fleet.procs.get(name)
            if proc is not None and holder and f":{proc.pid}:" in holder and proc.alive():
                return name
        return None

    def kill_leader(self) -> None:
        """The leading scheduler, while a crawl it dispatched is under way."""
        deadline = time.monotonic() + KILL_DEADLINE
        while time.monotonic() < deadline:
            leader = self.leader()
            if leader and self.scalar("SELECT count(*) FROM crawl_runs WHERE status = 'running'"):
                self.fleet.kill(leader)
                self.notes["leader"] = f"{leader} killed with a crawl under way"
                self.notes["killed_leader"] = leader
                return
            time.sleep(0.05)
        leader = self.leader() or "scheduler-1"
        self.fleet.kill(leader)
        self.notes["leader"] = f"{leader} killed (no crawl under way in time)"
        self.notes["killed_leader"] = leader


def test_two_of_everything_one_of_each_killed(pg_url: str, tmp_path: Path) -> None:
    began = time.monotonic()
    db = Database(pg_url)
    with db.engine.begin() as conn:
        for statement in ANALYSIS_LOG:
            conn.exec_driver_sql(statement)

    # The demo's clock is frozen and moved by the test; it starts three hours ago so that what it publishes
    # while the test runs is recent, not in the future.
    demo = DemoServer(speed=0, backfill_days=1, start=datetime.now(UTC) - timedelta(hours=3)).start()
    recorder = Recorder()
    smtp_port = free_port()
    smtp = start_server(recorder, smtp_port)
    config_dir = make_config(tmp_path / "config", tuple(FEEDS), interval_minutes=0.25, timeout=60)
    nodes = {name: f"http://127.0.0.1:{free_port()}" for name in ("node-1", "node-2")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    env.update(
        YUQING_CONFIG_DIR=str(config_dir),
        YUQING_DATA_DIR=str(tmp_path / "var"),
        YUQING_DATABASE_URL=pg_url,
        YUQING_DEMO_URL=demo.url,
        YUQING_SMTP_HOST="127.0.0.1",
        YUQING_SMTP_PORT=str(smtp_port),
        YUQING_SCRAPYD_NODES=json.dumps(list(nodes.values())),
        YUQING_DEDICATED_WORKERS='["analysis", "mail"]',
        YUQING_SCHEDULER_LOCK_SECONDS="3",
        YUQING_ALERTS_INTERVAL_SECONDS="3",
        YUQING_DAILY_BRIEF_ENABLED="false",
        YUQING_LOG_LEVEL="INFO",
    )
    fleet = Fleet(tmp_path, env)
    scenario = Scenario(db, fleet, nodes, recorder)
    recorder.on_message = scenario.on_message
    try:
        init = subprocess.run(
            [sys.executable, "-m", "yuqing", "init"], env=env, capture_output=True, text=True, timeout=120
        )
        assert init.returncode == 0, init.stdout + init.stderr
        for name, url in nodes.items():
            port = url.rsplit(":", 1)[1]
            fleet.start(name, ["worker", "crawl-node", "--dir", str(tmp_path / name), "--port", port,
                               "--poll-interval", "0.5"])  # fmt: skip
        for number in (1, 2):
            name = f"analysis-{number}"
            fleet.start(
                name,
                ["worker", "analysis", "--idle-seconds", "1", "--batch-size", "10"],
                env={"YUQING_DATABASE_URL": with_app_name(pg_url, name)},
            )
            name = f"mail-{number}"
            fleet.start(
                name,
                ["worker", "mail", "--idle-seconds", "1", "--batch", "5",
                 "--lease-seconds", str(MAIL_LEASE_SECONDS)],
                env={"YUQING_MAIL_FROM": f"mail-{number}@yuqing.test"},
            )  # fmt: skip
        for url in nodes.values():
            wait_for(lambda url=url: node_answers(url), 30, what=f"Scrapyd at {url}")
        fleet.start("scheduler-1", ["scheduler"])
        wait_for(lambda: scenario.leader() == "scheduler-1", 40, what="scheduler-1 to lead")
        fleet.start("scheduler-2", ["scheduler"])

        # Active phase: the demo publishes; half-way, one of each kind is killed at a moment it holds work.
        active_start = time.monotonic()
        watchers = [
            threading.Thread(target=kill, daemon=True)
            for kill in (
                scenario.kill_analysis_worker,
                scenario.kill_node,
                scenario.kill_mail_worker,
                scenario.kill_leader,
            )
        ]
        started_watchers = False
        while time.monotonic() - active_start < ACTIVE_SECONDS:
            demo.advance(minutes=12)
            if not started_watchers and time.monotonic() - active_start >= KILLS_AFTER:
                for watcher in watchers:
                    watcher.start()
                started_watchers = True
            time.sleep(3)
        for watcher in watchers:
            watcher.join(timeout=KILL_DEADLINE + 15)
        last_publication = datetime.now(UTC)
        kills_done = time.monotonic()

        def progress() -> dict[str, Any]:
            crawled = {
                key: scenario.scalar(
                    "SELECT count(*) FROM crawl_runs r JOIN sources s ON s.id = r.source_id "
                    "WHERE s.key = :key AND r.status = 'success' AND r.started_at > :since",
                    key=key,
                    since=last_publication,
                )
                for key in FEEDS
            }
            last_analysis = scenario.scalar("SELECT max(at) FROM test_analysis_log")
            return {
                "crawled_since": crawled,
                "new_items": scenario.scalar("SELECT count(*) FROM items WHERE status = 'new'"),
                "evaluated_since": scenario.scalar(
                    "SELECT count(*) FROM job_runs WHERE job = 'alerts' AND status = 'success' "
                    "AND started_at > :since",
                    since=last_analysis or last_publication,
                ),
                "pending_mail": scenario.scalar(
                    "SELECT count(*) FROM notifications WHERE status = 'pending'"
                ),
                "kills": scenario.notes,
            }

        def converged() -> bool:
            state = progress()
            return (
                all(state["crawled_since"].values())
                and not state["new_items"]
                and bool(state["evaluated_since"])
                and not state["pending_mail"]
            )

        wait_for(
            converged,
            CONVERGE_SECONDS,
            interval=1.0,
            what="crawls, analysis and mail to settle",
            describe=progress,
        )
        converged_after = time.monotonic() - kills_done
        published = demo.published(sorted({source for source, _ in FEEDS.values()}))
        messages = list(recorder.messages)
    finally:
        fleet.stop_all()
        smtp.stop()
        demo.stop()

    assert all(fleet.procs[name].killed for name in ("node-1", "analysis-1", "mail-1")), scenario.notes
    assert fleet.procs[scenario.notes["killed_leader"]].killed

    with db.engine.connect() as conn:
        # 1. Every published item stored once.
        stored: dict[str, Counter[str]] = {key: Counter() for key in FEEDS}
        for key, kind, external_id, url in conn.execute(
            text(
                "SELECT s.key, i.kind, i.external_id, i.url FROM items i JOIN sources s ON s.id = i.source_id"
            )
        ):
            demo_id = url.rsplit("/", 1)[1].removesuffix(".html") if kind == "news" else external_id
            stored[key][demo_id] += 1
        for key, (source, channel) in FEEDS.items():
            entries = [e for e in published["sources"][source] if channel is None or e["channel"] == channel]
            live = {e["id"] for e in entries if not e["deleted"]}
            ever = {e["id"] for e in entries}
            assert stored[key] and max(stored[key].values()) == 1, f"{key}: an item stored twice"
            assert live <= set(stored[key]), f"{key}: missing {sorted(live - set(stored[key]))[:10]}"
            assert set(stored[key]) <= ever, f"{key}: not published {sorted(set(stored[key]) - ever)[:10]}"
        items = sum(len(c) for c in stored.values())

        # 2. Every item revision analysed by exactly one committed transaction, by both workers between them.
        twice = conn.execute(
            text(
                "SELECT item_id, revision, count(DISTINCT txid) FROM test_analysis_log "
                "GROUP BY item_id, revision HAVING count(DISTINCT txid) > 1"
            )
        ).all()
        assert twice == [], f"item revisions analysed twice: {twice[:10]}"
        statuses = dict(conn.execute(text("SELECT status, count(*) FROM items GROUP BY status")).all())
        assert set(statuses) <= {"analyzed", "error"}, statuses
        analysed = statuses.get("analyzed", 0)
        assert analysed == conn.execute(text("SELECT count(*) FROM item_analysis")).scalar()
        workers = Counter(
            dict(conn.execute(text("SELECT worker, count(*) FROM test_analysis_log GROUP BY worker")).all())
        )
        # Worker 1 is killed while it holds claimed rows, possibly before it ever committed a batch, so only the
        # survivor is sure to appear; that the two share the work is shown by test_workers.py.
        assert "analysis-2" in workers and set(workers) <= {"analysis-1", "analysis-2"}, workers
        assert not conn.execute(
            text("SELECT count(*) FROM items WHERE status = 'analyzed' AND event_id IS NULL")
        ).scalar()
        rollup_total = conn.execute(text("SELECT coalesce(sum(count), 0) FROM rollup_hourly")).scalar()
        assert rollup_total == analysed, f"rollups count {rollup_total} items, {analysed} are analysed"

        # 3. Every alert mail delivered; at most one duplicate, for the one mail worker killed.
        ids = Counter(str(m["Message-ID"]) for m in messages)
        duplicates = sum(n - 1 for n in ids.values())
        sent = set(conn.execute(text("SELECT message_id FROM notifications WHERE status = 'sent'")).scalars())
        assert sent, "no alert mail was sent"
        assert sent <= set(ids), f"marked sent but never received: {sorted(sent - set(ids))[:5]}"
        assert set(ids) <= sent, f"received but not marked sent: {sorted(set(ids) - sent)[:5]}"
        assert duplicates <= 1, (
            f"{duplicates} duplicate mails for one killed mail worker: {ids.most_common(3)}"
        )
        senders = Counter(str(m["From"]).split("@")[0] for m in messages)

        # 4. The kills were survived: no crawl left running, the dead node's crawls closed, the standby led.
        assert not conn.execute(text("SELECT count(*) FROM crawl_runs WHERE status = 'running'")).scalar()
        if scenario.node_pids_at_kill:
            closed = dict(
                conn.execute(
                    text("SELECT pid, status FROM crawl_runs WHERE pid = ANY(:pids)"),
                    {"pids": sorted(scenario.node_pids_at_kill)},
                ).all()
            )
            assert closed and "success" not in closed.values(), closed
        standby = "scheduler-2" if scenario.notes["killed_leader"] == "scheduler-1" else "scheduler-1"
        holders = set(conn.execute(text("SELECT detail->>'holder' FROM job_runs")).scalars())
        assert any(f":{fleet.procs[standby].pid}:" in (h or "") for h in holders), "the standby never led"
        runs_per_node = {
            name: len(list((tmp_path / name / "logs").rglob("*.log"))) for name in ("node-1", "node-2")
        }
        assert all(runs_per_node.values()), runs_per_node

    summary = {
        "seconds": round(time.monotonic() - began, 1),
        "converged_after_kills_s": round(converged_after, 1),
        "items_stored": items,
        "analysed": analysed,
        "analysis_writes_per_worker": dict(workers),
        "mails": len(messages),
        "distinct_message_ids": len(ids),
        "duplicates": duplicates,
        "mails_per_worker": dict(senders),
        "crawls_per_node": runs_per_node,
        "kills": scenario.notes,
    }
    (tmp_path / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    print("scale-out:", json.dumps(summary, ensure_ascii=False))
    db.dispose()
