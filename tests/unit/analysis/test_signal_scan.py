"""The signal scanner finds exactly what the previous one found: the same signals with the same evidence,
on the project's labeled set, generated corpus text, the risk rules' own words in random combinations, and
texts that contain a regex rule's leading words without matching it."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from analysis import risk
from analysis.corpus.generator import generate
from analysis.risk import SIGNAL_RULES, Signal, SignalRule, detect_signals

REPO = Path(__file__).resolve().parents[3]


class ReferenceScanner:
    """analysis.risk._SignalScanner as it was before leading literals, gates and vetoes went into the
    automaton (commit 057a0e5), kept verbatim as the reference."""

    def __init__(self, rules: Sequence[SignalRule]) -> None:
        import ahocorasick

        self.rules = list(rules)
        self._automaton = ahocorasick.Automaton()
        self._residual: list[re.Pattern[str] | None] = []
        words: dict[str, list[int]] = {}
        for index, rule in enumerate(self.rules):
            structured: list[str] = []
            for alternative in risk._top_level_alternatives(rule.pattern.pattern):
                if alternative and not (risk._META & set(alternative)):
                    words.setdefault(alternative, []).append(index)
                else:
                    structured.append(alternative)
            self._residual.append(re.compile("|".join(structured)) if structured else None)
        for word, indexes in words.items():
            self._automaton.add_word(word, (len(word), tuple(indexes)))
        self._automaton.make_automaton()
        self._index = {rule.code: i for i, rule in enumerate(self.rules)}
        # Rules that others require are evaluated first.
        self._order = sorted(range(len(self.rules)), key=lambda i: self.rules[i].requires is not None)

    def scan(self, text: str) -> list[Signal]:
        hits: dict[int, list[tuple[int, str]]] = {}
        for end, (length, indexes) in self._automaton.iter(text):
            start = end - length + 1
            for index in indexes:
                hits.setdefault(index, []).append((start, text[start : end + 1]))
        for index in self._order:
            residual = self._residual[index]
            if residual is None:
                continue
            rule = self.rules[index]
            if rule.requires is not None and self._index[rule.requires] not in hits:
                continue
            if rule.gate and not any(word in text for word in rule.gate):
                continue
            for m in residual.finditer(text):
                if m.end() > m.start():
                    hits.setdefault(index, []).append((m.start(), m.group()))
        found: list[Signal] = []
        for index in sorted(hits):
            rule = self.rules[index]
            if rule.veto is not None and rule.veto.search(text):
                continue
            evidence = tuple(dict.fromkeys(word for _, word in sorted(hits[index])))[:5]
            found.append(Signal(rule.code, rule.points, rule.label, evidence))
        return found


_REFERENCE = ReferenceScanner(SIGNAL_RULES)


def reference_signals(text: str) -> list[Signal]:
    """detect_signals() with the reference scanner."""
    found = _REFERENCE.scan(text)
    codes = {s.code for s in found}
    dropped = {weak for strong, weaker in risk._SUPERSEDES.items() if strong in codes for weak in weaker}
    return [s for s in found if s.code not in dropped]


def _gov_texts() -> list[str]:
    with (REPO / "bench" / "data" / "gov_eval.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [f"{r['title']}\n{r['content']}" for r in rows]


def _rule_words() -> list[str]:
    """Every literal piece of every rule: signal words, leading literals, gates, vetoes, count words."""
    words: set[str] = set()
    for rule in SIGNAL_RULES:
        patterns = [rule.pattern.pattern] + ([rule.veto.pattern] if rule.veto is not None else [])
        for pattern in patterns:
            words.update(w for w in re.split(r"[\\.^$*+?{}\[\]()|<=!:]+", pattern) if w)
        words.update(rule.gate)
    return sorted(words)


# Phrases that match the rules' regex parts (and some that start like them and do not).
PHRASES = (
    "威胁要杀",
    "威胁杀",
    "打断了腿",
    "打断他的腿",
    "未批先建就征",
    "饮用水有异味",
    "自来水一股柴油味",
    "集体腹泻",
    "集体土地",
    "泄露了我的信息",
    "信息被泄露",
    "冒充客服骗",
    "堵在政府门口",
    "集体去",
    "一起去市",
    "去市政府",
    "告到省政府",
    "市长信箱",
    "侵占扶贫款",
    "工资三个月没发",
    "没发工资",
    "工伤了单位不认",
    "三十多名农民工",
    "多次反映",
    "反映了三次",
    "第三次投诉",
    "至今仍未解决",
    "一直没有解决",
    "老人摔倒",
    "孩子走失",
)


def _word_salad(n: int, seed: int) -> list[str]:
    words = _rule_words() + list(PHRASES)
    filler = [
        *"的了是在我们小区有个人家户名位多十几百千一二三四五六七八九两数上近好成第，。！ \n",
        "123",
        "5",
    ]
    rng = random.Random(seed)
    return [
        "".join(
            rng.choice(words) if rng.random() < 0.4 else rng.choice(filler) for _ in range(rng.randint(0, 40))
        )
        for _ in range(n)
    ]


def _assert_same(texts: Sequence[str]) -> int:
    fired = 0
    for text in texts:
        assert detect_signals(text) == reference_signals(text), text
        fired += bool(reference_signals(text))
    return fired


def test_same_signals_on_the_labeled_set() -> None:
    texts = _gov_texts()
    assert _assert_same(texts) > 100


def test_same_signals_on_generated_corpus_text() -> None:
    texts = [f"{d.title}\n{d.content}" for d in generate(per_class_and_sentiment=8, seed=11, comments=50)]
    assert _assert_same(texts) > 100


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_signals_on_random_combinations_of_rule_words(seed: int) -> None:
    texts = _word_salad(3000, seed)
    assert _assert_same(texts) > 2000
    # every rule fired somewhere and every rule's regex part matched somewhere: all paths were compared
    assert {s.code for text in texts for s in reference_signals(text)} == {r.code for r in SIGNAL_RULES}
    residuals = [r for r in risk._SCANNER._residual if r is not None]
    assert all(any(r.search(text) for text in texts) for r in residuals)


def test_leading_words_without_the_rest_do_not_fire() -> None:
    # the regex runs (its leading word is there) but does not match
    for text in ("威胁", "泄露", "集体土地", "侵占", "到了市场", "欠条", "一直都很好", "饮用水干净"):
        assert detect_signals(text) == reference_signals(text)
        assert not {"violence", "privacy_fraud", "public_health", "misconduct"} & {
            s.code for s in detect_signals(text)
        }


def test_leading_literals_of_regex_alternatives() -> None:
    assert risk._first_literals("威胁要?杀") == {"威胁"}
    assert risk._first_literals("泄露.{0,6}信息") == {"泄露"}
    assert risk._first_literals("a+b") == {"a"}
    assert risk._first_literals("(?:去|到|写信给)(?:市|省)?\\S{0,4}政府") == {"去", "到", "写信给"}
    assert risk._first_literals("(?:欠薪|工资(?:\\S{0,6})?没|(?:没|不)发工资)") == {
        "欠薪",
        "工资",
        "没",
        "不",
    }
    assert risk._first_literals("(?<![第])(?=[\\d十])(?:\\d{2,}|十几)") is None  # \\d: no literal
    assert risk._first_literals("(?<![第])(?:十几|几十)人") == {"十几", "几十"}
    assert risk._first_literals("(?:ab)?c") is None  # the group is optional
    assert risk._first_literals("[ab]c") is None


def test_a_custom_rule_set_scans_the_same() -> None:
    rules = [
        SignalRule(
            "a", 1.0, "甲", re.compile(r"上访|集体(?:去|到)|(?:去|到)\\S{0,3}政府"), veto=re.compile(r"演练")
        ),
        SignalRule("b", 1.0, "乙", re.compile(r"\\d{2,}人|十几人"), veto=re.compile(r"第\\d+")),
        SignalRule("c", 1.0, "丙", re.compile(r"拖欠.{0,4}工资"), requires="a", gate=("拖",)),
    ]
    new, old = risk._SignalScanner(rules), ReferenceScanner(rules)
    texts = [
        "集体去政府上访",
        "演练：集体去政府",
        "拖欠了工资，集体到市政府",
        "第12人",
        "30人上访",
        "十几人",
        "拖欠工资",
    ]
    for text in texts + _word_salad(500, 9):
        assert new.scan(text) == old.scan(text), text
