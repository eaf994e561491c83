"""One test per demo fault switch: nothing stored is lost, nothing is duplicated, and the run says what went
wrong. Plus a crawl killed with SIGKILL half-way and run again."""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.clock import FixedClock, ensure_utc
from core.settings import load_config
from crawlers.health import source_signals
from tests.integration.crawlers.conftest import CrawlEnv, custom_env
from tests.integration.crawlers.test_crawl_demo import assert_matches_truth

pytestmark = pytest.mark.slow


def board_ids(env: CrawlEnv) -> Counter[str]:
    return Counter(i.external_id for i in env.items("demo_board"))


def post_ids(env: CrawlEnv) -> list[str]:
    return [e["id"] for e in env.published("board") if not e["deleted"]]


def test_500_burst_is_retried_and_a_post_failing_every_retry_comes_next_run(crawl_env: CrawlEnv) -> None:
    first, stubborn = post_ids(crawl_env)[:2]
    crawl_env.fault({"kind": "error", "status": 500, "count": 10, "prefix": "/board/post/"})
    # 1 try + 2 retries, all 503: this post fails for the whole run
    crawl_env.fault({"kind": "error", "status": 503, "count": 3, "prefix": f"/board/post/{stubborn}"})
    result = crawl_env.crawl("demo_board")
    assert result.returncode == 0, result.stderr[-2000:]  # detail failures do not fail the run
    ids = board_ids(crawl_env)
    assert first in ids and stubborn not in ids
    run = crawl_env.runs("demo_board")[-1]
    assert run.status == "success" and run.errors == 1 and "HTTP 503" in (run.error_message or "")
    assert crawl_env.source_row("demo_board").last_error is not None
    again = crawl_env.crawl("demo_board")
    assert again.returncode == 0
    assert_matches_truth(crawl_env, "demo_board")  # the failed post arrived; every post exactly once
    assert crawl_env.runs("demo_board")[-1].errors == 0


def test_timeouts_are_retried(crawl_env: CrawlEnv) -> None:
    crawl_env.edit_sources(lambda data: data["defaults"].update(download_timeout=1))
    target = post_ids(crawl_env)[0]
    crawl_env.fault({"kind": "timeout", "seconds": 2, "count": 2, "prefix": f"/board/post/{target}"})
    result = crawl_env.crawl("demo_board")
    assert result.returncode == 0, result.stderr[-2000:]
    assert_matches_truth(crawl_env, "demo_board")  # the third attempt got it
    assert crawl_env.runs("demo_board")[-1].errors == 0


def test_entry_page_failure_fails_the_run_and_raises_the_health_signal(crawl_env: CrawlEnv) -> None:
    assert crawl_env.crawl("demo_hotline").returncode == 0
    stored = len(crawl_env.items("demo_hotline"))
    crawl_env.advance(minutes=120)
    crawl_env.fault({"kind": "error", "status": 503, "prefix": "/hotline/api/"})
    crawl_env.edit_sources(lambda data: data["defaults"].update(failures_before_alert=2))
    for attempt in range(1, 3):
        result = crawl_env.crawl("demo_hotline")
        assert result.returncode == 1
        row = crawl_env.source_row("demo_hotline")
        assert row.consecutive_failures == attempt and "HTTP 503" in (row.last_error or "")
    assert len(crawl_env.items("demo_hotline")) == stored  # nothing lost
    assert [r.status for r in crawl_env.runs("demo_hotline")] == ["success", "failed", "failed"]
    config = load_config({"config_dir": crawl_env.config_dir, "data_dir": crawl_env.data_dir})
    with crawl_env.db.session() as session:
        signals = source_signals(session, config, FixedClock(ensure_utc(row.last_failure_at)))  # type: ignore[arg-type]
    assert [(s.source_key, s.kind, s.consecutive_failures) for s in signals] == [
        ("demo_hotline", "failing", 2)
    ]
    # The watermark did not move while failing: the next good run fetches what changed meanwhile.
    crawl_env.clear_faults()
    assert crawl_env.crawl("demo_hotline").returncode == 0
    assert crawl_env.source_row("demo_hotline").consecutive_failures == 0
    assert_matches_truth(crawl_env, "demo_hotline")


@pytest.mark.parametrize("mode", ["truncate", "tags"])
def test_malformed_html_does_not_stop_the_crawl(crawl_env: CrawlEnv, mode: str) -> None:
    ids = post_ids(crawl_env)
    for pid in ids[:3]:
        crawl_env.fault({"kind": "malformed", "mode": mode, "count": 1, "prefix": f"/board/post/{pid}"})
    result = crawl_env.crawl("demo_board")
    assert result.returncode == 0, result.stderr[-2000:]
    stored = board_ids(crawl_env)
    assert set(ids[3:]) <= set(stored)  # the rest of the board went on
    if mode == "truncate":
        assert not set(ids[:3]) & set(stored)  # half a post is not stored ...
        assert crawl_env.runs("demo_board")[-1].errors == 3
        assert crawl_env.crawl("demo_board").returncode == 0
        assert_matches_truth(crawl_env, "demo_board")  # ... it comes whole on the next run
    else:
        # unclosed tags still parse: the posts are there, once each
        assert set(ids[:3]) <= set(stored) and max(stored.values()) == 1


def test_wrong_declared_charset_is_detected(crawl_env: CrawlEnv) -> None:
    """GBK bytes labelled UTF-8 on the city board, UTF-8 bytes labelled GBK on the county board."""
    crawl_env.fault({"kind": "charset", "mode": "swap", "prefix": "/board/"})
    crawl_env.fault({"kind": "charset", "mode": "swap", "prefix": "/gbk-board/"})
    for key in ("demo_board", "demo_gbk_board"):
        result = crawl_env.crawl(key)
        assert result.returncode == 0, result.stderr[-2000:]
        assert_matches_truth(crawl_env, key)  # titles and content hashes equal the originals


def test_robots_disallow_is_obeyed_unless_the_source_says_otherwise(crawl_env: CrawlEnv) -> None:
    assert crawl_env.crawl("demo_board").returncode == 0
    stored = board_ids(crawl_env)
    crawl_env.advance(minutes=240)
    crawl_env.fault({"kind": "robots", "disallow": ["/board/"]})
    result = crawl_env.crawl("demo_board")
    assert result.returncode == 1
    run = crawl_env.runs("demo_board")[-1]
    assert run.status == "failed" and "robots.txt" in (run.error_message or "")
    assert run.pages == 1  # robots.txt only
    assert board_ids(crawl_env) == stored  # nothing lost, nothing fetched

    def ignore_robots(data: dict[str, Any]) -> None:
        next(s for s in data["sources"] if s["key"] == "demo_board")["politeness"] = {"obey_robots": False}

    crawl_env.edit_sources(ignore_robots)
    assert crawl_env.crawl("demo_board").returncode == 0
    assert_matches_truth(crawl_env, "demo_board")


def test_silent_source_raises_the_silence_signal(crawl_env: CrawlEnv) -> None:
    assert crawl_env.crawl("demo_gbk_board").returncode == 0
    crawl_env.fault({"kind": "silent", "source": "gbk_board"})
    crawl_env.advance(minutes=12 * 60)
    assert crawl_env.crawl("demo_gbk_board").returncode == 0
    assert crawl_env.runs("demo_gbk_board")[-1].items_new == 0
    row = crawl_env.source_row("demo_gbk_board")
    config = load_config({"config_dir": crawl_env.config_dir, "data_dir": crawl_env.data_dir})
    hours = config.sources.defaults.silent_after_hours
    last_item = ensure_utc(row.last_item_at)  # type: ignore[arg-type]
    with crawl_env.db.session() as session:
        quiet = source_signals(session, config, FixedClock(last_item + timedelta(hours=hours - 0.5)))
        silent = source_signals(session, config, FixedClock(last_item + timedelta(hours=hours + 0.5)))
    assert not [s for s in quiet if s.source_key == "demo_gbk_board"]
    mine = [s for s in silent if s.source_key == "demo_gbk_board"]
    assert [(s.kind, s.since) for s in mine] == [("silent", last_item)]
    assert "没有新内容" in mine[0].message


def test_sigkill_half_way_then_rerun_stores_every_item_once(tmp_path: Path, sqlite_url: str) -> None:
    slow_posts = {"kind": "slow", "delay": 0.03, "prefix": "/board/post/"}
    with custom_env(tmp_path, sqlite_url, board_size=250, faults=[slow_posts]) as env:
        env.edit_sources(lambda data: data["defaults"].update(store_batch_size=10, concurrency_per_domain=4))
        proc = env.popen("demo_board")
        deadline = time.monotonic() + 60
        while len(env.items("demo_board")) < 40 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, "the crawl finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        half = len(env.items("demo_board"))
        total = len(post_ids(env))
        assert 40 <= half < total - 100
        assert env.runs("demo_board")[-1].status == "running"  # the killed process could not close it
        env.clear_faults()
        result = env.crawl("demo_board", timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        assert_matches_truth(env, "demo_board")  # all 250, each exactly once
        runs = env.runs("demo_board")
        assert [r.status for r in runs] == ["killed", "success"]
        assert runs[-1].items_new == total - half


def test_sigterm_closes_the_run_with_its_figures(tmp_path: Path, sqlite_url: str) -> None:
    """yuqing.crawlproc's timeout sends SIGTERM first: the crawl stops, stores what it has, closes its row
    as 'killed' (crawlproc counts the failure), and the next run pages through everything again."""
    slow_posts = {"kind": "slow", "delay": 0.03, "prefix": "/board/post/"}
    with custom_env(tmp_path, sqlite_url, board_size=250, faults=[slow_posts]) as env:
        env.edit_sources(lambda data: data["defaults"].update(store_batch_size=10, concurrency_per_domain=4))
        proc = env.popen("demo_board")
        deadline = time.monotonic() + 60
        while len(env.items("demo_board")) < 20 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 1, stderr[-2000:]
        [run] = env.runs("demo_board")
        stored = len(env.items("demo_board"))
        assert run.status == "killed" and run.items_new == stored and "终止信号" in (run.error_message or "")
        row = env.source_row("demo_board")
        assert row.consecutive_failures == 0 and row.state["incomplete"] is True
        env.clear_faults()
        assert env.crawl("demo_board").returncode == 0
        assert_matches_truth(env, "demo_board")
