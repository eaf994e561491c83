"""Government-domain sentiment: negative / neutral / positive with a score in [0, 1] and a model version.

Interim lexicon scorer with the final interface; the trained SnowNLP-style Bayes + linear model replaces
its internals (same API) in the next commit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from analysis.textfeatures import join_title, normalize

logger = logging.getLogger(__name__)

LABELS = ("negative", "neutral", "positive")

_POSITIVE = ("感谢", "谢谢", "点赞", "满意", "好评", "及时解决", "已解决", "解决了", "顺利", "表扬", "锦旗")
_NEGATIVE = ("投诉", "不满", "恳请", "严重", "无人", "拖欠", "没有解决", "未解决", "污染", "扰民", "敷衍")


@dataclass(frozen=True)
class SentimentResult:
    label: str  # "negative" | "neutral" | "positive"
    score: float  # P(positive-ish) in [0, 1]: ~0 very negative, ~0.5 neutral, ~1 positive
    model_version: str


class SentimentModel:
    """Loaded once per process (load() caches by path); predict() does no file I/O."""

    _cache: ClassVar[dict[str, SentimentModel]] = {}

    def __init__(self, version: str) -> None:
        self.version = version

    @classmethod
    def load(cls, path: Path | None = None) -> SentimentModel:
        key = str(path) if path else ""
        model = cls._cache.get(key)
        if model is None:
            model = cls("lexicon-0")
            cls._cache[key] = model
        return model

    def predict(self, title: str, content: str) -> SentimentResult:
        text = normalize(join_title(title, content))
        pos = sum(text.count(w) for w in _POSITIVE)
        neg = sum(text.count(w) for w in _NEGATIVE)
        score = 0.5 + 0.15 * (pos - neg)
        score = min(1.0, max(0.0, score))
        label = "positive" if score > 0.6 else "negative" if score < 0.4 else "neutral"
        return SentimentResult(label, score, self.version)

    def predict_many(self, texts: Sequence[tuple[str, str]]) -> list[SentimentResult]:
        return [self.predict(t, c) for t, c in texts]
