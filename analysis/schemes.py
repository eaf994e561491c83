"""Monitoring schemes (监测方案): AND of OR-groups of terms, exclusion words, /regex/ terms, always-alert.

Every literal term of every scheme goes into one Aho-Corasick automaton, so a text is scanned once whatever
the number of keywords; only schemes that a found term belongs to are then evaluated. Regex terms are
checked separately (they cannot share the automaton), and only for schemes still undecided.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import ahocorasick

from core.levels import Level
from core.settings import Scheme, SchemesFile

# Full-width ASCII to half-width and lower case, so ＡＢＣ and abc match the same term.
_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20


# Only full-width letters and digits change what a term matches; full-width punctuation (，。) is in almost
# every text and translating it costs more than the whole automaton scan.
_FULLWIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def normalize_for_matching(text: str) -> str:
    """Half-width and lower case; same length as the input, so positions stay valid for highlighting."""
    if _FULLWIDTH_ALNUM.search(text):
        text = text.translate(_FULLWIDTH)
    return text.lower()


def is_regex_term(term: str) -> bool:
    return len(term) > 2 and term.startswith("/") and term.endswith("/")


@dataclass(frozen=True)
class SchemeHit:
    """One scheme that matched: the terms found (the text as it occurs, for highlighting)."""

    scheme: str
    terms: tuple[str, ...]
    always_alert: bool
    level: Level

    def to_json(self) -> dict[str, object]:
        return {
            "scheme": self.scheme,
            "terms": list(self.terms),
            "always_alert": self.always_alert,
            "level": self.level.roman or "none",
        }


@dataclass
class _CompiledScheme:
    name: str
    groups: list[str]
    always_alert: bool
    level: Level
    # per group: compiled regex terms
    regexes: dict[str, list[re.Pattern[str]]] = field(default_factory=dict)
    exclude_regexes: list[re.Pattern[str]] = field(default_factory=list)


class SchemeMatcher:
    """Compiled from `SchemesFile` once; `match(text)` is pure and thread-safe."""

    def __init__(self, schemes: list[Scheme]) -> None:
        self._schemes: list[_CompiledScheme] = []
        # term -> [(scheme index, group name or None for an exclusion)]
        postings: dict[str, list[tuple[int, str | None]]] = defaultdict(list)
        for index, scheme in enumerate(s for s in schemes if s.enabled):
            compiled = _CompiledScheme(
                name=scheme.name,
                groups=list(scheme.groups),
                always_alert=scheme.always_alert,
                level=Level.parse(scheme.level),
            )
            for group, terms in scheme.groups.items():
                for term in terms:
                    if is_regex_term(term):
                        compiled.regexes.setdefault(group, []).append(re.compile(term[1:-1]))
                    else:
                        postings[normalize_for_matching(term.strip())].append((index, group))
            for term in scheme.exclude:
                if is_regex_term(term):
                    compiled.exclude_regexes.append(re.compile(term[1:-1]))
                else:
                    postings[normalize_for_matching(term.strip())].append((index, None))
            self._schemes.append(compiled)
        self._automaton: ahocorasick.Automaton | None = None
        if postings:
            automaton = ahocorasick.Automaton()
            for term, targets in postings.items():
                automaton.add_word(term, (len(term), tuple(targets)))
            automaton.make_automaton()
            self._automaton = automaton
        self._with_regex = [i for i, s in enumerate(self._schemes) if s.regexes]
        self.keyword_count = sum(len(t) for t in postings.values())

    @classmethod
    def from_config(cls, schemes: SchemesFile) -> SchemeMatcher:
        return cls(list(schemes.schemes))

    def match(self, text: str) -> list[SchemeHit]:
        """Schemes whose every group matches at least one term and no exclusion term matches."""
        norm = normalize_for_matching(text)
        # scheme index -> group -> found terms (original spelling from the text)
        found: dict[int, dict[str, list[str]]] = {}
        excluded: set[int] = set()
        if self._automaton is not None:
            for end, (length, targets) in self._automaton.iter(norm):
                matched = text[end - length + 1 : end + 1]
                for index, group in targets:
                    if group is None:
                        excluded.add(index)
                    else:
                        found.setdefault(index, {}).setdefault(group, []).append(matched)
        candidates = set(found) | set(self._with_regex)
        hits: list[SchemeHit] = []
        for index in sorted(candidates - excluded):
            scheme = self._schemes[index]
            groups = found.get(index, {})
            complete = True
            for group in scheme.groups:
                terms = groups.get(group)
                if not terms:
                    spans = [m.span() for rx in scheme.regexes.get(group, ()) if (m := rx.search(norm))]
                    terms = [text[a:b] for a, b in spans if b > a]
                    if not terms:
                        complete = False
                        break
                    groups.setdefault(group, []).extend(terms)
            if not complete:
                continue
            if any(rx.search(norm) for rx in scheme.exclude_regexes):
                continue
            ordered: list[str] = []
            for group in scheme.groups:
                for term in groups.get(group, ()):
                    if term not in ordered:
                        ordered.append(term)
            hits.append(SchemeHit(scheme.name, tuple(ordered), scheme.always_alert, scheme.level))
        return hits
