"""dashboard.data against a seeded database: the figures agree with the raw rows they summarise."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from core.db import Database
from core.models import Alert, HourlyRollup, Item, ItemAnalysis, Report
from dashboard import data
from tests.conftest import DEFAULT_NOW
from tests.e2e.seed import SCRIPT_TITLE, SeedInfo

NOW = DEFAULT_NOW


def _count_items(db: Database, start, end, negative: bool = False) -> int:  # type: ignore[no-untyped-def]
    query = (
        select(func.count(Item.id))
        .join(ItemAnalysis, ItemAnalysis.item_id == Item.id)
        .where(Item.published_at >= start, Item.published_at < end)
    )
    if negative:
        query = query.where(ItemAnalysis.sentiment == "negative")
    with db.session() as s:
        return int(s.scalar(query) or 0)


def test_local_day_and_week_bounds() -> None:
    # 2026-11-20 02:00 UTC is Friday 10:00 in Shanghai; the local day starts at 16:00 UTC the day before.
    assert data.local_midnight(NOW).isoformat() == "2026-11-19T16:00:00+00:00"
    assert data.local_week_start(NOW).isoformat() == "2026-11-15T16:00:00+00:00"


def test_overview_numbers_match_the_items(seeded_db: Database) -> None:
    numbers = data.overview_numbers(seeded_db, NOW)
    today = data.local_midnight(NOW)
    end = NOW + timedelta(hours=1)  # the open hour's bucket counts whole
    assert numbers.items_today.current == _count_items(seeded_db, today, end)
    assert numbers.items_today.previous == _count_items(
        seeded_db, today - timedelta(days=1), end - timedelta(days=1)
    )
    negative = _count_items(seeded_db, today, end, negative=True)
    assert numbers.negative_share_today.current == pytest.approx(negative / numbers.items_today.current)
    week = data.local_week_start(NOW)
    assert numbers.items_week.current == _count_items(seeded_db, week, end)
    # Open alerts by level: the seed opens one red, two orange, one yellow, one blue (and resolves a yellow).
    assert numbers.open_alerts_by_level == {4: 1, 3: 2, 2: 1, 1: 1}
    assert numbers.overdue_now >= 1


def test_overview_series_sums_the_rollups(seeded_db: Database) -> None:
    series = data.overview_series(seeded_db, NOW, "7d")
    start, freq = data.window_start(NOW, "7d")
    assert freq == "D" and len(series.buckets) == 7
    with seeded_db.session() as s:
        total = s.scalar(select(func.sum(HourlyRollup.count)).where(HourlyRollup.hour >= start))
        risky = s.scalar(
            select(func.sum(HourlyRollup.count)).where(
                HourlyRollup.hour >= start, HourlyRollup.risk_level > 0
            )
        )
    assert series.kinds["count"].sum() == total
    assert series.sentiment["count"].sum() == total
    assert series.risk["count"].sum() == risky
    assert series.topics["count"].sum() == total
    assert list(series.topics["count"]) == sorted(series.topics["count"], reverse=True)
    # Local-day buckets: every bucket is a Shanghai midnight inside the window.
    assert set(series.kinds["bucket"]) <= set(series.buckets)
    hourly = data.overview_series(seeded_db, NOW, "24h")
    assert len(hourly.buckets) == 24


def test_alert_queue_orders_by_level_and_counts_down(seeded_db: Database, info: SeedInfo) -> None:
    queue = data.alert_queue(seeded_db, NOW)
    assert list(queue["state"].unique()) != ["resolved"]
    assert list(queue["level"]) == sorted(queue["level"], reverse=True)
    assert info.alerts["yellow_resolved"] not in set(queue["id"])
    by_id = queue.set_index("id")
    assert by_id.loc[info.alerts["red_triggered"], "deadline_kind"] == "escalation"
    assert by_id.loc[info.alerts["orange_ack"], "deadline_kind"] == "response"
    assert by_id.loc[info.alerts["orange_paused"], "deadline_kind"] == "paused"
    assert by_id.loc[info.alerts["yellow_overdue"], "deadline"] < NOW
    with_resolved = data.alert_queue(seeded_db, NOW, states=["resolved"])
    assert list(with_resolved["id"]) == [info.alerts["yellow_resolved"]]
    only_red = data.alert_queue(seeded_db, NOW, min_level=4)
    assert list(only_red["id"]) == [info.alerts["red_triggered"]]


def test_alert_detail_and_history(seeded_db: Database, info: SeedInfo) -> None:
    detail = data.alert_detail(seeded_db, info.alerts["yellow_overdue"])
    assert detail is not None and detail.instruction and detail.department == "市住房和城乡建设局"
    assert detail.task_id is not None and detail.task_unit == "hours"
    history = data.alert_history(seeded_db, detail.id, detail.task_id)
    assert list(history["action"]) == [
        "timer.start",
        "alert.open",
        "alert.acknowledge",
        "alert.assign",
        "alert.instruction",
    ]
    assert data.alert_detail(seeded_db, 999_999) is None


def test_search_filters(seeded_db: Database, info: SeedInfo) -> None:
    week = data.ItemFilters(start=NOW - timedelta(days=7))
    everything, total = data.search_items(seeded_db, week, limit=10_000)
    assert total == len(everything) > 50
    negative, n_negative = data.search_items(
        seeded_db, data.ItemFilters(start=week.start, sentiments=("negative",)), limit=10_000
    )
    assert n_negative == int((everything["sentiment"] == "negative").sum()) == len(negative)
    hotline, _ = data.search_items(seeded_db, data.ItemFilters(kinds=("hotline",), min_risk=2), limit=10_000)
    assert set(hotline["kind"]) == {"hotline"} and hotline["risk_level"].min() >= 2
    # Tags are JSON lists; Chinese tags match whatever escaping the JSON column used.
    tagged, n_tagged = data.search_items(seeded_db, data.ItemFilters(tag="欠薪"), limit=10_000)
    assert n_tagged > 0 and all("欠薪" in tags for tags in tagged["tags"])
    regions, _ = data.search_items(seeded_db, data.ItemFilters(regions=("江北区",)), limit=10_000)
    assert set(regions["region"]) == {"江北区"}
    replied, _ = data.search_items(seeded_db, data.ItemFilters(reply_statuses=("replied",)), limit=10_000)
    assert set(replied["reply_status"]) == {"replied"}
    newest = list(everything["published_at"])
    assert newest == sorted(newest, reverse=True)


def test_search_text_is_masked_for_non_admins(seeded_db: Database, info: SeedInfo) -> None:
    # The phone number is in the raw text only; a non-admin search must not find it (no probing for PII).
    _masked, n_masked = data.search_items(seeded_db, data.ItemFilters(text="13812345678"))
    raw, n_raw = data.search_items(
        seeded_db, data.ItemFilters(text="13812345678"), unmasked_search=True, with_content=True
    )
    assert n_masked == 0 and n_raw == 1
    assert "13812345678" not in raw.loc[0, "content"] and "[手机号]" in raw.loc[0, "content"]
    both, n_both = data.search_items(seeded_db, data.ItemFilters(text="燃气 漏气"))
    assert n_both >= 1 and int(both.loc[0, "id"]) == info.phone_item_id
    literal, _ = data.search_items(seeded_db, data.ItemFilters(text="100%"))  # LIKE wildcards are literal
    assert literal.empty or all("100%" in t for t in literal["title"])


def test_item_detail_masks_and_lists_terms(seeded_db: Database, info: SeedInfo) -> None:
    detail = data.item_detail(seeded_db, info.phone_item_id)
    assert detail is not None
    assert "13812345678" not in detail.content and "张伟" not in detail.content
    assert data.scheme_terms(detail.scheme_hits) == ["燃气泄漏"]
    script = data.item_detail(seeded_db, info.script_item_id)
    assert script is not None and script.title == SCRIPT_TITLE


def test_department_figures_from_a_small_table() -> None:
    now = pd.Timestamp(NOW)
    hour = pd.Timedelta(hours=1)
    tasks = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5],
            "department_id": [1, 1, 1, 2, 2],
            "department": ["住建局", "住建局", "住建局", "交通局", "交通局"],
            "state": ["answered", "answered", "running", "running", "cancelled"],
            "started_at": [now - 10 * hour, now - 10 * hour, now - 10 * hour, now - 2 * hour, now - 2 * hour],
            "due_at": [now - 5 * hour, now - 5 * hour, now - 1 * hour, now + 5 * hour, now + 5 * hour],
            "answered_at": [now - 8 * hour, now - 4 * hour, pd.NaT, pd.NaT, pd.NaT],
        }
    )
    tasks["outcome"] = data.classify_tasks(tasks, NOW)
    assert list(tasks["outcome"]) == ["on_time", "late", "overdue", "open", "cancelled"]
    summary = data.department_summary(tasks).set_index("department")
    zjj = summary.loc["住建局"]
    assert zjj["on_time_rate"] == pytest.approx(1 / 3)
    assert zjj["median_hours"] == pytest.approx(4.0)  # answered after 2 h and 6 h
    assert (zjj["open"], zjj["overdue"], zjj["answered"]) == (1, 1, 2)
    assert summary.loc["交通局", "tasks"] == 1 and pd.isna(summary.loc["交通局", "on_time_rate"])
    trend = data.department_trend(tasks)
    assert set(trend["department"]) == {"住建局"} and trend["settled"].sum() == 3


def test_department_tasks_from_the_database(seeded_db: Database) -> None:
    tasks = data.department_tasks(seeded_db, NOW, 30)
    assert len(tasks) > 50
    summary = data.department_summary(tasks)
    assert summary["tasks"].sum() == int((tasks["outcome"] != "cancelled").sum())
    assert summary["overdue"].sum() == int((tasks["outcome"] == "overdue").sum())


def test_source_health_flags_the_failing_source(seeded_db: Database) -> None:
    health = data.source_health(seeded_db, NOW, failures_before_alert=3).set_index("key")
    assert health.loc["demo_gbk_board", "health"] == "故障"
    assert health.loc["demo_board", "health"] == "正常"
    assert health.loc["demo_board", "per_day_7d"] > 0
    # The three run figures against a plain count of the crawl runs.
    from datetime import timedelta

    from core.clock import ensure_utc
    from core.models import CrawlRun, Source

    today, week_ago = data.local_midnight(NOW), NOW - timedelta(days=7)
    with seeded_db.session() as s:
        runs = s.execute(select(Source.key, CrawlRun.started_at, CrawlRun.items_new).join(Source)).all()
    for key in health.index:
        mine = [(ensure_utc(at), new) for k, at, new in runs if k == key]
        assert health.loc[key, "items_today"] == sum(n for at, n in mine if at >= today)
        assert health.loc[key, "runs_today"] == sum(1 for at, _ in mine if at >= today)
        assert health.loc[key, "per_day_7d"] == round(sum(n for at, n in mine if at >= week_ago) / 7, 1)
    daily = data.source_daily(seeded_db, NOW)
    assert daily["day"].nunique() == 14


def test_report_file_stays_inside_the_data_directory(seeded_db: Database, tmp_path: Path) -> None:
    inside = tmp_path / "var" / "reports" / "r.docx"
    inside.parent.mkdir(parents=True)
    inside.write_bytes(b"PK")
    outside = tmp_path / "secret.txt"
    outside.write_text("x")
    with seeded_db.session() as s:
        good = Report(
            kind="weekly",
            period_start=NOW,
            period_end=NOW,
            status="done",
            docx_path=str(inside),
            html_path=str(outside),
        )
        relative = Report(
            kind="daily",
            period_start=NOW,
            period_end=NOW,
            status="done",
            docx_path="reports/r.docx",
            html_path="../secret.txt",
        )
        s.add_all([good, relative])
        s.flush()
        ids = good.id, relative.id
    data_dir = tmp_path / "var"
    assert data.report_file(seeded_db, ids[0], "docx", data_dir) == inside.resolve()
    assert data.report_file(seeded_db, ids[0], "html", data_dir) is None
    assert data.report_file(seeded_db, ids[1], "docx", data_dir) == inside.resolve()
    assert data.report_file(seeded_db, ids[1], "html", data_dir) is None
    assert data.report_file(seeded_db, ids[0], "exe", data_dir) is None


def test_rising_events_and_focus_tags(seeded_db: Database) -> None:
    events = data.rising_events(seeded_db, NOW)
    assert 0 < len(events) <= 10
    assert list(events["risk_level"]) == sorted(events["risk_level"], reverse=True)
    tags = data.focus_tags(seeded_db, NOW, "30d")
    assert len(tags) > 0 and list(tags["items"]) == sorted(tags["items"], reverse=True)


def test_open_fingerprints_lists_open_alerts(seeded_db: Database) -> None:
    with seeded_db.session() as s:
        open_count = s.scalar(select(func.count(Alert.id)).where(Alert.state != "resolved"))
    assert len(data.open_fingerprints(seeded_db)) == open_count


@pytest.mark.postgres
def test_the_same_figures_on_postgresql(pg_url: str, seeded_db: Database, info: SeedInfo) -> None:
    from core.settings import load_config
    from tests.conftest import REPO
    from tests.e2e.seed import seed

    pg = Database(pg_url)
    try:
        pg_info = seed(pg, load_config({"config_dir": REPO / "config"}), NOW)
        assert pg_info.alerts == info.alerts
        for window in ("24h", "7d", "30d"):
            a, b = data.overview_series(pg, NOW, window), data.overview_series(seeded_db, NOW, window)
            for name in ("risk", "kinds", "sentiment", "topics", "regions"):
                left, right = getattr(a, name), getattr(b, name)
                assert left["count"].sum() == right["count"].sum(), (window, name)
            assert set(a.kinds["bucket"]) == set(b.kinds["bucket"])
        assert data.overview_numbers(pg, NOW) == data.overview_numbers(seeded_db, NOW)
        assert list(data.alert_queue(pg, NOW)["id"]) == list(data.alert_queue(seeded_db, NOW)["id"])
        for filters in (
            data.ItemFilters(tag="欠薪"),
            data.ItemFilters(text="燃气 漏气"),
            data.ItemFilters(text="100%"),
            data.ItemFilters(sentiments=("negative",), min_risk=2),
        ):
            assert data.search_items(pg, filters)[1] == data.search_items(seeded_db, filters)[1], filters
        assert len(data.department_tasks(pg, NOW, 30)) == len(data.department_tasks(seeded_db, NOW, 30))
        assert list(data.source_health(pg, NOW)["health"]) == list(
            data.source_health(seeded_db, NOW)["health"]
        )
        assert len(data.focus_tags(pg, NOW, "30d")) == len(data.focus_tags(seeded_db, NOW, "30d"))
        assert list(data.rising_events(pg, NOW)["id"]) == list(data.rising_events(seeded_db, NOW)["id"])
    finally:
        pg.dispose()
