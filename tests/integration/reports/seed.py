"""Seeds a database with two known weeks (2026-W46 and 2026-W47) for the report tests.

Every figure the tests assert is derived by hand from the tables below, not from the code under test.
W47 (Mon 16 – Sun 22 Nov 2026, local): 21 items (hotline 10, board 7, news 4), 20 analyzed, 8 negative (40.0%),
alerts red 1 / orange 1 / yellow 2, 3 new events, timers on time 3 / late 1 / overdue 1 / in progress 1
(on-time rate 60.0%, median response 13.5 h). W46: 12 items, 3 negative (25.0%), 1 yellow alert, 1 event,
timers on time 1 / late 1 / in progress 1 (50.0%).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.clock import SHANGHAI, ensure_utc
from core.db import Database
from core.models import (
    Alert,
    Burst,
    Department,
    Event,
    Item,
    ItemAnalysis,
    ResponseTask,
    Source,
)
from core.privacy import mask

PHONE = "13812345678"
SCRIPT_TITLE = "<script>alert('x')</script>临湖区河道黑臭异味"
# Monday 2026-11-23 08:30 local: when the weekly job runs for W47.
MONDAY_MORNING = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return ensure_utc(datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI))


# W47 items: (day, hour, kind, topic, region, sentiment, risk, event, tags, schemes)
W47: list[tuple[Any, ...]] = [
    (16, 9, "hotline", "城乡建设", "江北区", "negative", 1, None, ["房地产市场"], []),
    (16, 10, "hotline", "城乡建设", "江北区", "neutral", 0, None, ["房地产市场"], []),
    (
        17,
        11,
        "hotline",
        "劳动和社会保障",
        "江南区",
        "negative",
        2,
        None,
        [],
        [("群体性事件苗头", ["业主", "聚集"])],
    ),
    (17, 15, "board", "城乡建设", "江南区", "positive", 0, None, [], []),
    (18, 9, "board", "城乡建设", "江北区", "negative", 3, "E1", [], []),
    (18, 10, "board", "城乡建设", "江北区", "negative", 3, "E1", [], []),
    (18, 10, "hotline", "城乡建设", "江北区", "negative", 2, "E1", [], []),
    (18, 11, "news", "城乡建设", "江北区", "neutral", 2, "E1", [], []),
    (18, 14, "board", "城乡建设", "江北区", "negative", 4, "E1", [], []),
    (18, 15, "hotline", "环境保护", "临湖区", "neutral", 1, None, ["生态环境"], []),
    (18, 16, "hotline", "劳动和社会保障", "江南区", "neutral", 0, None, [], []),
    (18, 20, "news", "环境保护", "临湖区", "positive", 0, None, [], []),
    (
        19,
        14,
        "board",
        "环境保护",
        "临湖区",
        "negative",
        2,
        "E2",
        ["生态环境"],
        [("黑臭水体", ["黑臭", "河"])],
    ),
    (
        19,
        14,
        "hotline",
        "环境保护",
        "临湖区",
        "negative",
        2,
        "E2",
        ["生态环境"],
        [("黑臭水体", ["黑臭", "河"])],
    ),
    (20, 10, "hotline", "环境保护", "临湖区", "neutral", 1, "E2", [], []),
    (21, 9, "hotline", "交通运输", "江南区", "positive", 0, "E3", [], []),
    (21, 10, "news", "交通运输", "江南区", "neutral", 0, "E3", [], []),
    (22, 9, "hotline", "交通运输", "江南区", "neutral", 0, "E3", [], []),
    (22, 11, "board", "交通运输", "江南区", "positive", 0, "E3", [], []),
    (22, 15, "news", "交通运输", "江南区", "neutral", 0, None, [], []),
    (22, 18, "board", None, None, None, 0, None, [], []),  # not analyzed yet
]
# W46 items: 6 hotline, 4 board, 2 news; 3 negative; 城乡建设 6 / 环境保护 3 / 交通运输 3.
W46: list[tuple[Any, ...]] = [
    (9, 10, "hotline", "城乡建设", "江北区", "negative", 1, "E0", [], []),
    (9, 11, "hotline", "城乡建设", "江北区", "neutral", 0, None, [], []),
    (10, 9, "hotline", "城乡建设", "江北区", "neutral", 0, "E0", [], []),
    (10, 15, "board", "城乡建设", "江北区", "negative", 2, "E0", [], []),
    (11, 9, "board", "城乡建设", "江北区", "neutral", 0, None, [], []),
    (12, 9, "hotline", "城乡建设", "江北区", "positive", 0, None, [], []),
    (12, 14, "hotline", "环境保护", "江南区", "negative", 1, None, ["生态环境"], [("黑臭水体", ["发臭"])]),
    (13, 9, "news", "环境保护", "江南区", "neutral", 0, None, [], []),
    (13, 16, "board", "环境保护", "江南区", "neutral", 0, None, [], []),
    (14, 10, "hotline", "交通运输", "江南区", "positive", 0, None, [], []),
    (15, 10, "board", "交通运输", "江南区", "neutral", 0, None, [], []),
    (15, 11, "news", "交通运输", "江南区", "neutral", 0, None, [], []),
]


@dataclass(frozen=True)
class Seeded:
    items_w47: list[int]
    items_w46: list[int]
    events: dict[str, int]
    departments: dict[str, int]


def seed_two_weeks(db: Database) -> Seeded:
    now = MONDAY_MORNING
    with db.session() as s:
        sources = {
            "hotline": Source(key="hotline", name="12345热线", kind="hotline", created_at=now, state={}),
            "board": Source(key="board", name="市民留言板", kind="board", created_at=now, state={}),
            "news": Source(key="news", name="云江日报", kind="news", created_at=now, state={}),
        }
        s.add_all(sources.values())
        depts = {
            "zjj": Department(code="zjj", name="市住房和城乡建设局", aliases=[]),
            "sthj": Department(code="sthj", name="市生态环境局", aliases=[]),
        }
        s.add_all(depts.values())
        s.flush()

        def add_items(rows: list[tuple[Any, ...]], week: str) -> list[int]:
            ids = []
            for n, (day, hour, kind, topic, region, sentiment, risk, _event, tags, schemes) in enumerate(
                rows, 1
            ):
                title = f"{region or ''}{topic or '未分类'}诉求{week}-{n}"
                content = f"来电人反映{topic or ''}问题，情况属实，请尽快处理。"
                if week == "w47" and n == 5:
                    title = f"幸福里小区连续三天停水（联系电话{PHONE}）"
                    content = f"联系人张伟，电话{PHONE}，幸福里小区从周一起连续三天停水，多次反映无人处理。"
                if week == "w47" and n == 13:
                    title = SCRIPT_TITLE
                    content = "临湖区河道黑臭，岸边有死鱼，附近居民反映异味严重。"
                when = local(11, day, hour, 5)
                item = Item(
                    source_id=sources[kind].id,
                    external_id=f"{week}-{n}",
                    kind=kind,
                    title=title,
                    content=content,
                    published_at=when,
                    fetched_at=when,
                    updated_at=when,
                    region=region,
                    content_hash=f"{week}{n}",
                    status="analyzed" if sentiment else "new",
                    reply_status="none",
                    extra={},
                )
                s.add(item)
                s.flush()
                ids.append(item.id)
                if sentiment:
                    s.add(
                        ItemAnalysis(
                            item_id=item.id,
                            sentiment=sentiment,
                            sentiment_score={"negative": 0.1, "neutral": 0.5, "positive": 0.9}[sentiment],
                            topic=topic,
                            topic_confidence=0.9,
                            tags=list(tags),
                            scheme_hits=[{"scheme": name, "terms": terms} for name, terms in schemes],
                            risk_score=risk * 20.0,
                            risk_level=risk,
                            risk_factors=[],
                            title_masked=mask(title),
                            content_masked=mask(content),
                            model_version="test",
                            analyzed_at=when,
                        )
                    )
            return ids

        w47 = add_items(W47, "w47")
        w46 = add_items(W46, "w46")

        def event(
            key: str,
            title: str,
            level: int,
            score: float,
            first: datetime,
            last: datetime,
            source: str,
            first_item: int,
            count: int,
            sources_n: int,
            kinds: dict[str, int],
            sent: tuple[int, int, int],
        ) -> Event:
            e = Event(
                title=title,
                topic=None,
                region=None,
                tags=[],
                first_item_id=first_item,
                first_source_id=sources[source].id,
                first_seen_at=first,
                last_seen_at=last,
                item_count=count,
                source_count=sources_n,
                kind_counts=kinds,
                neg_count=sent[0],
                neu_count=sent[1],
                pos_count=sent[2],
                risk_score=score,
                risk_level=level,
                risk_factors=[],
                trend=[],
                status="open",
                updated_at=last,
            )
            s.add(e)
            s.flush()
            return e

        events = {
            "E0": event(
                "E0",
                "江北区道路施工噪音扰民",
                2,
                40,
                local(11, 9, 10, 5),
                local(11, 10, 15, 5),
                "hotline",
                w46[0],
                3,
                2,
                {"hotline": 2, "board": 1},
                (2, 1, 0),
            ),
            "E1": event(
                "E1",
                f"幸福里小区连续三天停水（联系电话{PHONE}）",
                3,
                72,
                local(11, 18, 9, 5),
                local(11, 18, 14, 5),
                "board",
                w47[4],
                5,
                3,
                {"board": 3, "hotline": 1, "news": 1},
                (4, 1, 0),
            ),
            "E2": event(
                "E2",
                SCRIPT_TITLE,
                2,
                55,
                local(11, 19, 14, 5),
                local(11, 20, 10, 5),
                "board",
                w47[12],
                3,
                2,
                {"board": 1, "hotline": 2},
                (2, 1, 0),
            ),
            "E3": event(
                "E3",
                "江南区新开通公交线路获好评",
                0,
                10,
                local(11, 21, 9, 5),
                local(11, 22, 11, 5),
                "hotline",
                w47[15],
                4,
                3,
                {"hotline": 2, "news": 1, "board": 1},
                (0, 2, 2),
            ),
        }
        for rows, ids in ((W47, w47), (W46, w46)):
            for row, item_id in zip(rows, ids, strict=True):
                if row[7]:
                    s.get(Item, item_id).event_id = events[row[7]].id  # type: ignore[union-attr]

        def alert(
            level: int,
            rule: str,
            opened: datetime,
            state: str,
            event_key: str | None = None,
            resolved: datetime | None = None,
        ) -> None:
            s.add(
                Alert(
                    fingerprint=f"{rule}:{opened.isoformat()}",
                    rule=rule,
                    level=level,
                    state=state,
                    title=f"{rule}预警",
                    detail={},
                    event_id=events[event_key].id if event_key else None,
                    opened_at=opened,
                    updated_at=opened,
                    resolved_at=resolved,
                    escalation_policy=[],
                )
            )

        alert(3, "event_risk", local(11, 18, 9, 30), "responding", "E1")
        alert(4, "scheme_always", local(11, 18, 14, 35), "resolved", resolved=local(11, 19, 9))
        alert(2, "burst", local(11, 19, 15), "acknowledged", "E2")
        alert(2, "timer_overdue", local(11, 19, 17), "triggered")
        alert(2, "event_risk", local(11, 10, 15, 30), "resolved", "E0", resolved=local(11, 11, 9))

        def task(
            dept: str,
            started: datetime,
            due: datetime,
            answered: datetime | None,
            *,
            item: int | None = None,
            event_key: str | None = None,
            state: str | None = None,
        ) -> None:
            s.add(
                ResponseTask(
                    item_id=item,
                    event_id=events[event_key].id if event_key else None,
                    department_id=depts[dept].id,
                    kind="event_first_response" if event_key else "hotline_other",
                    limit_spec={},
                    started_at=started,
                    due_at=due,
                    warn_at=None,
                    state=state or ("answered" if answered else "running"),
                    answered_at=answered,
                    answered_by="crawler" if answered else None,
                    updated_at=answered or started,
                )
            )

        task(
            "zjj", local(11, 16, 9, 30), local(11, 18, 9, 30), local(11, 17, 9, 30), item=w47[0]
        )  # T1 on time 24h
        task(
            "zjj", local(11, 16, 10, 30), local(11, 17, 10, 30), local(11, 19, 10, 30), item=w47[1]
        )  # T2 late 72h
        task("zjj", local(11, 12, 9), local(11, 19, 9), None, item=w46[4])  # T3 overdue at week end
        task(
            "sthj", local(11, 18, 15, 30), local(11, 20, 15, 30), local(11, 18, 17, 30), item=w47[9]
        )  # T4 2h
        task("sthj", local(11, 19, 14, 30), local(11, 26, 14, 30), None, item=w47[12])  # T5 in progress
        task(
            "zjj", local(11, 18, 9, 30), local(11, 18, 14, 30), local(11, 18, 12, 30), event_key="E1"
        )  # T6 3h
        task("zjj", local(11, 18, 10, 30), local(11, 20, 10, 30), None, item=w47[6], state="cancelled")  # T7
        task("zjj", local(11, 9, 10), local(11, 11, 10), local(11, 10, 10), item=w46[0])  # T8 (W46) on time
        task("zjj", local(11, 9, 11), local(11, 10, 11), local(11, 11, 11), item=w46[1])  # T9 (W46) late

        # One burst episode of two adjacent hourly buckets, linked to E2.
        for hour, count in ((14, 6), (15, 3)):
            s.add(
                Burst(
                    topic="环境保护",
                    region="临湖区",
                    bucket_start=local(11, 19, hour),
                    bucket_minutes=60,
                    count=count,
                    baseline=0.5,
                    score=8.0 if hour == 14 else 4.0,
                    path="baseline",
                    event_id=events["E2"].id,
                    detected_at=local(11, 19, hour, 59),
                )
            )
        return Seeded(w47, w46, {k: v.id for k, v in events.items()}, {k: v.id for k, v in depts.items()})
