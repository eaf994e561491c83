"""Keep the reference tables (sources, departments) in step with config/, so rows exist for every key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import Clock
from core.models import Department, Source
from core.settings import AppConfig


def sync_reference_data(session: Session, config: AppConfig, clock: Clock) -> dict[str, int]:
    """Upsert departments and sources from the configuration; sources removed from config are disabled,
    never deleted (their items and history stay)."""
    now = clock.now()
    departments = {d.code: d for d in session.scalars(select(Department))}
    for dept in config.departments.departments:
        row = departments.get(dept.code)
        if row is None:
            row = Department(code=dept.code, name=dept.name)
            session.add(row)
            departments[dept.code] = row
        row.name = dept.name
        row.email = dept.email
        row.aliases = list(dept.aliases)
    session.flush()
    for dept in config.departments.departments:
        parent = departments.get(dept.parent) if dept.parent else None
        departments[dept.code].parent_id = parent.id if parent else None

    sources = {s.key: s for s in session.scalars(select(Source))}
    configured = set()
    for src in config.sources.sources:
        configured.add(src.key)
        source = sources.get(src.key)
        if source is None:
            source = Source(key=src.key, name=src.name, kind=src.kind, created_at=now, state={})
            session.add(source)
        source.name = src.name
        source.kind = src.kind
        source.url = src.url or (src.news.feed_url if src.news else None)
        source.enabled = src.enabled
    for key, stale in sources.items():
        if key not in configured:
            stale.enabled = False
    session.flush()
    return {"departments": len(config.departments.departments), "sources": len(configured)}
