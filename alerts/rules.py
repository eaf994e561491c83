"""Alert rules: turn evidence (event risk, bursts, always-alert scheme hits, source health, response timers)
into candidates, then open or update alerts (one open alert per fingerprint) and resolve the conditions that
cleared. Fingerprints are '<rule>:event:<id>', '<rule>:burst:<topic>:<region>', '<rule>:source:<id>', ...
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from alerts import audit
from alerts.routing import copy_policy
from core.clock import ensure_utc, format_local
from core.levels import Level
from core.models import Alert, Burst, Event, Item, ItemAnalysis, ResponseTask, Source
from core.privacy import mask
from core.settings import AlertRule, AppConfig

logger = logging.getLogger(__name__)

# Rule types whose alerts resolve themselves when the condition clears (a source recovers, a timer is
# answered). Risk alerts are closed by people.
AUTO_RESOLVE_TYPES = frozenset({"source_health", "timer"})


@dataclass(frozen=True)
class Candidate:
    """One alert the evidence asks for."""

    fingerprint: str
    rule: str
    rule_type: str
    level: Level
    title: str
    evidence_at: datetime  # newest evidence; a later resolution of the fingerprint suppresses re-opening
    summary: str | None = None
    event_id: int | None = None
    item_id: int | None = None
    source_id: int | None = None
    response_task_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def _fixed_level(rule: AlertRule, default: Level) -> Level:
    return Level.parse(rule.level) if rule.level else default


# --- candidates per rule type --------------------------------------------------------------------------------


def event_risk_candidates(
    session: Session, rule: AlertRule, now: datetime, lookback: timedelta
) -> list[Candidate]:
    threshold = Level.parse(rule.min_level)
    rows = session.execute(
        select(
            Event.id,
            Event.title,
            Event.summary,
            Event.risk_level,
            Event.risk_score,
            Event.risk_factors,
            Event.item_count,
            Event.source_count,
            Event.kind_counts,
            Event.last_seen_at,
            Event.first_source_id,
        ).where(
            Event.risk_level >= int(threshold), Event.last_seen_at >= now - lookback, Event.status == "open"
        )
    ).all()
    return [
        Candidate(
            fingerprint=f"{rule.name}:event:{r.id}",
            rule=rule.name,
            rule_type=rule.type,
            level=Level(r.risk_level),
            title=r.title,
            summary=r.summary,
            evidence_at=ensure_utc(r.last_seen_at),
            event_id=r.id,
            source_id=r.first_source_id,
            detail={
                "risk_score": r.risk_score,
                "risk_factors": list(r.risk_factors or []),
                "item_count": r.item_count,
                "source_count": r.source_count,
                "kind_counts": dict(r.kind_counts or {}),
            },
        )
        for r in rows
    ]


def burst_candidates(
    session: Session, rule: AlertRule, now: datetime, lookback: timedelta
) -> list[Candidate]:
    level = _fixed_level(rule, Level.III)
    if level < Level.parse(rule.min_level):
        return []
    rows = (
        session.execute(select(Burst).where(Burst.detected_at >= now - lookback).order_by(Burst.detected_at))
        .scalars()
        .all()
    )
    latest: dict[tuple[str, str], Burst] = {}
    for burst in rows:
        latest[(burst.topic, burst.region)] = burst  # the newest row of each topic and region wins
    candidates = []
    for (topic, region), b in latest.items():
        where = region or "全市"
        ratio = b.count / b.baseline if b.baseline > 0 else None
        factor = f"{format_local(b.bucket_start)} 起 {b.bucket_minutes} 分钟内 {b.count} 条，" + (
            f"为基线 {b.baseline:.1f} 条的 {ratio:.1f} 倍" if ratio else "此前几乎没有同类诉求"
        )
        candidates.append(
            Candidate(
                fingerprint=f"{rule.name}:burst:{topic}:{region}",
                rule=rule.name,
                rule_type=rule.type,
                level=level,
                title=f"{where}“{topic}”类信息突增",
                summary=factor,
                evidence_at=ensure_utc(b.detected_at),
                event_id=b.event_id,
                detail={
                    "risk_factors": [{"factor": "burst", "points": 0, "text": factor}],
                    "burst_id": b.id,
                    "count": b.count,
                    "baseline": b.baseline,
                    "score": b.score,
                    "path": b.path,
                    "item_count": b.count,
                },
            )
        )
    return candidates


def _hit_level(hit: dict[str, Any], schemes: dict[str, tuple[bool, str]]) -> Level | None:
    """The alert level of one scheme hit, or None if the scheme is not an always-alert one."""
    name = str(hit.get("scheme") or "")
    configured = schemes.get(name)
    always = hit.get("always_alert")
    if always is None:
        always = configured[0] if configured else False
    if not always:
        return None
    raw = hit.get("level") or (configured[1] if configured else "III")
    try:
        return Level.parse(raw)
    except ValueError:
        return Level.III


def scheme_candidates(
    session: Session, rule: AlertRule, config: AppConfig, now: datetime, lookback: timedelta
) -> list[Candidate]:
    schemes = {s.name: (s.always_alert, s.level) for s in config.schemes.schemes if s.enabled}
    rows = session.execute(
        select(
            ItemAnalysis.item_id,
            ItemAnalysis.scheme_hits,
            ItemAnalysis.analyzed_at,
            ItemAnalysis.title_masked,
            ItemAnalysis.risk_factors,
            Item.title,
            Item.event_id,
            Item.source_id,
        )
        .join(Item, Item.id == ItemAnalysis.item_id)
        .where(ItemAnalysis.analyzed_at >= now - lookback, cast(ItemAnalysis.scheme_hits, String) != "[]")
    ).all()
    threshold = Level.parse(rule.min_level)
    merged: dict[str, Candidate] = {}
    for r in rows:
        hits = [h for h in (r.scheme_hits or []) if isinstance(h, dict)]
        levels = [(lvl, h) for h in hits if (lvl := _hit_level(h, schemes)) is not None]
        if not levels:
            continue
        level = max(lvl for lvl, _ in levels)
        if level < threshold:
            continue
        factors = [
            {
                "factor": "scheme",
                "points": 0,
                "text": f"命中重点监测方案“{h.get('scheme')}”："
                + "、".join(str(t) for t in h.get("terms") or []),
            }
            for _, h in levels
        ]
        key = f"{rule.name}:event:{r.event_id}" if r.event_id else f"{rule.name}:item:{r.item_id}"
        candidate = Candidate(
            fingerprint=key,
            rule=rule.name,
            rule_type=rule.type,
            level=level,
            title=r.title_masked or mask(r.title),
            evidence_at=ensure_utc(r.analyzed_at),
            event_id=r.event_id,
            item_id=r.item_id,
            source_id=r.source_id,
            detail={
                "risk_factors": factors,
                "schemes": sorted({str(h.get("scheme")) for _, h in levels}),
                "item_count": 1,
            },
        )
        previous = merged.get(key)
        if previous is not None:
            candidate = _merge_scheme(previous, candidate)
        merged[key] = candidate
    return list(merged.values())


def _merge_scheme(a: Candidate, b: Candidate) -> Candidate:
    first, second = (a, b) if a.evidence_at <= b.evidence_at else (b, a)
    factors = list(first.detail["risk_factors"])
    for factor in second.detail["risk_factors"]:
        if factor not in factors:
            factors.append(factor)
    return replace(
        first,
        level=max(a.level, b.level),
        evidence_at=second.evidence_at,
        detail={
            "risk_factors": factors,
            "schemes": sorted(set(a.detail["schemes"]) | set(b.detail["schemes"])),
            "item_count": a.detail["item_count"] + b.detail["item_count"],
        },
    )


def source_health_candidates(
    session: Session, rule: AlertRule, config: AppConfig, now: datetime
) -> list[Candidate]:
    level = _fixed_level(rule, Level.IV)
    defaults = config.sources.defaults
    watched = {s.key: s for s in config.sources.sources if s.enabled}
    if not watched:
        return []
    rows = (
        session.execute(select(Source).where(Source.key.in_(watched), Source.enabled.is_(True)))
        .scalars()
        .all()
    )
    candidates = []
    for src in rows:
        reasons: list[str] = []
        evidence: datetime | None = None
        if src.consecutive_failures >= defaults.failures_before_alert:
            reasons.append(
                f"连续 {src.consecutive_failures} 次采集失败"
                + (f"：{src.last_error[:200]}" if src.last_error else "")
            )
            evidence = ensure_utc(src.last_failure_at or src.last_run_at or now)
        cfg = watched[src.key]
        silent_hours = cfg.silent_after_hours or defaults.silent_after_hours
        newest = src.last_item_at or src.created_at
        silent_for = now - ensure_utc(newest)
        # File imports are never silent: people bring them when they have them.
        if cfg.type != "file" and silent_for >= timedelta(hours=silent_hours):
            hours = silent_for.total_seconds() / 3600
            reasons.append(f"已 {hours:.0f} 小时没有新信息（阈值 {silent_hours:g} 小时）")
            went_silent = ensure_utc(newest) + timedelta(hours=silent_hours)
            evidence = max(evidence, went_silent) if evidence else went_silent
        if not reasons or evidence is None:
            continue
        candidates.append(
            Candidate(
                fingerprint=f"{rule.name}:source:{src.id}",
                rule=rule.name,
                rule_type=rule.type,
                level=level,
                title=f"信息源“{src.name}”异常：" + "；".join(r.split("：")[0] for r in reasons),
                summary="；".join(reasons),
                evidence_at=evidence,
                source_id=src.id,
                detail={
                    "risk_factors": [{"factor": "source_health", "points": 0, "text": r} for r in reasons],
                    "consecutive_failures": src.consecutive_failures,
                    "last_item_at": ensure_utc(newest).isoformat(),
                },
            )
        )
    return candidates


def timer_candidates(session: Session, rule: AlertRule, now: datetime) -> list[Candidate]:
    level = _fixed_level(rule, Level.III)
    moment = ResponseTask.due_at if rule.timer_state == "overdue" else ResponseTask.warn_at
    stmt = (
        select(ResponseTask, Item.title, Event.title)
        .outerjoin(Item, Item.id == ResponseTask.item_id)
        .outerjoin(Event, Event.id == ResponseTask.event_id)
        .where(ResponseTask.state == "running", moment <= now)
    )
    if rule.timer_rules:
        stmt = stmt.where(ResponseTask.kind.in_(rule.timer_rules))
    candidates = []
    for task, item_title, event_title in session.execute(stmt).all():
        label = str(task.limit_spec.get("label") or task.kind)
        what = "已超期" if rule.timer_state == "overdue" else "即将到期"
        due = ensure_utc(task.due_at)
        text = f"{label}时限 {format_local(due)} 到期，{what}"
        candidates.append(
            Candidate(
                fingerprint=f"{rule.name}:task:{task.id}",
                rule=rule.name,
                rule_type=rule.type,
                level=level,
                title=f"{label}{what}：{mask(item_title or event_title or '')}",
                summary=text,
                evidence_at=due if rule.timer_state == "overdue" else ensure_utc(task.warn_at or due),
                event_id=task.event_id,
                item_id=task.item_id,
                response_task_id=task.id,
                detail={
                    "risk_factors": [{"factor": "timer", "points": 0, "text": text}],
                    "task_kind": task.kind,
                },
            )
        )
    return candidates


def collect(session: Session, config: AppConfig, now: datetime) -> tuple[list[Candidate], set[str]]:
    """Every candidate of every enabled rule, and the names of the rules that were evaluated."""
    lookback = timedelta(hours=config.alerts.lookback_hours)
    candidates: list[Candidate] = []
    evaluated: set[str] = set()
    for rule in config.alerts.rules:
        if not rule.enabled:
            continue
        evaluated.add(rule.name)
        if rule.type == "event_risk":
            candidates += event_risk_candidates(session, rule, now, lookback)
        elif rule.type == "burst":
            candidates += burst_candidates(session, rule, now, lookback)
        elif rule.type == "scheme":
            candidates += scheme_candidates(session, rule, config, now, lookback)
        elif rule.type == "source_health":
            candidates += source_health_candidates(session, rule, config, now)
        elif rule.type == "timer":
            candidates += timer_candidates(session, rule, now)
    return candidates, evaluated


# --- applying candidates ----------------------------------------------------------------------------------------


@dataclass
class RuleCounts:
    candidates: int = 0
    opened: int = 0
    updated: int = 0
    level_up: int = 0
    auto_resolved: int = 0
    suppressed: int = 0  # resolved after its newest evidence: a resolution is final

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def apply(
    session: Session,
    config: AppConfig,
    now: datetime,
    candidates: Sequence[Candidate],
    evaluated: Iterable[str],
) -> RuleCounts:
    """Open an alert per new fingerprint, update open ones (a level only ever rises), resolve cleared ones."""
    counts = RuleCounts(candidates=len(candidates))
    by_fp = {c.fingerprint: c for c in candidates}
    evaluated = set(evaluated)
    open_alerts = {
        a.fingerprint: a
        for a in session.scalars(select(Alert).where(Alert.state != "resolved", Alert.rule.in_(evaluated)))
    }
    fps = list(by_fp)
    last_resolved: dict[str, datetime] = {}
    for start in range(0, len(fps), 500):
        chunk = fps[start : start + 500]
        for fp, at in session.execute(
            select(Alert.fingerprint, func.max(Alert.resolved_at))
            .where(Alert.fingerprint.in_(chunk), Alert.state == "resolved")
            .group_by(Alert.fingerprint)
        ).all():
            if at is not None:
                last_resolved[fp] = ensure_utc(at)
    policy = copy_policy(config.alerts)
    base_url = config.settings.effective_base_url
    for fp, cand in by_fp.items():
        alert = open_alerts.get(fp)
        if alert is not None:
            _update(session, alert, cand, now, counts)
            continue
        resolved_at = last_resolved.get(fp)
        if resolved_at is not None and cand.evidence_at <= resolved_at:
            counts.suppressed += 1
            continue
        _open(session, cand, now, config, policy, base_url)
        counts.opened += 1
    for fp, alert in open_alerts.items():
        rule_type = (alert.detail or {}).get("rule_type")
        if fp in by_fp or rule_type not in AUTO_RESOLVE_TYPES:
            continue
        alert.state = "resolved"
        alert.resolved_at = now
        alert.resolved_by = audit.SYSTEM
        alert.next_escalation_at = None
        alert.updated_at = now
        audit.record(
            session,
            now,
            audit.SYSTEM,
            "alert.auto_resolve",
            "alert",
            alert.id,
            comment="触发条件已解除",
            detail={"to": "resolved"},
        )
        counts.auto_resolved += 1
    return counts


def _detail(cand: Candidate, link: str, office: str) -> dict[str, Any]:
    return {**cand.detail, "rule_type": cand.rule_type, "link": link, "office": office}


def _open(
    session: Session,
    cand: Candidate,
    now: datetime,
    config: AppConfig,
    policy: list[dict[str, Any]],
    base_url: str,
) -> Alert:
    alert = Alert(
        fingerprint=cand.fingerprint,
        rule=cand.rule,
        level=int(cand.level),
        state="triggered",
        title=cand.title[:500],
        summary=cand.summary,
        detail={},
        event_id=cand.event_id,
        item_id=cand.item_id,
        source_id=cand.source_id,
        response_task_id=cand.response_task_id,
        opened_at=now,
        updated_at=now,
        escalation_policy=policy,
        escalation_step=0,
        escalation_repeats=0,
        notify_after=now + timedelta(seconds=_group_wait(config, cand.level)),
        last_notified_level=0,
    )
    session.add(alert)
    session.flush()  # the id goes into the dashboard link
    alert.detail = _detail(cand, f"{base_url}/alerts?alert={alert.id}", config.settings.office_name)
    audit.record(
        session,
        now,
        audit.SYSTEM,
        "alert.open",
        "alert",
        alert.id,
        detail={"fingerprint": cand.fingerprint, "level": int(cand.level), "rule": cand.rule},
    )
    return alert


def _update(session: Session, alert: Alert, cand: Candidate, now: datetime, counts: RuleCounts) -> None:
    changed = False
    detail = {
        **cand.detail,
        "rule_type": cand.rule_type,
        "link": (alert.detail or {}).get("link"),
        "office": (alert.detail or {}).get("office"),
    }
    if detail != alert.detail:
        alert.detail = detail
        changed = True
    for attr in ("title", "summary", "event_id", "item_id", "source_id", "response_task_id"):
        value = getattr(cand, attr)
        if attr == "title":
            value = value[:500]
        if value is not None and getattr(alert, attr) != value:
            setattr(alert, attr, value)
            changed = True
    if int(cand.level) > alert.level:
        audit.record(
            session,
            now,
            audit.SYSTEM,
            "alert.level_up",
            "alert",
            alert.id,
            detail={"from": alert.level, "to": int(cand.level)},
        )
        alert.level = int(cand.level)
        counts.level_up += 1
        changed = True
    if changed:
        alert.updated_at = now
        counts.updated += 1


def _group_wait(config: AppConfig, level: int) -> float:
    waiting = {Level.parse(name) for name in config.alerts.group_wait_levels}
    return config.alerts.group_wait_seconds if Level(level) in waiting else 0.0
