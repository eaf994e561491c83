"""Fast text features shared by the sentiment and topic models: normalisation and character n-grams.

Character n-grams need no dictionary (jieba needs about a second and tens of MB to load its dictionary and
is slower per text), and they keep short negations such as 不满意 or 没解决 intact. Negation scopes and
quoted phrases get marked features so that 不及时 and “高效” do not read as praise.

At run time a whole batch is cut at once in numpy (feature_batch + Vectorizer.transform_batch): each feature
is an int64 key of its code points, looked up in a hash table built from the vocabulary when the model loads.
The per-text path (text_features + Vectorizer.transform) builds the same rows; training and tests use it.
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

    The per-text path: training cuts its corpus with it (fitting the vocabulary, then the rows), so it is
    cached (LRU of 2,048 items, ~25 MB at 150 characters). The models at run time use feature_batch()."""
    text = normalize(join_title(title, content))
    tally = Counter(char_ngrams(text, n_max) + marked_features(text))
    return TextFeatures(text, tuple(tally), tuple(tally.values()))


def features(title: str, content: str, n_max: int = 3) -> list[str]:
    """Every feature occurrence of one item (uncached; for inspection and tests)."""
    text = normalize(join_title(title, content))
    return char_ngrams(text, n_max) + marked_features(text)


# --- the vectorised path --------------------------------------------------------------------------------

# A feature of 1-3 characters is one int64 key: each code point + 1 in 21 bits (U+10FFFF < 2**21), the first
# character highest. The + 1 keeps lengths apart (a bigram key is >= 2**21 > every unigram key), and the key
# of a marked feature is the key of the same string as a plain n-gram, so the two add up as in a Counter.
CHAR_BITS = 21
MAX_KEY_CHARS = 3
NO_KEY = -1  # a term that has no key (empty or longer than MAX_KEY_CHARS): it can never be found


def _code_points(text: str) -> np.ndarray:
    # surrogatepass: a lone surrogate (possible in text from the web) is a character like any other
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64) + 1


def encode_terms(terms: Sequence[str]) -> np.ndarray:
    """The int64 key of each term (NO_KEY for terms of no or more than MAX_KEY_CHARS characters)."""
    keys = np.full(len(terms), NO_KEY, dtype=np.int64)
    lengths = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
    for length in range(1, MAX_KEY_CHARS + 1):
        which = np.flatnonzero(lengths == length)
        if not len(which):
            continue
        chars = _code_points("".join([terms[i] for i in which.tolist()])).reshape(-1, length)
        key = chars[:, 0].copy()
        for col in range(1, length):
            key = (key << CHAR_BITS) | chars[:, col]
        keys[which] = key
    return keys


# The numpy temporaries of a batch take about 100 bytes a character at their peak: callers cut longer
# batches into parts of at most this many characters (~25 MB). An item's numbers do not depend on the items
# beside it, so the parts give the same results.
MAX_BATCH_CHARS = 250_000


def chunk_texts(texts: Sequence[tuple[str, str]], max_chars: int) -> list[list[tuple[str, str]]]:
    """Consecutive parts of `texts` of at most max_chars characters (an item longer than that on its own)."""
    parts: list[list[tuple[str, str]]] = [[]]
    size = 0
    for title, content in texts:
        chars = len(title) + len(content)
        if parts[-1] and size + chars > max_chars:
            parts.append([])
            size = 0
        parts[-1].append((title, content))
        size += chars
    return parts


@dataclass(frozen=True)
class FeatureBatch:
    """A batch of items cut into features at once: every occurrence's key and the row it belongs to."""

    texts: tuple[str, ...]  # normalised, one per item
    n_max: int
    keys: np.ndarray  # int64 [m], feature occurrences (n-grams, then marked features)
    rows: np.ndarray  # int64 [m], the item of each occurrence
    occurrences: np.ndarray  # float64 [n], how many occurrences each item has

    @property
    def n_rows(self) -> int:
        return len(self.texts)


def feature_batch(texts: Sequence[tuple[str, str]], n_max: int = 3) -> FeatureBatch:
    """The features text_features() counts for each (title, content), for the whole batch in numpy."""
    if not 1 <= n_max <= MAX_KEY_CHARS:
        raise ValueError(f"n_max must be 1..{MAX_KEY_CHARS}, not {n_max}")
    normalized = tuple(normalize(join_title(title, content)) for title, content in texts)
    lengths = np.fromiter(map(len, normalized), dtype=np.int64, count=len(normalized))
    chars = _code_points("".join(normalized))
    row_of = np.repeat(np.arange(len(normalized), dtype=np.int64), lengths)
    # characters left in the item from each position on (itself included): an n-gram must not cross items
    left = np.repeat(np.cumsum(lengths), lengths) - np.arange(len(chars), dtype=np.int64)
    keys = [chars]
    rows = [row_of]
    gram = chars
    for n in range(2, n_max + 1):
        gram = (gram[:-1] << CHAR_BITS) | chars[n - 1 :]
        inside = left[: len(gram)] >= n
        keys.append(gram[inside])
        rows.append(row_of[: len(gram)][inside])
    marked: list[str] = []
    marked_rows: list[int] = []
    for row, text in enumerate(normalized):
        found = marked_features(text)
        marked += found
        marked_rows += repeat(row, len(found))
    keys.append(encode_terms(marked))
    rows.append(np.array(marked_rows, dtype=np.int64))
    all_rows = np.concatenate(rows)
    occurrences = np.bincount(all_rows, minlength=len(normalized)).astype(np.float64)
    return FeatureBatch(normalized, n_max, np.concatenate(keys), all_rows, occurrences)


class KeyIndex:
    """An open-addressing hash table (linear probing) from distinct int64 keys to their positions in the
    array it was built from; a whole array of keys is looked up at once, a few numpy passes in all.

    np.searchsorted on a sorted key array costs several times more here: a batch's keys are unsorted, and
    each binary search is ~17 dependent cache misses where most probes here end at the first slot."""

    _MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the top bits of key * 2**64 / phi
    _SLOTS_PER_KEY = 4  # at most a quarter full: ~93% of a batch's lookups end at the first slot

    def __init__(self, keys: np.ndarray) -> None:
        keys = np.asarray(keys, dtype=np.int64)
        # A dict keeps the last of equal keys: do the same.
        last = len(keys) - 1 - np.unique(keys[::-1], return_index=True)[1]
        last = last[keys[last] >= 0]
        self._bits = max(4, (self._SLOTS_PER_KEY * len(last)).bit_length())
        size = 1 << self._bits
        self._mask = size - 1
        self._slot_keys = np.full(size, NO_KEY, dtype=np.int64)
        self._slot_values = np.full(size, -1, dtype=np.int32 if len(keys) < 2**31 else np.int64)
        pending = last
        home = self._home(keys[pending])
        probe = 0
        while len(pending):
            slot = (home + probe) & self._mask
            free = self._slot_keys[slot] == NO_KEY
            # of several keys wanting one free slot, the first takes it; the others probe on
            taken, first = np.unique(slot[free], return_index=True)
            winners = pending[free][first]
            self._slot_keys[taken] = keys[winners]
            self._slot_values[taken] = winners
            placed = np.zeros(len(pending), dtype=bool)
            placed[np.flatnonzero(free)[first]] = True
            pending, home = pending[~placed], home[~placed]
            probe += 1
        self._max_probe = max(0, probe - 1)  # no key sits further than this from its home slot
        self.size = len(last)

    def _home(self, keys: np.ndarray) -> np.ndarray:
        hashed = keys.view(np.uint64) * self._MULTIPLIER  # keys are >= 0: the view is the same number
        hashed >>= np.uint64(64 - self._bits)
        return hashed.view(np.int64)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """The position of each key (int64, >= 0) in the array the index was built from, or -1."""
        keys = np.ascontiguousarray(keys, dtype=np.int64)
        slot = self._home(keys)
        found = self._slot_keys[slot]
        out = np.where(found == keys, self._slot_values[slot], -1)
        # a key is absent when its probe reaches an empty slot; the rest probe on (few: the table is sparse)
        pending = np.flatnonzero((found != keys) & (found != NO_KEY))
        wanted, slot = keys[pending], slot[pending]
        for _ in range(self._max_probe):
            if not len(pending):
                break
            slot = (slot + 1) & self._mask
            found = self._slot_keys[slot]
            hit = found == wanted
            out[pending[hit]] = self._slot_values[slot[hit]]
            going = ~hit & (found != NO_KEY)
            pending, wanted, slot = pending[going], wanted[going], slot[going]
        return out


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
        return self.dot_t(np.ascontiguousarray(matrix.T), values)

    def dot_t(self, matrix_t: np.ndarray, *values: np.ndarray) -> np.ndarray:
        """dot() with the matrix given transposed, [k, V] and C-contiguous: one np.take gathers each column's
        entries side by side and reduceat sums contiguous runs (about 4x faster than gathering rows of a
        [V, k] matrix). With several value arrays the k columns split into equal blocks, block i weighted
        by values[i] (sentiment: logistic regression on TF-IDF beside Bayes on raw counts, one gather)."""
        k = matrix_t.shape[0]
        out = np.zeros((self.n_rows, k))
        if len(self.cols) == 0:
            return out
        gathered = np.take(matrix_t, self.cols, axis=1)
        block = k // len(values)
        for i, weights in enumerate(values):
            gathered[i * block : (i + 1) * block] *= weights
        starts = self.indptr[:-1]
        nonempty = self.indptr[1:] > starts
        out[nonempty] = np.add.reduceat(gathered, starts[nonempty], axis=1).T
        return out

    def to_scipy(self, which: str = "tfidf", n_features: int | None = None) -> object:
        """The rows as a scipy CSR matrix (training only; the runtime never imports scipy)."""
        from scipy import sparse

        data = self.tfidf if which == "tfidf" else self.counts
        width = n_features if n_features is not None else (int(self.cols.max()) + 1 if len(self.cols) else 0)
        return sparse.csr_matrix((data, self.cols, self.indptr), shape=(self.n_rows, width))


class Vectorizer:
    """Maps features to sparse rows: raw counts (for Bayes) and sublinear TF-IDF, L2-normalised
    (the numbers of scikit-learn's TfidfVectorizer(sublinear_tf=True)), without importing sklearn."""

    def __init__(self, vocabulary: Sequence[str], idf: np.ndarray) -> None:
        self.vocabulary = vocabulary
        self.idf = np.asarray(idf, dtype=np.float64)
        self._index: dict[str, int] | None = None
        # the vocabulary's keys (a shipped model's strings, converted at load time) in a hash table
        self.keys = KeyIndex(encode_terms(vocabulary))
        self.size = len(vocabulary)

    @property
    def index(self) -> dict[str, int]:
        """Term -> column, built on first use (only the per-text path needs it)."""
        if self._index is None:
            self._index = dict(zip(self.vocabulary, range(len(self.vocabulary)), strict=True))
        return self._index

    def transform(self, docs: Sequence[TextFeatures]) -> Rows:
        """Rows of features counted per text (the reference path: training and tests use it)."""
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
        return self._rows(indptr, cols_arr, counts_arr, unknown)

    def transform_batch(self, batch: FeatureBatch) -> Rows:
        """Rows of a FeatureBatch: the numbers transform() gives for the same texts, each row's features in
        column order (transform keeps first-occurrence order; sums may differ in the last bit)."""
        n = batch.n_rows
        width = max(self.size, 1)
        cols = self.keys.lookup(batch.keys)
        # (row, column) pairs as one sortable int64; equal neighbours after sorting are repeats
        pairs = (batch.rows * width + cols)[cols >= 0]
        pairs.sort()
        starts = np.flatnonzero(np.concatenate(([True], pairs[1:] != pairs[:-1]))) if len(pairs) else pairs
        counts = np.diff(np.append(starts, len(pairs))).astype(np.float64)
        pairs = pairs[starts]
        row_of = pairs // width
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(row_of, minlength=n), out=indptr[1:])
        # occurrences outside the vocabulary: all of a row's occurrences less the known ones (exact in float)
        unknown = batch.occurrences - segment_sums(counts, indptr)
        return self._rows(indptr, pairs - row_of * width, counts, unknown)

    def _rows(self, indptr: np.ndarray, cols: np.ndarray, counts: np.ndarray, unknown: np.ndarray) -> Rows:
        weights = (1.0 + np.log(counts)) * self.idf[cols] if len(cols) else counts
        norms = np.sqrt(segment_sums(weights * weights, indptr))
        norms[norms == 0] = 1.0
        tfidf = weights / np.repeat(norms, np.diff(indptr))
        return Rows(indptr, cols, counts, tfidf, unknown)
