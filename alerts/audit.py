"""The alert and timer audit trail: one audit_log row per change, with who and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.models import AuditLog

SYSTEM = "system"


def record(
    session: Session,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: int | str | None,
    *,
    comment: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditLog(
            at=at,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            comment=comment or None,
            detail=detail or {},
        )
    )
