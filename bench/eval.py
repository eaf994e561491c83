"""Quality of the sentiment and topic models: the project's government set and the shared public sets.

Usage: .venv/bin/python bench/eval.py [--data ../shared/data] [--baseline-sample 1000] [--no-baseline]
                                      [--sentiment-model PATH] [--topic-model PATH] [--jieba]

Prints sentiment macro-F1 / accuracy and topic accuracy, with SnowNLP as shipped beside ours as the
baseline. Mappings (stated again in the output):
- gov set, 3 classes. SnowNLP as shipped: score < 0.4 negative, > 0.6 positive, otherwise neutral.
- binary public sets: ours says positive when its score >= 0.5, i.e. P(positive) >= P(negative), so a
  "neutral" prediction goes to whichever polar class is more probable; SnowNLP: positive when >= 0.5.
- SMP2020 virus: happy = positive; angry, sad, fear = negative; surprise and neutral left out.
- osmdataset evl: 0 = positive; 1 (weak negative), 2 (anger), 3 (anxiety) = negative.
- weibo_senti_100k labels were derived from the emoticons in the text ([哈哈], [泪]); the generated
  comments the model trains on use emoticons too, so the figure with [emoticons] removed is shown beside.
- tipdm topics: 15-way prediction scored against the 7 labels present (another class counts as wrong);
  "within 7" also shows the argmax restricted to those 7 classes. fj2_full9210 text is pre-segmented:
  spaces are removed.
The shared data is read in place and never copied. The gov set halves: even lines ("dev") were looked at
while tuning the corpus and blend weight, odd lines ("test") were not.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.sentiment import LABELS, SentimentModel  # noqa: E402
from analysis.topics import TopicModel  # noqa: E402
from core.settings import TOPIC_CLASSES, TopicsFile  # noqa: E402

GOV_SET = ROOT / "bench" / "data" / "gov_eval.jsonl"
EMOTICON = re.compile(r"\[[^\[\]]{1,8}\]")

Texts = list[tuple[str, str]]


# --- metrics -------------------------------------------------------------------------------------------


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> float:
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    return sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / len(gold) if gold else 0.0


# --- data ----------------------------------------------------------------------------------------------


def load_gov() -> list[dict[str, object]]:
    with GOV_SET.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_weibo(path: Path) -> tuple[Texts, list[str]]:
    texts: Texts = []
    gold: list[str] = []
    with path.open(encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for row in reader:
            if len(row) >= 2 and row[0] in ("0", "1"):
                texts.append(("", "\t".join(row[1:])))
                gold.append("positive" if row[0] == "1" else "negative")
    return texts, gold


def load_smp_virus(path: Path) -> tuple[Texts, list[str]]:
    mapping = {"happy": "positive", "angry": "negative", "sad": "negative", "fear": "negative"}
    rows = json.loads(path.read_text(encoding="utf-8"))
    pairs = [(("", r["content"]), mapping[r["label"]]) for r in rows if r["label"] in mapping]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def load_osm(directory: Path) -> tuple[Texts, list[str]]:
    reviews = (directory / "evl_review.txt").read_text(encoding="utf-8").splitlines()
    labels = (directory / "evl_label.txt").read_text(encoding="utf-8").splitlines()
    texts: Texts = []
    gold: list[str] = []
    for review, label in zip(reviews, labels, strict=False):
        if label.strip() in ("0", "1", "2", "3"):
            texts.append(("", review.replace(" ", "")))
            gold.append("positive" if label.strip() == "0" else "negative")
    return texts, gold


def load_tipdm_segmented(path: Path) -> tuple[Texts, list[str]]:
    texts: Texts = []
    gold: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            texts.append(("", row["text_segmented"].replace(" ", "")))
            gold.append(row["label_l1"])
    return texts, gold


def load_tipdm_raw(path: Path) -> tuple[Texts, list[str]]:
    texts: Texts = []
    gold: list[str] = []
    with path.open(encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            texts.append((row["留言主题"].strip(), row["留言详情"].strip()))
            gold.append(row["一级分类"].strip())
    return texts, gold


# --- predictors ----------------------------------------------------------------------------------------


class Ours:
    def __init__(self, model: SentimentModel) -> None:
        self.model = model

    def three_way(self, texts: Texts) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        blend, p_lr, p_nb = self._probs(texts)
        for name, probs in (("blend", blend), ("LR", p_lr), ("Bayes", p_nb)):
            out[name] = [LABELS[int(i)] for i in probs.argmax(axis=1)]
        return out

    def binary(self, texts: Texts) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        blend, p_lr, p_nb = self._probs(texts)
        for name, probs in (("blend", blend), ("LR", p_lr), ("Bayes", p_nb)):
            out[name] = ["positive" if p[2] >= p[0] else "negative" for p in probs]
        return out

    def _probs(self, texts: Texts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        parts = [self.model.probabilities(texts[i : i + 2000]) for i in range(0, len(texts), 2000)]
        return tuple(np.vstack([p[k] for p in parts]) for k in range(3))  # type: ignore[return-value]


class SnowNLPShipped:
    """SnowNLP's own classifier as shipped (snownlp.sentiment.classify, the same as SnowNLP(t).sentiments)."""

    def __init__(self) -> None:
        started = time.perf_counter()
        from snownlp import sentiment

        self.classify: Callable[[str], float] = sentiment.classify
        self.import_seconds = time.perf_counter() - started
        self.seconds = 0.0
        self.count = 0

    def scores(self, texts: Texts) -> list[float]:
        started = time.perf_counter()
        out = [float(self.classify(f"{t}。{c}" if t else c)) if (t or c).strip() else 0.5 for t, c in texts]
        self.seconds += time.perf_counter() - started
        self.count += len(texts)
        return out

    def three_way(self, texts: Texts) -> list[str]:
        return ["negative" if s < 0.4 else "positive" if s > 0.6 else "neutral" for s in self.scores(texts)]

    def binary(self, texts: Texts) -> list[str]:
        return ["positive" if s >= 0.5 else "negative" for s in self.scores(texts)]


# --- reports -------------------------------------------------------------------------------------------


def line(name: str, n: int, metrics: dict[str, float]) -> str:
    cells = "  ".join(f"{k} {v:.3f}" for k, v in metrics.items())
    return f"  {name:<34} n={n:<6} {cells}"


def evaluate_gov(ours: Ours, topic: TopicModel, baseline: SnowNLPShipped | None, jieba_check: bool) -> None:
    rows = load_gov()
    print(f"\n== Government set ({GOV_SET.relative_to(ROOT)}, {len(rows)} items, 3-way sentiment, 15 topics)")
    halves = {"all": rows, "dev (even lines)": rows[0::2], "test (odd lines)": rows[1::2]}
    for half, part in halves.items():
        texts = [(str(r["title"]), str(r["content"])) for r in part]
        gold = [str(r["sentiment"]) for r in part]
        print(f" sentiment, {half}:")
        for name, pred in ours.three_way(texts).items():
            label = {
                "blend": "ours: Bayes+LR blend (shipped)",
                "LR": "ours: LR alone",
                "Bayes": "ours: SnowNLP-Bayes alone",
            }[name]
            print(
                line(
                    label, len(gold), {"macro-F1": macro_f1(gold, pred, LABELS), "acc": accuracy(gold, pred)}
                )
            )
        if baseline is not None:
            pred = baseline.three_way(texts)
            metrics = {"macro-F1": macro_f1(gold, pred, LABELS), "acc": accuracy(gold, pred)}
            print(line("SnowNLP as shipped (0.4/0.6)", len(gold), metrics))
        gold_topic = [str(r["topic"]) for r in part]
        results = topic.predict_many(texts)
        plain = topic.predict_many(texts, use_keywords=False)
        print(f" topic, {half}:")
        print(
            line(
                "ours: LR + config keyword hints",
                len(part),
                {"acc": accuracy(gold_topic, [r.topic for r in results])},
            )
        )
        print(line("ours: LR alone", len(part), {"acc": accuracy(gold_topic, [r.topic for r in plain])}))
        print(
            line(
                "config keywords alone (no model)",
                len(part),
                {"acc": accuracy(gold_topic, keyword_only(topic, texts))},
            )
        )
    texts = [(str(r["title"]), str(r["content"])) for r in rows]
    gold = [str(r["sentiment"]) for r in rows]
    pred = ours.three_way(texts)["blend"]
    print(
        " per-label F1 (blend, all):", "  ".join(f"{lab} {macro_f1(gold, pred, [lab]):.3f}" for lab in LABELS)
    )
    evaluate_high_risk(rows)
    if jieba_check:
        compare_segmentation(rows)


def evaluate_high_risk(rows: list[dict[str, object]]) -> None:
    """Recall (and precision) of the full per-item analysis on the items labeled high-risk: an item counts as
    flagged when its risk is "high" (level I or II), the level that pages leaders at once."""
    from analysis.pipeline import Analyzer, ItemInput
    from core.settings import load_config

    analyzer = Analyzer.from_config(load_config({"config_dir": ROOT / "config"}))
    records = [
        ItemInput(i, str(r.get("kind") or "board"), str(r["title"]), str(r["content"]))
        for i, r in enumerate(rows)
    ]
    results = analyzer.analyze(records)
    gold = [bool(r.get("high_risk")) for r in rows]
    for label, at_least in (("risk high (I-II)", 3), ("risk medium or high (I-III)", 2)):
        flagged = [int(res.risk.level) >= at_least for res in results]
        hits = sum(1 for g, f in zip(gold, flagged, strict=True) if g and f)
        recall = hits / max(1, sum(gold))
        precision = hits / max(1, sum(flagged))
        print(line(f"high-risk items, {label}", sum(gold), {"recall": recall, "precision": precision}))


def keyword_only(topic: TopicModel, texts: Texts) -> list[str]:
    """Baseline without a model: the class with most config keywords found (first class on ties/none)."""
    from analysis.textfeatures import text_features

    out = []
    for title, content in texts:
        hits, _ = topic._keywords.scan(text_features(title, content).text)
        out.append(max(TOPIC_CLASSES, key=lambda c: hits.get(c, 0)))
    return out


def evaluate_binary(
    name: str, texts: Texts, gold: list[str], ours: Ours, baseline: SnowNLPShipped | None, sample: int
) -> None:
    print(f"\n== {name} ({len(texts)} texts, binary)")
    for label, pred in ours.binary(texts).items():
        print(
            line(
                f"ours: {label}",
                len(gold),
                {"macro-F1": macro_f1(gold, pred, ("negative", "positive")), "acc": accuracy(gold, pred)},
            )
        )
    if baseline is not None:
        idx = list(range(len(texts)))
        random.Random(11).shuffle(idx)
        idx = sorted(idx[:sample])
        sub_texts = [texts[i] for i in idx]
        sub_gold = [gold[i] for i in idx]
        pred = ours.binary(sub_texts)["blend"]
        metrics = {
            "macro-F1": macro_f1(sub_gold, pred, ("negative", "positive")),
            "acc": accuracy(sub_gold, pred),
        }
        print(line("ours: blend, on the baseline sample", len(sub_gold), metrics))
        pred = baseline.binary(sub_texts)
        metrics = {
            "macro-F1": macro_f1(sub_gold, pred, ("negative", "positive")),
            "acc": accuracy(sub_gold, pred),
        }
        print(line("SnowNLP as shipped, same sample", len(sub_gold), metrics))
    if any(EMOTICON.search(c) for _, c in texts[:500]):
        # weibo_senti_100k's labels come from the emoticons in the text: show the figure without them too
        bare = [(t, EMOTICON.sub("", c)) for t, c in texts]
        pred = ours.binary(bare)["blend"]
        metrics = {"macro-F1": macro_f1(gold, pred, ("negative", "positive")), "acc": accuracy(gold, pred)}
        print(line("ours: blend, [emoticons] removed", len(gold), metrics))


def evaluate_topics(name: str, texts: Texts, gold: list[str], topic: TopicModel) -> None:
    present = sorted(set(gold))
    started = time.perf_counter()
    results = topic.predict_many(texts)
    rate = len(texts) / (time.perf_counter() - started)
    pred = [r.topic for r in results]
    within = restricted_argmax(topic, texts, present)
    print(f"\n== {name} ({len(texts)} posts, {len(present)} classes)")
    print(
        line(
            "ours: 15-way",
            len(gold),
            {"acc": accuracy(gold, pred), "macro-F1": macro_f1(gold, pred, present)},
        )
    )
    print(line("ours: argmax within the 7 classes", len(gold), {"acc": accuracy(gold, within)}))
    print(f"  ({rate:,.0f} posts/s with tags)")


def restricted_argmax(topic: TopicModel, texts: Texts, allowed: Sequence[str]) -> list[str]:
    from analysis.textfeatures import text_features

    docs = [text_features(t, c, topic.arrays.n_max) for t, c in texts]
    rows = topic.vectorizer.transform(docs)
    logits = rows.dot(rows.tfidf, topic.arrays.coef.astype(np.float64)) + topic.arrays.bias
    cols = [TOPIC_CLASSES.index(c) for c in allowed]
    return [allowed[int(i)] for i in logits[:, cols].argmax(axis=1)]


def compare_segmentation(rows: list[dict[str, object]]) -> None:
    """Measure jieba words against char n-grams: speed and gov-set macro-F1 of the same LR trained on the
    same corpus (SnowNLP's segmenter is slower still, see its measured 21 texts/s)."""
    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from analysis import training
    from analysis.textfeatures import char_ngrams, join_title, normalize

    print("\n== Segmentation: jieba words (+ word bigrams) vs char 1-3-grams, same corpus, same LR")
    params = training.SentimentParams()
    examples = training.sentiment_corpus(params)
    train_texts = [normalize(join_title(e.title, e.content)) for e in examples]
    y = [e.label for e in examples]
    w = [e.weight for e in examples]
    test_texts = [normalize(join_title(str(r["title"]), str(r["content"]))) for r in rows]
    gold = [str(r["sentiment"]) for r in rows]
    started = time.perf_counter()
    jieba.initialize()
    load_s = time.perf_counter() - started

    def words(text: str) -> list[str]:
        tokens = jieba.lcut(text)
        return tokens + [a + "_" + b for a, b in itertools.pairwise(tokens)]

    for name, analyzer in (("jieba words+bigrams", words), ("char 1-3-grams", char_ngrams)):
        started = time.perf_counter()
        for text in test_texts * 4:
            analyzer(text)
        per_item = (time.perf_counter() - started) / (len(test_texts) * 4) * 1e6
        vec = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, min_df=2)
        x = vec.fit_transform(train_texts)
        model = LogisticRegression(C=params.c, max_iter=300).fit(x, y, sample_weight=w)
        pred = list(model.predict(vec.transform(test_texts)))
        print(line(name, len(gold), {"macro-F1": macro_f1(gold, pred, LABELS), "us/item": per_item}))
    print(f"  (jieba dictionary load: {load_s:.2f} s)")


def measure_speed(sentiment: SentimentModel, topic: TopicModel) -> None:
    """CPU time of sentiment + topic per ~150-character item, in batches and one by one (fresh texts each
    time, so the per-item feature cache only helps where it does in the job: topic reuses sentiment's)."""
    from analysis.textfeatures import text_features

    rows = load_gov()

    def texts(tag: str) -> Texts:
        return [
            (str(r["title"]), (f"{tag}{k}" + str(r["content"]) * 4)[:150]) for k in range(5) for r in rows
        ]

    print("\n== Speed: sentiment + topic, CPU time per ~150-character item (one core)")
    batch = texts("a")
    started = time.process_time()
    for i in range(0, len(batch), 500):
        part = batch[i : i + 500]
        sentiment.predict_many(part)
        topic.predict_many(part)
    per_item = (time.process_time() - started) / len(batch)
    print(f"  predict_many, batches of 500: {per_item * 1e6:6.0f} us/item  ({1 / per_item:,.0f} items/s)")
    single = texts("b")
    started = time.process_time()
    for title, content in single:
        sentiment.predict(title, content)
        topic.predict(title, content)
    per_item = (time.process_time() - started) / len(single)
    print(f"  predict, one at a time:       {per_item * 1e6:6.0f} us/item  ({1 / per_item:,.0f} items/s)")
    started = time.process_time()
    for title, content in texts("c"):
        text_features(title, content)
    per_item = (time.process_time() - started) / len(single)
    print(f"  of which features (normalise, n-grams, count): {per_item * 1e6:4.0f} us/item")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--sentiment-model", type=Path, default=None)
    parser.add_argument("--topic-model", type=Path, default=None)
    parser.add_argument("--baseline-sample", type=int, default=1000, help="texts per public set for SnowNLP")
    parser.add_argument("--no-baseline", action="store_true", help="skip SnowNLP as shipped (slow)")
    parser.add_argument("--jieba", action="store_true", help="also compare jieba segmentation (slow)")
    args = parser.parse_args()

    import yaml

    topics = TopicsFile.model_validate(
        yaml.safe_load((ROOT / "config" / "topics.yaml").read_text(encoding="utf-8"))
    )
    sentiment = SentimentModel.load(args.sentiment_model)
    topic = TopicModel.load(topics, args.topic_model)
    print(f"sentiment model {sentiment.version}, topic model {topic.version}")
    baseline = None if args.no_baseline else SnowNLPShipped()
    if baseline is not None:
        print(f"SnowNLP as shipped imported in {baseline.import_seconds:.1f} s")
    ours = Ours(sentiment)
    measure_speed(sentiment, topic)
    evaluate_gov(ours, topic, baseline, args.jieba)

    data = args.data
    public: list[tuple[str, Callable[[], tuple[Texts, list[str]]]]] = [
        ("weibo_senti_100k test", lambda: load_weibo(data / "weibo_senti_100k" / "test.csv")),
        ("weibo_senti_100k dev", lambda: load_weibo(data / "weibo_senti_100k" / "dev.csv")),
        (
            "SMP2020-EWECT virus test (happy vs angry/sad/fear)",
            lambda: load_smp_virus(data / "smp2020_ewect" / "virus_test_labeled.json"),
        ),
        ("osmdataset2022 evl (0 vs 1/2/3)", lambda: load_osm(data / "osmdataset2022")),
    ]
    for name, loader in public:
        try:
            texts, gold = loader()
        except FileNotFoundError as exc:
            print(f"\n== {name}: skipped, {exc.filename} not found")
            continue
        evaluate_binary(name, texts, gold, ours, baseline, args.baseline_sample)
    for name, topic_loader in (
        (
            "tipdm2020c fj2_full9210_segmented (spaces removed)",
            lambda: load_tipdm_segmented(data / "tipdm2020c" / "fj2_full9210_segmented.csv"),
        ),
        (
            "tipdm2020c fj2_sample495_raw (title + detail)",
            lambda: load_tipdm_raw(data / "tipdm2020c" / "fj2_sample495_raw.csv"),
        ),
    ):
        try:
            texts, gold = topic_loader()
        except FileNotFoundError as exc:
            print(f"\n== {name}: skipped, {exc.filename} not found")
            continue
        evaluate_topics(name, texts, gold, topic)
    if baseline is not None and baseline.count:
        print(
            f"\nSnowNLP as shipped scored {baseline.count} texts at {baseline.count / baseline.seconds:.0f} texts/s"
        )


if __name__ == "__main__":
    main()
