"""The simulated timeline over HTTP: determinism for a seed, incidents arriving with their described timing
(driven by /_admin/advance), replies and status changes over time, edited and deleted posts, board_size."""

from __future__ import annotations

import difflib
from datetime import datetime, timedelta

from parsel import Selector

from demo.model import BoardPost
from demo.server import DemoServer
from tests.integration.demo.demo_http import START, make_fetch

PATHS = (
    "/hotline/api/orders?page=2&page_size=30",
    "/hotline/api/orders?updated_since=2026-11-19T00:00:00Z&page=1&page_size=100",
    "/open311/v2/requests.json?page_size=40",
    "/hotline/export/2026-11-19.csv",
    "/hotline/export/2026-11-19.xlsx",
    "/board/list?page=3",
    "/gbk-board/list?page=1",
    "/news/rss.xml",
    "/news/atom.xml",
    "/news/list?page=2",
    "/_admin/published",
)


def _snapshot(server: DemoServer) -> dict[str, bytes]:
    fetch = make_fetch(server)
    out = {path: fetch(path).body for path in PATHS}
    board = server.world.boards["board"].live
    for post in board[-5:] + board[:3]:
        out[post.public_id] = fetch(f"/board/post/{post.public_id}").body
    article = server.world.news[-1]
    out["article"] = fetch(f"/news/article/{article.public_id}.html").body
    return out


def test_same_seed_and_start_give_identical_bytes_and_another_seed_differs():
    with (
        DemoServer(seed=11, speed=0, backfill_days=3, start=START) as a,
        DemoServer(seed=11, speed=0, backfill_days=3, start=START) as b,
    ):
        assert a.url != b.url
        first, second = _snapshot(a), _snapshot(b)
        # absolute links in feeds carry each server's own port
        for key in ("/news/rss.xml", "/news/atom.xml"):
            first[key] = first[key].replace(a.url.encode(), b"BASE")
            second[key] = second[key].replace(b.url.encode(), b"BASE")
        assert first == second
        make_fetch(a)("/_admin/advance", method="POST", payload={"minutes": 90})
        make_fetch(b)("/_admin/advance", method="POST", payload={"minutes": 90})
        assert make_fetch(a)("/_admin/published").body == make_fetch(b)("/_admin/published").body
    with DemoServer(seed=12, speed=0, backfill_days=3, start=START) as c:
        other = make_fetch(c)("/board/list?page=3").body
        assert other != first["/board/list?page=3"]


def _incident(fetch, key: str) -> dict:
    return next(i for i in fetch("/_admin/state").json()["incidents"] if i["key"] == key)


def _advance(fetch, minutes: float) -> str:
    return fetch("/_admin/advance", method="POST", payload={"minutes": minutes}).json()["sim_now"]


def test_black_water_wave_grows_then_reaches_the_news(fetch):
    wave = _incident(fetch, "black_water")
    assert wave["name"] == "黑臭水体" and wave["region"] == "临湖区"
    start = datetime.fromisoformat(wave["starts_at"])
    assert start - START == timedelta(minutes=5)  # a few simulated minutes after start
    assert datetime.fromisoformat(wave["ends_at"]) - start == timedelta(minutes=20)
    assert wave["published"] == 0
    counts = []
    for minutes in (5, 5, 5, 5, 5):  # sample every 5 simulated minutes until +25
        _advance(fetch, minutes)
        counts.append(_incident(fetch, "black_water")["published"])
    growth = [b - a for a, b in zip([0, *counts], counts, strict=False)]
    assert counts[0] >= 1 and growth[-1] > growth[0] and growth[-1] >= 5  # a few posts, then many
    wave = _incident(fetch, "black_water")
    sources = {i["source"] for i in wave["items"] if i["published"]}
    assert {"hotline", "board"} <= sources and "news" not in sources
    board_ids = [i["id"] for i in wave["items"] if i["published"] and i["source"] == "board"]
    page = Selector(text=fetch(f"/board/post/{board_ids[-1]}").text())
    assert "柳塘河" in page.css("h1.msg-title::text").get() + page.css(".msg-content").get()
    hotline = fetch("/hotline/api/orders?page=1&page_size=100").json()["data"]
    assert sum("柳塘河" in r["诉求内容"] for r in hotline) >= 3
    assert all(r["所属区域"] == "临湖区" for r in hotline if "柳塘河" in r["诉求内容"])
    _advance(fetch, 5)  # +30: the first article is out
    rss = fetch("/news/rss.xml").text()
    assert "柳塘河突现黑臭" in rss
    truth = fetch("/_admin/published?source=news").json()["sources"]["news"]
    article = next(a for a in truth if a["truth"]["incident"] == "black_water")
    assert article["truth"]["sentiment"] == "negative" and article["truth"]["topic"] == "环境保护"


def test_wage_arrears_escalate_to_a_threat_of_gathering(fetch, server: DemoServer):
    arrears = _incident(fetch, "wage_arrears")
    assert arrears["name"] == "欠薪"
    labels = [s["label"] for s in arrears["stages"]]
    assert labels.index("扬言到市政府讨说法") < labels.index("相约到市政府聚集")
    _advance(fetch, 60)
    early = [i for i in _incident(fetch, "wage_arrears")["items"] if i["published"]]
    assert early and not any("市政府" in i["title"] for i in early)
    _advance(fetch, 140)  # +200 minutes: the whole escalation is out
    published = [i for i in _incident(fetch, "wage_arrears")["items"] if i["published"]]
    texts = []
    for item in published:
        if item["source"] == "board":
            texts.append(Selector(text=fetch(f"/board/post/{item['id']}").text()).css(".msg-content").get())
        elif item["source"] == "hotline":
            texts.append(server.world.hotline_by_id[item["id"]].content)
    joined = "\n".join(texts)
    assert "翡翠湾二期" in joined and "聚集" in joined and "市政府讨说法" in joined
    threat_at = min(datetime.fromisoformat(i["publish_at"]) for i in published if "市政府" in i["title"])
    assert threat_at - START >= timedelta(minutes=100)
    assert {i["source"] for i in published} >= {"board", "hotline", "gbk_board"}


def test_near_duplicate_across_board_and_hotline(fetch, server: DemoServer):
    _advance(fetch, 40)
    items = [i for i in _incident(fetch, "near_duplicate")["items"] if i["published"]]
    board = [i for i in items if i["source"] == "board"]
    hotline = [i for i in items if i["source"] == "hotline"]
    assert len(board) == 2 and len(hotline) == 1
    board_text = server.world.boards["board"].by_id[board[0]["id"]].content
    hotline_text = server.world.hotline_by_id[hotline[0]["id"]].content
    api = fetch("/hotline/api/orders?page=1&page_size=200").json()["data"]
    assert hotline_text in {r["诉求内容"] for r in api}
    ratio = difflib.SequenceMatcher(None, board_text, hotline_text).ratio()
    assert board_text != hotline_text and ratio > 0.85


def test_statuses_and_replies_change_as_time_passes(fetch):
    before = {e["id"]: e for e in fetch("/_admin/published").json()["sources"]["hotline"]}
    _advance(fetch, 60 * 30)  # 30 simulated hours
    after = {e["id"]: e for e in fetch("/_admin/published").json()["sources"]["hotline"]}
    changed = [i for i in before if after[i]["version"] > before[i]["version"]]
    assert changed and any(after[i]["status"] == "已办结" != before[i]["status"] for i in changed)
    assert len(after) > len(before)
    board = fetch("/_admin/published?source=board").json()["sources"]["board"]
    replied = [p for p in board if p["status"] == "已回复"]
    assert replied and any(p["late"] for p in board if p["status"] == "已回复" or not p["deleted"])


def test_late_replies_exist_in_ground_truth(shared_server: DemoServer):
    board = shared_server.published(["board"])["sources"]["board"]
    replied = [p for p in board if p["status"] == "已回复"]
    late = [p for p in replied if p["late"]]
    assert late and len(late) < len(replied) / 2


def _future_change(server: DemoServer, kind: str) -> tuple[BoardPost, datetime]:
    """A published post with a pending change of `kind`, moving the clock on by hours until there is one."""
    for _ in range(72):
        for post in server.world.boards["board"].live:
            for change in post.changes:
                if change.kind == kind and change.at > server.sim_now():
                    return post, change.at
        server.advance(minutes=60)
    raise AssertionError(f"no published post with a future {kind}")


def test_edited_post_changes_content_under_the_same_id(fetch, server: DemoServer):
    post, at = _future_change(server, "edit")
    path = f"/board/post/{post.public_id}"
    before = fetch(path)
    _advance(fetch, (at - server.sim_now()).total_seconds() / 60 + 1)
    after = fetch(path)
    assert after.status == 200 and after.headers["ETag"] != before.headers["ETag"]
    old = Selector(text=before.text()).css(".msg-content").get()
    new = Selector(text=after.text()).css(".msg-content").get()
    assert old != new and Selector(text=after.text()).css("h1.msg-title::text").get() == post.title
    entry = next(
        e
        for e in fetch("/_admin/published?source=board").json()["sources"]["board"]
        if e["id"] == post.public_id
    )
    assert entry["edited"] and entry["version"] >= 2


def test_deleted_post_is_404_afterwards_and_leaves_the_list(fetch, server: DemoServer):
    post, at = _future_change(server, "delete")
    path = f"/board/post/{post.public_id}"
    assert fetch(path).status == 200
    live_before = server.world.counts()["live"]["board"]
    _advance(fetch, (at - server.sim_now()).total_seconds() / 60 + 1)
    gone = fetch(path)
    assert gone.status == 404 and "删除" in gone.text()
    entry = next(
        e
        for e in fetch("/_admin/published?source=board").json()["sources"]["board"]
        if e["id"] == post.public_id
    )
    assert entry["deleted"] is True
    listed = []
    url = "/board/list?page=1"
    while url:
        page = Selector(text=fetch(url).text())
        listed += page.css("li.msg-item::attr(data-id)").getall()
        url = page.css("a.page-next::attr(href)").get()
    assert post.public_id not in listed
    assert len(listed) == server.world.counts()["live"]["board"] >= live_before - 5


def test_new_items_arrive_as_the_clock_runs():
    with DemoServer(seed=7, speed=3600, backfill_days=1, start=START) as srv:
        fetch = make_fetch(srv)
        first = fetch("/_admin/state").json()
        import time

        time.sleep(1.2)  # 1.2 real seconds at 3600x: over an hour of simulated time
        second = fetch("/_admin/state").json()
        assert datetime.fromisoformat(second["sim_now"]) - datetime.fromisoformat(
            first["sim_now"]
        ) >= timedelta(hours=1)
        assert second["published"]["hotline"] > first["published"]["hotline"]


def test_board_size_builds_a_large_board_quickly():
    with DemoServer(seed=7, speed=0, backfill_days=2, start=START, board_size=3000) as srv:
        state = make_fetch(srv)("/_admin/state").json()
        assert state["published"]["board"] >= 3000
        assert srv.build_seconds < 3
        last = (
            Selector(text=make_fetch(srv)("/board/list?page=1").text()).css("a.page-last::attr(href)").get()
        )
        assert last == f"/board/list?page={-(-state['live']['board'] // 20)}"
