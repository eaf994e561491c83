"""Fast text features shared by the sentiment and topic models: normalisation and character n-grams.

Character n-grams need no dictionary (jieba needs about a second and tens of MB to load its dictionary and
is slower per text), and they keep short negations such as 不满意 or 没解决 intact. Negation scopes and
quoted phrases get marked features so that 不及时 and “高效” do not read as praise.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat

import numpy as np

# Full-width ASCII (！ to ～) to half-width, the ideographic space to a space.
_FULLWIDTH = re.compile("[\uff01-\uff5e\u3000]")

_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_LATIN = re.compile(r"[a-z]+")
_SPACES = re.compile(r"\s+")

# Sentence and clause boundaries end a negation scope.
CLAUSE_END = "。！？!?；;，,、\n…~"

# Negation cues, longest first: the regex alternation takes the first that matches, so 并没有 wins over 没.
NEGATIONS = (
    "并没有",
    "并未能",
    "一直没",
    "始终没",
    "从来没",
    "迟迟不",
    "迟迟未",
    "仍未",
    "尚未",
    "并未",
    "未能",
    "没能",
    "没有",
    "不能",
    "不够",
    "无法",
    "毫无",
    "不",
    "没",
    "未",
    "无",
    "别",
)
# How many characters after a cue belong to its scope (bounded by the clause end).
NEG_SCOPE = 6
# The scope is captured in a lookahead, so a cue inside another cue's scope still opens its own scope.
_NEGATION = re.compile(
    "(?:" + "|".join(map(re.escape, NEGATIONS)) + ")(?=([^" + re.escape(CLAUSE_END) + f"]{{1,{NEG_SCOPE}}}))"
)

# A positive word in quotes is usually irony in complaints (“高效”, "为民服务").
_QUOTED = re.compile(r"“([^”]{1,12})”|\"([^\"]{1,12})\"|「([^」]{1,12})」|『([^』]{1,12})』|‘([^’]{1,12})’")


def _halfwidth(match: re.Match[str]) -> str:
    char = match.group()
    return " " if char == "\u3000" else chr(ord(char) - 0xFEE0)


def normalize(text: str) -> str:
    """Half-width, lower case, numbers folded to 0 and Latin words to 'a', whitespace removed."""
    # a regex touching only full-width characters is ~5x faster than str.translate on CJK text
    text = _FULLWIDTH.sub(_halfwidth, text).lower()
    text = _DIGITS.sub("0", text)
    text = _LATIN.sub("a", text)
    return _SPACES.sub("", text)


def join_title(title: str, content: str) -> str:
    """The text the models see: the title, a sentence end, the content."""
    title = title.strip()
    content = content.strip()
    if title and content:
        return f"{title}。{content}"
    return title or content


def char_ngrams(text: str, n_max: int = 3) -> list[str]:
    """All character 1..n_max-grams of `text` (already normalised); n_max is 1, 2 or 3."""
    out = list(text)
    if n_max >= 2:
        # map() with C-level callables is about 30% faster than slicing in a comprehension
        bigrams = list(map(operator.add, text, text[1:]))
        out += bigrams
        if n_max >= 3:
            out += map(operator.add, bigrams, text[2:])
    return out


def marked_features(text: str) -> list[str]:
    """Features that plain n-grams miss: '!' + the first character and every bigram of a negation scope,
    '“' + every bigram inside quotes."""
    out: list[str] = []
    for scope in _NEGATION.findall(text):
        out.append("!" + scope[0])  # 不好, 没人: the first character after the cue matters most
        out += map(operator.add, repeat("!"), map(operator.add, scope, scope[1:]))
    for match in _QUOTED.finditer(text):
        quoted = next(g for g in match.groups() if g is not None)
        if len(quoted) == 1:
            out.append("“" + quoted)
        else:
            out += map(operator.add, repeat("“"), map(operator.add, quoted, quoted[1:]))
    return out


@dataclass(frozen=True, slots=True)
class TextFeatures:
    """One item's normalised text and its distinct features with their counts."""

    text: str
    terms: tuple[str, ...]
    counts: tuple[int, ...]


@lru_cache(maxsize=2048)
def text_features(title: str, content: str, n_max: int = 3) -> TextFeatures:
    """Features of one item: char 1..n_max-grams of the normalised text plus marked features, counted.

    Cached (LRU of 2,048 items, ~25 MB at 150 characters): the sentiment and topic models score the same
    batch one after the other (the job's batches are 500-1,000 items), so each text is cut and counted once."""
    text = normalize(join_title(title, content))
    tally = Counter(char_ngrams(text, n_max) + marked_features(text))
    return TextFeatures(text, tuple(tally), tuple(tally.values()))


def features(title: str, content: str, n_max: int = 3) -> list[str]:
    """Every feature occurrence of one item (uncached; for inspection and tests)."""
    text = normalize(join_title(title, content))
    return char_ngrams(text, n_max) + marked_features(text)


def segment_sums(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Sum of values[indptr[i]:indptr[i+1]] for each i (0 for empty segments)."""
    out = np.zeros(len(indptr) - 1)
    starts = indptr[:-1]
    nonempty = indptr[1:] > starts
    if len(values):
        out[nonempty] = np.add.reduceat(values, starts[nonempty])
    return out


@dataclass(frozen=True)
class Rows:
    """A batch of documents as sparse rows: row i owns cols[indptr[i]:indptr[i+1]]."""

    indptr: np.ndarray  # [n+1]
    cols: np.ndarray  # [nnz] vocabulary indices
    counts: np.ndarray  # [nnz] raw counts (the Bayes model uses these)
    tfidf: np.ndarray  # [nnz] sublinear TF-IDF, L2-normalised per row
    unknown: np.ndarray  # [n] occurrences of features outside the vocabulary

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def dot(self, values: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        """Row-wise sum of values[j] * matrix[cols[j]]: a sparse [n, V] times a dense [V, k], in numpy."""
        out = np.zeros((self.n_rows, matrix.shape[1]))
        if len(self.cols) == 0:
            return out
        contrib = matrix[self.cols] * values[:, None]
        starts = self.indptr[:-1]
        nonempty = self.indptr[1:] > starts
        out[nonempty] = np.add.reduceat(contrib, starts[nonempty], axis=0)
        return out

    def to_scipy(self, which: str = "tfidf", n_features: int | None = None) -> object:
        """The rows as a scipy CSR matrix (training only; the runtime never imports scipy)."""
        from scipy import sparse

        data = self.tfidf if which == "tfidf" else self.counts
        width = n_features if n_features is not None else (int(self.cols.max()) + 1 if len(self.cols) else 0)
        return sparse.csr_matrix((data, self.cols, self.indptr), shape=(self.n_rows, width))


class Vectorizer:
    """Maps feature lists to sparse rows: raw counts (for Bayes) and sublinear TF-IDF, L2-normalised
    (the numbers of scikit-learn's TfidfVectorizer(sublinear_tf=True)), without importing sklearn."""

    def __init__(self, vocabulary: Sequence[str], idf: np.ndarray) -> None:
        self.index: dict[str, int] = dict(zip(vocabulary, range(len(vocabulary)), strict=True))
        self.idf = np.asarray(idf, dtype=np.float64)
        self.size = len(self.index)

    def transform(self, docs: Sequence[TextFeatures]) -> Rows:
        get = self.index.get
        indptr = np.zeros(len(docs) + 1, dtype=np.int64)
        all_cols: list[int] = []
        all_counts: list[int] = []
        for row, doc in enumerate(docs):
            all_cols += map(get, doc.terms, repeat(-1))
            all_counts += doc.counts
            indptr[row + 1] = len(all_cols)
        cols_arr = np.array(all_cols, dtype=np.int64)
        counts_arr = np.array(all_counts, dtype=np.float64)
        unknown: np.ndarray = np.zeros(len(docs))
        known = cols_arr >= 0
        if not known.all():
            # drop unknown features, remembering how many occurrences each row had
            row_of = np.repeat(np.arange(len(docs)), np.diff(indptr))
            unknown = np.bincount(row_of[~known], weights=counts_arr[~known], minlength=len(docs))
            kept = np.concatenate(([0], np.cumsum(known)))
            indptr = kept[indptr]
            cols_arr = cols_arr[known]
            counts_arr = counts_arr[known]
        weights = (1.0 + np.log(counts_arr)) * self.idf[cols_arr] if len(cols_arr) else counts_arr
        norms = np.sqrt(segment_sums(weights * weights, indptr))
        norms[norms == 0] = 1.0
        tfidf = weights / np.repeat(norms, np.diff(indptr))
        return Rows(indptr, cols_arr, counts_arr, tfidf, unknown)
