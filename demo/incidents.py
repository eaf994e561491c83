"""Scripted incidents, timed relative to the simulation's start, that a monitoring system should catch:
a black-odorous-water complaint wave in 临湖区 that reaches the news, a wage-arrears group escalating to a
threat of gathering at the city government, and one post copied across the board and the hotline.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from demo import textgen as T
from demo.generate import make_article, make_board_post, make_hotline
from demo.model import Item, SourceKind
from demo.render_common import iso_local

BLACK_WATER, WAGE_ARREARS, NEAR_DUPLICATE = "black_water", "wage_arrears", "near_duplicate"

RIVER, RIVER_DISTRICT = "柳塘河", "临湖区"
SITE, CONTRACTOR, SITE_DISTRICT = "云江·翡翠湾二期项目工地", "云江宏达建设工程有限公司", "高新区"
ESTATE, DEVELOPER, ESTATE_DISTRICT = "江南·御府", "云江恒远置业有限公司", "江南区"


@dataclass(frozen=True)
class Stage:
    at: datetime
    label: str


@dataclass
class Incident:
    key: str
    name: str
    description: str
    region: str
    starts_at: datetime
    ends_at: datetime
    stages: list[Stage] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "description": self.description,
            "region": self.region,
            "starts_at": iso_local(self.starts_at),
            "ends_at": iso_local(self.ends_at),
            "stages": [{"at": iso_local(s.at), "label": s.label} for s in self.stages],
            "planned": len(self.items),
            "published": sum(1 for i in self.items if i.published),
            "items": [
                {
                    "source": i.source,
                    "id": i.public_id or None,
                    "publish_at": iso_local(i.publish_at),
                    "published": i.published,
                    "title": i.title,
                }
                for i in self.items
            ],
        }


def _msg(
    topic: str,
    request_type: str,
    sentiment: str,
    tags: tuple[str, ...],
    title: str,
    content: str,
    dept: str,
    district: str,
    personal: bool = False,
) -> T.Message:
    return T.Message(topic, request_type, sentiment, tags, title, title, content, dept, district, personal)


# --- 1. black-odorous water in 临湖区 -------------------------------------------------------------------------

_BW_SPOTS = ("柳塘新村", "双桥小区", "湖畔人家", "柳岸花园", "柳塘路桥", "柳塘公园")
_BW_TITLES = (
    "{河}河水发黑发臭",
    "临湖区{河}又黑又臭，谁来管管",
    "{河}{点}段死鱼成片 臭气熏天",
    "强烈要求治理{河}黑臭水体",
    "{河}突然变黑，怀疑有人偷排",
    "{点}旁边的{河}臭得没法住了",
    "{河}水质恶化严重",
    "{河}黑臭问题何时解决",
)
_BW_OPEN = ("", "我是{点}的居民，", "住在{河}边上的居民反映，", "各位领导好，", "我家就在{河}旁边，")
_BW_SYMPTOMS = (
    "{河}{点}段的河水这两天突然变得又黑又臭",
    "{河}靠近{点}的一段河水发黑，水面漂着一层油污",
    "{河}里出现大量死鱼，河水黑得像墨汁",
    "{河}从{点}往下游一公里全是黑水，还冒着气泡",
)
_BW_DETAILS = (
    "臭味大得晚上不敢开窗",
    "孩子闻了直说头晕恶心",
    "沿河散步的人都捂着鼻子走",
    "河边排水口一直在往外冒黑水",
    "怀疑上游有企业在夜里偷排污水",
    "河面上的死鱼没人打捞，苍蝇到处飞",
    "已经好几个邻居在业主群里反映了",
)
_BW_DEMANDS = (
    "请环保部门马上来查一查。",
    "希望尽快查明污染源，严肃处理！",
    "请相关部门立即治理，还我们一条清水河。",
    "这样下去大家都要被熏病了，请领导重视！",
)


def _black_water(rng: random.Random, start: datetime) -> Incident:
    # A few posts, then many: offsets in minutes after start, growing denser over 20 simulated minutes.
    offsets = [
        5.0,
        8.5,
        11.0,
        13.0,
        14.5,
        16.0,
        17.0,
        18.0,
        18.8,
        19.5,
        20.2,
        20.9,
        21.5,
        22.1,
        22.6,
        23.1,
        23.5,
        23.9,
        24.2,
        24.5,
        24.8,
        25.0,
        32.0,
        41.0,
        55.0,
    ]
    inc = Incident(
        BLACK_WATER,
        "黑臭水体",
        f"{RIVER_DISTRICT}{RIVER}突发黑臭，投诉在20分钟内由少到多，随后见诸新闻",
        RIVER_DISTRICT,
        start + timedelta(minutes=offsets[0]),
        start + timedelta(minutes=25),
    )
    for n, minutes in enumerate(offsets):
        at = start + timedelta(minutes=minutes, seconds=rng.randrange(0, 30) if n else 0)  # first: on time
        spot = rng.choice(_BW_SPOTS)
        fill = {"河": RIVER, "点": spot}
        title = rng.choice(_BW_TITLES).format(**fill)
        parts = [
            rng.choice(_BW_OPEN).format(**fill),
            rng.choice(_BW_SYMPTOMS).format(**fill),
            "，",
            "，".join(rng.sample(_BW_DETAILS, k=rng.randint(1, 3))),
            "。",
        ]
        if rng.random() < 0.3:
            name = T.person_name(rng)
            parts.append(f"我叫{name}，电话{T.mobile_number(rng)}。")
        parts.append(rng.choice(_BW_DEMANDS))
        report = rng.random() < 0.2
        msg = _msg(
            "环境保护",
            "举报" if report else "投诉",
            "negative",
            ("生态环境",),
            title,
            "".join(parts),
            "市生态环境局" if rng.random() < 0.6 else "临湖区人民政府",
            RIVER_DISTRICT,
        )
        if n % 5 in (1, 3):
            inc.items.append(
                make_hotline(rng, at, msg, incident=BLACK_WATER, late_share=0.1, never_share=0.0)
            )
        else:
            inc.items.append(
                make_board_post(
                    rng,
                    at,
                    "board",
                    msg,
                    incident=BLACK_WATER,
                    late_share=0.3,
                    never_share=0.0,
                    edit_share=0.1,
                    delete_share=0.0,
                )
            )
    first_news = start + timedelta(minutes=28)
    inc.items.append(
        make_article(
            rng,
            first_news,
            T.Article(
                "环境保护",
                "negative",
                ("生态环境",),
                "rss",
                f"临湖区{RIVER}突现黑臭 沿岸居民盼尽快治理",
                (
                    f"连日来，不少家住临湖区{RIVER}沿岸的居民向本报反映，河水突然变黑发臭，河面漂浮着大量死鱼。",
                    f"记者来到{RIVER}柳塘新村段看到，河水呈黑褐色，岸边排水口不断有浑浊污水流出，刺鼻的气味在百米外都能闻到。",
                    "“晚上根本不敢开窗，孩子闻了直喊恶心。”居民王女士说。不少居民怀疑上游有企业夜间偷排。",
                    "截至记者发稿时，已有数十名居民通过12345热线和网络留言板反映该问题。",
                    "临湖区相关部门表示，已组织人员赶赴现场排查污染源，并对河水进行取样检测。本报将持续关注。",
                ),
                RIVER_DISTRICT,
                (
                    ("柳**", "终于有人报道了！"),
                    ("陈**", "我们小区也臭了好几天了"),
                    ("匿名", "必须严查偷排企业"),
                ),
            ),
            incident=BLACK_WATER,
            media="云江新闻网",
        )
    )
    follow_up = start + timedelta(hours=6)
    inc.items.append(
        make_article(
            rng,
            follow_up,
            T.Article(
                "环境保护",
                "neutral",
                ("生态环境",),
                "rss",
                f"临湖区：{RIVER}黑臭原因查明 涉事企业被立案调查",
                (
                    f"针对群众反映的{RIVER}黑臭问题，临湖区迅速组织生态环境、水务等部门开展联合排查。",
                    "经查，上游一家企业通过雨水管网违法排放生产废水，执法人员已对其立案调查，并责令立即停产整改。",
                    "目前，相关部门已对受污染河段开展应急清淤和生态补水，预计一周内水质将明显改善。",
                ),
                RIVER_DISTRICT,
                (("刘**", "效率点赞"), ("赵**", "一定要严惩，不能罚款了事")),
            ),
            incident=BLACK_WATER,
            media="云江晚报",
        )
    )
    inc.stages = [
        Stage(inc.starts_at, "首条投诉"),
        Stage(start + timedelta(minutes=17), "投诉明显增多"),
        Stage(inc.ends_at, "投诉高峰"),
        Stage(first_news, "见诸新闻"),
        Stage(follow_up, "官方通报调查进展"),
    ]
    return inc


# --- 2. wage arrears escalating to a threat of gathering ------------------------------------------------------

_WAGE_SCRIPT: tuple[tuple[float, SourceKind, str, str, str], ...] = (
    (
        10,
        "board",
        "求助",
        "{工地}拖欠农民工工资，盼领导帮忙",
        "领导您好，我们是在{工地}干活的农民工，{承包}已经拖欠我们{人数}多名工人四个月的工资了，一共大概86万元。"
        "包工头说总包方没给钱，总包方说钱早就给了包工头，两边踢皮球。大家都是靠这点工钱养家的，恳请领导帮帮我们。",
    ),
    (
        25,
        "hotline",
        "投诉",
        "{工地}拖欠四十余名工人工资",
        "来电人反映：其与{人数}多名工友在高新区{工地}务工，施工单位{承包}拖欠工资四个月约86万元，"
        "多次讨要未果，包工头现已联系不上，请求相关部门督促支付。",
    ),
    (
        45,
        "board",
        "投诉",
        "翡翠湾二期欠薪四个月，包工头失联",
        "{工地}的包工头已经失联一个星期了，电话打不通，人也找不到。我们{人数}多个工人四个月没拿到一分钱，"
        "有的工友连房租都交不起了。劳动监察说在调查，可调查到什么时候？请政府给个准话。",
    ),
    (
        70,
        "gbk_board",
        "求助",
        "西山县在外务工人员被拖欠工资求助",
        "县长您好，我们是西山县桃源镇在云江高新区{工地}打工的村民，一共十几个人，被{承包}拖欠四个月工资。"
        "家里老人孩子都等着这笔钱，请县里帮我们跟高新区那边协调一下，谢谢！",
    ),
    (
        100,
        "board",
        "投诉",
        "再不发工资我们就去市政府讨说法",
        "{工地}欠薪的事反映了好几次都没有结果，我们已经等不下去了。工友们商量好了，这周再不发工资，"
        "我们就一起到市政府讨说法，不是我们想闹，是实在没办法了！",
    ),
    (
        130,
        "hotline",
        "投诉",
        "{工地}工人欲到市政府聚集讨薪",
        "来电人反映：{工地}欠薪问题一直未解决，工人情绪激动，{人数}多人商量明天上午到市政府门口聚集讨薪，"
        "来电人希望政府在此之前出面协调解决，避免事态扩大。",
    ),
    (
        160,
        "board",
        "投诉",
        "43名工人明早到市政府门口集体讨薪",
        "通知各位工友：明天早上八点在{工地}门口集合，一起坐车去市政府。四个月的血汗钱，今天不给个说法，"
        "我们就在市政府门口不走了！拉横幅的工友提前准备好。",
    ),
    (
        190,
        "board",
        "求助",
        "农民工讨薪无门，恳请市领导过问",
        "我叫{姓名}，是{工地}的钢筋工，电话{手机}。我们{人数}多人被欠薪四个月，找了劳动监察、住建、街道都没用，"
        "大家已经决定集体上访。恳请市领导亲自过问，我们只要自己的血汗钱！",
    ),
)


def _wage_arrears(rng: random.Random, start: datetime) -> Incident:
    inc = Incident(
        WAGE_ARREARS,
        "欠薪",
        f"{SITE_DISTRICT}{SITE}43名工人被拖欠工资，由求助逐步升级为到市政府聚集的威胁",
        SITE_DISTRICT,
        start + timedelta(minutes=_WAGE_SCRIPT[0][0]),
        start + timedelta(minutes=_WAGE_SCRIPT[-1][0]),
    )
    for n, (minutes, source, request_type, title, body) in enumerate(_WAGE_SCRIPT):
        at = start + timedelta(minutes=minutes, seconds=rng.randrange(0, 40) if n else 0)
        fill = {
            "工地": SITE,
            "承包": CONTRACTOR,
            "人数": "四十",
            "姓名": T.person_name(rng),
            "手机": T.mobile_number(rng),
        }
        content = body.format(**fill)
        msg = _msg(
            "劳动和社会保障",
            request_type,
            "negative",
            ("欠薪",),
            title.format(**fill),
            content,
            "市人力资源和社会保障局",
            "西山县" if source == "gbk_board" else SITE_DISTRICT,
            "{手机}" in body,
        )
        if source == "hotline":
            inc.items.append(
                make_hotline(rng, at, msg, incident=WAGE_ARREARS, late_share=0.3, never_share=0.0)
            )
        else:
            inc.items.append(
                make_board_post(
                    rng,
                    at,
                    source,
                    msg,
                    incident=WAGE_ARREARS,
                    late_share=0.4,
                    never_share=0.0,
                    edit_share=0.0,
                    delete_share=0.0,
                )
            )
    resolved = start + timedelta(hours=20)
    inc.items.append(
        make_article(
            rng,
            resolved,
            T.Article(
                "劳动和社会保障",
                "positive",
                ("欠薪",),
                "rss",
                "高新区协调化解翡翠湾二期项目欠薪问题 首批工资发放到位",
                (
                    f"针对{SITE}拖欠农民工工资问题，高新区连夜召开协调会，人社、住建、公安等部门联合督办。",
                    "经协调，总包单位先行垫付工人工资，首批30余名工人的工资已发放到位，其余款项将于三日内付清。",
                    "高新区人社部门提醒，劳动者遇到欠薪问题请通过合法途径维权，可拨打12345热线或到劳动监察大队投诉。",
                ),
                SITE_DISTRICT,
                (("王**", "早该这样了"), ("李**", "要严查恶意欠薪的包工头")),
            ),
            incident=WAGE_ARREARS,
            media="云江新闻网",
        )
    )
    inc.stages = [
        Stage(inc.starts_at, "工人求助"),
        Stage(start + timedelta(minutes=45), "包工头失联，情绪升温"),
        Stage(start + timedelta(minutes=100), "扬言到市政府讨说法"),
        Stage(start + timedelta(minutes=130), "相约到市政府聚集"),
        Stage(resolved, "协调解决见报"),
    ]
    return inc


# --- 3. one post copied across the board and the hotline ----------------------------------------------------

_DUP_TEXT = (
    "尊敬的领导：我们是{楼盘}的业主，合同约定去年12月底交房，开发商{开发商}一拖再拖，至今已经延期一年多。"
    "工地现场基本停工，只有零星几个工人。我们每个月要还四五千的房贷，还要在外面租房，生活压力非常大。"
    "多次找开发商，对方只说资金紧张、正在想办法。恳请政府出面督促开发商尽快复工交房，保障购房者的合法权益！"
)
# (minutes after start, source, edits applied to the original text)
_DUP_COPIES: tuple[tuple[float, SourceKind, tuple[tuple[str, str], ...]], ...] = (
    (15, "board", ()),
    (
        17,
        "hotline",
        (
            ("尊敬的领导：我们是", "来电人反映：其为"),
            ("一年多", "一年多了"),
            ("四五千", "四千多"),
            ("恳请政府", "请求政府"),
        ),
    ),
    (
        33,
        "board",
        (
            ("尊敬的领导：", "领导您好！"),
            ("零星几个工人", "零星两三个工人"),
            ("保障购房者的合法权益！", "维护我们业主的合法权益，谢谢！"),
        ),
    ),
)


def _near_duplicate(rng: random.Random, start: datetime) -> Incident:
    inc = Incident(
        NEAR_DUPLICATE,
        "近似重复",
        f"{ESTATE}延期交房的同一帖文（小幅改动）先后出现在留言板和12345热线",
        ESTATE_DISTRICT,
        start + timedelta(minutes=_DUP_COPIES[0][0]),
        start + timedelta(minutes=_DUP_COPIES[-1][0]),
    )
    original = _DUP_TEXT.format(楼盘=ESTATE, 开发商=DEVELOPER)
    titles = (f"{ESTATE}延期交房一年多，恳请政府督促", f"{ESTATE}延期交付问题", f"{ESTATE}业主盼早日交房")
    for (minutes, source, edits), title in zip(_DUP_COPIES, titles, strict=True):
        text = original
        for old, new in edits:
            text = text.replace(old, new)
        at = start + timedelta(minutes=minutes)
        msg = _msg(
            "城乡建设",
            "投诉",
            "negative",
            ("房地产市场",),
            title,
            text,
            "市住房和城乡建设局",
            ESTATE_DISTRICT,
        )
        if source == "hotline":
            inc.items.append(make_hotline(rng, at, msg, incident=NEAR_DUPLICATE, never_share=0.0))
        else:
            inc.items.append(
                make_board_post(
                    rng,
                    at,
                    source,
                    msg,
                    incident=NEAR_DUPLICATE,
                    never_share=0.0,
                    edit_share=0.0,
                    delete_share=0.0,
                )
            )
    inc.stages = [
        Stage(inc.starts_at, "留言板首发"),
        Stage(start + timedelta(minutes=17), "热线出现近似诉求"),
        Stage(inc.ends_at, "留言板再次出现改写版本"),
    ]
    return inc


def build_incidents(seed: int, start: datetime) -> list[Incident]:
    out = []
    for key, builder in (
        (BLACK_WATER, _black_water),
        (WAGE_ARREARS, _wage_arrears),
        (NEAR_DUPLICATE, _near_duplicate),
    ):
        rng = random.Random(f"yunjiang/{seed}/incident/{key}")
        out.append(builder(rng, start))
    return out
