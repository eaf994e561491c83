"""Who hears of an alert and when: the escalation policy copied onto alerts, step recipients and timeouts,
leaders' immediate levels, quiet hours, silences and inhibition (a higher-level open alert mutes a lower one
for the same event).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import audit
from core.clock import SHANGHAI, ensure_utc
from core.levels import Level
from core.models import Alert, Silence
from core.settings import AlertsFile, LeaderSubscription, QuietHours


def copy_policy(alerts: AlertsFile) -> list[dict[str, Any]]:
    """The chain as plain JSON, copied onto each alert when it opens (later edits do not re-route it)."""
    return [
        {
            "role": step.role,
            "recipients": list(step.recipients),
            "timeouts_minutes": {Level.parse(k).name: v for k, v in step.timeouts_minutes.items()},
        }
        for step in alerts.escalation
    ]


def step_recipients(policy: Sequence[dict[str, Any]], step: int) -> list[str]:
    if not policy:
        return []
    return list(policy[min(step, len(policy) - 1)].get("recipients") or [])


def step_role(policy: Sequence[dict[str, Any]], step: int) -> str:
    if not policy:
        return ""
    return str(policy[min(step, len(policy) - 1)].get("role") or "")


def later_recipients(policy: Sequence[dict[str, Any]], step: int) -> list[str]:
    """Fall-backs for a step's mail: everyone further up the chain, in order."""
    result: list[str] = []
    for entry in policy[step + 1 :]:
        for address in entry.get("recipients") or []:
            if address not in result:
                result.append(address)
    return result


def step_timeout(policy: Sequence[dict[str, Any]], step: int, level: int) -> timedelta | None:
    """How long the step may leave an alert of this level unacknowledged; None: the chain stops here."""
    if not policy or level <= 0:
        return None
    minutes = (policy[min(step, len(policy) - 1)].get("timeouts_minutes") or {}).get(Level(level).name)
    return timedelta(minutes=float(minutes)) if minutes else None


def immediate_leaders(leaders: Sequence[LeaderSubscription], level: int) -> list[str]:
    """Leaders who want an immediate mail at this level."""
    return [
        leader.email for leader in leaders if level in {int(Level.parse(n)) for n in leader.immediate_levels}
    ]


def in_quiet_hours(quiet: QuietHours | None, now: datetime) -> bool:
    if quiet is None:
        return False
    local = ensure_utc(now).astimezone(SHANGHAI).time()
    if quiet.start == quiet.end:
        return False
    if quiet.start < quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end  # spans midnight


def held_back(quiet: QuietHours | None, level: int, now: datetime) -> bool:
    """Quiet hours hold back mail of the configured levels (the model refuses I and II)."""
    if quiet is None or not in_quiet_hours(quiet, now):
        return False
    held = {int(Level.parse(n)) for n in quiet.hold_levels}
    return level in held and level < Level.II


def active_silences(session: Session, now: datetime) -> list[tuple[int, str]]:
    rows = session.execute(
        select(Silence.id, Silence.fingerprint).where(Silence.starts_at <= now, Silence.ends_at > now)
    ).all()
    return [(r.id, r.fingerprint) for r in rows]


def silenced_by(fingerprint: str, silences: Sequence[tuple[int, str]]) -> int | None:
    """The id of a silence matching the fingerprint (exact, or shell-style wildcards)."""
    for silence_id, pattern in silences:
        if pattern == fingerprint or fnmatch.fnmatchcase(fingerprint, pattern):
            return silence_id
    return None


def update_inhibition(session: Session, now: datetime) -> int:
    """Set or clear inhibited_by on open alerts: per event, alerts below the highest open level are muted by
    the highest one (the oldest of them, for a stable pointer). Returns the number of changes."""
    alerts = session.scalars(
        select(Alert).where(Alert.state != "resolved", Alert.event_id.is_not(None)).order_by(Alert.id)
    ).all()
    top: dict[int, Alert] = {}
    for alert in alerts:
        assert alert.event_id is not None
        best = top.get(alert.event_id)
        if best is None or alert.level > best.level:
            top[alert.event_id] = alert
    changes = 0
    for alert in alerts:
        assert alert.event_id is not None
        best = top[alert.event_id]
        wanted = best.id if alert.level < best.level else None
        if alert.inhibited_by != wanted:
            audit.record(
                session,
                now,
                audit.SYSTEM,
                "alert.inhibit" if wanted else "alert.uninhibit",
                "alert",
                alert.id,
                detail={"inhibited_by": wanted, "previous": alert.inhibited_by},
            )
            alert.inhibited_by = wanted
            alert.updated_at = now
            changes += 1
    # Alerts without an event (or whose inhibitor resolved and left no event peers) are never inhibited.
    for alert in session.scalars(
        select(Alert).where(
            Alert.state != "resolved", Alert.event_id.is_(None), Alert.inhibited_by.is_not(None)
        )
    ):
        alert.inhibited_by = None
        alert.updated_at = now
        changes += 1
    return changes
