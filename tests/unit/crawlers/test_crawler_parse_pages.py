"""Parse tests on saved pages of every demo variant (tests/fixtures/pages, made by capture.py), through the
generic spiders configured by the repository's config/sources.yaml: no network, no database."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse

from core.clock import FixedClock
from core.settings import AppConfig, HotlineApiConfig, Pagination, SourceConfig, load_config
from crawlers.context import CrawlContext, PreviewSink
from crawlers.items import CrawledItem
from crawlers.pipelines import normalize_item, validation_problem
from crawlers.registry import spider_for
from crawlers.seen import SeenIndex
from crawlers.spiders.base import ConfiguredSpider
from crawlers.spiders.hotline import OPEN311_DEFAULT

PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages"
INDEX = json.loads((PAGES / "index.json").read_text(encoding="utf-8"))
BASE = "http://demo.test"
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def config() -> AppConfig:
    repo = Path(__file__).resolve().parents[3]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("YUQING_DEMO_URL", BASE)
        return load_config({"config_dir": repo / "config"})


def spider(source: SourceConfig, config: AppConfig) -> ConfiguredSpider:
    ctx = CrawlContext(
        source=source, defaults=config.sources.defaults, clock=FixedClock(NOW), sink=PreviewSink(),
        seen=SeenIndex(None, None), max_pages=50,
    )  # fmt: skip
    return spider_for(source)(ctx=ctx)


def page(name: str, *, meta: dict[str, Any] | None = None, status: int = 200) -> TextResponse:
    info = INDEX["pages"][name]
    url = BASE + info["path"]
    headers = {"Content-Type": info["content_type"]}
    cls = HtmlResponse if "html" in (info["content_type"] or "") else TextResponse
    request = Request(url, meta={"role": "detail", **(meta or {})})
    return cls(url, body=(PAGES / name).read_bytes(), headers=headers, status=status, request=request)


def run(results: Iterable[Any]) -> tuple[list[CrawledItem], list[Request]]:
    out = list(results or [])
    items = [normalize_item(r) for r in out if isinstance(r, CrawledItem)]
    return items, [r for r in out if isinstance(r, Request)]


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


# --- boards --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "list_page", "prefix"), [
    ("demo_board", "board_list.html", "/board/post/"), ("demo_gbk_board", "gbk_list.html", "/gbk-board/post/"),
])  # fmt: skip
def test_board_list_pages(config: AppConfig, key: str, list_page: str, prefix: str) -> None:
    board = spider(config.sources.get(key), config)
    _, requests = run(board.parse_list(page(list_page, meta={"page": 1})))
    details = [r for r in requests if r.meta["role"] == "detail"]
    pages = [r for r in requests if r.meta["role"] == "list"]
    assert len(details) == 20 and all(urlsplit(r.url).path.startswith(prefix) for r in details)
    assert [(r.url.split("?")[1], r.meta["page"]) for r in pages] == [("page=2", 2)]


def test_last_board_page_has_no_next_page(config: AppConfig) -> None:
    board = spider(config.sources.get("demo_board"), config)
    _, requests = run(board.parse_list(page("board_list_last.html", meta={"page": 1})))
    assert requests == []  # an empty page past the end: nothing to follow (and an error for page 1)
    assert board.ctx.entry_failed


@pytest.mark.parametrize(("key", "name", "source"), [
    ("demo_board", "board_post_replied.html", "board"),
    ("demo_board", "board_post_pending.html", "board"),
    ("demo_gbk_board", "gbk_post_replied.html", "gbk_board"),
    ("demo_gbk_board", "gbk_post_pending.html", "gbk_board"),
    ("demo_board", "board_post_wrong_charset.html", "board"),  # GBK bytes behind a UTF-8 header
])  # fmt: skip
def test_board_detail_pages(config: AppConfig, key: str, name: str, source: str) -> None:
    board = spider(config.sources.get(key), config)
    [item], _ = run(board.parse_detail(page(name)))
    truth = INDEX["truth"][source][item.external_id]
    assert validation_problem(item) is None
    assert item.url == BASE + truth["path"]
    assert item.title == truth["title"]
    assert sha1(item.content) == truth["content_sha1"]
    assert item.addressee == truth["target"]
    published = datetime.fromisoformat(truth["published_at"])
    assert item.published_at == (published.replace(second=0) if "gbk" in key else published)  # GBK: minutes
    assert item.published_raw and item.author  # e.g. "张**", "188****1561", "匿名网友"
    assert item.source_status == truth["status"]
    if truth["status"] == "已回复":
        assert item.reply_status == "replied"
        assert item.reply_text and item.reply_department and item.reply_at is not None
        assert item.reply_at >= item.published_at
    else:
        assert item.reply_status == "pending"
        assert item.reply_text is None and item.reply_at is None
    if "gbk" in key:
        assert "年" in item.published_raw  # 2026年11月18日 16:12


def test_malformed_board_page_still_parses(config: AppConfig) -> None:
    board = spider(config.sources.get("demo_board"), config)
    [item], _ = run(board.parse_detail(page("board_post_malformed.html")))
    truth = INDEX["truth"]["board"][item.external_id]
    assert item.title == truth["title"]
    assert item.content and "版权所有" not in item.content


def test_board_detail_status_pages(config: AppConfig) -> None:
    board = spider(config.sources.get("demo_board"), config)
    sink = board.ctx.sink
    run(board.parse_detail(page("board_post_pending.html", status=304)))
    assert sink.counts["unchanged"] == 1
    truncated = page("board_post_pending.html")
    truncated = truncated.replace(body=truncated.body[: len(truncated.body) // 2])
    items, _ = run(board.parse_detail(truncated))
    assert items == [] and board.ctx.errors and "truncated" in board.ctx.errors[-1]


# --- news ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "name"), [("demo_news_rss", "news_rss.xml"), ("demo_news_atom", "news_atom.xml")]
)
def test_feeds_yield_article_requests_with_entry_metadata(config: AppConfig, key: str, name: str) -> None:
    news = spider(config.sources.get(key), config)
    _, requests = run(news.parse_feed(page(name)))
    assert requests and all(r.meta["role"] == "detail" for r in requests)
    assert all(urlsplit(r.url).path.startswith("/news/article/") for r in requests)
    entry = requests[0].meta["entry"]
    assert entry["title"] and entry["author"] and entry["media"] and entry["content"]
    assert entry["published_at"].tzinfo is not None and entry["published_raw"]
    assert len({r.meta["entry"]["external_id"] for r in requests}) == len(requests)


def test_article_body_without_boilerplate(config: AppConfig) -> None:
    news = spider(config.sources.get("demo_news_rss"), config)
    truth = next(iter(INDEX["truth"]["news"].values()))
    entry = {"external_id": BASE + "/x", "title": truth["title"], "author": None, "media": None}
    [item], _ = run(news.parse_detail(page("news_article.html", meta={"entry": entry})))
    assert item.title == truth["title"]
    assert sha1(item.content) == truth["content_sha1"]  # exactly the article's paragraphs
    for boilerplate in ("热点排行", "相关阅读", "网友评论", "广告", "版权所有", "分享到"):
        assert boilerplate not in item.content
    assert item.media == truth["media"] and item.author  # from the page's meta line
    assert item.published_at == datetime.fromisoformat(truth["published_at"])
    assert item.reply_status == "none"


def test_news_list_page(config: AppConfig) -> None:
    news = spider(config.sources.get("demo_news_list"), config)
    _, requests = run(news.parse_list(page("news_list.html", meta={"page": 1})))
    details = [r for r in requests if r.meta["role"] == "detail"]
    assert len(details) == 20 and [r.meta["page"] for r in requests if r.meta["role"] == "list"] == [2]


# --- hotline ----------------------------------------------------------------------------------------------


def with_page_size(source: SourceConfig, size: int) -> SourceConfig:
    api = source.hotline
    assert api is not None
    pagination = api.pagination.model_copy(update={"size": size})
    return source.model_copy(update={"hotline": api.model_copy(update={"pagination": pagination})})


def test_hotline_json_page(config: AppConfig) -> None:
    hotline = spider(with_page_size(config.sources.get("demo_hotline"), 5), config)
    response = page("hotline_orders.json", meta={"page": 1, "position": 1, "role": "entry"})
    items, requests = run(hotline.parse_api(response))
    records = json.loads((PAGES / "hotline_orders.json").read_bytes())["data"]
    assert [i.external_id for i in items] == [r["工单编号"] for r in records]
    for item, record in zip(items, records, strict=True):
        assert (item.title, item.content, item.region, item.department, item.request_type) == (
            record["诉求标题"], record["诉求内容"], record["所属区域"], record["承办单位"], record["诉求类型"],
        )  # fmt: skip
        assert item.reply_status == ("replied" if record["状态"] == "已办结" else "pending")
        assert item.published_raw == record["来电时间"] and item.url is None
    [next_page] = requests
    assert parse_qs(urlsplit(next_page.url).query)["page"] == ["2"]
    assert hotline.ctx.new_state["watermark"]  # the newest 更新时间 seen


def test_open311_page(config: AppConfig) -> None:
    base = config.sources.get("demo_open311")
    open311 = spider(base.model_copy(update={"hotline": OPEN311_DEFAULT}), config)
    open311.ctx.source = with_page_size(open311.ctx.source, 5)
    response = page("open311_requests.json", meta={"page": 1, "position": 1, "role": "entry"})
    items, requests = run(open311.parse_api(response))
    records = json.loads((PAGES / "open311_requests.json").read_bytes())
    assert [i.external_id for i in items] == [r["service_request_id"] for r in records]
    for item, record in zip(items, records, strict=True):
        assert item.content == record["description"] and item.department == record["agency_responsible"]
        assert item.title and item.title in item.content
        if record["status"] == "closed":
            assert item.reply_status == "replied" and item.reply_text == record["status_notes"]
            assert item.reply_at is not None
        else:  # an open order's status_notes is a progress note, not an answer
            assert item.reply_status == "pending" and item.reply_text is None
    assert requests and parse_qs(urlsplit(requests[0].url).query)["page"] == ["2"]


@pytest.mark.parametrize(("style", "expected"), [
    ("cursor", "cursor"), ("offset", "offset"),
])  # fmt: skip
def test_other_pagination_styles(config: AppConfig, style: str, expected: str) -> None:
    base = config.sources.get("demo_hotline")
    assert base.hotline is not None
    pagination = Pagination(style=style, size_param="limit", size=5, cursor_path="next_cursor")  # type: ignore[arg-type]
    api: HotlineApiConfig = base.hotline.model_copy(update={"pagination": pagination, "since_param": None,
                                                            "total_path": None})  # fmt: skip
    source = base.model_copy(update={"hotline": api})
    hotline = spider(source, config)
    name = "hotline_orders_cursor.json" if style == "cursor" else "hotline_orders.json"
    first = hotline.initial_requests()[0]
    assert "page" not in parse_qs(urlsplit(first.url).query)
    response = page(name, meta={"page": 1, "position": first.meta["position"], "role": "entry"})
    items, requests = run(hotline.parse_api(response))
    assert len(items) == 5
    query = parse_qs(urlsplit(requests[0].url).query)
    if style == "cursor":
        assert query["cursor"] == [json.loads((PAGES / name).read_bytes())["next_cursor"]]
    else:
        assert query["offset"] == ["5"] and query["limit"] == ["5"]
