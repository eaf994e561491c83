"""Crawls of every demo feed through `python -m crawlers.run`, compared with the simulator's ground truth."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

from core.clock import ensure_utc
from core.models import Item
from tests.integration.crawlers.conftest import CrawlEnv, custom_env

pytestmark = pytest.mark.slow

# source key -> (demo source, news channel or None)
FEEDS = {
    "demo_hotline": ("hotline", None),
    "demo_open311": ("hotline", None),
    "demo_board": ("board", None),
    "demo_gbk_board": ("gbk_board", None),
    "demo_news_rss": ("news", "rss"),
    "demo_news_atom": ("news", "atom"),
    "demo_news_list": ("news", None),
}


# The second, incremental crawl is run once per mechanism: update-time watermark (JSON API, Open311),
# list paging with the known-page stop and revisits (boards, news list), feed entries already seen.
INCREMENTAL = ("demo_hotline", "demo_open311", "demo_board", "demo_news_rss", "demo_news_list")


def truth_for(env: CrawlEnv, key: str) -> dict[str, dict]:
    source, channel = FEEDS[key]
    entries = [
        e for e in env.published(source) if not e["deleted"] and (channel is None or e["channel"] == channel)
    ]
    return {e["id"]: e for e in entries}


def demo_id(item: Item) -> str:
    if item.kind == "news":
        assert item.url is not None
        return item.url.rsplit("/", 1)[1].removesuffix(".html")
    return item.external_id


def assert_matches_truth(env: CrawlEnv, key: str) -> list[Item]:
    truth = truth_for(env, key)
    items = env.items(key)
    ids = Counter(demo_id(i) for i in items)
    assert max(ids.values()) == 1, "an item was stored twice"
    assert set(ids) == set(truth), f"missing {set(truth) - set(ids)}, extra {set(ids) - set(truth)}"
    for item in items:
        expected = truth[demo_id(item)]
        assert item.published_at is not None and item.published_raw
        assert item.kind == ("board" if "board" in key else "news" if "news" in key else "hotline")
        if key != "demo_open311":  # Open311 has no title and prefixes the request type to the description
            assert item.title == expected["title"]
            assert hashlib.sha1(item.content.encode()).hexdigest() == expected["content_sha1"]
        else:
            assert expected["title"] in item.content
        if item.kind == "board":
            assert item.reply_status == ("replied" if expected["status"] == "已回复" else "pending")
            assert item.addressee == expected["target"]
            if item.reply_status == "replied":
                assert item.reply_text and item.reply_department and item.reply_at is not None
        elif item.kind == "hotline":
            assert item.reply_status == ("replied" if expected["status"] == "已办结" else "pending")
            assert item.department == expected["dept"]
            if item.reply_status == "replied":
                assert item.reply_text and item.reply_at is not None
        else:
            assert item.media == expected["media"]
            assert item.author and item.reply_status == "none"
            assert "网友评论" not in item.content and "热点排行" not in item.content  # boilerplate left out
    return items


@pytest.mark.parametrize("key", list(FEEDS))
def test_crawl_matches_the_published_truth_then_adds_only_what_is_new(crawl_env: CrawlEnv, key: str) -> None:
    first = crawl_env.crawl(key)
    assert first.returncode == 0, first.stderr[-3000:]
    items = assert_matches_truth(crawl_env, key)
    assert items, "the demo published nothing for this feed"
    run = crawl_env.runs(key)[-1]
    assert (run.status, run.trigger, run.items_new, run.errors) == ("success", "test", len(items), 0)
    assert run.pages > 0 and run.finished_at is not None and run.duration_s is not None
    source = crawl_env.source_row(key)
    assert source.items_total == len(items) and source.consecutive_failures == 0
    assert source.last_success_at is not None and source.last_item_at is not None

    if key not in INCREMENTAL:
        return
    unanswered = sum(1 for i in items if i.reply_status == "pending" and i.kind == "board")
    crawl_env.advance(minutes=180)
    second = crawl_env.crawl(key)
    assert second.returncode == 0, second.stderr[-3000:]
    after = assert_matches_truth(crawl_env, key)
    run = crawl_env.runs(key)[-1]
    assert run.items_new == len(after) - len(items)
    assert run.items_new > 0, "three simulated hours should publish something"
    if key in ("demo_board", "demo_gbk_board", "demo_news_list"):
        # incremental: paging stops at the first list page of known items; old posts are fetched again only
        # when unanswered (revisits, mostly answered 304 Not Modified)
        assert run.pages <= run.items_new + unanswered + 1 + 3  # robots.txt, at most 3 list pages
        assert run.items_unchanged + run.items_updated == unanswered


def test_board_reply_reaches_the_stored_item(crawl_env: CrawlEnv) -> None:
    assert crawl_env.crawl("demo_board").returncode == 0
    pending = {i.external_id for i in crawl_env.items("demo_board") if i.reply_status == "pending"}
    assert pending
    replied_now: set[str] = set()
    for _ in range(10):  # replies come on working days: up to 5 simulated days
        crawl_env.advance(minutes=60 * 12)
        truth = truth_for(crawl_env, "demo_board")
        replied_now = {pid for pid in pending if truth.get(pid, {}).get("status") == "已回复"}
        if replied_now:
            break
    assert replied_now, "the demo answered none of the pending posts in a day"
    result = crawl_env.crawl("demo_board")
    assert result.returncode == 0, result.stderr[-2000:]
    items = {i.external_id: i for i in crawl_env.items("demo_board")}
    for pid in replied_now:
        item = items[pid]
        assert item.reply_status == "replied" and item.reply_text and item.reply_department
        assert item.reply_at is not None and ensure_utc(item.reply_at) >= ensure_utc(item.published_at)
        assert item.revision == 1  # a reply is not an edit of the citizen's text
    assert crawl_env.runs("demo_board")[-1].items_updated >= len(replied_now)


def test_edited_and_deleted_posts(tmp_path: Path, sqlite_url: str) -> None:
    """Posts edited after publication get revision 2 and status 'new'; deleted ones are kept with deleted_at."""
    # With three days of history, one stored post is edited 0.6 h and another deleted 1.7 h after the start.
    with custom_env(tmp_path, sqlite_url, backfill_days=3) as crawl_env:
        check_edits_and_deletions(crawl_env)


def check_edits_and_deletions(crawl_env: CrawlEnv) -> None:
    assert crawl_env.crawl("demo_board").returncode == 0
    # Unanswered posts are revisited, so their edits and deletions are seen (answered ones are final).
    pending = {i.external_id for i in crawl_env.items("demo_board") if i.reply_status == "pending"}
    stored_sha1 = {e["id"]: e["content_sha1"] for e in crawl_env.published("board")}
    edited: set[str] = set()
    deleted: set[str] = set()
    for _ in range(12):  # until the demo has edited and deleted something we hold
        crawl_env.advance(minutes=60)
        entries = {e["id"]: e for e in crawl_env.published("board")}
        edited = {pid for pid in pending if entries[pid]["content_sha1"] != stored_sha1[pid]}
        deleted = {pid for pid in pending if entries[pid]["deleted"]}
        if edited and deleted:
            break
    assert edited and deleted, "the demo edited/deleted none of the stored posts in 12 hours"
    result = crawl_env.crawl("demo_board")
    assert result.returncode == 0, result.stderr[-2000:]
    items = {i.external_id: i for i in crawl_env.items("demo_board")}
    truth = {e["id"]: e for e in crawl_env.published("board")}
    for pid in edited - deleted:
        assert items[pid].revision == 2 and items[pid].status == "new"
        assert hashlib.sha1(items[pid].content.encode()).hexdigest() == truth[pid]["content_sha1"]
    for pid in deleted:
        assert items[pid].deleted_at is not None  # never lost
    assert all(i.deleted_at is None for pid, i in items.items() if pid not in deleted)
    run = crawl_env.runs("demo_board")[-1]
    assert run.dropped_reasons.get("gone") == len(deleted)
