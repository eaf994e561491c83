"""Chinese and machine date strings -> aware UTC, against an injected `now` (a pure-function table)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawlers.dates import parse_datetime

# 2026-11-21 15:30:00 in Asia/Shanghai
NOW = datetime(2026, 11, 21, 7, 30, tzinfo=UTC)


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """Shanghai wall time -> UTC."""
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC) - timedelta(hours=8)


CASES = [
    ("2026年11月21日 14:05", sh(2026, 11, 21, 14, 5)),
    ("2026年11月21日14:05", sh(2026, 11, 21, 14, 5)),
    ("2026年11月21日 14时05分", sh(2026, 11, 21, 14, 5)),
    ("2026年11月21日", sh(2026, 11, 21)),
    ("2026年1月2日 8:05", sh(2026, 1, 2, 8, 5)),
    ("２０２６年１１月２１日 １４：０５", sh(2026, 11, 21, 14, 5)),
    ("2026-11-21 14:05:33", sh(2026, 11, 21, 14, 5, 33)),
    ("2026-11-21 14:05", sh(2026, 11, 21, 14, 5)),
    ("2026-11-21", sh(2026, 11, 21)),
    ("2026/11/21 14:05", sh(2026, 11, 21, 14, 5)),
    ("2026.11.21 14:05", sh(2026, 11, 21, 14, 5)),
    ("2026-11-21T14:05:33", sh(2026, 11, 21, 14, 5, 33)),
    ("发布时间：2026-11-21 14:05", sh(2026, 11, 21, 14, 5)),
    ("留言时间: 2026-11-21 14:05:33", sh(2026, 11, 21, 14, 5, 33)),
    ("11-21 14:05", sh(2026, 11, 21, 14, 5)),
    ("11月21日 14:05", sh(2026, 11, 21, 14, 5)),
    ("11-20", sh(2026, 11, 20)),
    ("12-31 23:00", sh(2025, 12, 31, 23, 0)),  # a year-less date in the future is last year's
    ("3分钟前", NOW - timedelta(minutes=3)),
    ("3 分钟前", NOW - timedelta(minutes=3)),
    ("30秒前", NOW - timedelta(seconds=30)),
    ("2小时前", NOW - timedelta(hours=2)),
    ("半小时前", NOW - timedelta(minutes=30)),
    ("1天前", NOW - timedelta(days=1)),
    ("2周前", NOW - timedelta(days=14)),
    ("刚刚", NOW),
    ("昨天 10:00", sh(2026, 11, 20, 10, 0)),
    ("昨天10:00", sh(2026, 11, 20, 10, 0)),
    ("前天", sh(2026, 11, 19)),
    ("前天 09:30", sh(2026, 11, 19, 9, 30)),
    ("今天 08:00", sh(2026, 11, 21, 8, 0)),
    ("今天", sh(2026, 11, 21)),
    ("14:05", sh(2026, 11, 21, 14, 5)),
    ("16:05", sh(2026, 11, 20, 16, 5)),  # a bare time later than now was yesterday's
    ("2026-11-21T14:05:33+08:00", sh(2026, 11, 21, 14, 5, 33)),
    ("2026-11-21T06:05:33Z", datetime(2026, 11, 21, 6, 5, 33, tzinfo=UTC)),
    ("2026-11-21T06:05:33.250+00:00", datetime(2026, 11, 21, 6, 5, 33, 250000, tzinfo=UTC)),
    ("2026-11-21 14:05:33+0800", sh(2026, 11, 21, 14, 5, 33)),
    ("Sat, 21 Nov 2026 14:05:00 +0800", sh(2026, 11, 21, 14, 5)),
    ("Sat, 21 Nov 2026 06:05:00 GMT", datetime(2026, 11, 21, 6, 5, tzinfo=UTC)),
    ("1795238700", datetime(2026, 11, 21, 5, 25, tzinfo=UTC)),
    ("1795238700000", datetime(2026, 11, 21, 5, 25, tzinfo=UTC)),
    (1795238700, datetime(2026, 11, 21, 5, 25, tzinfo=UTC)),
    (1795238700000, datetime(2026, 11, 21, 5, 25, tzinfo=UTC)),
    (1795238700.5, datetime(2026, 11, 21, 5, 25, 0, 500000, tzinfo=UTC)),
    ("  2026-11-21\u300014:05  ", sh(2026, 11, 21, 14, 5)),
]

UNPARSEABLE = [None, "", "   ", "--", "暂无", "未回复", "2026年13月40日", "25:99", "abc", True]


@pytest.mark.parametrize(("raw", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_parses_to_aware_utc(raw: str | int | float, expected: datetime) -> None:
    parsed = parse_datetime(raw, NOW)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("raw", UNPARSEABLE, ids=[repr(r) for r in UNPARSEABLE])
def test_unparseable_gives_none(raw: object) -> None:
    assert parse_datetime(raw, NOW) is None  # type: ignore[arg-type]


def test_relative_dates_follow_the_injected_now() -> None:
    later = NOW + timedelta(days=3)
    assert parse_datetime("昨天 10:00", later) == sh(2026, 11, 23, 10, 0)
    assert parse_datetime("5分钟前", later) == later - timedelta(minutes=5)


def test_local_midnight_boundary() -> None:
    # 00:30 on 22 Nov in Shanghai is still 21 Nov in UTC: "今天" must follow the local calendar.
    just_after_midnight = sh(2026, 11, 22, 0, 30)
    assert parse_datetime("今天", just_after_midnight) == sh(2026, 11, 22)
    assert parse_datetime("昨天 23:00", just_after_midnight) == sh(2026, 11, 21, 23, 0)
