"""analysis.pipeline: one Analyzer per process, masking before everything, region hints, output fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analysis.pipeline import Analyzer, ItemInput, risk_band
from core.levels import Level
from core.settings import AppConfig


def test_models_are_loaded_once_per_process(app_config: AppConfig) -> None:
    first = Analyzer.from_config(app_config)
    second = Analyzer.from_config(app_config)
    assert first.sentiment is second.sentiment and first.topics is second.topics


def test_masked_text_is_what_gets_stored_and_hashed(app_config: AppConfig) -> None:
    analyzer = Analyzer.from_config(app_config)
    plain = "江北区清水河黑臭，居民不敢开窗。联系人：张伟，电话13912345678"
    other_person = "江北区清水河黑臭，居民不敢开窗。联系人：李强，电话13800001111"
    a, b = analyzer.analyze(
        [ItemInput(1, "board", "清水河黑臭", plain), ItemInput(2, "board", "清水河黑臭", other_person)]
    )
    assert "13912345678" not in a.content_masked and "张伟" not in a.content_masked
    # the same complaint from two people is the same text once masked (without a salt)
    assert a.simhash == b.simhash
    assert a.model_version.endswith("+p1") and len(a.model_version) <= 64


@pytest.mark.parametrize(
    ("record", "region"),
    [
        (ItemInput(1, "hotline", "路灯坏了", "晚上很黑", region="青石县"), "青石县"),  # the source says so
        (
            ItemInput(2, "board", "路灯坏了", "临湖区滨江路的路灯坏了，江北区那边也是"),
            "临湖区",
        ),  # first named
        (ItemInput(3, "board", "路灯坏了", "晚上很黑", addressee="西山县住建局"), "西山县"),  # 留言对象
        (ItemInput(4, "board", "路灯坏了", "晚上很黑"), None),
    ],
)
def test_region(app_config: AppConfig, record: ItemInput, region: str | None) -> None:
    (result,) = Analyzer.from_config(app_config).analyze([record])
    assert result.region == region


def test_pending_reply_age_needs_now(app_config: AppConfig) -> None:
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    record = ItemInput(
        1, "board", "路灯坏了", "滨江路路灯坏了", published_at=now - timedelta(days=5), reply_status="pending"
    )
    analyzer = Analyzer.from_config(app_config)
    (with_now,) = analyzer.analyze([record], now)
    (without,) = analyzer.analyze([record])
    assert "unanswered" in {f.factor for f in with_now.risk.factors}
    assert "unanswered" not in {f.factor for f in without.risk.factors}


@pytest.mark.parametrize(
    ("level", "band"),
    [(Level.I, "high"), (Level.II, "high"), (Level.III, "medium"), (Level.IV, "medium"), (Level.NONE, "low")],
)
def test_risk_band(level: Level, band: str) -> None:
    assert risk_band(level) == band


def test_empty_batch(app_config: AppConfig) -> None:
    assert Analyzer.from_config(app_config).analyze([]) == []
