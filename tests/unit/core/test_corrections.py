"""core.corrections: labels for retraining, each audited, `previous` being what people saw."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.clock import FixedClock
from core.corrections import correct_item, latest_labels
from core.db import Database
from core.errors import InputError, PermissionDenied
from core.models import AuditLog, Item, ItemAnalysis, Label, Source


def _item(db: Database, clock: FixedClock) -> int:
    now = clock.now()
    with db.session() as s:
        source = Source(key="t", name="测试", kind="board", created_at=now, state={})
        s.add(source)
        s.flush()
        item = Item(
            source_id=source.id,
            external_id="1",
            kind="board",
            title="标题",
            content="内容",
            fetched_at=now,
            updated_at=now,
            content_hash="h",
            extra={},
        )
        s.add(item)
        s.flush()
        s.add(
            ItemAnalysis(
                item_id=item.id,
                sentiment="neutral",
                sentiment_score=0.5,
                topic="民政",
                model_version="m1",
                analyzed_at=now,
            )
        )
        return item.id


def test_corrections_store_labels_with_previous_values(db: Database, clock: FixedClock) -> None:
    item_id = _item(db, clock)
    first = correct_item(
        db, clock, actor="duty", role="duty", item_id=item_id, field="sentiment", value="negative"
    )
    assert first.previous == "neutral"  # the model's value
    clock.advance(minutes=5)
    second = correct_item(
        db,
        clock,
        actor="leader",
        role="leader",
        item_id=item_id,
        field="sentiment",
        value="positive",
        comment="复核",
    )
    assert second.previous == "negative"  # the earlier correction
    topic = correct_item(
        db, clock, actor="duty", role="duty", item_id=item_id, field="topic", value="城乡建设"
    )
    assert topic.previous == "民政"
    latest = latest_labels(db, item_id)
    assert latest["sentiment"].value == "positive" and latest["topic"].value == "城乡建设"
    with db.session() as s:
        assert s.scalar(select(ItemAnalysis.sentiment).where(ItemAnalysis.item_id == item_id)) == "neutral"
        assert len(s.scalars(select(Label)).all()) == 3
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "label.correct")).all()
        assert [a.actor for a in audit] == ["duty", "leader", "duty"]
        assert audit[1].comment == "复核" and audit[1].detail["previous"] == "negative"


@pytest.mark.parametrize(
    ("field", "value"),
    [("sentiment", "angry"), ("topic", "不存在的主题"), ("risk", "I")],
)
def test_invalid_corrections_are_refused(db: Database, clock: FixedClock, field: str, value: str) -> None:
    item_id = _item(db, clock)
    with pytest.raises(InputError):
        correct_item(db, clock, actor="duty", role="duty", item_id=item_id, field=field, value=value)


def test_unknown_item_and_role(db: Database, clock: FixedClock) -> None:
    with pytest.raises(InputError):
        correct_item(db, clock, actor="duty", role="duty", item_id=404, field="sentiment", value="negative")
    item_id = _item(db, clock)
    with pytest.raises(PermissionDenied):
        correct_item(db, clock, actor="x", role="guest", item_id=item_id, field="sentiment", value="negative")
