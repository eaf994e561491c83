"""SQL injection strings and malformed values in every search field and filter, over HTTP: no error, exactly the
rows the literal meaning selects (LIKE wildcards and full-text operators are plain characters), and the tables
intact afterwards. Other pages' inputs get the same treatment: never a server error."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, inspect, select

from core.models import Item, ItemAnalysis, Source
from core.search import matches
from tests.e2e.server import RunningDashboard
from tests.security.conftest import Client

Login = Callable[[str | None], Client]

INJECTIONS = [
    "' OR 1=1 --",
    "' OR '1'='1",
    "%' UNION SELECT id, password_hash FROM users --",
    "%' UNION SELECT NULL --",
    '"; DROP TABLE items; --',
    "'); DELETE FROM items; --",
    "1; UPDATE users SET role='admin'",
    "\\",
    "\\'",
    "\\%",
    "%",
    "%%",
    "_",
    "__",
    "a%b",
    "100%",
    "a_b",
    "*",
    '"',
    "NEAR(电梯 故障)",
    "电梯 AND 故障",
    "电梯 OR 1=1",
    "title:电梯",
    "-电梯",
    "^电梯",
    "电梯*",
    "\x00",
    "电梯\x00' OR 1=1",
    "' OR 1=1 -- 电梯",
    "ｘ" * 300,
]

# Items whose texts hold the special characters, so a literal search has something to find.
SPECIAL = [
    ("折扣100%返现活动", "商家承诺100%返现"),
    ("文件名a_b_c说明", "下载的文件名是a_b_c.txt"),
    ("路径C:\\data\\x反映", "反斜杠\\和引号\\'都在"),
    ("测试' OR 1=1 --字符串", "有人在留言里写了' OR 1=1 --这样的内容"),
    ('他说"马上处理"', "星号*和NEAR(电梯 故障)写法"),
]

FILTERS = [
    "items-text.value",
    "items-dates.value",
    "items-custom-dates.start_date",
    "items-custom-dates.end_date",
    "items-sources.value",
    "items-kinds.value",
    "items-topics.value",
    "items-tag.value",
    "items-sentiments.value",
    "items-regions.value",
    "items-risk.value",
    "items-reply.value",
]
MULTI = {
    "items-sources.value",
    "items-kinds.value",
    "items-topics.value",
    "items-sentiments.value",
    "items-regions.value",
    "items-reply.value",
}


@pytest.fixture(scope="module")
def special_ids(site: RunningDashboard) -> list[int]:
    ids = []
    with site.db.session() as s:
        source_id = s.scalar(select(Source.id).where(Source.kind == "board").order_by(Source.id))
        for n, (title, content) in enumerate(SPECIAL):
            item = Item(
                source_id=source_id,
                external_id=f"security-{n}",
                kind="board",
                title=title,
                content=content,
                published_at=site.info.now,
                fetched_at=site.info.now,
                updated_at=site.info.now,
                content_hash=f"security-{n}",
                status="analyzed",
            )
            s.add(item)
            s.flush()
            s.add(
                ItemAnalysis(
                    item_id=item.id,
                    sentiment="neutral",
                    sentiment_score=0.5,
                    title_masked=title,
                    content_masked=content,
                    model_version="t",
                    analyzed_at=site.info.now,
                )
            )
            ids.append(item.id)
    return ids


def _values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "items-text.value": "",
        "items-dates.value": "all",
        "items-risk.value": 0,
        "refresh-interval.n_intervals": 0,
    }
    values.update(overrides)
    return values


def _search(
    client: Client, values: dict[str, Any], changed: str = "items-text.value"
) -> tuple[set[int], int]:
    response = client.call("items-grid.rowData", values, changed=[changed])
    assert response.status_code == 200, (values, response.status_code, response.text[:300])
    body = response.json()["response"]
    rows = body["items-grid"]["rowData"]
    count = re.search(r"共 ([\d,]+) 条", body["items-count"]["children"])
    assert count, body["items-count"]
    return {int(r["id"]) for r in rows}, int(count.group(1).replace(",", ""))


def _reference(site: RunningDashboard, text: str, masked: bool) -> set[int]:
    with site.db.session() as s:
        if masked:
            rows = s.execute(
                select(Item.id, ItemAnalysis.title_masked, ItemAnalysis.content_masked)
                .join(ItemAnalysis, ItemAnalysis.item_id == Item.id)
                .where(Item.deleted_at.is_(None))
            ).all()
        else:
            rows = s.execute(select(Item.id, Item.title, Item.content).where(Item.deleted_at.is_(None))).all()
    return {i for i, title, content in rows if matches(title or "", content or "", text)}


def _table_state(site: RunningDashboard) -> tuple[int, int, set[str], list[tuple[str, str]]]:
    from core.models import User

    with site.db.session() as s:
        items = s.scalar(select(func.count()).select_from(Item)) or 0
        users = s.scalar(select(func.count()).select_from(User)) or 0
        roles = sorted((u, r) for u, r in s.execute(select(User.username, User.role)))
    return items, users, set(inspect(site.db.engine).get_table_names()), roles


@pytest.mark.parametrize("role", ["admin", "duty"])
def test_search_strings_are_taken_literally(
    site: RunningDashboard, login: Login, special_ids: list[int], role: str
) -> None:
    client = login(role)
    client.get("/items")
    before = _table_state(site)
    found_special = 0
    for text in INJECTIONS:
        ids, total = _search(client, _values(**{"items-text.value": text}))
        expected = _reference(site, text.strip()[:200], masked=role != "admin")
        assert total == len(expected), (text, total, len(expected))
        if total <= 500:
            assert ids == expected, text
        found_special += bool(ids & set(special_ids))
    # The literal strings find the items that contain them (and only those).
    assert found_special >= 8
    assert _search(client, _values(**{"items-text.value": "%"}))[0] == {special_ids[0]}
    assert _search(client, _values(**{"items-text.value": "a_b"}))[0] == {special_ids[1]}
    assert _search(client, _values(**{"items-text.value": "' OR 1=1 --"}))[0] == {special_ids[3]}
    assert _table_state(site) == before


def test_filters_with_forged_values_select_nothing_extra(
    site: RunningDashboard, login: Login, special_ids: list[int]
) -> None:
    client = login("duty")
    client.get("/items")
    before = _table_state(site)
    _, everything = _search(client, _values())
    _, last_week = _search(client, _values(**{"items-dates.value": "7d"}))
    assert everything > last_week > 100
    forged: list[Any] = [
        "' OR 1=1 --",
        '"; DROP TABLE items; --',
        "%",
        "1 OR 1=1",
        ["' OR 1=1 --"],
        ["' OR '1'='1", "x' --"],
        [{"$gt": ""}],
        {"a": 1},
        [[1, 2]],
        12345678901234567890,
        -1,
        3.5,
        True,
        "\x00",
    ]
    for name in FILTERS:
        for value in forged:
            if name in MULTI and not isinstance(value, list):
                value = [value]
            values = _values(**{name: value})
            ids, total = _search(client, values, changed=name)
            if name in ("items-text.value",):
                continue  # text is checked literally above; here only: no error
            if name == "items-dates.value":
                assert total == last_week, (name, value)  # an unknown range is the default, 7 days
            elif name in ("items-custom-dates.start_date", "items-custom-dates.end_date"):
                assert total == everything, (name, value)  # a malformed date is ignored
            elif name == "items-risk.value":
                assert total <= everything, (name, value)
            else:
                # A forged category, source, tag or status is a value no item has: nothing matches.
                assert total == 0 and not ids, (name, value, total)
    # A forged value beside a real one selects what the real one selects.
    for name, real in (
        ("items-sources.value", 1),
        ("items-kinds.value", "board"),
        ("items-reply.value", "pending"),
    ):
        alone = _search(client, _values(**{name: [real]}), changed=name)
        assert alone[1] > 0
        assert _search(client, _values(**{name: [real, "' OR '1'='1"]}), changed=name) == alone, name
    # The export takes the same values (a file download, no error, no extra rows).
    for value in ("' OR 1=1 --", "%"):
        response = client.call(
            "items-download.data",
            {"items-export-csv.n_clicks": 1, **_values(**{"items-text.value": value})},
            changed=["items-export-csv.n_clicks"],
        )
        assert response.status_code == 200
        content = response.json()["response"]["items-download"]["data"]["content"]
        import base64

        lines = base64.b64decode(content).decode("utf-8-sig").strip().splitlines()
        assert len(lines) - 1 == len(_reference(site, value, masked=True)), value
    assert _table_state(site) == before


def test_other_pages_inputs_never_raise(site: RunningDashboard, login: Login) -> None:
    client = login("admin")
    client.get("/")
    junk: list[Any] = ["' OR 1=1 --", ["' OR 1=1 --"], {"x": 1}, -5, "9" * 30, None, "\x00"]
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("overview-cards.children", "overview-window.value", {"refresh-interval.n_intervals": 0}),
        ("alerts-queue.children", "alerts-states.value", {"alerts-levels.value": 0}),
        ("alerts-queue.children", "alerts-levels.value", {"alerts-states.value": ["triggered"]}),
        ("alerts-queue.children", "alerts-selected.data", {"alerts-states.value": ["triggered"]}),
        ("alerts-detail.children", "alerts-selected.data", {}),
        ("event-header.children", "event-id.data", {}),
        ("departments-grid.rowData", "departments-period.value", {}),
        ("items-detail.children", "items-selected.data", {}),
        ("alerts-selected.data", '{"index":["ALL"],"type":"alert-card"}.n_clicks', {}),
        ("items-selected.data", "items-grid.cellClicked", {}),
        ("events-location.href", "events-list.cellClicked", {}),
    ]
    before = _table_state(site)
    errors = []
    for output, name, extra in calls:
        for value in junk:
            response = client.call(output, {**extra, name: value}, changed=[name])
            # 200 with content, or 204 when the callback declines to update: never a server error.
            if response.status_code not in (200, 204):
                errors.append((name, value, response.status_code))
            elif response.status_code == 200:
                json.loads(response.text)
    assert errors == []
    assert _table_state(site) == before
