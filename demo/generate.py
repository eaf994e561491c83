"""Turns composed texts into items with planned futures: a day's worth of hotline orders, board posts and
news articles for one seed, each with its replies, status changes, edits and deletions at their own times.

A day is generated from its own random stream (seed, date, source), so it does not matter when it is built.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from demo import textgen as T
from demo import vocab as V
from demo.model import (
    BoardPost,
    Change,
    HotlineOrder,
    NewsArticle,
    SourceKind,
    Truth,
    add_workdays,
    is_workday,
    local_date,
    local_midnight,
)
from demo.newsbank import STORIES, Story

# Items a day on an ordinary working day (about 150 in all; weekends are quieter).
DAILY_BASE: dict[SourceKind, int] = {"hotline": 85, "board": 38, "gbk_board": 10, "news": 17}
WEEKEND_FACTOR: dict[SourceKind, float] = {"hotline": 0.75, "board": 0.8, "gbk_board": 0.7, "news": 0.55}
HOUR_WEIGHTS_CITIZEN = (
    0.3,
    0.2,
    0.1,
    0.1,
    0.1,
    0.2,
    0.5,
    1.2,
    2.5,
    3.5,
    3.6,
    3.0,
    2.0,
    2.2,
    3.2,
    3.4,
    3.0,
    2.4,
    1.8,
    1.6,
    1.5,
    1.3,
    0.9,
    0.5,
)
HOUR_WEIGHTS_NEWS = (
    0.1,
    0.0,
    0.0,
    0.0,
    0.0,
    0.1,
    0.6,
    1.5,
    2.5,
    3.0,
    3.0,
    2.5,
    1.5,
    1.5,
    2.2,
    2.5,
    2.5,
    2.2,
    1.5,
    1.2,
    1.5,
    1.2,
    0.6,
    0.2,
)
WORK_START, WORK_END = 9 * 60, 17 * 60 + 30
BOARD_REPLY_DAYS = 7  # board posts must be answered within 7 working days

EDIT_SUPPLEMENTS = (
    "\n【补充】今天又去看了一下，情况没有任何变化。",
    "\n【补充说明】具体位置在{路}一侧，方便工作人员核实。",
    "\n【更正】上文时间有误，应为上个月中旬。",
    "\n补充：已向社区反映，社区让继续在平台上留言。",
    "\n【补充】问题比之前更严重了，请尽快处理！",
)
NEWS_CATEGORY = {
    "城乡建设": "民生",
    "环境保护": "民生",
    "交通运输": "民生",
    "教育文体": "教育",
    "劳动和社会保障": "民生",
    "卫生计生": "民生",
    "商贸旅游": "文旅",
    "农村农业": "区县",
    "政法": "社会",
    "民政": "民生",
    "党务政务": "时政",
    "经济管理": "经济",
    "纪检监察": "时政",
    "国土资源": "区县",
    "科技与信息产业": "经济",
}


def day_rng(seed: int, day: date, stream: str) -> random.Random:
    # str seeds are hashed with SHA-512 by random.seed(version=2): stable across processes and platforms.
    return random.Random(f"yunjiang/{seed}/{day.isoformat()}/{stream}")


def day_count(rng: random.Random, source: SourceKind, day: date) -> int:
    base = DAILY_BASE[source] * (1.0 if is_workday(day) else WEEKEND_FACTOR[source])
    return max(1, round(base * rng.uniform(0.85, 1.15)))


def publish_times(rng: random.Random, day: date, count: int, news: bool) -> list[datetime]:
    weights = HOUR_WEIGHTS_NEWS if news else HOUR_WEIGHTS_CITIZEN
    hours = rng.choices(range(24), weights=weights, k=count)
    midnight = local_midnight(day)
    return sorted((midnight + timedelta(hours=h, seconds=rng.randrange(3600))).astimezone(UTC) for h in hours)


def day_items(seed: int, day: date, source: SourceKind) -> list[HotlineOrder | BoardPost | NewsArticle]:
    """Every item of `source` due on local date `day`, in publication order."""
    rng = day_rng(seed, day, source)
    count = day_count(rng, source, day)
    items: list[HotlineOrder | BoardPost | NewsArticle] = []
    stories = news_lineup(rng, day, count) if source == "news" else []
    for n, at in enumerate(publish_times(rng, day, count, news=source == "news")):
        if source == "hotline":
            items.append(make_hotline(rng, at, T.compose_message(rng, day, channel="hotline")))
        elif source == "news":
            items.append(make_article(rng, at, T.compose_article(rng, day, stories[n])))
        else:
            items.append(make_board_post(rng, at, source, T.compose_message(rng, day, channel=source)))
    return items


def news_lineup(rng: random.Random, day: date, count: int) -> list[Story]:
    """The day's stories, none twice: a story with a fixed title runs at most once a week, one whose title
    names places or numbers every other day (so a reader never sees yesterday's headline again)."""
    ordinal = day.toordinal()
    fixed = [st for i, st in enumerate(STORIES) if "{" not in st.title and (i + ordinal) % 7 == 0]
    templated = [st for i, st in enumerate(STORIES) if "{" in st.title and (i + ordinal) % 2 == 0]
    negative = [st for st in fixed + templated if st.sentiment == "negative"]
    others = [st for st in fixed + templated if st.sentiment != "negative"]
    rng.shuffle(negative)
    rng.shuffle(others)
    wanted_negative = min(len(negative), round(count * 0.15))
    lineup = negative[:wanted_negative] + others[: count - wanted_negative]
    while len(lineup) < count:  # a very busy day: reuse templated stories with other places
        lineup.append(rng.choice([st for st in STORIES if "{" in st.title]))
    rng.shuffle(lineup)
    return lineup


# --- hotline -----------------------------------------------------------------------------------------------


def hotline_deadline(request_type: str, at: datetime) -> datetime:
    """The response limit of config/timers.yaml: 求助 2 hours, 咨询 1 working day, others 5 working days."""
    if request_type == "求助":
        return at + timedelta(hours=2)
    return add_workdays(at, 1 if request_type == "咨询" else 5, WORK_END)


def make_hotline(
    rng: random.Random,
    at: datetime,
    msg: T.Message,
    *,
    incident: str | None = None,
    late_share: float = 0.15,
    never_share: float = 0.04,
) -> HotlineOrder:
    expected = hotline_deadline(msg.request_type, at)
    changes: list[Change] = []
    progress_at = at + timedelta(minutes=rng.uniform(8, 150))
    close_at: datetime | None
    late = rng.random() < late_share
    if rng.random() < never_share:
        close_at = None
    elif msg.request_type == "求助":
        close_at = at + timedelta(hours=rng.uniform(2.5, 30) if late else rng.uniform(0.4, 1.9))
    elif msg.request_type == "咨询" and not late and rng.random() < 0.4:
        close_at = at + timedelta(minutes=rng.uniform(20, 240))
    else:
        limit = 1 if msg.request_type == "咨询" else 5
        days = rng.randint(limit + 1, limit + 7) if late else rng.randint(1, limit)
        close_at = add_workdays(at, days, rng.randrange(WORK_START, WORK_END))
    if close_at is not None and close_at <= progress_at:
        progress_at = at + (close_at - at) / 3
    changes.append(Change(progress_at, "progress"))
    if close_at is not None:
        reply = T.compose_reply(
            rng, msg.request_type, msg.dept, msg.district, msg.subject, local_date(close_at), hotline=True
        )
        changes.append(Change(close_at, "close", text=reply, unit=msg.dept))
    street = rng.choice(V.STREETS[msg.district])
    return HotlineOrder(
        source="hotline",
        publish_at=at,
        truth=Truth(msg.topic, msg.request_type, msg.sentiment, msg.tags, incident, msg.has_personal_data),
        title=msg.title,
        content=msg.content,
        region=msg.district,
        changes=changes,
        request_type=msg.request_type,
        dept=msg.dept,
        address=f"{V.CITY}{msg.district}{street}",
        service_code=V.SERVICE_CODES[msg.topic],
        expected_at=expected,
    )


# --- boards ------------------------------------------------------------------------------------------------


def board_author(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.75:
        return T.masked_name(T.person_name(rng))
    if roll < 0.87:
        return "匿名网友"
    phone = T.mobile_number(rng)
    return f"{phone[:3]}****{phone[-4:]}"


def board_target(rng: random.Random, source: SourceKind, msg: T.Message) -> str:
    if source == "gbk_board":
        return rng.choice(V.COUNTY_LEADERS.get(msg.district, V.COUNTY_LEADERS["西山县"]))
    aliases = V.DEPARTMENTS.get(msg.dept, ())
    if aliases and rng.random() < 0.2:
        return rng.choice(aliases)
    return msg.dept


def reply_unit(rng: random.Random, source: SourceKind, msg: T.Message) -> str:
    if source == "gbk_board" and rng.random() < 0.5:
        return rng.choice(V.COUNTY_OFFICES.get(msg.district, V.COUNTY_OFFICES["西山县"]))
    return msg.dept


def make_board_post(
    rng: random.Random,
    at: datetime,
    source: SourceKind,
    msg: T.Message,
    *,
    incident: str | None = None,
    author: str | None = None,
    late_share: float = 0.15,
    never_share: float = 0.05,
    edit_share: float = 0.05,
    delete_share: float = 0.015,
) -> BoardPost:
    deadline = add_workdays(at, BOARD_REPLY_DAYS, WORK_END)
    changes: list[Change] = []
    reply_at: datetime | None = None
    roll = rng.random()
    if roll >= never_share:
        if roll < never_share + late_share:
            days = rng.randint(BOARD_REPLY_DAYS + 1, BOARD_REPLY_DAYS + 7)
        else:
            days = rng.choices(range(1, BOARD_REPLY_DAYS + 1), weights=(3, 5, 5, 4, 3, 2, 1))[0]
        reply_at = add_workdays(at, days, rng.randrange(WORK_START, WORK_END))
    if rng.random() < edit_share:
        edit_at = at + timedelta(minutes=rng.uniform(15, 30 * 60))
        if reply_at is not None and edit_at >= reply_at:
            edit_at = at + (reply_at - at) / 2
        slots = T.Slots(rng, msg.district, local_date(edit_at), msg.dept)
        changes.append(
            Change(edit_at, "edit", text=msg.content + T.fill(rng.choice(EDIT_SUPPLEMENTS), slots))
        )
    if reply_at is not None:
        unit = reply_unit(rng, source, msg)
        text = T.compose_reply(
            rng, msg.request_type, unit, msg.district, msg.subject, local_date(reply_at), hotline=False
        )
        changes.append(Change(reply_at, "reply", text=text, unit=unit))
    if rng.random() < delete_share:
        changes.append(Change(at + timedelta(minutes=rng.uniform(60, 72 * 60)), "delete"))
    changes.sort(key=lambda c: c.at)
    return BoardPost(
        source=source,
        publish_at=at,
        truth=Truth(msg.topic, msg.request_type, msg.sentiment, msg.tags, incident, msg.has_personal_data),
        title=msg.title,
        content=msg.content,
        region=msg.district,
        changes=changes,
        author=author or board_author(rng),
        target=board_target(rng, source, msg),
        deadline=deadline,
    )


# --- news --------------------------------------------------------------------------------------------------


def reporter(rng: random.Random) -> str:
    first = rng.choice(V.REPORTER_SURNAMES) + "".join(
        rng.choice(V.GIVEN_CHARS) for _ in range(rng.randint(1, 2))
    )
    if rng.random() < 0.4:
        second = T.person_name(rng)
        return f"记者 {first} 通讯员 {second}"
    return f"记者 {first}"


def make_article(
    rng: random.Random,
    at: datetime,
    article: T.Article,
    *,
    incident: str | None = None,
    media: str | None = None,
) -> NewsArticle:
    pool = V.MEDIA_ATOM if article.channel == "atom" else V.MEDIA_RSS
    return NewsArticle(
        source="news",
        publish_at=at,
        truth=Truth(article.topic, "新闻", article.sentiment, article.tags, incident),
        title=article.title,
        content="\n".join(article.paragraphs),
        region=article.district,
        media=media or rng.choice(pool),
        author=reporter(rng),
        channel=article.channel,
        category=NEWS_CATEGORY.get(article.topic, "民生"),
        paragraphs=article.paragraphs,
        comments=article.comments,
    )
