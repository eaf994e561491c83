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

from analysis.pipeline import Analyzer, ItemInput  # noqa: E402
from analysis.sentiment import SentimentModel  # noqa: E402
from analysis.textfeatures import Rows, Vectorizer, text_features  # noqa: E402
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
    ("引号", '"为民服务"\'单引号\'「方括号」『双方括号』‘弯’'),
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


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write_reference()
    else:
        raise SystemExit(__doc__)
