"""The vectorised feature path changes nothing: it builds the same sparse rows as the per-text path
(text_features + Vectorizer.transform, kept for training), and the whole analysis still gives the labels,
scores, probabilities, tags, signals and risk stored in data/fast_features_reference.json, which the
per-text path produced before the numpy path replaced it at run time.

Regenerate the stored file only on purpose (a retrained model or a new rule changes it):
    .venv/bin/python tests/unit/analysis/test_fast_features.py --write
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]
if __name__ == "__main__":  # run as a script to regenerate the reference
    sys.path.insert(0, str(REPO))

from analysis import pipeline  # noqa: E402
from analysis import sentiment as sentiment_module  # noqa: E402
from analysis import topics as topics_module  # noqa: E402
from analysis.pipeline import Analyzer, ItemInput  # noqa: E402
from analysis.sentiment import SentimentModel  # noqa: E402
from analysis.textfeatures import (  # noqa: E402
    NO_KEY,
    KeyIndex,
    Rows,
    Vectorizer,
    encode_terms,
    feature_batch,
    text_features,
)
from analysis.topics import KEYWORD_BOOST, KEYWORD_CAP, KEYWORD_UNSURE, TopicModel  # noqa: E402
from core.settings import TOPIC_CLASSES, load_config  # noqa: E402

REFERENCE = Path(__file__).resolve().parent / "data" / "fast_features_reference.json"
GOV_EVAL = REPO / "bench" / "data" / "gov_eval.jsonl"
# Stored probabilities are rounded to 1e-9; the vectorised path sums in another order (ulp differences).
TOLERANCE = 2e-9

# Texts that stress the feature extraction: empty, one character, non-BMP characters, NUL, Latin and digits,
# full-width forms, negation scopes and quotes whose marked features coincide with plain n-grams ('!' and '“'
# occur in the text itself), clause ends, overlapping negation cues and a long text.
EDGE_CASES: tuple[tuple[str, str], ...] = (
    ("", ""),
    ("", "好"),
    ("啊", ""),
    ("", "!"),
    ("", "!!不好!不好！！不好"),
    ("", "“高效”“高效”的“服务”，“快”"),
    ("表情", "太好了😀😀👍🏻，点赞𠮷野家"),
    ("NUL", "前\x00后\x00\x00"),
    ("ABC123", "WiFi 5G网络 3.14元 ２０２４年 ＡＢＣ　ｄｅｆ"),
    ("", "并没有没有不不不能解决，迟迟不回复；始终没人管…一直没"),
    ("", "不" * 40),
    ("引号", "\"为民服务\"'单引号'「方括号」『双方括号』‘弯’"),
    ("", "\n\t  \r\n"),
    ("长文", "小区电梯坏了物业不管，老人只能爬楼。" * 300),
    ("混合", "ｂｕｓ车站 Bus站 BUS站 bus站 #话题# @某某 http://example.test/a?b=1"),
)


def _dot(rows: Rows, values: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Row-wise sum of values[j] * matrix[cols[j]], written out plainly (independent of Rows.dot)."""
    out = np.zeros((rows.n_rows, matrix.shape[1]))
    for i in range(rows.n_rows):
        lo, hi = rows.indptr[i], rows.indptr[i + 1]
        out[i] = (values[lo:hi, None] * matrix[rows.cols[lo:hi]]).sum(axis=0)
    return out


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    result: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return result


def per_text_rows(vectorizer: Vectorizer, texts: Sequence[tuple[str, str]], n_max: int) -> Rows:
    """The reference path: features cut and counted per text in Python, looked up in a dict."""
    return vectorizer.transform([text_features(title, content, n_max) for title, content in texts])


def reference_sentiment(model: SentimentModel, texts: Sequence[tuple[str, str]]) -> np.ndarray:
    """(blend, lr, nb) probabilities [n, 9] by the per-text path, as SentimentModel computed them."""
    a = model.arrays
    rows = per_text_rows(model.vectorizer, texts, a.n_max)
    p_lr = _softmax(_dot(rows, rows.tfidf, a.lr_coef.astype(np.float64)) + a.lr_bias)
    nb = _dot(rows, rows.counts, a.nb_logp.astype(np.float64))
    nb = nb + np.outer(rows.unknown, a.nb_unseen) + a.nb_prior
    p_nb = _softmax(nb / a.nb_temperature)
    blend = (1.0 - a.nb_weight) * p_lr + a.nb_weight * p_nb
    return np.hstack([blend, p_lr, p_nb])


def reference_topic(model: TopicModel, texts: Sequence[tuple[str, str]], use_keywords: bool) -> np.ndarray:
    """Topic probabilities [n, 15] by the per-text path, keyword nudges as TopicModel applies them."""
    a = model.arrays
    rows = per_text_rows(model.vectorizer, texts, a.n_max)
    logits = _dot(rows, rows.tfidf, a.coef.astype(np.float64)) + a.bias
    unsure = _softmax(logits).max(axis=1) < KEYWORD_UNSURE
    for i, (title, content) in enumerate(texts):
        hits, _ = model._keywords.scan(text_features(title, content, a.n_max).text)
        if use_keywords and unsure[i]:
            for name, count in hits.items():
                logits[i, TOPIC_CLASSES.index(name)] += KEYWORD_BOOST * min(count, KEYWORD_CAP)
    return _softmax(logits)


def _records() -> list[ItemInput]:
    records = []
    with GOV_EVAL.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            records.append(ItemInput(row["id"], row["kind"], row["title"], row["content"]))
    records += [ItemInput(f"edge{i}", "board", t, c) for i, (t, c) in enumerate(EDGE_CASES)]
    return records


def _analyzer() -> Analyzer:
    return Analyzer.from_config(load_config({"config_dir": REPO / "config"}), salt="fast-features-reference")


def _outputs(analyzer: Analyzer, records: Sequence[ItemInput]) -> list[dict[str, Any]]:
    """What the analysis says about each record, minus the masked text (masking is not in question)."""
    out = []
    for start in range(0, len(records), 200):
        for result in analyzer.analyze(records[start : start + 200]):
            row = result.to_json()
            del row["title_masked"], row["content_masked"]
            row["signals"] = [[s.code, list(s.evidence)] for s in result.signals]
            row["simhash"] = str(result.simhash)
            out.append(row)
    return out


def _masked(analyzer: Analyzer, records: Sequence[ItemInput]) -> list[tuple[str, str]]:
    return [(analyzer.masker.mask(r.title), analyzer.masker.mask(r.content)) for r in records]


def write_reference() -> None:
    analyzer = _analyzer()
    records = _records()
    masked = _masked(analyzer, records)
    sentiment = reference_sentiment(analyzer.sentiment, masked)
    topic = reference_topic(analyzer.topics, masked, True)
    plain = reference_topic(analyzer.topics, masked, False)
    data = {
        "sentiment_model": analyzer.sentiment.version,
        "topic_model": analyzer.topics.version,
        "outputs": _outputs(analyzer, records),
        "sentiment_probabilities": np.round(sentiment, 9).tolist(),
        "topic_probabilities": np.round(topic, 9).tolist(),
        "topic_probabilities_plain": np.round(plain, 9).tolist(),
    }
    REFERENCE.parent.mkdir(parents=True, exist_ok=True)
    REFERENCE.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {REFERENCE} ({len(records)} records)")


# --- tests ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return _analyzer()


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data


def _fuzz_texts(n: int, seed: int = 5) -> list[tuple[str, str]]:
    """Random texts over an alphabet rich in what the features treat specially."""
    pieces = [
        *'的了是在我们小区电梯物业不没未无别好满意解决问题，。！？；、…~!?;,\n \u3000０１２3.5abcXYZｘｙ“”"「」『』‘’😀𠮷',
        *("并没有", "迟迟不", "仍未", "没能", "不能", "毫无", "“高效”", '"服务"', "\x00", "\ud800"),
    ]
    rng = random.Random(seed)
    return [
        (
            "".join(rng.choices(pieces, k=rng.randint(0, 8))),
            "".join(rng.choices(pieces, k=rng.randint(0, 120))),
        )
        for _ in range(n)
    ]


def _sorted_row(rows: Rows, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    part = slice(rows.indptr[i], rows.indptr[i + 1])
    order = np.argsort(rows.cols[part], kind="stable")
    return rows.cols[part][order], rows.counts[part][order], rows.tfidf[part][order]


@pytest.mark.parametrize("which", ["sentiment", "topic"])
def test_batch_rows_equal_the_per_text_rows(analyzer: Analyzer, which: str) -> None:
    model = analyzer.sentiment if which == "sentiment" else analyzer.topics
    texts = _masked(analyzer, _records()) + _fuzz_texts(300)
    old = per_text_rows(model.vectorizer, texts, 3)
    new = model.vectorizer.transform_batch(feature_batch(texts, 3))
    assert np.array_equal(old.indptr, new.indptr)
    assert np.array_equal(old.unknown, new.unknown)
    assert old.unknown.sum() > 0 and len(old.cols) > 10_000
    for i in range(len(texts)):
        old_cols, old_counts, old_tfidf = _sorted_row(old, i)
        assert np.array_equal(old_cols, new.cols[new.indptr[i] : new.indptr[i + 1]])
        assert np.array_equal(old_counts, new.counts[new.indptr[i] : new.indptr[i + 1]])
        np.testing.assert_allclose(
            old_tfidf, new.tfidf[new.indptr[i] : new.indptr[i + 1]], rtol=0, atol=1e-15
        )


@pytest.mark.parametrize("n_max", [1, 2, 3])
def test_batch_features_are_the_per_text_features(n_max: int) -> None:
    """Every feature text_features() counts, with its count, and nothing else (no n-gram across items)."""
    texts = [*EDGE_CASES, ("甲乙", "丙丁"), ("", "戊己"), *_fuzz_texts(100, seed=11)]
    batch = feature_batch(texts, n_max)
    for row, (title, content) in enumerate(texts):
        reference = text_features(title, content, n_max)
        assert batch.texts[row] == reference.text
        keys, counts = np.unique(batch.keys[batch.rows == row], return_counts=True)
        expected = dict(zip(encode_terms(reference.terms).tolist(), reference.counts, strict=True))
        assert dict(zip(keys.tolist(), counts.tolist(), strict=True)) == expected
    # the last character of one item and the first of the next make no bigram
    crossing = encode_terms(["丁戊"])[0]
    assert crossing not in feature_batch([("甲乙", "丙丁"), ("", "戊己")], 3).keys.tolist()
    assert crossing in feature_batch([("甲乙", "丙丁戊己")], 3).keys.tolist()


def test_feature_batch_refuses_longer_ngrams() -> None:
    with pytest.raises(ValueError, match="n_max"):
        feature_batch([("", "abcd")], 4)


def test_term_keys_keep_lengths_apart() -> None:
    keys = encode_terms(["a", "\x00a", "\x00\x00a", "ab", "abc", "", "abcd", "𠮷", "\ud800好"]).tolist()
    assert len(set(keys[:5])) == 5
    assert keys[5] == keys[6] == NO_KEY
    assert keys[7] == 0x20BB7 + 1 and keys[8] == ((0xD800 + 1) << 21) | (ord("好") + 1)


def test_key_index_finds_every_key_and_nothing_else() -> None:
    rng = np.random.default_rng(3)
    keys = np.unique(rng.integers(1, 1 << 62, 50_000))
    rng.shuffle(keys)
    # a dense block of neighbouring keys too (n-gram keys of one first character are close together)
    keys = np.concatenate([keys, np.arange(1 << 42, (1 << 42) + 5_000)])
    index = KeyIndex(keys)
    assert np.array_equal(index.lookup(keys), np.arange(len(keys)))
    absent = np.setdiff1d(rng.integers(1, 1 << 62, 20_000), keys)
    assert (index.lookup(absent) == -1).all()
    assert (index.lookup(np.array([NO_KEY, 0], dtype=np.int64)) == -1).all()
    # equal keys: the last wins, as in a dict; NO_KEY is never stored
    dup = KeyIndex(np.array([7, 9, 7, NO_KEY], dtype=np.int64))
    assert dup.lookup(np.array([7, 9, 8, NO_KEY], dtype=np.int64)).tolist() == [2, 1, -1, -1]
    assert KeyIndex(np.array([], dtype=np.int64)).lookup(np.array([1, 2], dtype=np.int64)).tolist() == [
        -1,
        -1,
    ]


def test_vectorizer_of_a_tiny_vocabulary() -> None:
    vectorizer = Vectorizer(["好", "不好", "!好", "不好!"], np.array([1.0, 2.0, 3.0, 4.0]))
    rows = vectorizer.transform_batch(feature_batch([("", "不好!"), ("", ""), ("", "好好")], 2))
    assert rows.indptr.tolist() == [0, 3, 3, 4]
    # "!好" is the marked feature of the negation scope (不 → 好); "不好!" is a trigram of the text (not in
    # the bigram features, so unknown)
    assert rows.cols.tolist() == [0, 1, 2, 0] and rows.counts.tolist() == [1, 1, 1, 2]
    assert rows.unknown.tolist() == [3, 0, 1]
    old = vectorizer.transform([text_features("", t, 2) for t in ("不好!", "", "好好")])
    assert np.array_equal(old.unknown, rows.unknown) and sorted(old.cols.tolist()) == sorted(
        rows.cols.tolist()
    )


def test_analysis_gives_the_stored_results(analyzer: Analyzer, reference: dict[str, Any]) -> None:
    """Labels, scores, topics, tags, scheme hits, signals, risk and SimHash of every record, as before."""
    assert reference["sentiment_model"] == analyzer.sentiment.version
    assert reference["topic_model"] == analyzer.topics.version
    outputs = _outputs(analyzer, _records())
    assert len(outputs) == len(reference["outputs"]) == 470 + len(EDGE_CASES)
    for got, expected in zip(outputs, reference["outputs"], strict=True):
        assert got == expected


def test_probabilities_equal_the_stored_ones(analyzer: Analyzer, reference: dict[str, Any]) -> None:
    texts = _masked(analyzer, _records())
    blend, lr, nb = analyzer.sentiment.probabilities(texts)
    stored = np.array(reference["sentiment_probabilities"])
    np.testing.assert_allclose(np.hstack([blend, lr, nb]), stored, rtol=0, atol=TOLERANCE)
    for key, use_keywords in (("topic_probabilities", True), ("topic_probabilities_plain", False)):
        probs, _ = analyzer.topics.probabilities(texts, use_keywords=use_keywords)
        np.testing.assert_allclose(probs, np.array(reference[key]), rtol=0, atol=TOLERANCE)


def test_probabilities_equal_the_per_text_path_on_random_text(analyzer: Analyzer) -> None:
    texts = _fuzz_texts(400, seed=17)
    blend, lr, nb = analyzer.sentiment.probabilities(texts)
    reference_s = reference_sentiment(analyzer.sentiment, texts)
    np.testing.assert_allclose(np.hstack([blend, lr, nb]), reference_s, rtol=0, atol=1e-12)
    for use_keywords in (True, False):
        probs, _ = analyzer.topics.probabilities(texts, use_keywords=use_keywords)
        reference_t = reference_topic(analyzer.topics, texts, use_keywords)
        np.testing.assert_allclose(probs, reference_t, rtol=0, atol=1e-12)


def test_an_item_scores_the_same_alone_and_in_any_batch(analyzer: Analyzer) -> None:
    texts = _masked(analyzer, _records())[:60] + _fuzz_texts(40, seed=23)
    together, _, _ = analyzer.sentiment.probabilities(texts)
    topics, _ = analyzer.topics.probabilities(texts)
    shared = feature_batch(texts[::-1], 3)
    reversed_blend, _, _ = analyzer.sentiment.probabilities(texts[::-1], shared)
    reversed_topics, _ = analyzer.topics.probabilities(texts[::-1], features=shared)
    assert np.array_equal(reversed_blend[::-1], together)
    assert np.array_equal(reversed_topics[::-1], topics)
    for i in (0, 17, 59, 99):
        alone, _, _ = analyzer.sentiment.probabilities([texts[i]])
        assert np.array_equal(alone[0], together[i])


def test_long_batches_go_to_the_models_in_parts_with_the_same_results(
    analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_text = "小区电梯坏了物业不管，老人只能爬楼。" * 200
    records = [*_records()[:80], ItemInput("long", "news", "长文", long_text)]
    whole = analyzer.analyze(records)
    monkeypatch.setattr(pipeline, "MODEL_CHUNK_CHARS", 300)
    assert len(pipeline._chunks(_masked(analyzer, records), 300)) > 10
    assert analyzer.analyze(records) == whole


def test_the_models_cut_long_batches_into_parts_with_the_same_results(
    analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = _masked(analyzer, _records())[:120]
    blend, lr, nb = analyzer.sentiment.probabilities(texts)
    topics, tags = analyzer.topics.probabilities(texts)
    monkeypatch.setattr(sentiment_module, "MAX_BATCH_CHARS", 500)
    monkeypatch.setattr(topics_module, "MAX_BATCH_CHARS", 500)
    parts = analyzer.sentiment.probabilities(texts)
    assert all(np.array_equal(a, b) for a, b in zip(parts, (blend, lr, nb), strict=True))
    topics_parts, tags_parts = analyzer.topics.probabilities(texts)
    assert np.array_equal(topics_parts, topics) and tags_parts == tags
    assert analyzer.topics.predict_many(texts, use_keywords=False) == [
        r for t in texts for r in analyzer.topics.predict_many([t], use_keywords=False)
    ]


def test_chunks_keep_order_and_bound_the_characters() -> None:
    texts = [("", "甲" * 40), ("乙" * 10, "丙" * 50), ("", ""), ("", "丁" * 500), ("", "戊")]
    parts = pipeline._chunks(texts, 100)
    assert [t for part in parts for t in part] == texts
    assert [len(part) for part in parts] == [3, 1, 1]  # 40 + 60 (+ 0) fit in 100; 500 goes alone
    assert pipeline._chunks([], 100) == [[]]


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write_reference()
    else:
        raise SystemExit(__doc__)
