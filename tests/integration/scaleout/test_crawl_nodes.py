"""Crawls dispatched to Scrapyd (yuqing.crawlnodes) against a real node started by `yuqing worker crawl-node`
and the demo sources: recorded like local crawls, a dead node passed over, all nodes down, the hard timeout,
a node lost mid-crawl, and the run a dead scheduler left behind."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.clock import SystemClock
from core.db import Database
from core.models import CrawlRun, Item, Source
from core.settings import AppConfig, load_config
from crawlers.run import ensure_source_row
from demo.server import DemoServer
from tests.integration.scaleout.fleet import Fleet, get_json, make_config, node_answers, wait_for
from tests.pgserver import free_port
from yuqing.crawlnodes import dispatch_crawl

pytestmark = pytest.mark.slow


@dataclass
class NodeEnv:
    demo: DemoServer
    db: Database
    config_dir: Path
    data_dir: Path
    node_url: str
    dead_url: str
    fleet: Fleet

    def config(self, *nodes: str) -> AppConfig:
        return load_config(
            {
                "config_dir": self.config_dir,
                "data_dir": self.data_dir,
                "database_url": self.db.url,
                "scrapyd_nodes": list(nodes),
            }
        )

    def runs(self, key: str) -> list[CrawlRun]:
        with self.db.session() as s:
            return list(
                s.scalars(select(CrawlRun).join(Source).where(Source.key == key).order_by(CrawlRun.id))
            )

    def source(self, key: str) -> Source:
        with self.db.session() as s:
            return s.scalars(select(Source).where(Source.key == key)).one()


@pytest.fixture
def node_env(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NodeEnv]:
    demo = DemoServer(speed=0, backfill_days=1).start()
    monkeypatch.setenv("YUQING_DEMO_URL", demo.url)  # config/sources.yaml points at the demo through it
    config_dir = make_config(
        tmp_path / "config", ("demo_hotline", "demo_board"), interval_minutes=1, timeout=60
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    env.update(
        YUQING_CONFIG_DIR=str(config_dir),
        YUQING_DATA_DIR=str(tmp_path / "var"),
        YUQING_DATABASE_URL=sqlite_url,
        YUQING_DEMO_URL=demo.url,
    )
    fleet = Fleet(tmp_path, env)
    port = free_port()
    fleet.start("node", ["worker", "crawl-node", "--dir", str(tmp_path / "node"), "--port", str(port),
                         "--poll-interval", "0.2"])  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    db = Database(sqlite_url)
    try:
        wait_for(lambda: node_answers(url), 30, what="the Scrapyd node")
        yield NodeEnv(demo, db, config_dir, tmp_path / "var", url, f"http://127.0.0.1:{free_port()}", fleet)
    finally:
        fleet.stop_all()
        demo.stop()
        db.dispose()


def test_a_crawl_on_a_node_is_recorded_like_a_local_crawl(node_env: NodeEnv) -> None:
    config = node_env.config(node_env.dead_url, node_env.node_url)  # the first node is down: passed over
    outcome = dispatch_crawl(config, node_env.db, SystemClock(), "demo_hotline", timeout=60)
    assert outcome.status == "success", outcome.output_tail
    [run] = node_env.runs("demo_hotline")
    assert run.status == "success" and run.pages >= 1 and run.node == socket.gethostname()
    published = node_env.demo.published(["hotline"])["sources"]["hotline"]
    with node_env.db.session() as s:
        stored = set(s.scalars(select(Item.external_id)))
    assert stored == {e["id"] for e in published if not e["deleted"]}
    assert run.items_new == len(stored)
    source = node_env.source("demo_hotline")
    assert source.last_success_at is not None and source.consecutive_failures == 0
    # The node ran the crawl (its job log names the run); the source's own settings were applied.
    [log] = (node_env.fleet.workdir / "node" / "logs" / "yuqing" / "yuqing").glob("*.log")
    text = log.read_text(encoding="utf-8")
    assert f"opened run {run.id}" in text and "'CONCURRENT_ITEMS': 8" in text

    # A second crawl of the same source is incremental, as locally: nothing new, nothing stored twice.
    assert dispatch_crawl(config, node_env.db, SystemClock(), "demo_hotline", timeout=60).status == "success"
    second = node_env.runs("demo_hotline")[-1]
    assert second.status == "success" and second.items_new == 0


def test_no_node_answering_is_a_recorded_failure(node_env: NodeEnv) -> None:
    config = node_env.config(node_env.dead_url, f"http://127.0.0.1:{free_port()}")
    outcome = dispatch_crawl(config, node_env.db, SystemClock(), "demo_board", timeout=60)
    assert outcome.status == "failed"
    [run] = node_env.runs("demo_board")
    assert run.status == "failed" and "所有采集节点均不可用" in (run.error_message or "")
    source = node_env.source("demo_board")
    assert source.consecutive_failures == 1 and source.last_error == run.error_message


def test_the_hard_timeout_cancels_the_job_on_its_node(node_env: NodeEnv) -> None:
    node_env.demo.faults.add({"kind": "slow", "prefix": "/board", "delay": 3})
    config = node_env.config(node_env.node_url)
    started = time.monotonic()
    outcome = dispatch_crawl(config, node_env.db, SystemClock(), "demo_board", timeout=4)
    assert outcome.status == "timeout"
    assert time.monotonic() - started < 4 + 5 + 3  # the timeout, the kill grace, one poll
    [run] = node_env.runs("demo_board")
    assert run.status in ("killed", "timeout") and run.finished_at is not None
    assert node_env.source("demo_board").consecutive_failures == 1
    jobs = get_json(f"{node_env.node_url}/listjobs.json?project=yuqing")
    assert not jobs["running"] and len(jobs["finished"]) == 1


def test_a_node_lost_mid_crawl_is_a_recorded_failure(node_env: NodeEnv) -> None:
    node_env.demo.faults.add({"kind": "slow", "prefix": "/board", "delay": 2})
    config = node_env.config(node_env.node_url)
    outcomes = []
    thread = threading.Thread(
        target=lambda: outcomes.append(
            dispatch_crawl(config, node_env.db, SystemClock(), "demo_board", timeout=60, lost_after=2)
        )
    )
    thread.start()
    wait_for(lambda: any(r.status == "running" for r in node_env.runs("demo_board")), 30, what="the crawl")
    node_env.fleet.kill("node")  # Scrapyd and its crawl: the machine is gone
    thread.join(timeout=30)
    [outcome] = outcomes
    assert outcome.status == "failed" and "失联" in outcome.output_tail
    [run] = node_env.runs("demo_board")
    assert run.status == "failed" and "失联" in (run.error_message or "")
    assert node_env.source("demo_board").consecutive_failures == 1


def test_a_run_left_by_a_dead_scheduler_blocks_the_source_only_while_its_process_lives(
    node_env: NodeEnv,
) -> None:
    config = node_env.config(node_env.node_url)
    clock = SystemClock()
    ensure_source_row(node_env.db, config.sources.get("demo_hotline"), clock)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with node_env.db.session() as s:
            source_id = s.scalars(select(Source.id).where(Source.key == "demo_hotline")).one()
            s.add(
                CrawlRun(
                    source_id=source_id, started_at=clock.now() - timedelta(seconds=5), status="running",
                    trigger="schedule", pid=sleeper.pid, node=socket.gethostname(), dropped_reasons={},
                )
            )  # fmt: skip
        # Its process lives: the crawl is under way elsewhere, not dispatched a second time.
        assert dispatch_crawl(config, node_env.db, clock, "demo_hotline", timeout=60).status == "skipped"
        assert [r.status for r in node_env.runs("demo_hotline")] == ["running"]
    finally:
        sleeper.kill()
        sleeper.wait()
    # Its process is gone: the run is closed as killed (a counted failure) and the source crawled again.
    assert dispatch_crawl(config, node_env.db, clock, "demo_hotline", timeout=60).status == "success"
    assert [r.status for r in node_env.runs("demo_hotline")] == ["killed", "success"]
