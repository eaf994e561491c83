"""Shared fixtures: a fixed clock, the repository's configuration in a temp data dir, and migrated databases
on SQLite and on a throw-away PostgreSQL cluster.

Database tests that must hold on both backends take `any_db`; the PostgreSQL half needs Debian's postgresql
(scripts/install-system-deps.sh). In CI a missing PostgreSQL is an error, never a silent skip.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core.clock import FixedClock
from core.db import Database
from core.migrate import upgrade
from core.settings import AppConfig, load_config
from tests.pgserver import PostgresCluster, find_bindir

REPO = Path(__file__).resolve().parent.parent
# Friday 2026-11-20 10:00 in Asia/Shanghai: a working day, inside working hours.
DEFAULT_NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DEFAULT_NOW)


@pytest.fixture
def app_config(tmp_path: Path) -> AppConfig:
    return load_config({"config_dir": REPO / "config", "data_dir": tmp_path / "var"})


# --- SQLite ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once per session; each test gets a copy of the file (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, _sqlite_template: Path) -> str:
    target = tmp_path / "yuqing.db"
    shutil.copyfile(_sqlite_template, target)
    return f"sqlite:///{target}"


# YUQING_TEST_DATABASE=postgresql runs every test that takes `db` on PostgreSQL instead of SQLite (CI does
# a second pass this way), so the production store is exercised by the whole suite, not only by `any_db`.
TEST_DATABASE = os.environ.get("YUQING_TEST_DATABASE", "sqlite")


@pytest.fixture
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated database for this test: SQLite, or PostgreSQL under YUQING_TEST_DATABASE=postgresql."""
    url = request.getfixturevalue("pg_url" if TEST_DATABASE == "postgresql" else "sqlite_url")
    database = Database(url)
    yield database
    database.dispose()


# --- PostgreSQL --------------------------------------------------------------------------------------------

_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[str]:
    """Admin URL of a PostgreSQL server: YUQING_TEST_PG_URL if set, else a throw-away cluster."""
    external = os.environ.get("YUQING_TEST_PG_URL")
    if external:
        yield external
        return
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; run scripts/install-system-deps.sh")
        pytest.skip("PostgreSQL is not installed here (scripts/install-system-deps.sh installs it)")
    cluster = PostgresCluster(bindir)
    cluster.start()
    try:
        admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE yuqing_template"))
        admin.dispose()
        template = Database(cluster.url("yuqing_template"))
        upgrade(template.engine)
        template.dispose()
        yield cluster.url()
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test (copied from a migrated template)."""
    name = f"t_{os.getpid()}_{next(_counter)}"
    admin = create_engine(pg_cluster, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE yuqing_template'))
    base = pg_cluster.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated database, once on SQLite and once on PostgreSQL."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    database = Database(url)
    yield database
    database.dispose()
