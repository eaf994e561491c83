"""Chinese full-text search over items, with the same answers on SQLite (FTS5, trigram tokenizer) and
PostgreSQL (pg_trgm GIN indexes): a query is split on whitespace and an item matches when every term occurs
literally (ASCII letters case-insensitively; no wildcard or operator meaning) in its title or its content.
The indexes themselves are built by migration 0002_fulltext; `include_object` keeps them out of drift checks.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    bindparam,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
)

from core.models import Item, ItemAnalysis

# External-content FTS5 tables (SQLite) over items(title, content) and over the masked copies that
# non-administrators search (item_analysis.title_masked / content_masked); rowid = items.id in both.
FTS_ITEMS = "items_fts"
FTS_MASKED = "item_analysis_fts"
FTS_TABLES = (FTS_ITEMS, FTS_MASKED)
# GIN trigram indexes (PostgreSQL): (name, table, column).
TRGM_INDEXES = (
    ("ix_items_title_trgm", "items", "title"),
    ("ix_items_content_trgm", "items", "content"),
    ("ix_item_analysis_title_masked_trgm", "item_analysis", "title_masked"),
    ("ix_item_analysis_content_masked_trgm", "item_analysis", "content_masked"),
)
# A trigram index can only answer terms of at least three characters; shorter ones fall back to LIKE.
MIN_INDEXED_LENGTH = 3
MAX_TERMS = 16


def search_terms(text: str | None) -> list[str]:
    """The distinct whitespace-separated terms of a query, in order (at most MAX_TERMS; NUL removed, since
    neither database can hold it in a bound string)."""
    terms: list[str] = []
    for raw in (text or "").replace("\x00", "").split():
        if raw not in terms:
            terms.append(raw)
    return terms[:MAX_TERMS]


def like_pattern(term: str) -> str:
    """`%term%` with the LIKE wildcards and the escape character (backslash) escaped."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def fts_phrase(term: str) -> str:
    """An FTS5 string (phrase): inside double quotes every character is literal, quotes are doubled."""
    return '"' + term.replace('"', '""') + '"'


def _columns(masked: bool) -> tuple[Any, Any]:
    if masked:
        return ItemAnalysis.title_masked, ItemAnalysis.content_masked
    return Item.title, Item.content


def item_search_clause(dialect: str, text: str | None, *, masked: bool = False) -> ColumnElement[bool] | None:
    """A condition on `items` (Item.id) true for the items matching `text`, or None for an empty query.

    `masked=True` searches item_analysis.title_masked / content_masked instead of the raw texts (what
    non-administrators see; items not analysed yet have no masked text and never match). The condition is
    self-contained: the caller's select needs no join for it.
    """
    terms = search_terms(text)
    if not terms:
        return None
    title, content = _columns(masked)
    conds: list[ColumnElement[bool]] = []
    likes: list[ColumnElement[bool]] = []  # conditions on the text columns themselves
    if dialect == "sqlite":
        long_terms = [t for t in terms if len(t) >= MIN_INDEXED_LENGTH]
        if long_terms:
            name = FTS_MASKED if masked else FTS_ITEMS
            fts = table(name, column("rowid", Integer))
            query = " ".join(fts_phrase(t) for t in long_terms)  # implicit AND of phrases
            match = literal_column(name).op("MATCH")(bindparam(None, query, unique=True))
            conds.append(Item.id.in_(select(fts.c.rowid).where(match)))
        # SQLite's LIKE ignores ASCII case, as the trigram tokenizer does (case_sensitive 0).
        for t in terms:
            if len(t) < MIN_INDEXED_LENGTH:
                pattern = like_pattern(t)
                likes.append(or_(title.like(pattern, escape="\\"), content.like(pattern, escape="\\")))
    else:
        # PostgreSQL: ILIKE with the default backslash escape, which pg_trgm's GIN indexes answer for terms of
        # three characters or more. A shorter term has no trigram, and the index would be read whole (3x slower
        # than a table scan, bench/search.py): coalesce() hides the column from the index for those terms.
        for t in terms:
            pattern = like_pattern(t)
            if len(t) >= MIN_INDEXED_LENGTH:
                likes.append(or_(title.ilike(pattern), content.ilike(pattern)))
            else:
                likes.append(
                    or_(func.coalesce(title, "").ilike(pattern), func.coalesce(content, "").ilike(pattern))
                )
    if likes:
        if masked:
            conds.append(Item.id.in_(select(ItemAnalysis.item_id).where(and_(*likes))))
        else:
            conds.extend(likes)
    return and_(*conds)


def matches(title: str, content: str, text: str | None) -> bool:
    """The reference semantics in Python (tests, and a check for callers holding the texts)."""
    fields = (title.lower(), content.lower())
    return all(any(t.lower() in f for f in fields) for t in search_terms(text))


def is_search_object(name: str | None, type_: str) -> bool:
    """Whether a schema object belongs to the full-text indexes (FTS5 tables and their shadow tables, the
    trigram indexes), which the models do not describe."""
    if not name:
        return False
    if type_ == "table":
        return any(name == t or name.startswith(t + "_") for t in FTS_TABLES)
    if type_ == "index":
        return name in {n for n, _, _ in TRGM_INDEXES}
    return False


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic `include_object` hook: leave the full-text objects out of autogenerate and drift checks."""
    return not (reflected and is_search_object(name, type_))
