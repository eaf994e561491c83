"""Sentiment: government-domain tables (negation, sarcasm, thanks, consultations), loading once, the model
version, the Bayes core against SnowNLP's own, and `yuqing train sentiment` learning from a human label."""

from __future__ import annotations

import builtins
import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from analysis import training
from analysis.sentiment import LABELS, SHIPPED_SENTIMENT, SentimentModel, SentimentResult
from analysis.textfeatures import Vectorizer, features, marked_features, normalize, text_features
from core.db import Database
from core.models import Item, Label, Source
from yuqing.cli import app

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def model() -> SentimentModel:
    return SentimentModel.load()


def _label(model: SentimentModel, text: str, title: str = "") -> str:
    return model.predict(title, text).label


def test_the_heating_example_is_positive(model: SentimentModel) -> None:
    result = model.predict("", "感谢街道办工作人员及时解决了我们的供暖问题")
    assert result.label == "positive"
    assert result.score > 0.6


@pytest.mark.parametrize(
    "text",
    [
        "对街道的处理结果不满意",
        "不满意",
        "反映的问题并没有解决",
        "噪音问题一直没有得到解决",
        "维修很不及时，等了一个星期",
        "工作人员态度不好",
        "物业服务不到位，电梯经常坏",
        "没人管",
    ],
)
def test_negation_reads_negative(model: SentimentModel, text: str) -> None:
    assert _label(model, text) == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "说是“高效”办事，结果拖了三个月",
        "墙上写着“为民服务”，窗口里的人却爱理不理",
        "真是“便民”啊，办个证跑了五趟",
    ],
)
def test_quoted_praise_is_sarcasm(model: SentimentModel, text: str) -> None:
    assert _label(model, text) == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "恳请领导帮忙解决我们小区的停水问题",
        "恳请有关部门尽快处理拖欠工资的问题",
        "感谢回复，但是路灯到现在还是不亮",  # thanks for the reply, still a grievance
    ],
)
def test_grievance_pleas_are_negative(model: SentimentModel, text: str) -> None:
    assert _label(model, text) == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "感谢社区帮忙，漏水问题已经修好了",
        "谢谢交警同志，帮我把走失的孩子找回来了",
        "给环保局点赞，河水变清了",
        "问题解决得很及时，非常满意",
        "虽然等了几天，但最后还是解决了，谢谢",
        "不再有噪音了，谢谢施工方",
        "满意",
    ],
)
def test_thanks_and_good_news_are_positive(model: SentimentModel, text: str) -> None:
    assert _label(model, text) == "positive"


@pytest.mark.parametrize(
    "text",
    [
        "请问居住证怎么办理？",
        "想咨询一下公积金提取需要什么材料",
        "建议在公园里多设几个垃圾桶",
        "希望能延长图书馆的开放时间",
        "市交通局关于春节期间公交运营时间调整的通知",
        "请问孩子上小学需要准备哪些材料？",
    ],
)
def test_consultations_and_notices_are_neutral(model: SentimentModel, text: str) -> None:
    result = model.predict("", text)
    assert result.label == "neutral"
    assert 0.3 < result.score < 0.7


def test_scores_order_the_labels(model: SentimentModel) -> None:
    results = model.predict_many(
        [("", "问题拖了半年没人管，非常气愤"), ("", "请问社保卡怎么补办？"), ("", "非常感谢，问题解决了")]
    )
    assert [r.label for r in results] == ["negative", "neutral", "positive"]
    assert results[0].score < results[1].score < results[2].score
    assert all(0.0 <= r.score <= 1.0 for r in results)


def test_predict_many_matches_predict_and_carries_the_version(model: SentimentModel) -> None:
    texts = [("投诉", "电梯又坏了"), ("", "谢谢"), ("", "")]
    many = model.predict_many(texts)
    assert many == [model.predict(t, c) for t, c in texts]
    assert all(isinstance(r, SentimentResult) and r.model_version == model.version for r in many)
    assert model.version.startswith("gov-nb-") and model.version.endswith("+lr")
    assert model.predict_many([]) == []


def test_load_is_cached_and_predict_reads_no_files(
    model: SentimentModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert SentimentModel.load() is model
    assert SentimentModel.load(SHIPPED_SENTIMENT) is model

    def no_io(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("file I/O during prediction")

    monkeypatch.setattr(np, "load", no_io)
    monkeypatch.setattr(builtins, "open", no_io)
    monkeypatch.setattr(Path, "open", no_io)
    assert SentimentModel.load() is model
    assert model.predict("", "这是一条从未见过的新留言，内容随便写写").label in LABELS


def test_negation_and_quote_features() -> None:
    marks = marked_features(normalize("问题并没有解决，态度不好，“高效”"))
    assert "!解决" in marks  # scope after 并没有
    assert "!好" in marks  # single character after 不
    assert "“高效" in marks
    # the scope stops at the clause end: nothing after the comma is negated
    assert not any(m.startswith("!态") for m in marks)
    assert normalize("ＡＢＣ　１２３，好") == "a0,好"


def test_vectorizer_matches_scikit_learn_tfidf() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["感谢街道办解决供暖问题", "物业不作为，电梯坏了没人修", "请问公租房怎么申请？", "供暖供暖不热"]
    sk = TfidfVectorizer(analyzer=lambda t: features("", t), sublinear_tf=True)
    expected = sk.fit_transform(texts).toarray()
    vocabulary = sorted(sk.vocabulary_, key=sk.vocabulary_.__getitem__)
    vectorizer = Vectorizer(vocabulary, sk.idf_)
    rows = vectorizer.transform([text_features("", t) for t in [*texts, "全新字符"]])
    got = np.asarray(rows.to_scipy("tfidf", vectorizer.size).todense())  # type: ignore[attr-defined]
    assert np.allclose(got[:4], expected)
    assert rows.unknown[4] > 0 and rows.unknown[:4].sum() == 0


@pytest.mark.slow
def test_bayes_core_is_snownlps_bayes() -> None:
    """With the blend set to Bayes only and no tempering, the posterior equals snownlp's Bayes.classify."""
    from snownlp.classification.bayes import Bayes

    examples = [
        training.Example("", "问题一直没有解决，很不满意", "negative"),
        training.Example("", "物业不管，电梯又坏了", "negative"),
        training.Example("", "请问怎么办理居住证", "neutral"),
        training.Example("", "建议增加公交班次", "neutral"),
        training.Example("", "感谢社区，问题解决了", "positive"),
        training.Example("", "非常满意，谢谢", "positive"),
    ]
    params = dataclasses.replace(training.SentimentParams(), min_df=1, nb_weight=1.0, nb_temperature=1.0)
    ours = SentimentModel(training.train_sentiment(examples, "t", params))
    snow = Bayes()
    snow.train([[features(e.title, e.content), e.label] for e in examples])
    for text in ("电梯没有解决", "谢谢社区", "请问公交", "完全陌生的句子"):
        label, prob = snow.classify(features("", text))
        blend, _, _ = ours.probabilities([("", text)])
        assert LABELS[int(blend[0].argmax())] == label
        assert blend[0].max() == pytest.approx(prob, rel=1e-6)


# --- retraining from human corrections --------------------------------------------------------------------

CORRECTED = "龙舟赛的锣鼓声从早响到晚，街坊都出来看热闹"
NEAR_COPY = "龙舟赛的锣鼓声从早上一直响到晚上，街坊们都出来看热闹了"


def _add_labeled_item(db: Database, text: str, value: str) -> None:
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    with db.session() as s:
        source = Source(key="t-board", name="测试留言板", kind="board", created_at=now)
        s.add(source)
        s.flush()
        item = Item(
            source_id=source.id,
            external_id="x1",
            kind="board",
            title="",
            content=text,
            fetched_at=now,
            updated_at=now,
            content_hash="h1",
        )
        s.add(item)
        s.flush()
        # an older, superseded label first: only the newest counts
        s.add(Label(item_id=item.id, field="sentiment", value="neutral", created_by="a", created_at=now))
        s.add(Label(item_id=item.id, field="topic", value="民政", created_by="a", created_at=now))
        later = now.replace(hour=3)
        s.add(Label(item_id=item.id, field="sentiment", value=value, created_by="b", created_at=later))


@pytest.mark.slow
def test_train_sentiment_learns_from_a_label(db: Database, tmp_path: Path) -> None:
    defaults = training.SentimentParams()
    small = dataclasses.replace(
        defaults, per_class=20, comments=round(20 * defaults.comments / defaults.per_class), snownlp_docs=0
    )
    corpus = training.sentiment_corpus(small)
    before = SentimentModel(training.train_sentiment(corpus, "before", small))
    assert [before.predict("", t).label for t in (CORRECTED, NEAR_COPY)] == ["negative", "negative"]

    _add_labeled_item(db, CORRECTED, "positive")
    assert [(e.content, e.label) for e in training.label_examples(db, 10.0)] == [(CORRECTED, "positive")]

    held_out = tmp_path / "held_out.jsonl"
    held_out.write_text(
        "\n".join(
            json.dumps({"title": "", "content": c, "sentiment": s}, ensure_ascii=False)
            for c, s in (("谢谢，问题解决了", "positive"), ("电梯坏了没人修", "negative"))
        ),
        encoding="utf-8",
    )
    out = tmp_path / "var" / "models" / "retrained.npz"
    args = [
        "--config-dir",
        str(REPO / "config"),
        "--data-dir",
        str(tmp_path / "var"),
        "--database-url",
        db.url,
    ]
    args += [
        "train",
        "sentiment",
        "--per-class",
        "20",
        "--no-snownlp",
        "--out",
        str(out),
        "--eval",
        str(held_out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "1 human labels" in result.output
    assert "macro-F1" in result.output and "new" in result.output

    after = SentimentModel.load(out)
    assert after.version != SentimentModel.load().version
    assert after.version.startswith("gov-nb-") and after.version.endswith("+lr")
    assert [after.predict("", t).label for t in (CORRECTED, NEAR_COPY)] == ["positive", "positive"]
    assert SHIPPED_SENTIMENT.exists()  # the shipped model is never the target


def test_next_version_counts_builds(tmp_path: Path) -> None:
    shipped = SentimentModel.load().version
    date = shipped.split("-")[2].rsplit(".", 1)[0]  # gov-nb-2026.11.1+lr -> 2026.11
    assert training.next_version(tmp_path / "none", date) == f"gov-nb-{date}.2+lr"
    arrays = dataclasses.replace(SentimentModel.load().arrays, version=f"gov-nb-{date}.7+lr")
    arrays.save(tmp_path / "sentiment-x.npz")
    assert training.next_version(tmp_path, date) == f"gov-nb-{date}.8+lr"
    assert training.next_version(tmp_path, "2031.01") == "gov-nb-2031.01.1+lr"
