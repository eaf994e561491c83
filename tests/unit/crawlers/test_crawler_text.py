"""Normalisation, encoding detection, selector extraction and item building on small literal pages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse

from core.settings import FieldSelector
from crawlers.encoding import decoded, detect_encoding
from crawlers.extract import extract_field, extract_links, html_to_text
from crawlers.items import build_item
from crawlers.pipelines import normalize_item, validation_problem
from crawlers.text import clean_block, clean_line, content_hash, half_width

NOW = datetime(2026, 11, 21, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ１２３", "ABC123"),
        ("电话：１３８００１３８０００", "电话：13800138000"),  # digits half-width, the Chinese colon kept
        ("你好，世界！（测试）", "你好，世界！（测试）"),
        ("＃１号楼＆２号楼", "#1号楼&2号楼"),
        ("a\u200bb\ufeffc", "abc"),
        ("全角\u3000空格", "全角 空格"),
        ("“引号”《书名》、顿号。", "“引号”《书名》、顿号。"),
    ],
)
def test_half_width(raw: str, expected: str) -> None:
    assert half_width(raw) == expected


def test_clean_line_and_block() -> None:
    assert clean_line("  关于  小区\n停车\t问题 ") == "关于 小区 停车 问题"
    assert clean_block("  第一段  内容 \r\n\r\n\r\n  第二段\u3000\n\n") == "第一段 内容\n第二段"
    assert clean_line(None) is None


def test_content_hash_separates_fields() -> None:
    assert content_hash("ab", "c") != content_hash("a", "bc")
    assert content_hash("标题", "内容") == content_hash("标题", "内容")


GBK_PAGE = "<html><head><meta charset='gbk'></head><body><h1>关于噪音扰民的投诉</h1></body></html>"


@pytest.mark.parametrize(
    ("body", "declared", "expected"),
    [
        (GBK_PAGE.encode("gbk"), "gbk", "gb18030"),
        (GBK_PAGE.encode("gbk"), "utf-8", "gb18030"),  # wrong declared charset
        (GBK_PAGE.encode("utf-8"), "gbk", "utf-8"),  # wrong the other way round
        (GBK_PAGE.encode("gb18030"), None, "gb18030"),
        (b"\xef\xbb\xbf" + GBK_PAGE.encode("utf-8"), None, "utf-8-sig"),
        ("𠀀 扩展字符".encode("gb18030"), "gb2312", "gb18030"),
    ],
)
def test_detect_encoding(body: bytes, declared: str | None, expected: str) -> None:
    assert detect_encoding(body, declared) == expected


def test_decoded_response_reads_gbk_despite_a_utf8_header() -> None:
    response = HtmlResponse(
        "http://127.0.0.1/post/1",
        body=GBK_PAGE.encode("gbk"),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    assert "关于" not in response.text  # what Scrapy alone would make of it
    assert decoded(response).css("h1::text").get() == "关于噪音扰民的投诉"
    assert decoded(response, "gbk").css("h1::text").get() == "关于噪音扰民的投诉"


POST = Selector(
    text="""
<html><body>
<div class="nav">首页 &gt; 留言</div>
<h1 class="title"> 关于 小区 停车 </h1>
<ul class="info"><li>留言人：张**</li><li>留言时间：2026-11-21 14:05</li></ul>
<div class="content"><p>第一段，<b>加粗</b>文字。</p><p>第二段<br>换行</p><script>var x=1;</script></div>
<a class="next" href="/list?page=2">下一页</a>
<table><tr><td><a href="/post/1">一</a></td></tr><tr><td><a href="/post/2">二</a></td></tr></table>
</body></html>"""
)


def test_extract_field_css_xpath_regex_default() -> None:
    assert extract_field(POST, FieldSelector(css="h1.title")) == " 关于 小区 停车 "
    content = extract_field(POST, FieldSelector(css="div.content"))
    assert content is not None
    assert clean_block(content) == "第一段，加粗文字。\n第二段\n换行"
    assert "var x" not in content
    assert (
        extract_field(POST, FieldSelector(xpath="//li[contains(., '留言人')]", regex="留言人：(.+)"))
        == "张**"
    )
    published = FieldSelector(css="ul.info li::text", regex=r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
    assert extract_field(POST, published) == "2026-11-21 14:05"
    assert extract_field(POST, FieldSelector(css="div.missing", default="无")) == "无"
    assert extract_field(POST, FieldSelector(css="div.missing")) is None
    assert extract_field(POST, FieldSelector(css="a.next", attr="href")) == "/list?page=2"


def test_extract_links() -> None:
    assert extract_links(POST, FieldSelector(css="table a")) == ["/post/1", "/post/2"]
    assert extract_links(POST, FieldSelector(xpath="//table//a/@href")) == ["/post/1", "/post/2"]
    assert extract_links(POST, FieldSelector(css="table a", regex=r"/post/(\d+)")) == ["1", "2"]


def test_html_to_text() -> None:
    assert html_to_text("<p>一</p><p>二</p>") == "\n一\n\n二\n"
    assert html_to_text("纯文本") == "纯文本"
    assert html_to_text("") is None


@pytest.mark.parametrize(
    ("kind", "fields", "reply_status"),
    [
        ("board", {"source_status": "未回复"}, "pending"),
        ("board", {"source_status": "已回复"}, "replied"),
        ("board", {"reply_text": "您好，已转交处理。"}, "replied"),
        ("hotline", {"source_status": "办理中"}, "pending"),
        ("hotline", {"source_status": "已办结"}, "replied"),
        ("news", {"source_status": "已回复"}, "none"),
        ("board", {"reply_status": "replied"}, "replied"),
    ],
)
def test_reply_status(kind: str, fields: dict[str, str], reply_status: str) -> None:
    item = build_item({"external_id": "1", **fields}, kind=kind, now=NOW,
                      status_replied=["已回复", "已办结"])  # fmt: skip
    assert item.reply_status == reply_status


def test_build_item_keeps_raw_dates_and_ignores_reply_time_without_reply() -> None:
    item = build_item(
        {
            "external_id": " 42 ",
            "title": "标题",
            "published_at": "昨天 10:00",
            "reply_at": "2026-11-21 09:00",
        },
        kind="board",
        now=NOW,
        default_region="东城区",
    )
    assert item.external_id == "42"
    assert item.published_raw == "昨天 10:00"
    assert item.published_at == datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    assert item.reply_at is None and item.reply_status == "pending"
    assert item.region == "东城区"


def test_normalize_and_validate() -> None:
    item = normalize_item(build_item({"external_id": "7", "title": "  ", "content": "  内容\n\n\n第二行 "},
                                     kind="board", now=NOW))  # fmt: skip
    assert item.content == "内容\n第二行"
    assert validation_problem(item) == "missing_title"
    hotline = normalize_item(build_item({"external_id": "8", "content": "小区门口积水严重。请尽快处理"},
                                        kind="hotline", now=NOW))  # fmt: skip
    assert hotline.title == "小区门口积水严重"
    assert validation_problem(hotline) is None
    assert validation_problem(
        normalize_item(build_item({"title": "t", "content": "c"}, kind="news", now=NOW))
    ) == ("missing_external_id")


def test_source_config_errors_name_the_key_and_the_problem(tmp_path: Path) -> None:
    import shutil

    import yaml

    from core.errors import ConfigError
    from core.settings import load_config

    repo = Path(__file__).resolve().parents[3]
    config_dir = tmp_path / "config"
    shutil.copytree(repo / "config", config_dir)
    data = yaml.safe_load((config_dir / "sources.yaml").read_text(encoding="utf-8"))
    board = next(s for s in data["sources"] if s["key"] == "demo_board")
    board["board"]["fields"]["title"] = {"css": "h1..broken["}
    board["board"]["fields"]["author"] = {"xpath": "//span[@class='x'"}
    board["board"]["fields"]["mood"] = {"css": "span.mood"}
    board["board"]["colour"] = "red"
    board["board"]["list"]["id_regex"] = "(unclosed"
    (config_dir / "sources.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config({"config_dir": config_dir})
    text = str(caught.value)
    assert "sources.yaml" in text
    assert "sources[2:demo_board].board.fields.title" in text and "not a valid selector" in text
    assert "sources[2:demo_board].board.fields.author" in text
    assert "sources[2:demo_board].board.colour: unknown key" in text
    assert "sources[2:demo_board].board.list.id_regex" in text and "does not compile" in text
    board["board"]["fields"]["title"] = {"css": "h1"}
    board["board"]["fields"]["author"] = {"xpath": "//span"}
    (config_dir / "sources.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config({"config_dir": config_dir})
    assert "sources[2:demo_board].board.fields: unknown field(s) ['mood']" in str(caught.value)
