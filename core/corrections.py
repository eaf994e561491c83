"""Human corrections of an item's sentiment or topic: a Label row for retraining, audited.

The model's own output in item_analysis stays as it was (it records what the model said, with its
model_version); the latest label is what people see as the corrected value.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.clock import Clock, ensure_utc
from core.db import Database
from core.errors import InputError, PermissionDenied
from core.models import ROLES, SENTIMENTS, AuditLog, Item, ItemAnalysis, Label
from core.settings import TOPIC_CLASSES

logger = logging.getLogger(__name__)

FIELDS = ("sentiment", "topic")


@dataclass(frozen=True)
class Correction:
    """One stored label."""

    id: int
    item_id: int
    field: str
    value: str
    previous: str | None
    created_by: str
    created_at: datetime


def _validate(field: str, value: str) -> None:
    if field not in FIELDS:
        raise InputError(f"unknown field {field!r}; use one of {', '.join(FIELDS)}")
    allowed: tuple[str, ...] = SENTIMENTS if field == "sentiment" else TOPIC_CLASSES
    if value not in allowed:
        raise InputError(f"{value!r} is not a valid {field}")


def correct_item(
    db: Database,
    clock: Clock,
    *,
    actor: str,
    role: str,
    item_id: int,
    field: str,
    value: str,
    comment: str = "",
) -> Correction:
    """Store a correction of `field` (sentiment | topic) for an item. Any signed-in role may correct;
    `previous` is the value people saw before: the latest label, else the model's output."""
    if role not in ROLES:
        raise PermissionDenied(f"role {role!r} may not correct labels")
    _validate(field, value)
    now = clock.now()
    with db.session() as s:
        if s.get(Item, item_id) is None:
            raise InputError(f"no item {item_id}")
        previous = s.scalar(
            select(Label.value)
            .where(Label.item_id == item_id, Label.field == field)
            .order_by(Label.created_at.desc(), Label.id.desc())
            .limit(1)
        )
        if previous is None:
            analysis = s.get(ItemAnalysis, item_id)
            if analysis is not None:
                previous = analysis.sentiment if field == "sentiment" else analysis.topic
        label = Label(
            item_id=item_id, field=field, value=value, previous=previous, created_by=actor, created_at=now
        )
        s.add(label)
        s.flush()
        s.add(
            AuditLog(
                at=now,
                actor=actor,
                action="label.correct",
                object_type="item",
                object_id=str(item_id),
                comment=comment or None,
                detail={"field": field, "value": value, "previous": previous, "label_id": label.id},
            )
        )
        logger.info("label %s set on item %d by %s", field, item_id, actor)
        return Correction(label.id, item_id, field, value, previous, actor, now)


def latest_labels(db: Database, item_id: int) -> dict[str, Correction]:
    """The newest correction per field for one item."""
    out: dict[str, Correction] = {}
    with db.session() as s:
        rows = s.scalars(
            select(Label).where(Label.item_id == item_id).order_by(Label.created_at.desc(), Label.id.desc())
        ).all()
        for row in rows:
            if row.field not in out:
                out[row.field] = Correction(
                    row.id,
                    row.item_id,
                    row.field,
                    row.value,
                    row.previous,
                    row.created_by,
                    ensure_utc(row.created_at),
                )
    return out
