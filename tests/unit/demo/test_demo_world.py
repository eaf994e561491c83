"""The simulated world without HTTP: determinism, daily volume, backfill window, lazy days, working-day
deadlines, fault specs, and the cheap per-request queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from demo.faults import FaultError, FaultSet, build_fault, parse_cli
from demo.generate import day_items
from demo.model import BoardPost, add_workdays, is_workday, local_date
from demo.world import World

START = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday 10:00 in Asia/Shanghai


def _digest(world: World) -> list[tuple[str, str, str]]:
    items = world.published_items("hotline") + world.published_items("board") + world.published_items("news")
    return [(i.public_id, i.title, i.content) for i in items]


def test_same_seed_same_world_and_other_seed_differs():
    a, b, c = World(5, START, 2), World(5, START, 2), World(6, START, 2)
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)
    for world in (a, b):
        world.sync(START + timedelta(hours=30))
    assert _digest(a) == _digest(b)
    assert [(o.public_id, o.status, o.version) for o in a.hotline] == [
        (o.public_id, o.status, o.version) for o in b.hotline
    ]


def test_a_day_is_the_same_whenever_it_is_generated():
    first = day_items(7, date(2026, 11, 25), "board")
    World(7, START, 1).sync(START + timedelta(days=6))  # generating other days in between changes nothing
    again = day_items(7, date(2026, 11, 25), "board")
    assert [(i.publish_at, i.title, i.content) for i in first] == [
        (i.publish_at, i.title, i.content) for i in again
    ]


def test_daily_volume_is_realistic_but_light():
    totals = []
    for offset in range(14):
        day = date(2026, 11, 2) + timedelta(days=offset)
        totals.append(sum(len(day_items(7, day, s)) for s in ("hotline", "board", "gbk_board", "news")))
    assert all(100 <= t <= 200 for t in totals), totals
    assert max(totals) > min(totals)  # weekdays busier than weekends


def test_backfill_window_and_nothing_from_the_future():
    world = World(7, START, 3)
    for source in ("hotline", "board", "gbk_board", "news"):
        items = world.published_items(source)
        assert items
        assert all(START - timedelta(days=3) <= i.publish_at <= START for i in items)
    assert World(7, START, 0).counts()["published"]["hotline"] == 0


def test_hotline_ids_are_dated_and_sequential():
    world = World(7, START, 2)
    ids = [o.public_id for o in world.hotline]
    assert all(
        i[2:10] == f"{local_date(o.publish_at):%Y%m%d}" for i, o in zip(ids, world.hotline, strict=True)
    )
    today = [int(i[10:]) for i in ids if i[2:10] == "20261120"]
    assert today == list(range(today[0], today[0] + len(today)))


def test_time_only_moves_forward_and_days_are_made_lazily():
    world = World(7, START, 1)
    made = world._next_day
    world.sync(START + timedelta(days=5))
    assert world._next_day > made
    count = len(world.hotline)
    world.sync(START)  # going back is ignored
    assert len(world.hotline) == count and world.now == START + timedelta(days=5)


def test_hotline_changed_since_returns_each_order_once_at_its_latest_change():
    world = World(7, START, 3)
    since = START - timedelta(days=1)
    orders, _ = world.hotline_changed_since(since)
    assert len(orders) == len({o.public_id for o in orders})
    assert all(o.updated_at >= since for o in orders)
    assert [o.updated_at for o in orders] == sorted(o.updated_at for o in orders)
    assert {o.public_id for o in orders} == {o.public_id for o in world.hotline if o.updated_at >= since}


def test_board_deadlines_are_seven_working_days_and_some_replies_are_late():
    world = World(7, START, 14)
    posts = [p for p in world.boards["board"].all if isinstance(p, BoardPost)]
    for post in posts[:50]:
        assert post.deadline == add_workdays(post.publish_at, 7, 17 * 60 + 30)
    replied = [p for p in posts if p.reply_at is not None]
    late = [p for p in replied if p.reply_at > p.deadline]
    assert late and len(late) < len(replied) * 0.4


def test_working_days_follow_the_chinese_calendar():
    assert not is_workday(date(2026, 10, 1))  # National Day
    assert is_workday(date(2026, 11, 20)) and not is_workday(date(2026, 11, 21))
    assert is_workday(date(2027, 3, 3))  # beyond chinese-calendar's data: Monday to Friday
    friday_evening = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert local_date(add_workdays(friday_evening, 1, 600)) == date(2026, 11, 23)


def test_board_size_tops_up_history():
    world = World(7, START, 1, board_size=1500)
    assert len(world.boards["board"].all) >= 1500
    ids = [int(p.public_id) for p in world.boards["board"].all]
    assert ids == sorted(ids)  # ids follow publication order
    times = [p.publish_at for p in world.boards["board"].all]
    assert times == sorted(times)


def test_fault_specs_parse_and_validate():
    assert parse_cli("error,status=503,count=5,prefix=/board/") == {
        "kind": "error",
        "status": "503",
        "count": "5",
        "prefix": "/board/",
    }
    assert parse_cli("robots,disallow=/a/,disallow=/b/")["disallow"] == ["/a/", "/b/"]
    fault = build_fault("x", parse_cli("error,status=503,count=5,prefix=/board/"), seed=1)
    assert (fault.status, fault.count, fault.prefix) == (503, 5, "/board/")
    assert build_fault("s", {"kind": "silent", "prefix": "/gbk-board/"}, 1).silent_sources() == {"gbk_board"}
    assert build_fault("s", {"kind": "silent"}, 1).silent_sources() == {
        "hotline",
        "board",
        "gbk_board",
        "news",
    }
    for bad in (
        {"kind": "nope"},
        {"kind": "slow", "delay": -1},
        {"kind": "error", "probability": 2},
        {"kind": "robots", "disallow": 3},
        {"kind": "error", "source": "board"},
    ):
        with pytest.raises(FaultError):
            build_fault("b", bad, 1)
    with pytest.raises(FaultError):
        parse_cli("slow,delay")


def test_fault_set_counts_expire_and_order_of_action():
    faults = FaultSet(seed=1)
    faults.add({"kind": "malformed", "prefix": "/board/"})
    faults.add({"kind": "slow", "delay": 0})
    faults.add({"kind": "error", "count": 1, "prefix": "/board/"})
    fired = faults.for_request("/board/list")
    assert [f.kind for f in fired] == ["slow", "error", "malformed"]
    assert [f.kind for f in faults.for_request("/board/list")] == ["slow", "malformed"]
    assert [f.kind for f in faults.for_request("/news/")] == ["slow"]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.5.0.1", True),
        ("::1", True),
        ("10.0.0.7", False),
        ("192.168.1.2", False),
        ("example", False),
    ],
)
def test_admin_is_for_loopback_clients_only(host: str, loopback: bool):
    from demo.server import _is_loopback

    assert _is_loopback(host) is loopback
