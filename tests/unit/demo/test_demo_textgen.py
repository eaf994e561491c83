"""The demo's text generator: valid personal data, varied wording, realistic proportions, full coverage of
the topic classes and focus areas, GBK-safe text, and determinism for a seed."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date

import pytest

from demo import textgen as T
from demo.newsbank import STORIES
from demo.phrases import BANKS

TOPIC_CLASSES = {
    "城乡建设",
    "环境保护",
    "交通运输",
    "教育文体",
    "劳动和社会保障",
    "卫生计生",
    "商贸旅游",
    "农村农业",
    "政法",
    "民政",
    "党务政务",
    "经济管理",
    "纪检监察",
    "国土资源",
    "科技与信息产业",
}
FOCUS_AREAS = {
    "减税降费",
    "金融安全",
    "生态环境",
    "脱贫攻坚",
    "教育改革",
    "食品药品",
    "卫生健康",
    "养老服务",
    "社会保障",
    "社会治安",
    "房地产市场",
    "征地拆迁",
    "欠薪",
}
DAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def messages() -> list[T.Message]:
    rng = random.Random("unit")
    return [
        T.compose_message(rng, DAY, channel=("hotline", "board", "gbk_board")[i % 3]) for i in range(3000)
    ]


@pytest.mark.parametrize(
    ("first17", "check"),
    [("11010519491231002", "X"), ("44052418800101001", "4"), ("33010219800101123", "X")],
)
def test_id_checksum_matches_gb11643(first17: str, check: str):
    assert T.id_checksum(first17) == check


def test_generated_ids_phones_and_masks_are_well_formed():
    rng = random.Random(1)
    for _ in range(200):
        number = T.id_number(rng)
        assert re.fullmatch(r"\d{17}[\dX]", number) and T.id_checksum(number[:17]) == number[17]
        assert re.fullmatch(r"1[3-9]\d{9}", T.mobile_number(rng))
        assert re.fullmatch(r"0571-8\d{7}", T.landline_number(rng))
    assert T.masked_name("张三丰") == "张**" and T.masked_name("李四") == "李**"


def test_texts_do_not_repeat(messages: list[T.Message]):
    contents = [m.content for m in messages]
    assert len(set(contents[:300])) == 300  # two days' worth of citizen messages: all different
    assert len(set(contents)) >= 0.997 * len(contents)
    # and not one template per topic: many distinct openings within one topic and type
    complaints = [m.content for m in messages if m.topic == "城乡建设" and m.request_type == "投诉"]
    assert len({c[:12] for c in complaints}) > len(complaints) * 0.5


def test_request_type_proportions(messages: list[T.Message]):
    share = {k: v / len(messages) for k, v in Counter(m.request_type for m in messages).items()}
    assert 0.38 <= share["投诉"] + share.get("举报", 0) <= 0.52
    assert 0.20 <= share["咨询"] <= 0.31
    assert 0.07 <= share["建议"] <= 0.14
    assert 0.05 <= share["求助"] <= 0.12
    assert 0.04 <= share["表扬"] <= 0.10
    sentiments = {m.request_type: m.sentiment for m in messages}
    assert (
        sentiments["投诉"] == "negative"
        and sentiments["表扬"] == "positive"
        and sentiments["咨询"] == "neutral"
    )


def test_every_topic_class_and_focus_area_occurs(messages: list[T.Message]):
    assert {b.name for b in BANKS} == TOPIC_CLASSES
    assert {m.topic for m in messages} == TOPIC_CLASSES
    tags = {t for m in messages for t in m.tags} | {t for s in STORIES for t in s.tags}
    assert tags == FOCUS_AREAS


def test_districts_and_departments(messages: list[T.Message]):
    assert {m.district for m in messages} == {
        "江北区",
        "江南区",
        "临湖区",
        "高新区",
        "东城区",
        "西山县",
        "青石县",
    }
    assert {m.district for m in messages[2::3]} == {
        "西山县",
        "青石县",
    }  # the GBK board is the counties' board
    assert all(m.dept for m in messages)


def test_some_messages_carry_personal_data(messages: list[T.Message]):
    with_pd = [m for m in messages if m.has_personal_data]
    assert 0.15 < len(with_pd) / len(messages) < 0.30
    joined = "\n".join(m.content for m in with_pd)
    assert re.search(r"1[3-9]\d{9}", joined)
    assert re.search(r"0571-8\d{7}", joined)
    ids = re.findall(r"\d{17}[\dX]", joined)
    assert ids and all(T.id_checksum(i[:17]) == i[17] for i in ids)
    assert re.search(r"我叫|联系人|先生|女士", joined)
    assert not any(re.search(r"1[3-9]\d{9}", m.content) for m in messages if not m.has_personal_data)


def test_hotline_is_written_up_by_operators_and_boards_by_citizens(messages: list[T.Message]):
    hotline = messages[0::3]
    assert all(m.content.startswith(("市民来电", "来电人")) for m in hotline)
    assert not any(m.content.startswith(("市民来电", "来电人")) for m in messages[1::3])


def test_all_text_is_gbk_safe(messages: list[T.Message]):
    rng = random.Random(2)
    texts = [m.title + m.content for m in messages]
    texts += [
        T.compose_reply(rng, m.request_type, m.dept, m.district, m.subject, DAY, hotline=False)
        for m in messages[:300]
    ]
    for text in texts:
        text.encode("gbk")  # raises if a character is missing from GBK


def test_no_placeholder_survives(messages: list[T.Message]):
    rng = random.Random(3)
    articles = [T.compose_article(rng, DAY) for _ in range(300)]
    for text in [m.content + m.title for m in messages] + ["".join(a.paragraphs) + a.title for a in articles]:
        assert "{" not in text and "}" not in text


def test_news_is_mostly_neutral_or_positive():
    rng = random.Random(4)
    moods = Counter(T.compose_article(rng, DAY).sentiment for _ in range(1000))
    assert 0.08 < moods["negative"] / 1000 < 0.25
    assert moods["positive"] > moods["negative"] and moods["neutral"] > moods["negative"]


def test_same_seed_same_text():
    a = T.compose_message(random.Random(9), DAY, channel="board")
    b = T.compose_message(random.Random(9), DAY, channel="board")
    assert a == b


def test_punctuation_and_self_introductions_read_right(messages: list[T.Message]):
    for m in messages:
        assert not re.search(r"。。|，。|？。|，，|^，", m.content), m.content
        assert not re.search(r"我是.{2,12}，我们是|我们是.{2,12}，我是", m.content), m.content
