"""Fast text features shared by the sentiment and topic models: normalisation and character n-grams.

Character n-grams need no dictionary (jieba takes about a second and tens of MB to load its dictionary and
is several times slower per text), and they keep short negations such as 不满意 or 没解决 intact.
Negation scopes and quoted phrases get marked features so 不及时 and “高效” do not look like praise.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence

import numpy as np
from scipy import sparse

# Full-width ASCII (！ to ～) to half-width, the ideographic space to a space.
_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20

_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_LATIN = re.compile(r"[a-z]+")
_SPACES = re.compile(r"\s+")

# Sentence and clause boundaries end a negation scope.
CLAUSE_END = frozenset("。！？!?；;，,、\n…~")

# Negation cues, longest first so that 并没有 wins over 没有 and 没.
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
_NEG_FIRST = frozenset(n[0] for n in NEGATIONS)
# How many characters after a cue belong to its scope (bounded by the clause end).
NEG_SCOPE = 6

# A positive word in quotes is usually irony in complaints (“高效”, "为民服务").
_QUOTED = re.compile(r"“([^”]{1,12})”|\"([^\"]{1,12})\"|「([^」]{1,12})」|『([^』]{1,12})』|‘([^’]{1,12})’")


def normalize(text: str) -> str:
    """Half-width, lower case, numbers folded to 0 and Latin words to 'a', whitespace removed."""
    text = text.translate(_FULLWIDTH).lower()
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


def char_ngrams(text: str, n_min: int = 1, n_max: int = 3) -> list[str]:
    """All character n-grams of `text` for n in [n_min, n_max] (text already normalised)."""
    out: list[str] = []
    size = len(text)
    for n in range(n_min, n_max + 1):
        out.extend(text[i : i + n] for i in range(size - n + 1))
    return out


def _negation_scopes(text: str) -> Iterator[str]:
    """The characters under negation: up to NEG_SCOPE characters after a cue, within its clause."""
    i = 0
    size = len(text)
    while i < size:
        ch = text[i]
        if ch in _NEG_FIRST:
            cue = next((n for n in NEGATIONS if text.startswith(n, i)), None)
            if cue is not None:
                start = i + len(cue)
                end = start
                limit = min(size, start + NEG_SCOPE)
                while end < limit and text[end] not in CLAUSE_END:
                    end += 1
                if end > start:
                    yield text[start:end]
                i = start
                continue
        i += 1


def marked_features(text: str) -> list[str]:
    """Features that plain n-grams miss: '!'+bigram inside a negation scope, '“'+bigram inside quotes."""
    out: list[str] = []
    for scope in _negation_scopes(text):
        out.extend("!" + scope[i : i + 2] for i in range(len(scope) - 1))
    for match in _QUOTED.finditer(text):
        quoted = next(g for g in match.groups() if g is not None)
        out.extend("“" + quoted[i : i + 2] for i in range(max(1, len(quoted) - 1)))
    return out


def features(title: str, content: str, n_max: int = 3) -> list[str]:
    """Every feature of one item: char 1..n_max-grams of the normalised text plus marked features."""
    text = normalize(join_title(title, content))
    return char_ngrams(text, 1, n_max) + marked_features(text)


class Vectorizer:
    """Maps feature lists to sparse rows: raw counts (for Bayes) and sublinear TF-IDF, L2-normalised
    (the same numbers as scikit-learn's TfidfVectorizer(sublinear_tf=True)), without importing sklearn."""

    def __init__(self, vocabulary: Sequence[str], idf: np.ndarray) -> None:
        self.index: dict[str, int] = {term: i for i, term in enumerate(vocabulary)}
        self.idf = idf.astype(np.float64)
        self.size = len(self.index)

    def transform(
        self, docs: Sequence[Sequence[str]]
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix, np.ndarray]:
        """(counts, tfidf, unknown) for docs given as feature lists; `unknown` counts features not in the
        vocabulary per doc (SnowNLP's Bayes gives those the class's unseen probability)."""
        index = self.index
        indptr = [0]
        indices: list[int] = []
        counts: list[int] = []
        unknown = np.zeros(len(docs), dtype=np.float64)
        for row, feats in enumerate(docs):
            tally = Counter(feats)
            missing = 0
            for term, count in tally.items():
                col = index.get(term)
                if col is None:
                    missing += count
                else:
                    indices.append(col)
                    counts.append(count)
            unknown[row] = missing
            indptr.append(len(indices))
        shape = (len(docs), self.size)
        cnt = np.asarray(counts, dtype=np.float64)
        cols = np.asarray(indices, dtype=np.int32)
        ptr = np.asarray(indptr, dtype=np.int32)
        count_matrix = sparse.csr_matrix((cnt, cols, ptr), shape=shape)
        weights = (1.0 + np.log(cnt)) * self.idf[cols] if len(cnt) else cnt
        tfidf = sparse.csr_matrix((weights, cols, ptr), shape=shape)
        norms = np.sqrt(np.asarray(tfidf.multiply(tfidf).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        tfidf = sparse.csr_matrix(sparse.diags(1.0 / norms) @ tfidf)
        return count_matrix, tfidf, unknown
