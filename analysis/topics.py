"""Topic: one of the 15 level-1 government classes with a confidence, plus focus-area tags.

The class comes from a char 1–3-gram TF-IDF logistic regression trained only on the project's own corpus
(analysis/corpus); class keywords from config/topics.yaml nudge its scores, and tags are keyword matches
found in one pass by an Aho–Corasick automaton. Loaded once per (topics config, model path).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import ahocorasick
import numpy as np

from analysis.textfeatures import (
    MAX_BATCH_CHARS,
    FeatureBatch,
    Vectorizer,
    chunk_texts,
    feature_batch,
    normalize,
)
from core.settings import TOPIC_CLASSES, TopicsFile

logger = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent / "models"
SHIPPED_TOPIC = MODELS_DIR / "topic.npz"
# Config keywords break ties: when the model's top probability is below KEYWORD_UNSURE, each distinct
# keyword of a class found in the text (at most KEYWORD_CAP) adds KEYWORD_BOOST to that class's logit.
# On bench/data/gov_eval.jsonl hints on every text cost accuracy; as a tie-breaker they cost at most one item,
# and they let administrators steer new local wording without retraining.
KEYWORD_BOOST = 0.6
KEYWORD_CAP = 3
KEYWORD_UNSURE = 0.5


@dataclass(frozen=True)
class TopicResult:
    topic: str  # one of core.settings.TOPIC_CLASSES
    confidence: float  # [0, 1]
    tags: tuple[str, ...]  # focus-area tags from config/topics.yaml


@dataclass(frozen=True)
class TopicArrays:
    """A topic model file: logistic regression over TF-IDF; columns follow core.settings.TOPIC_CLASSES."""

    version: str
    vocabulary: Sequence[str]
    idf: np.ndarray  # [V]
    coef: np.ndarray  # [V, 15]
    bias: np.ndarray  # [15]
    n_max: int = 3

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                version=np.array(self.version),
                classes=np.array(list(TOPIC_CLASSES)),
                vocabulary=np.array(list(self.vocabulary)),
                idf=self.idf.astype(np.float32),
                coef=self.coef.astype(np.float16),
                bias=self.bias.astype(np.float64),
                n_max=np.array(self.n_max),
            )

    @classmethod
    def read(cls, path: Path) -> TopicArrays:
        with np.load(path, allow_pickle=False) as z:
            if tuple(z["classes"].tolist()) != TOPIC_CLASSES:
                raise ValueError(f"{path}: topic classes differ from core.settings.TOPIC_CLASSES")
            return cls(
                version=str(z["version"]),
                vocabulary=z["vocabulary"].tolist(),
                idf=z["idf"],
                coef=z["coef"],
                bias=z["bias"],
                n_max=int(z["n_max"]),
            )


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    result: np.ndarray = shifted / shifted.sum(axis=1, keepdims=True)
    return result


class _KeywordIndex:
    """Every keyword of every class and tag in one automaton: one pass over the text finds them all."""

    def __init__(self, topics: TopicsFile) -> None:
        self.automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[str, str]]] = {}
        for cls in topics.classes:
            for keyword in cls.keywords:
                entries.setdefault(normalize(keyword), []).append(("class", cls.name))
        for tag in topics.tags:
            for keyword in tag.keywords:
                entries.setdefault(normalize(keyword), []).append(("tag", tag.name))
        for keyword, owners in entries.items():
            if keyword:
                self.automaton.add_word(keyword, (keyword, tuple(owners)))
        self.empty = not entries
        if not self.empty:
            self.automaton.make_automaton()
        self.tag_order = [t.name for t in topics.tags]
        self.min_hits = {t.name: t.min_hits for t in topics.tags}

    def scan(self, text: str) -> tuple[dict[str, int], tuple[str, ...]]:
        """(class -> distinct keywords found, tags whose distinct keyword count reaches min_hits)."""
        if self.empty:
            return {}, ()
        class_hits: dict[str, set[str]] = {}
        tag_hits: dict[str, set[str]] = {}
        for _, (keyword, owners) in self.automaton.iter(text):
            for kind, name in owners:
                (class_hits if kind == "class" else tag_hits).setdefault(name, set()).add(keyword)
        tags = tuple(t for t in self.tag_order if len(tag_hits.get(t, ())) >= self.min_hits[t])
        return {name: len(found) for name, found in class_hits.items()}, tags


class TopicModel:
    """Loaded once per process, topics config and path; prediction does no file I/O."""

    _cache: ClassVar[dict[tuple[str, Path], TopicModel]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, arrays: TopicArrays, topics: TopicsFile) -> None:
        self.arrays = arrays
        self.version = arrays.version
        self.vectorizer = Vectorizer(arrays.vocabulary, arrays.idf)
        self._coef_t = np.ascontiguousarray(arrays.coef.T, dtype=np.float64)  # [15, V] for Rows.dot_t
        self._keywords = _KeywordIndex(topics)
        self._class_index = {name: i for i, name in enumerate(TOPIC_CLASSES)}

    @classmethod
    def load(cls, topics: TopicsFile, path: Path | None = None) -> TopicModel:
        resolved = (path or SHIPPED_TOPIC).resolve()
        key = (topics.model_dump_json(), resolved)
        with cls._lock:
            model = cls._cache.get(key)
            if model is None:
                model = cls(TopicArrays.read(resolved), topics)
                cls._cache[key] = model
                logger.info("topic model %s loaded from %s", model.version, resolved)
            return model

    def probabilities(
        self,
        texts: Sequence[tuple[str, str]],
        *,
        use_keywords: bool = True,
        features: FeatureBatch | None = None,
    ) -> tuple[np.ndarray, list[tuple[str, ...]]]:
        """(class probabilities [n, 15] in TOPIC_CLASSES order, tags of each text).

        `features`: feature_batch(texts, n_max) when the caller has it already (the sentiment model uses the
        same)."""
        if features is None or features.n_max != self.arrays.n_max or features.n_rows != len(texts):
            parts = chunk_texts(texts, MAX_BATCH_CHARS)
            if len(parts) > 1:  # bounded memory for long batches; an item's numbers do not depend on them
                each = [self.probabilities(part, use_keywords=use_keywords) for part in parts]
                return np.vstack([probs for probs, _ in each]), [t for _, tags in each for t in tags]
            features = feature_batch(texts, self.arrays.n_max)
        rows = self.vectorizer.transform_batch(features)
        logits = rows.dot_t(self._coef_t, rows.tfidf) + self.arrays.bias
        unsure = _softmax(logits).max(axis=1) < KEYWORD_UNSURE
        all_tags: list[tuple[str, ...]] = []
        for row, (text, is_unsure) in enumerate(zip(features.texts, unsure.tolist(), strict=True)):
            class_hits, tags = self._keywords.scan(text)
            all_tags.append(tags)
            if use_keywords and is_unsure:
                for name, hits in class_hits.items():
                    logits[row, self._class_index[name]] += KEYWORD_BOOST * min(hits, KEYWORD_CAP)
        return _softmax(logits), all_tags

    def predict_many(
        self,
        texts: Sequence[tuple[str, str]],
        *,
        use_keywords: bool = True,
        features: FeatureBatch | None = None,
    ) -> list[TopicResult]:
        if not texts:
            return []
        probs, all_tags = self.probabilities(texts, use_keywords=use_keywords, features=features)
        best = probs.argmax(axis=1)
        confidence = probs[np.arange(len(best)), best]
        # tolist(): Python ints and floats at once (indexing numpy scalars one by one costs more)
        return [
            TopicResult(TOPIC_CLASSES[b], round(c, 4), tags)
            for b, c, tags in zip(best.tolist(), confidence.tolist(), all_tags, strict=True)
        ]

    def predict(self, title: str, content: str) -> TopicResult:
        return self.predict_many([(title, content)])[0]
