"""Per-item analysis: masking, sentiment, topic and tags, scheme hits, sensitive signals, risk, SimHash.

`Analyzer.from_config(app_config)` builds everything once (models are cached per process, keyed by path);
`analyze(records)` is pure given its inputs and needs no database, so the offline command, the benchmark
and the scheduled job share it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from analysis.dedupe import simhash64
from analysis.risk import (
    DEFAULT_PARAMS,
    ItemRiskInput,
    RiskAssessment,
    RiskParams,
    SchemeSignal,
    Signal,
    detect_signals,
    item_risk,
)
from analysis.schemes import SchemeHit, SchemeMatcher
from analysis.sentiment import SentimentModel, SentimentResult
from analysis.textfeatures import MAX_BATCH_CHARS, chunk_texts, feature_batch
from analysis.topics import TopicModel, TopicResult
from core.clock import ensure_utc
from core.levels import Level
from core.privacy import Masker
from core.settings import AppConfig, TopicsFile

logger = logging.getLogger(__name__)

PIPELINE_VERSION = "p1"
# Longer texts are cut for the models (the stored text is not); a 20,000-character post says what it is
# about long before its end, and the cap bounds the time one record can take.
MAX_ANALYZED_CHARS = 20_000
# A batch of long news articles goes to the models in parts of at most this many characters (their numpy
# temporaries grow with the characters of a batch; see analysis.textfeatures.MAX_BATCH_CHARS).
MODEL_CHUNK_CHARS = MAX_BATCH_CHARS

# Models are loaded once per process; the key includes the model path (and the topic config, which the
# topic model compiles into its keyword hints).
_SENTIMENT_CACHE: dict[str, SentimentModel] = {}
_TOPIC_CACHE: dict[tuple[str, str], TopicModel] = {}


def load_sentiment(path: Path | None) -> SentimentModel:
    key = str(path or "")
    model = _SENTIMENT_CACHE.get(key)
    if model is None:
        model = SentimentModel.load(path)
        _SENTIMENT_CACHE[key] = model
    return model


def load_topics(topics: TopicsFile, path: Path | None = None) -> TopicModel:
    key = (str(path or ""), topics.model_dump_json())
    model = _TOPIC_CACHE.get(key)
    if model is None:
        model = TopicModel.load(topics, path)
        _TOPIC_CACHE[key] = model
    return model


@dataclass(frozen=True)
class ItemInput:
    """One record to analyse, from the database or from a JSONL line."""

    id: Any
    kind: str  # hotline | board | news
    title: str
    content: str
    region: str | None = None
    published_at: datetime | None = None
    reply_status: str = "none"
    overdue: bool = False
    addressee: str | None = None  # 留言对象 / 承办单位: names the district when the text does not


@dataclass(frozen=True)
class ItemResult:
    id: Any
    kind: str
    sentiment: str
    sentiment_score: float
    topic: str
    topic_confidence: float
    tags: tuple[str, ...]
    scheme_hits: tuple[SchemeHit, ...]
    signals: tuple[Signal, ...]
    risk: RiskAssessment
    title_masked: str
    content_masked: str
    model_version: str
    region: str | None  # given, or found in the text
    simhash: int  # unsigned 64-bit
    extra: dict[str, Any] = field(default_factory=dict)

    def scheme_hits_json(self) -> list[dict[str, object]]:
        return [h.to_json() for h in self.scheme_hits]

    def to_json(self) -> dict[str, Any]:
        """The offline command's output object."""
        level = self.risk.level
        return {
            "id": self.id,
            "kind": self.kind,
            "sentiment": self.sentiment,
            "sentiment_score": round(self.sentiment_score, 4),
            "topic": self.topic,
            "topic_confidence": round(self.topic_confidence, 4),
            "tags": list(self.tags),
            "scheme_hits": self.scheme_hits_json(),
            "risk_score": self.risk.score,
            "risk_level": level.roman or "none",
            "risk": risk_band(level),
            "risk_factors": self.risk.factors_json(),
            "region": self.region,
            "title_masked": self.title_masked,
            "content_masked": self.content_masked,
            "model_version": self.model_version,
        }


def _chunks(texts: list[tuple[str, str]], max_chars: int) -> list[list[tuple[str, str]]]:
    return chunk_texts(texts, max_chars)


def risk_band(level: Level) -> str:
    """high for I–II, medium for III–IV, low otherwise."""
    if level >= Level.II:
        return "high"
    if level >= Level.IV:
        return "medium"
    return "low"


class Analyzer:
    def __init__(
        self,
        sentiment: SentimentModel,
        topics: TopicModel,
        schemes: SchemeMatcher,
        masker: Masker,
        regions: Sequence[str] = (),
        risk_params: RiskParams = DEFAULT_PARAMS,
    ) -> None:
        self.sentiment = sentiment
        self.topics = topics
        self.schemes = schemes
        self.masker = masker
        # Longest first, so 江北新区 (if configured) wins over 江北.
        self.regions = tuple(sorted(regions, key=len, reverse=True))
        self.risk_params = risk_params
        self.model_version = f"{sentiment.version}+{PIPELINE_VERSION}"[:64]

    @classmethod
    def from_config(cls, app_config: AppConfig, *, salt: bytes | str | None = None) -> Analyzer:
        settings = app_config.settings
        if salt is None and settings.secret_key is not None:
            # The deployment's secret key doubles as the pseudonym salt; without one, plain labels.
            salt = settings.secret_key.get_secret_value()
        return cls(
            sentiment=load_sentiment(settings.sentiment_model_path),
            topics=load_topics(app_config.topics),
            schemes=SchemeMatcher.from_config(app_config.schemes),
            masker=Masker(salt),
            regions=app_config.topics.regions,
        )

    def find_region(self, text: str) -> str | None:
        """The configured region named earliest in the text."""
        best: tuple[int, str] | None = None
        for region in self.regions:
            pos = text.find(region)
            if pos >= 0 and (best is None or pos < best[0]):
                best = (pos, region)
        return best[1] if best else None

    def analyze(self, records: Sequence[ItemInput], now: datetime | None = None) -> list[ItemResult]:
        """Analyse a batch. `now` (aware) dates 'unanswered for N days'; without it that factor is off."""
        if not records:
            return []
        masked: list[tuple[str, str]] = []
        for record in records:
            title = record.title[:MAX_ANALYZED_CHARS]
            content = record.content[:MAX_ANALYZED_CHARS]
            masked.append((self.masker.mask(title), self.masker.mask(content)))
        sentiments: list[SentimentResult] = []
        topics: list[TopicResult] = []
        for part in _chunks(masked, MODEL_CHUNK_CHARS):
            # both models read the same character n-grams: cut them once
            features = feature_batch(part, self.sentiment.arrays.n_max)
            sentiments += self.sentiment.predict_many(part, features)
            topics += self.topics.predict_many(part, features=features)
        results: list[ItemResult] = []
        for record, (title_m, content_m), sent, topic in zip(
            records, masked, sentiments, topics, strict=True
        ):
            text = f"{title_m}\n{content_m}"
            hits = tuple(self.schemes.match(text))
            signals = tuple(detect_signals(text))
            pending_hours = None
            if now is not None and record.published_at is not None and record.reply_status == "pending":
                pending_hours = (now - ensure_utc(record.published_at)).total_seconds() / 3600
            risk = item_risk(
                ItemRiskInput(
                    sentiment=sent.label,
                    sentiment_score=sent.score,
                    signals=signals,
                    scheme_hits=[SchemeSignal(h.scheme, h.always_alert, h.level, h.terms) for h in hits],
                    kind=record.kind,
                    reply_status=record.reply_status,
                    pending_hours=pending_hours,
                    overdue=record.overdue,
                ),
                self.risk_params,
            )
            results.append(
                ItemResult(
                    id=record.id,
                    kind=record.kind,
                    sentiment=sent.label,
                    sentiment_score=float(sent.score),
                    topic=topic.topic,
                    topic_confidence=float(topic.confidence),
                    tags=tuple(topic.tags),
                    scheme_hits=hits,
                    signals=signals,
                    risk=risk,
                    title_masked=title_m,
                    content_masked=content_m,
                    model_version=self.model_version,
                    region=record.region
                    or self.find_region(text)
                    or self.find_region(record.addressee or ""),
                    simhash=simhash64(text),
                )
            )
        return results
