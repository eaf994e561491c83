"""analysis.bursts: same-hour-of-week baseline, minimum count, warm-up, and the fast short-window path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analysis.bursts import (
    BurstParams,
    evaluate_bucket,
    evaluate_fast,
    floor_bucket,
    is_warm,
    same_hour_baseline,
)

HOUR = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
P = BurstParams()


def test_floor_bucket() -> None:
    assert floor_bucket(HOUR + timedelta(minutes=59, seconds=3), 60) == HOUR
    assert floor_bucket(HOUR + timedelta(minutes=44), 30) == HOUR + timedelta(minutes=30)


def test_baseline_uses_the_same_hour_of_previous_weeks_only() -> None:
    counts = {
        HOUR - WEEK: 2,
        HOUR - 2 * WEEK: 4,
        HOUR - 3 * WEEK: 0,
        HOUR - 4 * WEEK: 6,
        HOUR - timedelta(hours=1): 50,  # the hour before does not count
        HOUR - WEEK + timedelta(hours=1): 50,  # nor the next hour a week ago
    }
    assert same_hour_baseline(counts, HOUR, HOUR - 40 * 24 * timedelta(hours=1)) == pytest.approx(3.0)


def test_weeks_before_observation_began_are_not_counted_as_silence() -> None:
    counts = {HOUR - WEEK: 4}
    started = HOUR - WEEK - timedelta(days=2)
    assert same_hour_baseline(counts, HOUR, started) == 4.0
    assert same_hour_baseline({}, HOUR, HOUR - timedelta(days=1)) == 0.0


@pytest.mark.parametrize(
    ("started_days_ago", "warm"),
    [(None, False), (1, False), (6.9, False), (7, True), (30, True)],
)
def test_warm_up(started_days_ago: float | None, warm: bool) -> None:
    start = None if started_days_ago is None else HOUR - timedelta(days=started_days_ago)
    assert is_warm(start, HOUR) is warm


@pytest.mark.parametrize(
    ("count", "baseline", "warm", "fires"),
    [
        (12, 2.0, True, True),  # well above the same hour of previous weeks
        (12, 2.0, False, False),  # but not during the warm-up
        (4, 0.0, True, False),  # below the minimum count, however quiet the slot usually is
        (5, 0.0, True, True),  # the minimum count on an empty baseline
        (12, 5.0, True, False),  # not 3x the usual
        (16, 5.0, True, True),
        (40, 12.0, True, True),
        (35, 12.0, True, False),
    ],
)
def test_baseline_path(count: int, baseline: float, warm: bool, fires: bool) -> None:
    decision = evaluate_bucket(count, baseline, warm=warm, bucket_start=HOUR)
    assert (decision is not None) is fires
    if decision is not None:
        assert decision.path == "baseline" and decision.bucket_minutes == 60
        assert decision.score > 0 and decision.count == count


@pytest.mark.parametrize(
    ("window_count", "hourly_baseline", "warm", "fires"),
    [
        (8, 0.0, False, True),  # a sudden wave in the warm-up: needs the higher cold minimum
        (7, 0.0, False, False),
        (6, 0.5, True, True),  # once warm, 6 in half an hour on a quiet slot
        (5, 0.5, True, False),
        (6, 4.0, True, False),  # 6 in 30 min where 4 an hour is normal is not a wave
        (12, 4.0, True, True),
    ],
)
def test_fast_path(window_count: int, hourly_baseline: float, warm: bool, fires: bool) -> None:
    end = HOUR + timedelta(minutes=44)
    decision = evaluate_fast(window_count, hourly_baseline, warm=warm, window_end=end)
    assert (decision is not None) is fires
    if decision is not None:
        assert decision.path == "fast"
        assert decision.bucket_minutes == 30 and decision.bucket_start == HOUR + timedelta(minutes=30)


def test_thresholds_are_parameters() -> None:
    strict = BurstParams(min_count=20)
    assert evaluate_bucket(12, 0.0, warm=True, bucket_start=HOUR) is not None
    assert evaluate_bucket(12, 0.0, warm=True, bucket_start=HOUR, params=strict) is None
