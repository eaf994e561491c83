"""Topic: one of the 15 level-1 government classes with a confidence, plus focus-area tags.

Interim keyword scorer with the final interface; the trained model replaces its internals (same API).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from analysis.textfeatures import join_title, normalize
from core.settings import TOPIC_CLASSES, TopicsFile

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicResult:
    topic: str  # one of core.settings.TOPIC_CLASSES
    confidence: float  # [0, 1]
    tags: tuple[str, ...]  # focus-area tags from config/topics.yaml


class TopicModel:
    def __init__(self, topics: TopicsFile) -> None:
        self._classes = [(c.name, [normalize(k) for k in c.keywords]) for c in topics.classes]
        self._tags = [(t.name, [normalize(k) for k in t.keywords], t.min_hits) for t in topics.tags]

    @classmethod
    def load(cls, topics: TopicsFile, path: Path | None = None) -> TopicModel:
        return cls(topics)

    def predict(self, title: str, content: str) -> TopicResult:
        text = normalize(join_title(title, content))
        scores = [(sum(text.count(k) for k in kws), name) for name, kws in self._classes]
        best, name = max(scores)
        total = sum(s for s, _ in scores)
        topic = name if best else TOPIC_CLASSES[0]
        confidence = best / total if total else 0.0
        tags = tuple(n for n, kws, m in self._tags if sum(text.count(k) for k in kws) >= m)
        return TopicResult(topic, confidence, tags)

    def predict_many(self, texts: Sequence[tuple[str, str]]) -> list[TopicResult]:
        return [self.predict(t, c) for t, c in texts]
