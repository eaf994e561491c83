"""analysis.schemes: AND of OR-groups, exclusions, /regex/ terms, always-alert, highlighting terms."""

from __future__ import annotations

import pytest

from analysis.schemes import SchemeMatcher
from core.levels import Level
from core.settings import Scheme


def _matcher(*schemes: Scheme) -> SchemeMatcher:
    return SchemeMatcher(list(schemes))


GATHERING = Scheme(
    name="群体性事件苗头",
    groups={"主体": ["农民工", "工人", "业主"], "事件": ["聚集", "拉横幅", "/到市政府(门口)?(去)?/"]},
    exclude=["演练"],
    always_alert=True,
    level="II",
)
WATER = Scheme(name="黑臭水体", groups={"地域": ["江北区", "河"], "事件": ["黑臭", "发臭"]}, level="III")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("三十多名农民工说明天要到市政府门口拉横幅", ["群体性事件苗头"]),
        ("业主们在售楼处聚集", ["群体性事件苗头"]),
        ("农民工工资还没发", []),  # 主体 without 事件: one group is not enough
        ("明天到市政府门口聚集", []),  # 事件 without 主体
        ("消防演练时工人在广场聚集", []),  # excluded
        ("江北区的河水发臭", ["黑臭水体"]),
        ("河道黑臭，工人拉横幅到市政府去", ["群体性事件苗头", "黑臭水体"]),
        ("ＡＢＣ", []),
    ],
)
def test_and_of_or_groups_with_exclusion(text: str, expected: list[str]) -> None:
    hits = _matcher(GATHERING, WATER).match(text)
    assert [h.scheme for h in hits] == expected


def test_hit_carries_matched_terms_as_they_occur_in_the_text() -> None:
    (hit,) = _matcher(GATHERING).match("工人们说要到市政府门口去讨薪")
    # the regex term is reported as the text it matched, so the dashboard can highlight it
    assert hit.terms == ("工人", "到市政府门口去")
    assert hit.always_alert is True
    assert hit.level is Level.II
    assert hit.to_json() == {
        "scheme": "群体性事件苗头",
        "terms": ["工人", "到市政府门口去"],
        "always_alert": True,
        "level": "II",
    }


def test_full_width_and_case_are_folded_but_terms_keep_the_original_spelling() -> None:
    matcher = _matcher(Scheme(name="x", groups={"g": ["P2P", "abc"]}))
    (hit,) = matcher.match("某ｐ２ｐ平台跑路了")
    assert hit.terms == ("ｐ２ｐ",)


def test_regex_exclusion_and_disabled_schemes() -> None:
    scheme = Scheme(name="x", groups={"g": ["爆炸"]}, exclude=["/演练|科普/"])
    disabled = Scheme(name="off", groups={"g": ["爆炸"]}, enabled=False)
    matcher = _matcher(scheme, disabled)
    assert matcher.match("化工厂发生爆炸") and matcher.match("化工厂发生爆炸")[0].scheme == "x"
    assert matcher.match("爆炸应急演练") == []


def test_overlapping_terms_in_one_group_are_all_found() -> None:
    matcher = _matcher(Scheme(name="x", groups={"g": ["拖欠工资", "工资"]}))
    (hit,) = matcher.match("老板拖欠工资")
    assert set(hit.terms) == {"拖欠工资", "工资"}


def test_repository_schemes_load_and_match(app_config) -> None:  # type: ignore[no-untyped-def]
    matcher = SchemeMatcher.from_config(app_config.schemes)
    names = {h.scheme for h in matcher.match("工地上三十多名农民工被拖欠工资，扬言要到市政府门口拉横幅")}
    assert {"群体性事件苗头", "欠薪讨薪"} <= names
    assert matcher.match("今天天气很好") == []


def test_ten_thousand_keywords_in_one_automaton() -> None:
    terms = [f"关键词{i:05d}" for i in range(10_000)]
    matcher = _matcher(Scheme(name="big", groups={"g": terms}))
    assert matcher.keyword_count == 10_000
    assert matcher.match("文本里有关键词09999和别的")[0].terms == ("关键词09999",)
    assert matcher.match("没有命中") == []
