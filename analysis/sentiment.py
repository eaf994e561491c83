"""Government-domain sentiment: negative / neutral / positive with a score in [0, 1] and a model version.

The core is SnowNLP's naive Bayes (its add-one counts and class priors, snownlp.classification.bayes),
retrained on government text over character n-grams, blended with a char 1–3-gram TF-IDF logistic
regression. The model is one .npz file (no pickle), loaded once per path; predicting does no file I/O.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from analysis.textfeatures import MAX_BATCH_CHARS, FeatureBatch, Vectorizer, chunk_texts, feature_batch

logger = logging.getLogger(__name__)

LABELS = ("negative", "neutral", "positive")
MODELS_DIR = Path(__file__).resolve().parent / "models"
SHIPPED_SENTIMENT = MODELS_DIR / "sentiment.npz"


@dataclass(frozen=True)
class SentimentResult:
    label: str  # "negative" | "neutral" | "positive"
    score: float  # P(positive-ish) in [0, 1]: ~0 very negative, ~0.5 neutral, ~1 positive
    model_version: str


@dataclass(frozen=True)
class SentimentArrays:
    """Everything a sentiment model file holds. Rows of the matrices follow `vocabulary`; columns LABELS."""

    version: str
    vocabulary: Sequence[str]
    idf: np.ndarray  # [V]
    lr_coef: np.ndarray  # [V, 3] logistic regression on L2-normalised sublinear TF-IDF
    lr_bias: np.ndarray  # [3]
    nb_logp: np.ndarray  # [V, 3] log P(feature | class), SnowNLP add-one smoothing
    nb_unseen: np.ndarray  # [3] log P(unseen feature | class)
    nb_prior: np.ndarray  # [3] log P(class) from token totals, as SnowNLP does
    nb_weight: float  # share of the Bayes posterior in the blend (0: LR only, 1: Bayes only)
    nb_temperature: float  # Bayes log-posteriors are divided by this before normalising
    n_max: int = 3  # longest character n-gram

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                version=np.array(self.version),
                vocabulary=np.array(list(self.vocabulary)),
                idf=self.idf.astype(np.float32),
                lr_coef=self.lr_coef.astype(np.float32),
                lr_bias=self.lr_bias.astype(np.float64),
                nb_logp=self.nb_logp.astype(np.float32),
                nb_unseen=self.nb_unseen.astype(np.float64),
                nb_prior=self.nb_prior.astype(np.float64),
                params=np.array([self.nb_weight, self.nb_temperature, float(self.n_max)]),
            )

    @classmethod
    def read(cls, path: Path) -> SentimentArrays:
        with np.load(path, allow_pickle=False) as z:
            weight, temperature, n_max = (float(v) for v in z["params"])
            return cls(
                version=str(z["version"]),
                vocabulary=z["vocabulary"].tolist(),
                idf=z["idf"],
                lr_coef=z["lr_coef"],
                lr_bias=z["lr_bias"],
                nb_logp=z["nb_logp"],
                nb_unseen=z["nb_unseen"],
                nb_prior=z["nb_prior"],
                nb_weight=weight,
                nb_temperature=temperature,
                n_max=int(n_max),
            )


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    result: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
    return result


class SentimentModel:
    """Loaded once per process and path (load() caches); thread-safe for prediction (read-only arrays)."""

    _cache: ClassVar[dict[Path, SentimentModel]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, arrays: SentimentArrays) -> None:
        self.arrays = arrays
        self.version = arrays.version
        self.vectorizer = Vectorizer(arrays.vocabulary, arrays.idf)
        # transposed ([6, V]) for Rows.dot_t: rows 0-2 the LR weights, 3-5 the Bayes log-probabilities
        self._coef_t = np.ascontiguousarray(np.hstack([arrays.lr_coef, arrays.nb_logp]).T, dtype=np.float64)

    @classmethod
    def load(cls, path: Path | None = None) -> SentimentModel:
        """The model at `path` (default: the one shipped in analysis/models/), read from disk only once."""
        resolved = (path or SHIPPED_SENTIMENT).resolve()
        with cls._lock:
            model = cls._cache.get(resolved)
            if model is None:
                model = cls(SentimentArrays.read(resolved))
                cls._cache[resolved] = model
                logger.info("sentiment model %s loaded from %s", model.version, resolved)
            return model

    def probabilities(
        self, texts: Sequence[tuple[str, str]], features: FeatureBatch | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(blend, logistic regression, Bayes) class probabilities, each [n, 3] in LABELS order.

        `features`: feature_batch(texts, n_max) when the caller has it already (the topic model uses the same)."""
        if features is None or features.n_max != self.arrays.n_max or features.n_rows != len(texts):
            parts = chunk_texts(texts, MAX_BATCH_CHARS)
            if len(parts) > 1:  # bounded memory for long batches; an item's numbers do not depend on them
                each = [self.probabilities(part) for part in parts]
                blend, p_lr, p_nb = (np.vstack(arrays) for arrays in zip(*each, strict=True))
                return blend, p_lr, p_nb
            features = feature_batch(texts, self.arrays.n_max)
        rows = self.vectorizer.transform_batch(features)
        # one gather for both parts of the blend: columns 0-2 weigh TF-IDF (LR), 3-5 raw counts (Bayes)
        both = rows.dot_t(self._coef_t, rows.tfidf, rows.counts)
        p_lr = _softmax(both[:, :3] + self.arrays.lr_bias)
        # SnowNLP's Bayes: every occurrence counts; features outside the vocabulary get the unseen log-prob
        nb = both[:, 3:] + np.outer(rows.unknown, self.arrays.nb_unseen) + self.arrays.nb_prior
        p_nb = _softmax(nb / self.arrays.nb_temperature)
        w = self.arrays.nb_weight
        return (1.0 - w) * p_lr + w * p_nb, p_lr, p_nb

    def predict_many(
        self, texts: Sequence[tuple[str, str]], features: FeatureBatch | None = None
    ) -> list[SentimentResult]:
        if not texts:
            return []
        blend, _, _ = self.probabilities(texts, features)
        scores = blend[:, 2] + 0.5 * blend[:, 1]
        best = blend.argmax(axis=1)
        return [
            SentimentResult(LABELS[b], round(s, 4), self.version)
            for b, s in zip(best.tolist(), scores.tolist(), strict=True)
        ]

    def predict(self, title: str, content: str) -> SentimentResult:
        return self.predict_many([(title, content)])[0]
