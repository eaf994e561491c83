"""Composes citizens' messages, departments' replies and news stories from the phrase banks.

Every text is built from one bank entry plus independent slot choices (greeting, self-introduction, details,
duration, impact, earlier attempts, demand, contact details, closing) with {placeholders} filled by places
and people of the item's district, all drawn from the caller's seeded random.Random.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date

from demo import phrases as P
from demo import vocab as V
from demo.newsbank import COMMENTS_NEGATIVE, COMMENTS_NEUTRAL, COMMENTS_POSITIVE, STORIES, Story

# Hotline and board request types with their share (roughly: complaints/reports 45%, consultations 25%,
# suggestions 10%, help requests 8%, thanks 7%; the rest spread over the same kinds).
REQUEST_TYPES: tuple[str, ...] = ("投诉", "举报", "咨询", "建议", "求助", "表扬")
REQUEST_WEIGHTS: tuple[float, ...] = (0.37, 0.09, 0.27, 0.11, 0.09, 0.07)
SENTIMENT_OF_TYPE = {
    "投诉": "negative",
    "举报": "negative",
    "求助": "negative",
    "咨询": "neutral",
    "建议": "neutral",
    "表扬": "positive",
}

CN_DIGITS = "零一二三四五六七八九十"
FIRST_PERSON = ("我", "本人", "母亲", "父亲", "家里", "孩子", "丈夫", "上个月", "去年")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def cn_number(n: int) -> str:
    """1..99 in Chinese numerals (十二, 二十三)."""
    if n <= 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else CN_DIGITS[tens]
    return head + "十" + (CN_DIGITS[ones] if ones else "")


# --- personal data -------------------------------------------------------------------------------------------


def person_name(rng: random.Random) -> str:
    surname = rng.choice(V.SURNAMES)
    size = 1 if rng.random() < 0.3 else 2
    return surname + "".join(rng.choice(V.GIVEN_CHARS) for _ in range(size))


def masked_name(name: str) -> str:
    """张三丰 -> 张**, as boards show a poster's name."""
    return name[0] + "*" * max(2, len(name) - 1)


def mobile_number(rng: random.Random) -> str:
    return rng.choice(V.MOBILE_PREFIXES) + "".join(str(rng.randrange(10)) for _ in range(8))


def landline_number(rng: random.Random) -> str:
    return f"{V.LANDLINE_AREA}-8" + "".join(str(rng.randrange(10)) for _ in range(7))


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_checksum(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number(rng: random.Random) -> str:
    """An 18-digit resident ID with a valid GB 11643 check character (fictional person)."""
    born = date(rng.randrange(1950, 2004), rng.randrange(1, 13), rng.randrange(1, 29))
    first17 = f"{rng.choice(V.ID_AREAS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + id_checksum(first17)


# --- slot filling ------------------------------------------------------------------------------------------


class Slots(dict[str, str]):
    """Lazily fills {placeholders} for one text: the same name gives the same value within the text,
    a trailing digit ({路2}) asks for a different instance of the same kind."""

    def __init__(self, rng: random.Random, district: str, when: date, dept: str = "") -> None:
        super().__init__()
        self.rng = rng
        self.district = district
        self.when = when
        self.dept = dept

    def __missing__(self, key: str) -> str:
        kind = key.rstrip("0123456789")
        value = self._make(kind)
        if kind != key:
            for _ in range(5):  # {路2} must differ from {路}
                if value != self.get(kind):
                    break
                value = self._make(kind)
        self[key] = value
        return value

    def _make(self, kind: str) -> str:
        rng, d = self.rng, self.district
        pick = rng.choice
        if kind == "区":
            return d
        if kind == "街道":
            return pick(V.STREETS[d])
        if kind == "小区":
            if rng.random() < 0.7:
                return pick(V.COMMUNITIES[d])
            return pick(V.COMMUNITY_HEADS) + pick(V.COMMUNITY_TAILS)
        if kind == "楼":
            n = rng.randrange(1, 32)
            return pick((f"{n}栋", f"{n}幢{rng.randrange(1, 5)}单元", f"{n}号楼"))
        if kind == "路":
            return pick(V.ROADS[d])
        if kind == "村":
            return pick(V.VILLAGES[d])
        if kind == "河":
            return pick(V.RIVERS[d])
        if kind == "公园":
            return pick(V.PARKS[d])
        if kind == "景区":
            return pick(V.SCENIC_SPOTS)
        if kind in ("学校", "小学", "中学"):
            primary = (
                f"{d}实验小学",
                f"{self['街道'][:2]}中心小学",
                f"云江市{pick(('育才', '文昌', '新华', '解放路'))}小学",
            )
            middle = (
                f"云江市第{cn_number(rng.randrange(1, 16))}中学",
                f"{d}{pick(('实验', '外国语', '第二'))}中学",
            )
            options = primary if kind == "小学" else middle if kind == "中学" else primary + middle
            return pick(options)
        if kind == "幼儿园":
            return pick(
                (f"{self['小区']}幼儿园", f"{pick(('阳光', '蓝天', '小太阳', '启智', '童心'))}幼儿园")
            )
        if kind == "医院":
            return pick((*V.HOSPITALS_CITY, f"{d}人民医院", f"{d}中医院"))
        if kind == "卫生院":
            return pick(("卫生院", "社区卫生服务中心"))
        if kind == "社区医院":
            return f"{self['街道']}社区卫生服务中心"
        if kind == "企业":
            return f"云江{pick(V.COMPANY_HEADS)}{pick(V.COMPANY_KINDS_OTHER)}有限公司"
        if kind == "养老院":
            return f"{self['街道'][:2]}{pick(('颐养', '康乐', '福寿', '夕阳红', '松鹤'))}养老院"
        if kind == "物业":
            return f"云江{pick(V.COMPANY_HEADS)}{pick(V.COMPANY_KINDS_PROPERTY)}有限公司"
        if kind == "开发商":
            return f"云江{pick(V.COMPANY_HEADS)}{pick(V.COMPANY_KINDS_DEVELOPER)}有限公司"
        if kind == "建筑公司":
            return f"云江{pick(V.COMPANY_HEADS)}{pick(V.COMPANY_KINDS_BUILD)}有限公司"
        if kind == "楼盘":
            return pick(V.ESTATE_NAMES)
        if kind == "工地":
            return pick(
                (
                    f"{self['楼盘']}项目工地",
                    f"{self['路']}改造工程工地",
                    f"{self['建筑公司']}承建的安置房项目工地",
                )
            )
        if kind == "店":
            return pick(V.SHOP_HEADS) + pick(V.SHOP_KINDS)
        if kind == "市场":
            return f"{self['街道'][:2]}农贸市场"
        if kind == "公交":
            return f"{rng.randrange(1, 130)}路公交车"
        if kind == "时长":
            return pick(("两个多月", "三个月", "半年多", "一年多", "好几个月", "将近一个月", "快两年"))
        if kind == "月":
            return str(rng.randrange(1, 11))
        if kind == "月数":
            return pick(("两", "三", "四", "五", "六"))
        if kind == "人数":
            return pick(("二十", "三十", "四十", "五十", "六十", "八十"))
        if kind == "金额":
            return pick(("十几", "二十多", "三十多", "五十多", "七十多"))
        if kind == "天数":
            return pick(("3", "5", "7", "10"))
        if kind == "数量":
            return str(rng.randrange(3, 13))
        if kind == "个位":  # before 十/百: 三十余, 五百余
            return CN_DIGITS[rng.randrange(2, 10)]
        if kind == "届":
            return cn_number(rng.randrange(30, 40))
        if kind == "户数":
            return str(rng.randrange(12, 98) * 100)
        if kind == "日期":
            return f"{self.when.month}月{self.when.day}日"
        if kind == "姓":
            return pick(V.SURNAMES)
        if kind == "单位":
            return self.dept or pick(tuple(V.DEPARTMENTS))
        if kind == "姓名":
            return person_name(rng)
        if kind == "姓氏":
            return self["姓名"][0]
        if kind == "手机":
            return mobile_number(rng)
        if kind == "座机":
            return landline_number(rng)
        if kind == "身份证":
            return id_number(rng)
        if kind == "座机尾号":
            return "".join(str(rng.randrange(10)) for _ in range(7))
        if kind == "答复要点":
            return pick(P.REPLY_POINTS)
        return key_fallback(kind)


def key_fallback(kind: str) -> str:
    raise KeyError(f"unknown placeholder {{{kind}}} in the demo phrase banks")


def fill(text: str, slots: Slots) -> str:
    return _PLACEHOLDER.sub(lambda m: slots[m.group(1)], text)


def _end(text: str, mark: str = "。") -> str:
    text = text.rstrip("，, ")
    if not text or text[-1] in "。！？!?；":
        return text
    return text + mark


# --- citizens' messages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    topic: str
    request_type: str
    sentiment: str
    tags: tuple[str, ...]
    title: str
    subject: str  # the undecorated title, quoted in replies
    content: str
    dept: str
    district: str
    has_personal_data: bool


def pick_topic(rng: random.Random) -> P.TopicBank:
    return rng.choices(P.BANKS, weights=[b.weight for b in P.BANKS])[0]


def pick_district(rng: random.Random, counties_only: bool = False) -> str:
    if counties_only:
        return rng.choice(V.COUNTIES)
    return rng.choices(V.DISTRICTS, weights=V.DISTRICT_WEIGHTS)[0]


def pick_request_type(rng: random.Random) -> str:
    return rng.choices(REQUEST_TYPES, weights=REQUEST_WEIGHTS)[0]


def responsible_department(rng: random.Random, bank: P.TopicBank, entry: P.Entry, district: str) -> str:
    """The 承办单位: the entry's or topic's department, or the district government for some local matters."""
    if (
        district in V.DISTRICT_GOVERNMENTS
        and bank.name in ("城乡建设", "环境保护", "交通运输", "民政")
        and rng.random() < 0.25
    ):
        return V.DISTRICT_GOVERNMENTS[district]
    return entry.dept or rng.choice(bank.depts)


def _entries(bank: P.TopicBank, request_type: str) -> tuple[P.Entry, ...]:
    return {
        "投诉": bank.complaints,
        "举报": bank.reports or bank.complaints,
        "咨询": bank.consults,
        "建议": bank.suggestions,
        "求助": bank.helps,
        "表扬": bank.thanks,
    }[request_type]


def _title(rng: random.Random, base: str, request_type: str, hotline: bool) -> str:
    if request_type == "举报" and not base.startswith("举报"):
        base = "举报" + base
    if request_type == "投诉":
        return rng.choice((base, base, f"关于{base}的问题", f"{base}，盼解决", f"反映{base}"))
    if request_type == "咨询":
        return base if not hotline else rng.choice((base, base.replace("咨询", "关于", 1) + "的咨询"))
    if request_type == "求助":
        return rng.choice((base, base if base.endswith("求助") else base + "求助"))
    return base


def compose_message(
    rng: random.Random,
    when: date,
    *,
    channel: str,  # "hotline" | "board" | "gbk_board"
    bank: P.TopicBank | None = None,
    request_type: str | None = None,
    district: str | None = None,
    personal_data_share: float = 0.22,
) -> Message:
    bank = bank or pick_topic(rng)
    request_type = request_type or pick_request_type(rng)
    if request_type == "举报" and not bank.reports:
        request_type = "投诉"  # topics without report entries (举报) get complaints
    district = district or pick_district(rng, counties_only=channel == "gbk_board")
    entry = rng.choice(_entries(bank, request_type))
    dept = responsible_department(rng, bank, entry, district)
    slots = Slots(rng, district, when, dept)
    hotline = channel == "hotline"
    parts: list[str] = []
    if hotline:
        parts.append(rng.choice(P.HOTLINE_OPENINGS[request_type]))
    has_pd = rng.random() < personal_data_share
    core = fill(entry.body, slots)
    details = [fill(d, slots) for d in entry.details]
    rng.shuffle(details)
    if request_type in ("投诉", "举报"):
        if not hotline:
            parts.append(fill(rng.choice(P.BOARD_GREETINGS), slots))
            if not core.startswith(FIRST_PERSON):  # "我是…的业主，我们是…" would contradict itself
                parts.append(fill(rng.choice(P.BOARD_INTROS), slots))
        sentence = core
        if details:
            sentence += "，" + "，".join(details[: rng.randint(1, len(details))])
        parts.append(_end(sentence))
        if rng.random() < 0.6:
            parts.append(_end(fill(rng.choice(P.DURATIONS), slots) + "，" + rng.choice(P.IMPACTS)))
        if rng.random() < 0.45:
            parts.append(rng.choice(P.ATTEMPTS))
        parts.append(rng.choice(P.REPORT_DEMANDS if request_type == "举报" else P.DEMANDS))
    elif request_type == "咨询":
        opening = fill(rng.choice(P.CONSULT_OPENINGS), slots)
        if core.startswith("请问") and opening.endswith("请问"):
            opening = opening[: -len("请问")]
        parts.append(opening)
        if not core.startswith(FIRST_PERSON):
            parts.append(fill(rng.choice(P.CONSULT_CONTEXTS), slots))
        parts.append(_end(core, "？"))
        if details:
            parts.append(_end(details[0]))
        parts.append(rng.choice(P.CONSULT_FOLLOW_UPS))
    elif request_type == "建议":
        parts.append(fill(rng.choice(P.SUGGEST_OPENINGS), slots))
        parts.append(fill(rng.choice(P.SUGGEST_BACKGROUNDS), slots))
        parts.append(_end(core))
        parts.append(rng.choice(P.SUGGEST_REASONS))
    elif request_type == "求助":
        parts.append(rng.choice(P.HELP_OPENINGS))
        parts.append(_end("，".join([core, *details[:1]])))
        context = rng.choice(P.HELP_CONTEXTS)
        if context:
            parts.append(context.rstrip("，") + "。")
    else:  # 表扬
        parts.append(fill(rng.choice(P.THANKS_OPENINGS), slots))
        parts.append(_end(core))
        parts.append(fill(rng.choice(P.THANKS_DETAILS), slots))
    if has_pd:
        parts.append(fill(rng.choice(P.CONTACT_CUES), slots))
    if request_type == "求助":
        parts.append(rng.choice(P.HELP_CLOSINGS))
    elif request_type == "表扬":
        parts.append(rng.choice(P.THANKS_CLOSINGS))
    elif request_type == "咨询":
        parts.append(rng.choice(P.CONSULT_CLOSINGS))
    elif not hotline:
        parts.append(rng.choice(P.CLOSINGS))
    content = "".join(p for p in parts if p)
    subject = fill(entry.title, slots)
    title = _title(rng, subject, request_type, hotline)
    return Message(
        topic=bank.name,
        request_type=request_type,
        sentiment=SENTIMENT_OF_TYPE[request_type],
        tags=entry.tags,
        title=title,
        subject=subject,
        content=content,
        dept=dept,
        district=district,
        has_personal_data=has_pd,
    )


def compose_reply(
    rng: random.Random, request_type: str, dept: str, district: str, title: str, when: date, *, hotline: bool
) -> str:
    """A department's answer (答复内容 / 回复内容)."""
    slots = Slots(rng, district, when, dept)
    chosen = [rng.choice(group) for group in P.REPLY_ACTIONS[request_type]]
    greeting = rng.choice(P.REPLY_OPENINGS)
    if greeting in ("网友您好！", "来电人您好："):
        greeting = "来电人您好：" if hotline else "网友您好！"
    lead = {
        "咨询": f"关于您咨询的“{title}”事项，",
        "建议": f"关于您提出的“{title}”建议，",
        "表扬": "您的来信已收悉。",
    }.get(request_type, f"关于您反映的“{title}”一事，")
    parts = [greeting, lead]
    parts.extend(fill(a, slots) for a in chosen if a)
    parts.append(fill(rng.choice(P.REPLY_CLOSINGS), slots))
    return "".join(parts) + f"\n{dept}"


# --- news --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Article:
    topic: str
    sentiment: str
    tags: tuple[str, ...]
    channel: str
    title: str
    paragraphs: tuple[str, ...]
    district: str
    comments: tuple[tuple[str, str], ...]  # (masked reader name, text)


_NEXT_STEPS = (
    "下一步，相关部门将持续跟踪，确保各项措施落到实处。",
    "据悉，相关工作将于年底前全面完成。",
    "市民如有意见建议，可通过12345热线反映。",
    "本报将持续关注。",
    "",
)


def pick_story(rng: random.Random, negative_share: float = 0.15) -> Story:
    negative = [st for st in STORIES if st.sentiment == "negative"]
    others = [st for st in STORIES if st.sentiment != "negative"]
    return rng.choice(negative if rng.random() < negative_share else others)


def compose_article(
    rng: random.Random, when: date, story: Story | None = None, district: str | None = None
) -> Article:
    story = story or pick_story(rng)
    district = district or pick_district(rng)
    slots = Slots(rng, district, when, P.BANK_BY_NAME[story.topic].depts[0])
    paragraphs = [fill(story.lead, slots), *(fill(p, slots) for p in story.body)]
    tail = rng.choice(_NEXT_STEPS)
    if tail:
        paragraphs.append(tail)
    pool = {"positive": COMMENTS_POSITIVE, "neutral": COMMENTS_NEUTRAL, "negative": COMMENTS_NEGATIVE}
    comments: list[tuple[str, str]] = []
    said: set[str] = set()
    for _ in range(rng.randint(0, 5)):
        mood = story.sentiment if rng.random() < 0.7 else rng.choice(("positive", "neutral", "negative"))
        text = fill(rng.choice(pool[mood]), slots)
        if text not in said:  # one reader, one comment; no copy-paste threads
            said.add(text)
            comments.append((masked_name(person_name(rng)), text))
    return Article(
        topic=story.topic,
        sentiment=story.sentiment,
        tags=story.tags,
        channel=story.channel,
        title=fill(story.title, slots),
        paragraphs=tuple(paragraphs),
        district=district,
        comments=tuple(comments),
    )
