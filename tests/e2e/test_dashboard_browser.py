"""The dashboard in Debian's Chromium (Playwright) against a seeded server on loopback: sign-in, refusals,
every page's figures, live changes across users, the countdown, persistent filters, exports, crawled text
shown as text, roles and CSRF."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import openpyxl
import pytest
import requests
from sqlalchemy import func, select

from core.models import Alert, Event, Item
from dashboard.auth import CSRF_HEADER
from tests.e2e.seed import SCRIPT_TITLE
from tests.e2e.server import RunningDashboard, browser_login, card_selector, countdown_selector, http_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Context = Callable[..., Any]


def _count(page: Any) -> int:
    text = page.locator("#items-count").inner_text()
    match = re.search(r"共 ([\d,]+) 条", text)
    assert match, text
    return int(match.group(1).replace(",", ""))


def test_sign_in_and_out(new_context: Context, dashboard: RunningDashboard) -> None:
    page = new_context(None).new_page()
    page.goto(dashboard.url("/alerts"))
    assert "/login" in page.url
    page.fill("#username", "leader")
    page.fill("#password", "not-the-password")
    page.click("#login-submit")
    assert "用户名或密码错误" in page.locator("#login-error").inner_text()
    browser_login(page, dashboard.base_url, "leader", next_path="/alerts")
    assert page.url.endswith("/alerts")
    page.wait_for_selector(".alert-card")
    assert "分管领导王副市长" in page.locator("#user-badge").inner_text()
    with page.expect_navigation():
        page.click("#logout-button")
    assert "/login" in page.url
    page.goto(dashboard.url("/"))
    assert "/login" in page.url


def test_refused_without_sign_in_over_plain_http(dashboard: RunningDashboard) -> None:
    anonymous = requests.Session()
    for path in (
        "/",
        "/alerts",
        "/admin",
        "/assets/style.css",
        f"/reports/file/{dashboard.info.report_id}/docx",
    ):
        response = anonymous.get(dashboard.url(path), allow_redirects=False, timeout=10)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert anonymous.get(dashboard.url(path), timeout=10).status_code == 401, path
    post = anonymous.post(dashboard.url("/_dash-update-component"), json={"output": "x.children"}, timeout=10)
    assert post.status_code == 401


def test_callbacks_refused_without_csrf_token(dashboard: RunningDashboard) -> None:
    session = http_login(dashboard.base_url, "duty")
    assert session.get(dashboard.url("/_dash-layout"), timeout=10).status_code == 200
    body = {
        "output": "overview-updated.children",
        "outputs": {"id": "overview-updated", "property": "children"},
        "inputs": [
            {"id": "overview-window", "property": "value", "value": "7d"},
            {"id": "refresh-interval", "property": "n_intervals", "value": 0},
        ],
        "changedPropIds": ["overview-window.value"],
        "state": [],
    }
    missing = session.post(dashboard.url("/_dash-update-component"), json=body, timeout=10)
    assert missing.status_code == 403
    token = session.cookies.get("yuqing_csrf")
    assert token
    # The cookie alone is not enough: a cross-site form can send cookies, never this header.
    forged = session.post(
        dashboard.url("/_dash-update-component"), json=body, timeout=10, headers={CSRF_HEADER: token[::-1]}
    )
    assert forged.status_code == 403


@pytest.mark.parametrize(
    ("path", "ready", "minimum"),
    [
        ("/", "#overview-risk-trend .trace", 4),
        ("/alerts", ".alert-card", 5),
        ("/events", ".ag-center-cols-container .ag-row", 5),
        ("/items", ".ag-center-cols-container .ag-row", 20),
        ("/departments", ".ag-center-cols-container .ag-row", 5),
        ("/sources", ".ag-center-cols-container .ag-row", 5),
        ("/reports", ".ag-center-cols-container .ag-row", 3),
    ],
)
def test_each_page_renders(
    new_context: Context, dashboard: RunningDashboard, path: str, ready: str, minimum: int
) -> None:
    page = new_context("admin").new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(dashboard.url(path))
    page.wait_for_selector(ready)
    page.wait_for_function(f"document.querySelectorAll({ready!r}).length >= {minimum}")
    if path == "/":
        for graph in (
            "overview-kinds",
            "overview-sentiment",
            "overview-topics",
            "overview-tags",
            "overview-regions",
        ):
            page.wait_for_selector(f"#{graph} .trace")
        assert page.locator(".stat-card").count() == 6
        assert page.locator("#overview-rising-events .ag-row").count() >= 3
    if path == "/departments":
        page.wait_for_selector("#departments-trend .trace")
    if path == "/sources":
        page.wait_for_selector("#sources-daily .trace")
        assert "故障" in page.locator("#sources-grid").inner_text()
    assert not errors


def test_event_page_shows_its_story(new_context: Context, dashboard: RunningDashboard) -> None:
    page = new_context("duty").new_page()
    page.goto(dashboard.url(f"/events?id={dashboard.info.events['e0']}"))
    page.wait_for_selector("#event-timeline .trace")
    page.wait_for_selector("#event-sentiment .trace")
    assert "首发" in page.locator("#event-first-source").inner_text()
    assert page.locator("#event-risk-factors li").count() >= 2
    page.wait_for_selector("#event-alerts .ag-row")
    page.wait_for_selector("#event-items .ag-row")


def test_acknowledge_shows_up_for_another_user(new_context: Context, dashboard: RunningDashboard) -> None:
    alert_id = dashboard.info.alerts["blue_triggered"]
    watcher = new_context("duty2").new_page()
    watcher.goto(dashboard.url("/alerts"))
    watcher_card = watcher.locator(card_selector(alert_id))
    watcher_card.locator(".state-triggered").wait_for()

    actor = new_context("duty").new_page()
    actor.goto(dashboard.url(f"/alerts?id={alert_id}"))
    actor.wait_for_selector("#alert-detail-title")
    actor.fill("#alerts-comment", "已电话联系属地核实")
    actor.click("#alerts-ack")
    actor.wait_for_selector("#alerts-message .msg-ok")
    # The other officer's page refreshes on its interval, without a reload, and shows the new state.
    watcher_card.locator(".state-acknowledged").wait_for(timeout=15_000)
    with dashboard.db.session() as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None and alert.state == "acknowledged" and alert.acknowledged_by == "duty"
    actor.locator("#alerts-history").get_by_text("已电话联系属地核实").wait_for()


def test_countdown_ticks_in_the_browser(new_context: Context, dashboard: RunningDashboard) -> None:
    page = new_context("duty").new_page()
    page.goto(dashboard.url("/alerts"))
    countdown = page.locator(countdown_selector(dashboard.info.alerts["orange_ack"]))
    page.wait_for_function(
        "(sel) => { const el = document.querySelector(sel);"
        " return !!el && /回应剩余 \\d\\d:\\d\\d:\\d\\d/.test(el.innerText); }",
        arg=countdown_selector(dashboard.info.alerts["orange_ack"]),
    )
    first = countdown.inner_text()
    page.wait_for_timeout(2200)
    second = countdown.inner_text()
    assert first != second
    seconds = [
        sum(int(x) * m for x, m in zip(t.split()[-1].split(":"), (3600, 60, 1), strict=True))
        for t in (first, second)
    ]
    assert 1 <= seconds[0] - seconds[1] <= 4
    overdue = page.locator(countdown_selector(dashboard.info.alerts["yellow_overdue"]))
    assert "已超时" in overdue.inner_text() and "cd-over" in (overdue.get_attribute("class") or "")


def _choose(page: Any, control_id: str, option: str) -> None:
    page.click(f"#{control_id}")
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def test_filter_survives_a_reload(new_context: Context, dashboard: RunningDashboard) -> None:
    page = new_context("duty").new_page()
    page.goto(dashboard.url("/items"))
    page.wait_for_selector("#items-grid .ag-row")
    before = _count(page)
    _choose(page, "items-sentiments", "正面")
    page.wait_for_function(f"!document.querySelector('#items-count').innerText.includes('共 {before:,} 条')")
    filtered = _count(page)
    assert 0 < filtered < before
    page.reload()
    page.wait_for_selector("#items-grid .ag-row")
    page.wait_for_function(f"document.querySelector('#items-count').innerText.includes('共 {filtered:,} 条')")
    assert "正面" in page.locator("#items-sentiments").inner_text()
    assert set(page.locator("#items-grid .ag-row [col-id='sentiment']").all_inner_texts()) == {"正面"}


def test_export_downloads_the_filtered_rows(new_context: Context, dashboard: RunningDashboard) -> None:
    page = new_context("duty").new_page()
    page.goto(dashboard.url("/items?kind=news&range=all"))
    page.wait_for_selector("#items-grid .ag-row")
    shown = _count(page)
    with dashboard.db.session() as s:
        expected = s.scalar(select(func.count(Item.id)).where(Item.kind == "news"))
    assert shown == expected
    with page.expect_download() as csv_download:
        page.click("#items-export-csv")
    with open(csv_download.value.path(), encoding="utf-8-sig") as fh:
        text = fh.read()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert csv_download.value.suggested_filename.endswith(".csv")
    assert len(rows) == expected and {r["类型"] for r in rows} == {"新闻"}
    with page.expect_download() as xlsx_download:
        page.click("#items-export-xlsx")
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    with open(xlsx_download.value.path(), "rb") as fh:  # the temp file has no extension openpyxl would want
        sheet = openpyxl.load_workbook(io.BytesIO(fh.read())).active
    assert sheet is not None and sheet.max_row == expected + 1 and sheet.cell(1, 2).value == "发布时间"


def test_script_title_is_shown_as_text(new_context: Context, dashboard: RunningDashboard) -> None:
    page = new_context("duty").new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(dashboard.url(f"/items?id={dashboard.info.script_item_id}&range=all&q=测试标题"))
    page.wait_for_selector("#item-title")
    assert page.locator("#item-title").inner_text() == SCRIPT_TITLE
    assert "<img src=x onerror=alert(1)>" in page.locator("#item-content").inner_text()
    assert page.locator("#item-title script, #item-content img, #item-title b").count() == 0
    page.wait_for_selector("#items-grid .ag-row")
    grid_titles = page.locator("#items-grid .ag-row [col-id='title']").all_inner_texts()
    assert SCRIPT_TITLE in grid_titles
    page.wait_for_timeout(500)
    assert dialogs == []


def test_markup_on_alert_event_and_item_pages_is_text(
    new_context: Context, dashboard: RunningDashboard
) -> None:
    """An alert, its event and an item whose crawled texts carry markup and a javascript: address (added here
    as resolved/old rows, so the other tests' queues and figures do not change)."""
    hostile = "<img src=x onerror=alert(1)><script>alert('t')</script>河道<b>发黑</b>"
    now = dashboard.info.now
    with dashboard.db.session() as s:
        source_id = s.scalar(select(Item.source_id).where(Item.id == dashboard.info.script_item_id))
        event = Event(
            title=hostile, summary=hostile, first_seen_at=now - timedelta(days=20),
            last_seen_at=now - timedelta(days=20), item_count=1, source_count=1, kind_counts={"board": 1},
            risk_factors=[{"factor": "volume", "points": 5, "text": hostile}], trend=[], tags=[],
            status="closed", updated_at=now,
        )  # fmt: skip
        s.add(event)
        s.flush()
        item = Item(
            source_id=source_id, external_id="browser-hostile", kind="board", url="javascript:alert(2)",
            title=hostile, content=hostile, published_at=now - timedelta(days=20), fetched_at=now,
            updated_at=now, content_hash="browser-hostile", status="new", event_id=event.id,
        )  # fmt: skip
        s.add(item)
        s.flush()
        event.first_item_id, event.first_source_id = item.id, source_id
        alert = Alert(
            fingerprint=f"event_risk:{event.id}", rule="event_risk", level=1, state="resolved", title=hostile,
            summary=hostile, detail={}, event_id=event.id, item_id=item.id, opened_at=now - timedelta(days=20),
            updated_at=now, resolved_at=now - timedelta(days=19), resolved_by="duty", instruction=hostile,
            escalation_policy=[],
        )  # fmt: skip
        s.add(alert)
        s.flush()
        ids = (alert.id, event.id, item.id)
    page = new_context("duty").new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(dashboard.url(f"/alerts?id={ids[0]}"))
    page.wait_for_selector("#alert-detail-title")
    assert page.locator("#alert-detail-title").inner_text() == hostile
    page.goto(dashboard.url(f"/events?id={ids[1]}"))
    page.wait_for_selector("#event-title")
    assert page.locator("#event-title").inner_text() == hostile
    assert hostile in page.locator("#event-risk-factors").inner_text()
    page.goto(dashboard.url(f"/items?id={ids[2]}&range=all"))
    page.wait_for_selector("#item-title")
    assert page.locator("#item-title").inner_text() == hostile
    assert "javascript:alert(2)" in page.locator("#items-detail").inner_text()  # shown as text ...
    assert page.locator("#items-detail a[href^='javascript']").count() == 0  # ... never as a link
    assert page.locator("main script, main img[src='x'], #item-title b, #event-title b").count() == 0
    page.wait_for_timeout(500)
    assert dialogs == []


def test_duty_cannot_reach_admin(new_context: Context, dashboard: RunningDashboard) -> None:
    page = new_context("duty").new_page()
    page.goto(dashboard.url("/"))
    page.wait_for_selector("#nav-alerts")
    assert page.locator("#nav-admin").count() == 0
    response = page.goto(dashboard.url("/admin"))
    assert response is not None and response.status == 403
    assert "无权访问" in page.inner_text("body")
    # Client-side navigation gets the refusal from the page itself.
    page.goto(dashboard.url("/"))
    page.wait_for_selector("#nav-alerts")
    page.evaluate(
        "window.history.pushState({}, '', '/admin'); window.dispatchEvent(new PopStateEvent('popstate'))"
    )
    page.wait_for_selector(".forbidden")
    assert page.locator("#admin-users").count() == 0


def test_roles_see_their_own_actions(new_context: Context, dashboard: RunningDashboard) -> None:
    alert_id = dashboard.info.alerts["yellow_overdue"]
    leader = new_context("leader").new_page()
    leader.goto(dashboard.url(f"/alerts?id={alert_id}"))
    leader.wait_for_selector("#alert-detail-title")
    assert leader.locator("#alerts-instruct").is_visible()
    assert not leader.locator("#alerts-ack").is_visible()
    leader.fill("#alerts-instruction", "请于明日上午前书面报告")
    leader.click("#alerts-instruct")
    leader.wait_for_selector("#alerts-message .msg-ok")
    leader.locator(".instruction").get_by_text("请于明日上午前书面报告").wait_for()
    duty = new_context("duty").new_page()
    duty.goto(dashboard.url(f"/alerts?id={alert_id}"))
    duty.wait_for_selector("#alert-detail-title")
    assert duty.locator("#alerts-ack").is_visible() and not duty.locator("#alerts-instruct").is_visible()


def test_admin_views_unmasked_text_with_an_audit_record(
    new_context: Context, dashboard: RunningDashboard
) -> None:
    page = new_context("admin").new_page()
    page.goto(dashboard.url(f"/items?id={dashboard.info.phone_item_id}&range=all"))
    page.wait_for_selector("#item-content")
    assert "13812345678" not in page.locator("#item-content").inner_text()
    page.click("#items-unmask")
    page.wait_for_selector("#item-unmasked")
    assert "13812345678" in page.locator("#item-unmasked").inner_text()
    duty = new_context("duty").new_page()
    duty.goto(dashboard.url(f"/items?id={dashboard.info.phone_item_id}&range=all"))
    duty.wait_for_selector("#item-content")
    assert not duty.locator("#items-unmask").is_visible()
