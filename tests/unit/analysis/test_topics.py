"""Topics: clear examples of every level-1 class, focus-area tags, keyword hints, loading once."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from analysis.topics import SHIPPED_TOPIC, TopicModel, TopicResult
from core.settings import TOPIC_CLASSES, FocusTag, TopicClass, TopicsFile

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def topics_file() -> TopicsFile:
    return TopicsFile.model_validate(
        yaml.safe_load((REPO / "config" / "topics.yaml").read_text(encoding="utf-8"))
    )


@pytest.fixture(scope="module")
def model(topics_file: TopicsFile) -> TopicModel:
    return TopicModel.load(topics_file)


CLEAR_EXAMPLES = {
    "城乡建设": ["小区电梯坏了一个月，物业一直不修", "暖气片不热，屋里只有十五度", "楼顶漏水，墙面都发霉了"],
    "环境保护": ["化工厂晚上往河里偷排污水", "饭店油烟直排，熏得没法开窗", "搅拌站粉尘太大，周边全是灰"],
    "交通运输": ["公交车班次太少，等车要半小时", "路口红绿灯坏了，车辆乱成一团", "出租车司机拒载还绕路"],
    "教育文体": [
        "学校老师在校外办补习班",
        "孩子上小学的学位不够，被分到很远的学校",
        "幼儿园报名需要什么材料",
    ],
    "劳动和社会保障": ["老板拖欠了我们三个月工资", "公司不给员工缴纳社保", "工伤认定一直没有结果"],
    "卫生计生": ["医院挂号太难，排了两个小时", "社区医院没有儿科医生", "九价疫苗在哪里可以预约接种"],
    "商贸旅游": ["健身房办了卡就关门跑路了", "景区门票乱涨价，导游强制购物", "超市卖过期食品，不给退"],
    "农村农业": ["土地流转费两年没有给村民", "买到假种子，玉米出苗率很低", "种粮补贴什么时候发放"],
    "政法": [
        "电动车在小区被偷，报警后没有消息",
        "被电信诈骗骗了两万元，派出所不立案",
        "请问身份证丢了怎么补办",
    ],
    "民政": ["低保评定不公平，有车的人也吃低保", "养老院护工虐待老人", "高龄津贴怎么申请"],
    "党务政务": [
        "政务大厅只开一个窗口，排队两个小时",
        "打了好几次12345热线都没有人回复",
        "办个证明来回跑了五趟",
    ],
    "经济管理": [
        "企业贷款太难，银行都要抵押",
        "政府拖欠企业工程款三年",
        "非法集资平台跑路了，投资的钱拿不回来",
    ],
    "纪检监察": ["村干部把扶贫物资分给自己的亲戚", "领导干部公款吃喝，开公车去饭店", "办事人员索要好处费"],
    "国土资源": ["宅基地审批了两年还没批下来", "有人在基本农田上违法建厂房", "后山出现裂缝，担心山体滑坡"],
    "科技与信息产业": [
        "小区手机信号很差，打电话总断",
        "宽带经常掉线，报修没人来",
        "个人信息被泄露，天天接到推销电话",
    ],
}


def test_every_class_has_examples() -> None:
    assert set(CLEAR_EXAMPLES) == set(TOPIC_CLASSES)


@pytest.mark.parametrize(("topic", "text"), [(t, x) for t, texts in CLEAR_EXAMPLES.items() for x in texts])
def test_clear_examples(model: TopicModel, topic: str, text: str) -> None:
    result = model.predict("", text)
    assert result.topic == topic
    assert 0.0 <= result.confidence <= 1.0


def test_confidence_is_higher_for_a_clear_text_than_for_a_vague_one(model: TopicModel) -> None:
    clear = model.predict("电梯故障", "小区电梯坏了一个月，物业一直不修，老人只能爬楼")
    vague = model.predict("", "这个事情希望有人管一管")
    assert clear.confidence > 0.8
    assert vague.confidence < clear.confidence


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("包工头拖欠工资，农民工工资没发", "欠薪"),
        ("开发商延期交付，烂尾楼至今没有交房", "房地产市场"),
        ("外卖吃出问题，疑似食物中毒", "食品药品"),
        ("村里强拆，补偿款也没给", "征地拆迁"),
        ("高息揽储的公司跑路了", "金融安全"),
    ],
)
def test_focus_tags(model: TopicModel, text: str, tag: str) -> None:
    assert tag in model.predict("", text).tags


def test_no_tag_without_its_keywords(model: TopicModel) -> None:
    assert model.predict("", "请问图书馆几点开门").tags == ()


def test_tags_respect_min_hits() -> None:
    topics = TopicsFile(
        classes=[TopicClass(name="民政")],
        tags=[FocusTag(name="节庆", keywords=["锣鼓", "龙舟", "舞狮"], min_hits=2)],
    )
    model = TopicModel.load(topics)
    assert model.predict("", "龙舟赛的锣鼓声很热闹").tags == ("节庆",)
    assert model.predict("", "只有锣鼓声，锣鼓一直响").tags == ()  # one distinct keyword is below min_hits


def test_keyword_hints_break_ties_but_do_not_override_a_confident_model() -> None:
    topics = TopicsFile(classes=[TopicClass(name="民政", keywords=["锣鼓", "龙舟", "电梯"])])
    model = TopicModel.load(topics)
    unsure = "锣鼓喧天的龙舟赛"  # nothing the model knows: low confidence, the hints decide
    assert model.predict_many([("", unsure)], use_keywords=False)[0].topic != "民政"
    assert model.predict("", unsure).topic == "民政"
    confident = "小区电梯坏了一个月，物业一直不修"
    assert model.predict("", confident).topic == "城乡建设"


def test_load_is_cached_per_config_and_predict_reads_no_files(
    model: TopicModel, topics_file: TopicsFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert TopicModel.load(topics_file) is model
    assert TopicModel.load(topics_file, SHIPPED_TOPIC) is model
    other = TopicsFile(classes=[TopicClass(name="民政")])
    assert TopicModel.load(other) is not model

    def no_io(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("file I/O during prediction")

    monkeypatch.setattr(np, "load", no_io)
    monkeypatch.setattr(builtins, "open", no_io)
    monkeypatch.setattr(Path, "open", no_io)
    results = model.predict_many([("", "公交车太挤"), ("投诉", "电梯坏了"), ("", "")])
    assert all(isinstance(r, TopicResult) and r.topic in TOPIC_CLASSES for r in results)
    assert model.predict_many([]) == []
    assert model.version.startswith("gov-topic-")
