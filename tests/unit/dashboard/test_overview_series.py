"""overview_series sums rollup rows in the database to the plotted buckets: it must give exactly what a
straightforward reference gives (every row read, bucketed by local day/hour in Python), on SQLite and
PostgreSQL, including rows on the window's and the local day's edges, blank topics/regions and level 0."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select

from core.clock import ensure_utc, to_local
from core.db import Database
from core.models import HourlyRollup
from dashboard import data
from dashboard.components import charts
from tests.conftest import DEFAULT_NOW

NOW = DEFAULT_NOW  # Friday 2026-11-20 10:00 in Shanghai (02:00 UTC)
KINDS = ("hotline", "board", "news")
SENTIMENTS = ("negative", "neutral", "positive")
TOPICS = ("", "城乡建设", "劳动保障", "生态环境", "交通出行")
REGIONS = ("", "江北区", "江南区", "高新区")


def _edge_hours() -> list[datetime]:
    """Hours either side of each window's start and of a local midnight (16:00 UTC), and the open hour."""
    hours = [NOW.replace(minute=0)]
    for window in ("24h", "7d", "30d"):
        start, _ = data.window_start(NOW, window)
        hours += [start - timedelta(hours=1), start]
    midnight = data.local_midnight(NOW) - timedelta(days=2)
    return [*hours, midnight - timedelta(hours=1), midnight]


def _fill(db: Database, rng_seed: int = 5) -> int:
    """Random rollup cells over the last 35 days plus cells on every edge; returns the number of rows."""
    rng = random.Random(rng_seed)
    cells: dict[tuple[Any, ...], int] = {}
    hours = [NOW.replace(minute=0) - timedelta(hours=h) for h in range(35 * 24)]
    for hour in rng.sample(hours, 400) + _edge_hours() * 3:
        key = (
            hour,
            rng.choice(KINDS),
            rng.choice(TOPICS),
            rng.choice(REGIONS),
            rng.choice(SENTIMENTS),
            rng.choice((0, 0, 1, 2, 3, 4)),
        )
        cells[key] = cells.get(key, 0) + rng.randint(1, 9)
    with db.session() as s:
        s.add_all(
            HourlyRollup(hour=h, kind=k, topic=t, region=r, sentiment=se, risk_level=lv, count=n)
            for (h, k, t, r, se, lv), n in cells.items()
        )
    return len(cells)


def _reference(db: Database, window: str) -> dict[str, Any]:
    """Every rollup row read as it is stored, bucketed and summed in plain Python."""
    start, freq = data.window_start(NOW, window)
    with db.session() as s:
        rows = s.execute(
            select(
                HourlyRollup.hour,
                HourlyRollup.kind,
                HourlyRollup.topic,
                HourlyRollup.region,
                HourlyRollup.sentiment,
                HourlyRollup.risk_level,
                HourlyRollup.count,
            )
        ).all()
    out: dict[str, Any] = {
        "risk": Counter(),
        "kinds": Counter(),
        "sentiment": Counter(),
        "topics": Counter(),
        "regions": Counter(),
    }
    for hour, kind, topic, region, sentiment, level, count in rows:
        at = ensure_utc(hour)
        if at < start:
            continue
        local = to_local(at).replace(minute=0, second=0, microsecond=0)
        bucket = pd.Timestamp(local if freq == "h" else local.replace(hour=0))
        negative = count if sentiment == "negative" else 0
        out["kinds"][bucket, kind] += count
        out["sentiment"][bucket, sentiment] += count
        if level > 0:
            out["risk"][bucket, level] += count
        for name, value, blank in (("topics", topic, "未分类"), ("regions", region, "未知")):
            out[name][value or blank, "count"] += count
            out[name][value or blank, "negative"] += negative
    return out


def _cells(frame: pd.DataFrame, column: str) -> Counter[tuple[Any, ...]]:
    return Counter(
        {
            (pd.Timestamp(b), v): int(n)
            for b, v, n in zip(frame["bucket"], frame[column], frame["count"], strict=True)
        }
    )


def _ranked(frame: pd.DataFrame, column: str) -> Counter[tuple[str, str]]:
    out: Counter[tuple[str, str]] = Counter()
    for name, count, negative in zip(frame[column], frame["count"], frame["negative"], strict=True):
        out[str(name), "count"] += int(count)
        out[str(name), "negative"] += int(negative)
    return out


def _frame(cells: Counter[tuple[Any, ...]], column: str) -> pd.DataFrame:
    return pd.DataFrame(
        [(bucket, value, n) for (bucket, value), n in cells.items()], columns=["bucket", column, "count"]
    )


def _figures(series: data.OverviewSeries, freq: str) -> list[charts.Figure]:
    return [
        charts.risk_trend(series.risk, series.buckets, freq),
        charts.volume_by_kind(series.kinds, series.buckets, freq),
        charts.sentiment_over_time(series.sentiment, series.buckets, freq),
        charts.ranked_bars(series.topics, "topic"),
        charts.ranked_bars(series.regions, "region"),
    ]


def _assert_matches_reference(db: Database) -> None:
    for window in ("24h", "7d", "30d"):
        series = data.overview_series(db, NOW, window)
        ref = _reference(db, window)
        start, freq = data.window_start(NOW, window)
        assert _cells(series.risk, "risk_level") == ref["risk"], window
        assert _cells(series.kinds, "kind") == ref["kinds"], window
        assert _cells(series.sentiment, "sentiment") == ref["sentiment"], window
        assert _ranked(series.topics, "topic") == ref["topics"], window
        assert _ranked(series.regions, "region") == ref["regions"], window
        for frame, column in ((series.topics, "topic"), (series.regions, "region")):
            # Largest first, equal counts in name order: the bars keep their places between refreshes.
            keys = list(zip((-int(n) for n in frame["count"]), frame[column], strict=True))
            assert keys == sorted(keys), (window, column)
            assert frame[column].is_unique
        expected_buckets = 24 if freq == "h" else int(window[:-1])
        assert len(series.buckets) == expected_buckets
        assert series.buckets[0] == pd.Timestamp(start).tz_convert("Asia/Shanghai")
        assert {b for b, _ in ref["kinds"]} <= set(series.buckets)
        # What the duty officer sees: the same figures as from the reference frames.
        reference = data.OverviewSeries(
            window=window,
            risk=_frame(ref["risk"], "risk_level"),
            kinds=_frame(ref["kinds"], "kind"),
            sentiment=_frame(ref["sentiment"], "sentiment"),
            topics=series.topics,
            regions=series.regions,
            buckets=series.buckets,
        )
        assert _figures(series, freq)[:3] == _figures(reference, freq)[:3], window


def test_series_equal_the_reference_on_sqlite(db: Database) -> None:
    assert _fill(db) > 400
    _assert_matches_reference(db)
    # The edges landed where intended: the hour before a local midnight on the day before it.
    series = data.overview_series(db, NOW, "7d")
    assert series.buckets[-1] == pd.Timestamp("2026-11-20", tz="Asia/Shanghai")
    assert {"未分类", "未知"} <= set(series.topics["topic"]) | set(series.regions["region"])


@pytest.mark.postgres
def test_series_equal_the_reference_on_postgresql(pg_url: str, sqlite_url: str) -> None:
    pg, lite = Database(pg_url), Database(sqlite_url)
    try:
        assert _fill(pg) == _fill(lite)
        _assert_matches_reference(pg)
        for window in ("24h", "7d", "30d"):
            a, b = data.overview_series(pg, NOW, window), data.overview_series(lite, NOW, window)
            for name in ("risk", "kinds", "sentiment", "topics", "regions"):
                pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=f"{window} {name}")
    finally:
        pg.dispose()
        lite.dispose()


def test_series_of_an_empty_window(db: Database) -> None:
    for window in ("24h", "7d", "30d"):
        series = data.overview_series(db, NOW, window)
        _, freq = data.window_start(NOW, window)
        assert series.kinds.empty and series.risk.empty and series.topics.empty
        assert len(series.buckets) == (24 if window == "24h" else int(window[:-1]))
        # Every chart still draws (an empty-state figure), none raises.
        assert all(fig["data"] == [] for fig in _figures(series, freq))
