"""Shape of every demo endpoint over real HTTP: hotline JSON (page, offset, cursor, updated_since), Open311,
daily CSV/Excel export, both boards (pagination, GBK), news feeds and pages (ETag/304), robots, admin."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import openpyxl
import pytest
from parsel import Selector

from core.clock import SHANGHAI
from demo.server import DemoServer

HOTLINE_KEYS = {
    "工单编号",
    "来电时间",
    "诉求类型",
    "诉求标题",
    "诉求内容",
    "所属区域",
    "承办单位",
    "状态",
    "办结时间",
    "答复内容",
    "更新时间",
}
REGIONS = {"江北区", "江南区", "临湖区", "高新区", "东城区", "西山县", "青石县"}
WALL = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def wall(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)


# --- hotline JSON --------------------------------------------------------------------------------------------


def test_hotline_page_shape_newest_first(sfetch):
    reply = sfetch("/hotline/api/orders?page=1&page_size=50")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    doc = reply.json()
    assert (doc["code"], doc["msg"], doc["page"], doc["page_size"]) == (0, "ok", 1, 50)
    assert doc["total"] > 1000  # 14 days of backfill at ~85 orders a working day
    records = doc["data"]
    assert len(records) == 50
    for record in records:
        assert set(record) == HOTLINE_KEYS
        assert re.fullmatch(r"YJ\d{8}\d{5}", record["工单编号"])
        assert WALL.match(record["来电时间"]) and WALL.match(record["更新时间"])
        assert record["所属区域"] in REGIONS
        assert record["状态"] in {"受理", "办理中", "已办结"}
        assert (record["办结时间"] is None) == (record["状态"] != "已办结")
        assert (record["答复内容"] is None) == (record["状态"] != "已办结")
        assert record["工单编号"][2:10] == record["来电时间"][:10].replace("-", "")
    times = [r["来电时间"] for r in records]
    assert times == sorted(times, reverse=True)
    second = sfetch("/hotline/api/orders?page=2&page_size=50").json()["data"]
    assert second[0]["来电时间"] <= times[-1]
    assert not {r["工单编号"] for r in second} & {r["工单编号"] for r in records}


def test_hotline_offset_limit_matches_pages(sfetch):
    page3 = sfetch("/hotline/api/orders?page=3&page_size=20").json()["data"]
    offset = sfetch("/hotline/api/orders?offset=40&limit=20").json()
    assert offset["offset"] == 40 and offset["limit"] == 20
    assert [r["工单编号"] for r in offset["data"]] == [r["工单编号"] for r in page3]


def test_hotline_updated_since_ascending_and_complete(sfetch, shared_server: DemoServer):
    since = "2026-11-18 00:00:00"
    q = since.replace(" ", "%20")  # the site's own wall-time format, URL-encoded
    first = sfetch(f"/hotline/api/orders?updated_since={q}&page=1&page_size=100").json()
    total = first["total"]
    assert 0 < total < sfetch("/hotline/api/orders").json()["total"]
    seen: list[dict] = []
    for page in range(1, total // 100 + 2):
        seen += sfetch(f"/hotline/api/orders?updated_since={q}&page={page}&page_size=100").json()["data"]
    assert len(seen) == total
    assert len({r["工单编号"] for r in seen}) == total  # each order once, at its current version
    updated = [r["更新时间"] for r in seen]
    assert updated == sorted(updated)
    assert min(updated) >= since
    # the same filter in ISO 8601 with an offset and as epoch seconds
    moment = wall(since)
    iso = sfetch(f"/hotline/api/orders?updated_since={moment.isoformat().replace('+', '%2B')}").json()
    epoch = sfetch(f"/hotline/api/orders?updated_since={int(moment.timestamp())}").json()
    assert iso["total"] == epoch["total"] == total
    # ground truth: every order updated since then, nothing else
    truth = shared_server.published(["hotline"])["sources"]["hotline"]
    expected = {e["id"] for e in truth if datetime.fromisoformat(e["updated_at"]) >= moment}
    assert {r["工单编号"] for r in seen} == expected


def test_hotline_cursor_walks_everything_once(sfetch):
    doc = sfetch("/hotline/api/orders?cursor=&limit=400").json()
    ids = [r["工单编号"] for r in doc["data"]]
    pages = 1
    while doc["has_more"]:
        doc = sfetch(f"/hotline/api/orders?cursor={doc['next_cursor']}&limit=400").json()
        ids += [r["工单编号"] for r in doc["data"]]
        pages += 1
    assert pages > 2
    assert len(ids) == len(set(ids)) == sfetch("/hotline/api/orders").json()["total"]
    # the final cursor is a resume point: nothing new yet
    tail = sfetch(f"/hotline/api/orders?cursor={doc['next_cursor']}").json()
    assert tail["data"] == [] and tail["has_more"] is False


def test_hotline_bad_parameters_are_400(sfetch):
    assert sfetch("/hotline/api/orders?page=zero").status == 400
    assert sfetch("/hotline/api/orders?updated_since=yesterday").json()["code"] == 400
    assert sfetch("/hotline/api/orders?cursor=bm9wZQ").status == 400
    assert sfetch("/hotline/api/orders?page_size=100000").status == 400


# --- Open311 -------------------------------------------------------------------------------------------------


def test_open311_services_and_requests(sfetch):
    services = sfetch("/open311/v2/services.json").json()
    assert len(services) == 15 and {"service_code", "service_name", "type"} <= set(services[0])
    reply = sfetch("/open311/v2/requests.json?page_size=30")
    requests = reply.json()
    assert len(requests) == 30 and int(reply.headers["X-Total-Count"]) > 1000
    keys = {
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
    }
    for req in requests:
        assert keys <= set(req)
        assert req["status"] in {"open", "closed"}
        assert req["requested_datetime"].endswith("+08:00")
        assert datetime.fromisoformat(req["expected_datetime"]) > datetime.fromisoformat(
            req["requested_datetime"]
        )
        assert req["service_code"] in {s["service_code"] for s in services}
    single = sfetch(f"/open311/v2/requests/{requests[0]['service_request_id']}.json").json()
    assert single == [requests[0]]
    assert sfetch("/open311/v2/requests/YJ0000000000000.json").status == 404


def test_open311_filters(sfetch):
    start, end = "2026-11-18T00:00:00+08:00", "2026-11-18T23:59:59+08:00"
    q = f"start_date={start.replace('+', '%2B')}&end_date={end.replace('+', '%2B')}&page_size=1000"
    day = sfetch(f"/open311/v2/requests.json?{q}").json()
    assert day and all(r["requested_datetime"].startswith("2026-11-18") for r in day)
    closed = sfetch(f"/open311/v2/requests.json?{q}&status=closed").json()
    opened = sfetch(f"/open311/v2/requests.json?{q}&status=open").json()
    assert closed and opened and len(closed) + len(opened) == len(day)
    assert {r["status"] for r in closed} == {"closed"}
    assert sfetch("/open311/v2/requests.json?status=pending").status == 400
    assert sfetch("/open311/v2/requests.json?start_date=soon").json()[0]["code"] == 400


# --- daily export --------------------------------------------------------------------------------------------


def test_daily_export_csv_and_xlsx(sfetch):
    csv_reply = sfetch("/hotline/export/2026-11-18.csv")
    assert csv_reply.status == 200 and csv_reply.headers["Content-Type"].startswith("text/csv")
    assert csv_reply.body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    rows = list(csv.reader(io.StringIO(csv_reply.body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["工单编号", "来电时间", "诉求类型"]
    assert len(rows) > 50 and all(r[1].startswith("2026-11-18") for r in rows[1:])
    xlsx = sfetch("/hotline/export/2026-11-18.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.body)).active
    xrows = [[("" if c is None else str(c)) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert xrows == rows
    assert sfetch("/hotline/export/2027-01-01.csv").status == 404  # the future has no data yet


# --- boards --------------------------------------------------------------------------------------------------


def test_board_list_pagination(sfetch, shared_server: DemoServer):
    first = Selector(text=sfetch("/board/list?page=1").text())
    rows = first.css("ul.msg-list li.msg-item")
    assert len(rows) == 20
    total = int(first.css(".total-count::text").get())
    assert total == shared_server.world.counts()["live"]["board"]
    assert first.css("a.page-next::text").get() == "下一页"
    assert first.css("a.page-next::attr(href)").get() == "/board/list?page=2"
    assert first.css("a.page-num::attr(href)").getall()[:2] == ["/board/list?page=2", "/board/list?page=3"]
    for row in rows:
        assert row.css(".msg-status::text").get() in {"未回复", "已回复"}
        assert row.css("a.msg-title::attr(href)").get() == f"/board/post/{row.attrib['data-id']}"
    # follow 下一页 to the end: every live post exactly once, newest first
    ids, times, url, pages = [], [], "/board/list?page=1", 0
    while url:
        page = Selector(text=sfetch(url).text())
        ids += page.css("li.msg-item::attr(data-id)").getall()
        times += page.css("li.msg-item .msg-time::text").getall()
        url = page.css("a.page-next::attr(href)").get()
        pages += 1
    assert pages == -(-total // 20)
    assert len(ids) == len(set(ids)) == total
    assert times == sorted(times, reverse=True)


def test_board_detail_fields(sfetch, shared_server: DemoServer):
    posts = shared_server.published(["board"])["sources"]["board"]
    replied = next(p for p in posts if p["status"] == "已回复" and not p["deleted"])
    page = Selector(text=sfetch(f"/board/post/{replied['id']}").text())
    assert page.css("h1.msg-title::text").get() == replied["title"]
    assert re.fullmatch(r".\*\*+|匿名网友|\d{3}\*{4}\d{4}", page.css(".msg-author::text").get())
    assert WALL.match(page.css(".msg-time::text").get())
    assert page.css(".msg-target::text").get()
    assert page.css(".msg-info .msg-status::text").get() == "已回复"
    assert page.css(".msg-content p::text").get()
    assert page.css(".reply-unit::text").get()
    assert wall(page.css(".reply-time::text").get()) > wall(page.css(".msg-time::text").get())
    assert page.css(".reply-content p::text").get()
    waiting = next(p for p in posts if p["status"] == "未回复" and not p["deleted"])
    page = Selector(text=sfetch(f"/board/post/{waiting['id']}").text())
    assert page.css(".msg-info .msg-status::text").get() == "未回复" and not page.css(".reply-unit")
    assert sfetch("/board/post/1").status == 404


def test_gbk_board_bytes_headers_and_markup(sfetch, shared_server: DemoServer):
    reply = sfetch("/gbk-board/list?page=1")
    assert reply.headers["Content-Type"] == "text/html; charset=gbk"
    assert b'<meta charset="gbk">' in reply.body
    with pytest.raises(UnicodeDecodeError):
        reply.body.decode("utf-8")
    text = reply.text("gbk")
    assert "留言标题" in text and "下一页" in text
    page = Selector(text=text)
    rows = page.css("table.lb-list tr.lb-row")
    assert len(rows) == 20
    link = rows[0].css("td.lb-title a::attr(href)").get()
    assert re.fullmatch(r"/gbk-board/post/\d+", link)
    assert page.xpath("//div[@class='pager']/a[text()='下一页']/@href").get() == "/gbk-board/list?page=2"
    detail = sfetch(link)
    assert detail.headers["Content-Type"] == "text/html; charset=gbk"
    cells = Selector(text=detail.text("gbk"))
    assert cells.css("td.lb-title::text").get() == rows[0].css("td.lb-title a::text").get()
    assert re.fullmatch(r"\d{4}年\d{2}月\d{2}日 \d{2}:\d{2}", cells.css("td.lb-time::text").get())
    assert cells.css("td.lb-target::text").get().startswith(("西山县", "青石县"))
    assert cells.css("td.lb-content").get()


# --- news ----------------------------------------------------------------------------------------------------


def test_rss_and_atom_feeds(sfetch, shared_server: DemoServer):
    rss = sfetch("/news/rss.xml")
    assert rss.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    channel = ET.fromstring(rss.body).find("channel")
    items = channel.findall("item")
    assert 10 <= len(items) <= 50
    dates = [parsedate_to_datetime(i.findtext("pubDate")) for i in items]
    assert dates == sorted(dates, reverse=True)
    assert all(i.findtext("link").startswith(shared_server.url + "/news/article/") for i in items)
    atom = sfetch("/news/atom.xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = ET.fromstring(atom.body).findall("a:entry", ns)
    assert entries and all(e.findtext("a:published", namespaces=ns).endswith("+08:00") for e in entries)
    rss_links = {i.findtext("link") for i in items}
    atom_links = {e.find("a:link", ns).attrib["href"] for e in entries}
    assert not rss_links & atom_links  # two channels, no duplicates between them


def test_article_page_has_body_among_furniture(sfetch):
    rss = ET.fromstring(sfetch("/news/rss.xml").body)
    item = rss.find("channel/item")
    path = item.findtext("link").split(":", 2)[2].split("/", 1)[1]
    page = Selector(text=sfetch("/" + path).text())
    assert page.css("h1.article-title::text").get() == item.findtext("title")
    assert page.css(".article-meta .source::text").get() == "来源：" + item.findtext("source")
    assert page.css(".article-meta .author::text").get() == item.findtext(
        "{http://purl.org/dc/elements/1.1/}creator"
    )
    assert WALL.match(page.css(".article-meta .pub-time::text").get())
    assert len(page.css(".article-content p")) >= 2
    for furniture in ("#top-nav", ".ad-banner", ".related-news", ".comments", ".hot-list", ".site-footer"):
        assert page.css(furniture), furniture


def test_news_list_pages(sfetch):
    page = Selector(text=sfetch("/news/list?page=1").text())
    assert len(page.css("li.news-item")) == 20
    assert page.css("a.page-next::attr(href)").get() == "/news/list?page=2"


@pytest.mark.parametrize("path", ["/news/rss.xml", "/news/atom.xml", "ARTICLE", "BOARD_POST"])
def test_etag_and_last_modified_give_304(sfetch, shared_server: DemoServer, path):
    if path == "ARTICLE":
        path = f"/news/article/{shared_server.world.news[-1].public_id}.html"
    elif path == "BOARD_POST":
        path = f"/board/post/{shared_server.world.boards['board'].live[-1].public_id}"
    first = sfetch(path)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and modified
    assert sfetch(path, headers={"If-None-Match": etag}).status == 304
    assert sfetch(path, headers={"If-Modified-Since": modified}).status == 304
    assert sfetch(path, headers={"If-None-Match": '"other"'}).status == 200
    earlier = (parsedate_to_datetime(modified) - timedelta(seconds=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert sfetch(path, headers={"If-Modified-Since": earlier}).status == 200


# --- robots and admin ----------------------------------------------------------------------------------------


def test_robots_default(sfetch):
    reply = sfetch("/robots.txt")
    assert reply.text().splitlines() == ["User-agent: *", "Disallow: /_admin/"]


def test_admin_state_and_published(sfetch, shared_server: DemoServer):
    state = sfetch("/_admin/state").json()
    assert state["sim_now"] == "2026-11-20T10:00:00+08:00"
    assert state["seed"] == 7 and state["faults"] == []
    assert set(state["published"]) == {"hotline", "board", "gbk_board", "news"}
    per_day = sum(state["published"].values()) / 14
    assert 100 <= per_day <= 200  # realistic but light volume
    assert {i["key"] for i in state["incidents"]} == {"black_water", "wage_arrears", "near_duplicate"}
    published = sfetch("/_admin/published").json()["sources"]
    assert {k: len(v) for k, v in published.items()} == state["published"]
    entry = published["board"][0]
    assert {"id", "version", "status", "deleted", "truth", "content_sha1", "late", "path"} <= set(entry)
    assert sfetch(entry["path"]).status == (404 if entry["deleted"] else 200)
    assert sfetch(published["news"][-1]["path"]).status == 200
    assert (
        sfetch(published["hotline"][-1]["path"]).json()[0]["service_request_id"]
        == published["hotline"][-1]["id"]
    )
    assert set(entry["truth"]) >= {"topic", "request_type", "sentiment", "tags", "incident"}
    assert sfetch("/_admin/published?source=news").json()["sources"].keys() == {"news"}
    assert sfetch("/_admin/nothing").status == 404
