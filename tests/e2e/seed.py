"""A realistic, deterministic data set for dashboard tests and screenshots: sources and departments from
config/, users of every role, a month of items with analysis across hotline, boards and news (one with a
<script> title, some with phone numbers and names), events, rollups (built by the analysis job's own
function), alerts in every state with response timers and their audit trail, silences, a working-day
override, reports with files, and crawl runs with one failing source. Times are relative to `now`."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.catalog import sync_reference_data
from core.clock import FixedClock, to_local
from core.db import Database
from core.levels import Level
from core.models import (
    Alert,
    AuditLog,
    CrawlRun,
    Department,
    Event,
    Item,
    ItemAnalysis,
    Report,
    ResponseTask,
    Silence,
    Source,
    WorkdayOverride,
)
from core.privacy import mask
from core.settings import AppConfig
from core.users import create_user

PASSWORD = "Seed-pass-2026"
USERS = (
    ("admin", "admin", "系统管理员"),
    ("duty", "duty", "值班员张敏"),
    ("duty2", "duty", "值班员李强"),
    ("leader", "leader", "分管领导王副市长"),
)
SCRIPT_TITLE = "<script>alert('xss')</script>测试标题：小区门口<b>垃圾</b>堆放"

ESTATES = ["幸福里", "锦绣花园", "阳光新城", "滨江一号", "翠湖苑", "金桂园", "和平家园", "东风小区"]
ROADS = ["解放路", "人民大道", "建设路", "滨江路", "中山路", "新华街"]
RIVERS = ["清水河", "东沟渠", "龙溪", "南湖"]
COMPANIES = ["宏达建筑公司", "鑫源物业", "佳美健身会所", "顺通物流", "永安化工厂"]
NAMES = ["张伟", "李娜", "王芳", "刘洋", "陈静", "杨帆"]

# (topic, sentiment, title template, content template, tags, scheme hits, base risk)
TEMPLATES: list[tuple[str, str, str, str, list[str], list[dict[str, Any]], int]] = [
    (
        "劳动和社会保障",
        "negative",
        "{company}拖欠农民工工资三个月无人处理",
        "我们在{region}{company}的工地干活，老板拖欠工资已经三个月了，二十多名工人讨薪无果。我叫{name}，"
        "联系电话{phone}，希望劳动监察部门尽快介入。",
        ["欠薪"],
        [{"scheme": "欠薪讨薪", "terms": ["拖欠工资", "讨薪"]}],
        2,
    ),
    (
        "环境保护",
        "negative",
        "{region}{river}出现黑臭水体，周边居民反映强烈",
        "{region}{river}最近一周河水发黑发臭，还有死鱼漂浮，疑似上游有企业偷排污水。附近居民晚上不敢开窗，"
        "希望环保部门查明排污来源。",
        ["生态环境"],
        [{"scheme": "黑臭水体", "terms": ["{region}", "黑臭", "死鱼", "排污"]}],
        2,
    ),
    (
        "城乡建设",
        "negative",
        "{region}{estate}小区电梯频繁故障，老人出行困难",
        "{estate}小区3号楼电梯这个月已经坏了五次，物业一直拖着不修，楼里很多老人只能爬楼。"
        "多次向物业反映无果，请住建部门督促整改。",
        [],
        [],
        1,
    ),
    (
        "城乡建设",
        "negative",
        "{estate}小区冬季供暖温度不达标",
        "入冬以来{estate}小区室内温度只有14度左右，供热公司说管网老化，迟迟没有解决方案，家里有老人和孩子，"
        "希望尽快处理。",
        [],
        [],
        1,
    ),
    (
        "交通运输",
        "neutral",
        "{road}与{road2}路口红绿灯时长设置不合理",
        "早高峰{road}与{road2}路口左转绿灯只有15秒，车辆排队很长，建议交警部门优化信号灯配时。",
        [],
        [],
        0,
    ),
    (
        "交通运输",
        "negative",
        "{region}公交线路调整后居民出行不便",
        "{region}的28路公交车改线后不再经过{estate}小区，附近居民出行要步行二十分钟，希望恢复原线路或增设站点。",
        [],
        [],
        0,
    ),
    (
        "教育文体",
        "neutral",
        "{region}明年小学划片招生政策咨询",
        "孩子明年上小学，想咨询{region}{estate}小区对应哪所学校，划片范围是否有调整，学区政策在哪里公布。",
        ["教育改革"],
        [],
        0,
    ),
    (
        "卫生计生",
        "negative",
        "市第二人民医院挂号难、排队时间过长",
        "昨天带老人去市第二人民医院看病，挂号排了两个小时，医保报销窗口只开一个，看病难问题希望得到重视。",
        ["卫生健康"],
        [],
        1,
    ),
    (
        "商贸旅游",
        "negative",
        "{company}预付卡商家跑路，消费者维权无门",
        "{region}的{company}突然关门，老板联系不上，我们办的预付卡还有几千元没有消费，几十名会员希望"
        "市场监管部门帮助维权。联系人{name}先生。",
        ["金融安全"],
        [],
        2,
    ),
    (
        "民政",
        "neutral",
        "低保申请审批进度咨询",
        "我在{region}街道提交了低保申请，已经一个多月了还没有结果，想了解审批进度和还需要补充哪些材料。",
        ["社会保障"],
        [],
        0,
    ),
    (
        "政法",
        "negative",
        "{estate}小区夜间盗窃案件频发",
        "最近{estate}小区接连发生电动车被盗和入室盗窃，居民很担心治安问题，希望派出所加强夜间巡逻。",
        ["社会治安"],
        [],
        1,
    ),
    (
        "城乡建设",
        "positive",
        "感谢{region}街道办快速解决供暖问题",
        "上周反映的供暖不热问题，{region}街道办和供热公司第二天就上门维修，现在家里温度正常了，"
        "感谢工作人员的辛苦付出！",
        [],
        [],
        0,
    ),
    (
        "党务政务",
        "positive",
        "点赞市政务服务中心窗口工作人员热情服务",
        "今天到市政务服务中心办理营业执照，窗口工作人员耐心指导，一次就办好了，办事效率很高，点赞！",
        [],
        [],
        0,
    ),
    (
        "国土资源",
        "negative",
        "{region}征地拆迁补偿款迟迟未到位",
        "我们村去年签了征地协议，补偿款到现在还没发到村民手里，村民准备集体到市政府讨说法。",
        ["征地拆迁"],
        [{"scheme": "群体性事件苗头", "terms": ["村民", "集体", "讨说法"]}],
        3,
    ),
    (
        "环境保护",
        "negative",
        "{company}夜间施工噪音扰民",
        "{estate}小区旁边的工地每天施工到凌晨两点，噪音太大，严重影响居民休息，投诉多次没有改善。",
        ["生态环境"],
        [],
        1,
    ),
]
NEWS_TEMPLATES = [
    (
        "经济管理",
        "positive",
        "云江市出台稳增长若干措施 减税降费惠及企业",
        "记者从市发展改革委获悉，云江市近日出台稳增长若干措施，进一步落实减税降费政策，预计全年为企业减负"
        "超过十亿元。",
        ["减税降费"],
    ),
    (
        "城乡建设",
        "neutral",
        "云江市老旧小区改造工程全面启动",
        "今年全市计划改造老旧小区86个，涉及居民2.3万户，改造内容包括加装电梯、管网更新和停车位改造。",
        [],
    ),
    (
        "环境保护",
        "negative",
        "媒体调查：{region}河道污染问题为何屡治不愈",
        "记者走访发现，{region}{river}沿岸仍有多处排污口，周边居民多次反映河水发臭，相关部门表示将开展专项整治。",
        ["生态环境"],
    ),
]
REGION_ADDRESSEES = {
    "劳动和社会保障": "rsj",
    "环境保护": "sthj",
    "城乡建设": "zjj",
    "交通运输": "jtj",
    "教育文体": "jyj",
    "卫生计生": "wjw",
    "商贸旅游": "scjg",
    "民政": "mzj",
    "政法": "gaj",
    "国土资源": "zrzy",
    "党务政务": "zhb",
}


@dataclass
class SeedInfo:
    now: datetime
    password: str = PASSWORD
    users: dict[str, str] = field(default_factory=dict)
    script_item_id: int = 0
    phone_item_id: int = 0
    item_count: int = 0
    alerts: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    negative_last_7d: int = 0
    reports_done: int = 0
    report_id: int = 0


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"


def _fill(template: str, rng: random.Random, region: str) -> str:
    roads = rng.sample(ROADS, 2)
    return template.format(
        region=region,
        estate=rng.choice(ESTATES),
        road=roads[0],
        road2=roads[1],
        river=rng.choice(RIVERS),
        company=rng.choice(COMPANIES),
        name=rng.choice(NAMES),
        phone=_phone(rng),
    )


def seed(db: Database, config: AppConfig, now: datetime, *, items: int = 600, rng_seed: int = 7) -> SeedInfo:
    rng = random.Random(rng_seed)
    clock = FixedClock(now)
    info = SeedInfo(now=now)
    regions = list(config.topics.regions)
    with db.session() as s:
        sync_reference_data(s, config, clock)
        for username, role, display in USERS:
            create_user(
                s,
                clock,
                username=username,
                password=PASSWORD,
                role=role,
                display_name=display,
                email=f"{username}@yunjiang.gov.example",
            )
            info.users[username] = role
    with db.session() as s:
        sources = {row.key: row for row in s.scalars(select(Source))}
        departments = {row.code: row.id for row in s.scalars(select(Department))}
    by_kind: dict[str, list[Source]] = {}
    for src in sources.values():
        by_kind.setdefault(src.kind, []).append(src)

    # --- items and analysis -----------------------------------------------------------------------------
    item_rows: list[dict[str, Any]] = []
    for i in range(items):
        # Denser in the last days, as a live system would be.
        age_hours = rng.random() ** 2.2 * 30 * 24
        published = now - timedelta(hours=age_hours, minutes=rng.randint(0, 59))
        region = rng.choice(regions)
        if rng.random() < 0.18:
            topic, sentiment, title_t, content_t, tags = rng.choice(NEWS_TEMPLATES)
            kind, hits, risk = "news", [], 1 if sentiment == "negative" else 0
        else:
            topic, sentiment, title_t, content_t, tags, hits, risk = rng.choice(TEMPLATES)
            kind = "hotline" if rng.random() < 0.55 else "board"
        title = _fill(title_t, rng, region)
        content = _fill(content_t, rng, region)
        if rng.random() < 0.15:
            sentiment = rng.choice(["neutral", "negative"])
        level = max(0, min(4, risk + (1 if rng.random() < 0.15 else 0) - (1 if rng.random() < 0.3 else 0)))
        src = rng.choice(by_kind[kind])
        reply = "none" if kind == "news" else ("replied" if rng.random() < 0.55 else "pending")
        item_rows.append(
            {
                "i": i,
                "kind": kind,
                "source": src,
                "title": title,
                "content": content,
                "topic": topic,
                "sentiment": sentiment,
                "tags": list(tags),
                "hits": [
                    {"scheme": h["scheme"], "terms": [t.format(region=region) for t in h["terms"]]}
                    for h in hits
                ],
                "risk": level,
                "region": region,
                "published": published,
                "reply": reply,
            }
        )
    # Fixed rows the tests look for.
    item_rows[0].update(
        title=SCRIPT_TITLE,
        content="正文含有<img src=x onerror=alert(1)>标签，应当原样显示。",
        published=now - timedelta(hours=2),
        kind="board",
        source=by_kind["board"][0],
        sentiment="negative",
        topic="城乡建设",
        risk=1,
        tags=[],
        hits=[],
        reply="pending",
    )
    item_rows[1].update(
        title="江北区居民反映燃气管道漏气",
        published=now - timedelta(hours=3),
        kind="hotline",
        source=by_kind["hotline"][0],
        content="我叫张伟，住在江北区幸福里小区5栋，联系电话13812345678，楼道里燃气味很重，担心燃气泄漏。",
        sentiment="negative",
        topic="城乡建设",
        risk=3,
        region="江北区",
        hits=[{"scheme": "生命安全", "terms": ["燃气泄漏"]}],
        tags=[],
        reply="pending",
    )

    with db.session() as s:
        for row in item_rows:
            src: Source = row["source"]
            item = Item(
                source_id=src.id,
                external_id=f"seed-{row['i']}",
                kind=row["kind"],
                url=f"http://127.0.0.1:8765/{row['kind']}/{row['i']}",
                title=row["title"],
                content=row["content"],
                author=None if row["kind"] == "news" else "网民",
                media="云江日报" if row["kind"] == "news" else None,
                published_at=row["published"],
                fetched_at=row["published"] + timedelta(minutes=5),
                updated_at=row["published"] + timedelta(minutes=5),
                region=row["region"],
                request_type=None if row["kind"] == "news" else rng.choice(["投诉", "咨询", "求助", "建议"]),
                department=None,
                reply_status=row["reply"],
                reply_at=row["published"] + timedelta(days=2) if row["reply"] == "replied" else None,
                reply_text="您好，您反映的问题已转相关部门核实处理，感谢监督。"
                if row["reply"] == "replied"
                else None,
                reply_department="市政府办公室" if row["reply"] == "replied" else None,
                content_hash=f"{row['i']:064x}",
                status="analyzed",
                extra={},
            )
            s.add(item)
            s.flush()
            row["id"] = item.id
            score = {"negative": 0.12, "neutral": 0.5, "positive": 0.88}[row["sentiment"]]
            factors = []
            if row["risk"]:
                factors = [{"factor": "negative", "points": 20.0, "text": "负面情绪明显"}]
                if row["hits"]:
                    factors.append(
                        {
                            "factor": "scheme",
                            "points": 25.0,
                            "text": f"命中监测方案“{row['hits'][0]['scheme']}”",
                        }
                    )
            s.add(
                ItemAnalysis(
                    item_id=item.id,
                    sentiment=row["sentiment"],
                    sentiment_score=score,
                    topic=row["topic"],
                    topic_confidence=0.8,
                    tags=row["tags"],
                    scheme_hits=row["hits"],
                    risk_score=row["risk"] * 20.0,
                    risk_level=row["risk"],
                    risk_factors=factors,
                    title_masked=mask(row["title"]),
                    content_masked=mask(row["content"]),
                    model_version="seed-1",
                    analyzed_at=row["published"],
                )
            )
            if row["sentiment"] == "negative" and row["published"] >= now - timedelta(days=7):
                info.negative_last_7d += 1
    info.script_item_id = item_rows[0]["id"]
    info.phone_item_id = item_rows[1]["id"]
    info.item_count = len(item_rows)

    # --- events -----------------------------------------------------------------------------------------
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in item_rows[2:]:
        if row["published"] >= now - timedelta(days=10) and (
            row["sentiment"] == "negative" or row["risk"] >= 2
        ):
            groups.setdefault(row["title"][:10], []).append(row)
    event_specs = sorted(groups.items(), key=lambda kv: -len(kv[1]))[:14]
    with db.session() as s:
        for n, (_key, members) in enumerate(event_specs):
            members = sorted(members, key=lambda r: r["published"])[:25]
            first = members[0]
            kinds = Counter(m["kind"] for m in members)
            sentiments = Counter(m["sentiment"] for m in members)
            hours = Counter(m["published"].replace(minute=0, second=0, microsecond=0) for m in members)
            level = 4 if n == 0 else max(m["risk"] for m in members)
            tags = sorted({t for m in members for t in m["tags"]})
            factors = [
                {"factor": "volume", "points": 15.0, "text": f"{len(members)}条信息在{len(kinds)}类渠道出现"},
                {
                    "factor": "negative",
                    "points": 20.0,
                    "text": f"负面信息占{sentiments['negative'] * 100 // len(members)}%",
                },
            ]
            if any(m["hits"] for m in members):
                factors.append(
                    {
                        "factor": "scheme",
                        "points": 30.0,
                        "text": "命中监测方案："
                        + "、".join(sorted({h["scheme"] for m in members for h in m["hits"]})),
                    }
                )
            if kinds.get("news"):
                factors.append({"factor": "media", "points": 10.0, "text": "已有新闻媒体报道"})
            event = Event(
                title=first["title"],
                summary=first["content"][:80],
                topic=first["topic"],
                region=first["region"],
                tags=tags,
                first_item_id=first["id"],
                first_source_id=first["source"].id,
                first_seen_at=first["published"],
                last_seen_at=max(now - timedelta(minutes=20 + n * 30), members[-1]["published"]),
                item_count=len(members),
                source_count=len({m["source"].id for m in members}),
                kind_counts=dict(kinds),
                neg_count=sentiments["negative"],
                neu_count=sentiments["neutral"],
                pos_count=sentiments["positive"],
                risk_score=level * 22.0,
                risk_level=level,
                risk_factors=factors,
                trend=[[h.isoformat(), c] for h, c in sorted(hours.items())],
                status="open",
                updated_at=now,
            )
            s.add(event)
            s.flush()
            for m in members:
                s.get(Item, m["id"]).event_id = event.id  # type: ignore[union-attr]
            info.events[f"e{n}"] = event.id
    from analysis.jobs import rebuild_rollups

    rebuild_rollups(db)

    # --- alerts, response timers and their audit trail ----------------------------------------------------
    def audit(
        s: Any, at: datetime, actor: str, action: str, object_type: str, object_id: int, comment: str = ""
    ) -> None:
        s.add(
            AuditLog(
                at=at,
                actor=actor,
                action=action,
                object_type=object_type,
                object_id=str(object_id),
                comment=comment or None,
                detail={},
            )
        )

    with db.session() as s:
        events = {k: s.get(Event, v) for k, v in info.events.items()}
        specs = [
            ("red_triggered", 4, "triggered", "e0", None, timedelta(minutes=25), None),
            ("orange_ack", 3, "acknowledged", "e1", None, timedelta(hours=2), timedelta(hours=3)),
            ("yellow_overdue", 2, "responding", "e2", "zjj", timedelta(hours=30), timedelta(hours=-2)),
            ("blue_triggered", 1, "triggered", "e3", None, timedelta(minutes=40), timedelta(days=2)),
            ("orange_paused", 3, "responding", "e4", "sthj", timedelta(hours=20), timedelta(hours=10)),
            ("yellow_resolved", 2, "resolved", "e5", "rsj", timedelta(days=1, hours=5), None),
        ]
        for key, level, state, ev_key, dept, age, due_in in specs:
            ev = events.get(ev_key) or next(iter(events.values()))
            opened = now - age
            task_id = None
            if due_in is not None:
                task = ResponseTask(
                    event_id=ev.id,
                    department_id=departments.get(dept) if dept else None,
                    kind="event_first_response",
                    limit_spec={"unit": "hours", "amount": 5},
                    started_at=opened,
                    due_at=now + due_in,
                    warn_at=now + due_in - timedelta(hours=1),
                    state="paused" if key == "orange_paused" else "running",
                    paused_at=now - timedelta(hours=1) if key == "orange_paused" else None,
                    updated_at=now,
                )
                s.add(task)
                s.flush()
                task_id = task.id
                audit(s, opened, "system", "timer.start", "response_task", task.id)
            alert = Alert(
                fingerprint=f"event_risk:{ev.id}",
                rule="event_risk",
                level=level,
                state=state,
                title=f"{'[红色预警]' if level == 4 else ''}{ev.title}",
                summary=f"{ev.item_count}条相关信息，风险{level}级",
                detail={"risk_factors": ev.risk_factors},
                event_id=ev.id,
                item_id=ev.first_item_id,
                source_id=ev.first_source_id,
                response_task_id=task_id,
                opened_at=opened,
                updated_at=now,
                acknowledged_at=opened + timedelta(minutes=10) if state != "triggered" else None,
                acknowledged_by="duty" if state != "triggered" else None,
                assigned_department_id=departments.get(dept) if dept else None,
                resolved_at=now - timedelta(hours=3) if state == "resolved" else None,
                resolved_by="duty" if state == "resolved" else None,
                escalation_policy=[],
                next_escalation_at=now + timedelta(minutes=9) if state == "triggered" else None,
                instruction="请住建局立即核实并于今日下班前报告处置情况。"
                if key == "yellow_overdue"
                else None,
            )
            s.add(alert)
            s.flush()
            info.alerts[key] = alert.id
            audit(s, opened, "system", "alert.open", "alert", alert.id, f"事件风险达到{Level(level).label}")
            if state != "triggered":
                audit(
                    s,
                    opened + timedelta(minutes=10),
                    "duty",
                    "alert.acknowledge",
                    "alert",
                    alert.id,
                    "已电话核实",
                )
            if dept:
                audit(
                    s,
                    opened + timedelta(minutes=30),
                    "duty",
                    "alert.assign",
                    "alert",
                    alert.id,
                    "转交承办部门",
                )
            if key == "yellow_overdue":
                audit(
                    s,
                    opened + timedelta(hours=1),
                    "leader",
                    "alert.instruction",
                    "alert",
                    alert.id,
                    alert.instruction or "",
                )
            if state == "resolved":
                audit(s, now - timedelta(hours=3), "duty", "alert.resolve", "alert", alert.id, "已办结并回访")

        # Item timers behind the department figures: on time, late, open and overdue.
        codes = list(REGION_ADDRESSEES.values())
        for n, row in enumerate(r for r in item_rows[2:] if r["kind"] != "news"):
            if n >= 160:
                break
            started = row["published"]
            due = started + timedelta(days=rng.choice([1, 3, 5, 7]))
            dept_code = REGION_ADDRESSEES.get(row["topic"], rng.choice(codes))
            answered = None
            roll = rng.random()
            if due < now:
                answered = started + (due - started) * (
                    rng.uniform(0.2, 0.95) if roll < 0.7 else rng.uniform(1.05, 1.6)
                )
                if roll > 0.9:
                    answered = None
            elif roll < 0.3:
                answered = started + (now - started) * rng.uniform(0.2, 0.9)
            state = "answered" if answered is not None else "running"
            s.add(
                ResponseTask(
                    item_id=row["id"],
                    department_id=departments.get(dept_code),
                    kind="board_reply" if row["kind"] == "board" else "hotline_other",
                    limit_spec={"unit": "working_days", "amount": 5},
                    started_at=started,
                    due_at=due,
                    state=state,
                    answered_at=answered,
                    answered_by="crawler" if answered else None,
                    updated_at=now,
                )
            )

        s.add(
            Silence(
                fingerprint="source_health:demo_news_atom",
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=5),
                reason="新闻源维护期间",
                created_by="admin",
                created_at=now,
            )
        )
        next_saturday = to_local(now).date() + timedelta(days=(5 - to_local(now).weekday()) % 7 or 7)
        s.add(
            WorkdayOverride(
                day=next_saturday, is_workday=True, note="本地调休上班", created_by="admin", created_at=now
            )
        )

        # --- sources' health and crawl runs ----------------------------------------------------------------
        for n, src in enumerate(sorted(sources.values(), key=lambda x: x.id)):
            row = s.get(Source, src.id)
            assert row is not None
            failing = row.key == "demo_gbk_board"
            for h in range(0, 14 * 24, 3):
                started = now - timedelta(hours=h, minutes=n * 7)
                bad = failing and h < 9
                s.add(
                    CrawlRun(
                        source_id=row.id,
                        started_at=started,
                        finished_at=started + timedelta(seconds=20),
                        status="failed" if bad else "success",
                        trigger="schedule",
                        pages=3,
                        items_new=0 if bad else rng.randint(0, 6),
                        items_updated=rng.randint(0, 2),
                        errors=1 if bad else 0,
                        error_message="HTTP 503 Service Unavailable" if bad else None,
                        duration_s=round(rng.uniform(1.2, 4.0), 1),
                    )
                )
            row.last_run_at = now - timedelta(minutes=n * 7)
            row.last_success_at = now - timedelta(hours=9 if failing else 0, minutes=n * 7)
            row.last_failure_at = now - timedelta(minutes=n * 7) if failing else None
            row.consecutive_failures = 3 if failing else 0
            row.last_error = "HTTP 503 Service Unavailable" if failing else None
            row.last_item_at = now - timedelta(hours=9 if failing else 1)
            row.items_total = sum(1 for r in item_rows if r["source"].id == row.id)
    return info


def add_reports(db: Database, now: datetime, reports_dir: Path, info: SeedInfo) -> None:
    """Two generated reports with real files, one queued and one failed."""
    from docx import Document

    reports_dir.mkdir(parents=True, exist_ok=True)
    local_today = to_local(now).date()
    monday = local_today - timedelta(days=local_today.weekday())
    with db.session() as s:
        for weeks in (1, 2):
            first = monday - timedelta(days=7 * weeks)
            start = datetime.combine(first, datetime.min.time()).replace(tzinfo=to_local(now).tzinfo)
            docx_path = reports_dir / f"weekly-{first.isoformat()}.docx"
            html_path = reports_dir / f"weekly-{first.isoformat()}.html"
            doc = Document()
            doc.add_heading(f"舆情周报（{first.isoformat()}）", 0)
            doc.add_paragraph("本周共监测信息若干条。")
            doc.save(str(docx_path))
            html_path.write_text(
                f"<html><body><h1>舆情周报 {first.isoformat()}</h1></body></html>", encoding="utf-8"
            )
            report = Report(
                kind="weekly",
                period_start=start,
                period_end=start + timedelta(days=7),
                status="done",
                requested_by=None,
                generated_at=start + timedelta(days=7, hours=8, minutes=30),
                docx_path=str(docx_path),
                html_path=str(html_path),
            )
            s.add(report)
            s.flush()
            info.reports_done += 1
            if weeks == 1:
                info.report_id = report.id
        yesterday = local_today - timedelta(days=1)
        ystart = datetime.combine(yesterday, datetime.min.time()).replace(tzinfo=to_local(now).tzinfo)
        s.add(
            Report(
                kind="daily",
                period_start=ystart,
                period_end=ystart + timedelta(days=1),
                status="error",
                requested_by="duty",
                error="图表生成失败：字体缺失",
            )
        )
