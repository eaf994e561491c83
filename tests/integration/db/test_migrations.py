"""Migrations build the whole schema on empty SQLite and PostgreSQL databases, and match the models."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from core.db import Database
from core.migrate import downgrade, is_initialised, upgrade
from core.models import Alert, Base, Item, Source
from core.search import include_object

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    admin_url: str = request.getfixturevalue("pg_cluster")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"empty_{abs(hash(str(tmp_path))) % 10**8}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    return Database(_empty_database_url(request, tmp_path))


def test_upgrade_on_empty_database_creates_every_table(empty_db: Database) -> None:
    assert not is_initialised(empty_db.engine)
    upgrade(empty_db.engine)
    assert is_initialised(empty_db.engine)
    tables = set(inspect(empty_db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_models_and_migrations_agree(empty_db: Database) -> None:
    """A model change without a migration (or the reverse) fails here."""
    upgrade(empty_db.engine)
    with empty_db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_up_again(empty_db: Database) -> None:
    upgrade(empty_db.engine)
    downgrade(empty_db.engine, "base")
    assert "items" not in inspect(empty_db.engine).get_table_names()
    upgrade(empty_db.engine)
    assert "items" in inspect(empty_db.engine).get_table_names()


def _source(db: Database) -> int:
    with db.session() as s:
        src = Source(key="s1", name="S1", kind="board", created_at=NOW, state={})
        s.add(src)
        s.flush()
        return src.id


def _item(source_id: int, external_id: str) -> Item:
    return Item(
        source_id=source_id,
        external_id=external_id,
        kind="board",
        title="t",
        content="c",
        fetched_at=NOW,
        updated_at=NOW,
        content_hash="h",
    )


def test_items_are_unique_per_source_and_external_id(any_db: Database) -> None:
    source_id = _source(any_db)
    with any_db.session() as s:
        s.add(_item(source_id, "A1"))
    with pytest.raises(IntegrityError), any_db.session() as s:
        s.add(_item(source_id, "A1"))
    with any_db.session() as s:
        assert s.scalar(select(Item.external_id).where(Item.source_id == source_id)) == "A1"


def test_one_open_alert_per_fingerprint_but_resolved_ones_may_repeat(any_db: Database) -> None:
    def alert(state: str) -> Alert:
        return Alert(
            fingerprint="event_risk:event:1",
            rule="event_risk",
            level=3,
            state=state,
            title="x",
            opened_at=NOW,
            updated_at=NOW,
        )

    with any_db.session() as s:
        s.add(alert("resolved"))
        s.add(alert("resolved"))
        s.add(alert("triggered"))
    with pytest.raises(IntegrityError), any_db.session() as s:
        s.add(alert("acknowledged"))


def test_datetimes_come_back_as_the_same_instant(any_db: Database) -> None:
    from core.clock import ensure_utc

    source_id = _source(any_db)
    with any_db.session() as s:
        row = s.get(Source, source_id)
        assert row is not None
        assert ensure_utc(row.created_at) == NOW


def test_sqlite_uses_wal_and_foreign_keys(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
