"""full-text search indexes (core/search.py), and an index for /metrics

SQLite: external-content FTS5 tables with the trigram tokenizer over items(title, content) and
item_analysis(title_masked, content_masked), kept in step by triggers and filled from existing rows.
PostgreSQL: the pg_trgm extension and GIN trigram indexes on the same four columns.
Both: ix_crawl_runs_status_source, so /metrics counts failed crawl runs per source from the index.

A later migration that rebuilds `items` or `item_analysis` on SQLite (batch mode copies the table and drops the
old one, and its triggers with it) must create these triggers again; tests/integration/db/test_fulltext.py checks
that they exist at head.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (fts table, content table, rowid column, indexed columns); names as in core/search.py.
SQLITE_FTS = (
    ("items_fts", "items", "id", ("title", "content")),
    ("item_analysis_fts", "item_analysis", "item_id", ("title_masked", "content_masked")),
)
PG_TRGM = (
    ("ix_items_title_trgm", "items", "title"),
    ("ix_items_content_trgm", "items", "content"),
    ("ix_item_analysis_title_masked_trgm", "item_analysis", "title_masked"),
    ("ix_item_analysis_content_masked_trgm", "item_analysis", "content_masked"),
)


def _sqlite_upgrade() -> None:
    for fts, content, rowid, cols in SQLITE_FTS:
        names = ", ".join(cols)
        new = ", ".join(f"new.{c}" for c in cols)
        old = ", ".join(f"old.{c}" for c in cols)
        # columnsize=0: no per-row token counts (no ranking is done), a smaller index.
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{content}', content_rowid='{rowid}', "
            f"tokenize='trigram', columnsize=0)"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {content} BEGIN "
            f"INSERT INTO {fts}(rowid, {names}) VALUES (new.{rowid}, {new}); END"
        )
        # An external-content index must be told the old values to remove them.
        op.execute(
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {content} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.{rowid}, {old}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {rowid}, {names} ON {content} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.{rowid}, {old}); "
            f"INSERT INTO {fts}(rowid, {names}) VALUES (new.{rowid}, {new}); END"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def _sqlite_downgrade() -> None:
    for fts, _content, _rowid, _cols in SQLITE_FTS:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")


def upgrade() -> None:
    op.create_index("ix_crawl_runs_status_source", "crawl_runs", ["status", "source_id"], unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, column in PG_TRGM:
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)")
    else:  # pragma: no cover - only the two supported databases
        raise NotImplementedError(f"full-text search is not implemented for {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_downgrade()
    elif dialect == "postgresql":
        for name, _table, _column in PG_TRGM:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        # The extension stays: other objects of the database may use it, and dropping it needs ownership.
    op.drop_index("ix_crawl_runs_status_source", table_name="crawl_runs")
