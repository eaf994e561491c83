"""Fixtures of the dashboard tests: a seeded SQLite database (built once per module, copied per test), the
app on it with a fixed clock, and a signed-in Flask test client per role."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from core.clock import FixedClock
from core.db import Database
from core.settings import AppConfig, load_config
from dashboard.app import create_app
from tests.conftest import DEFAULT_NOW, REPO
from tests.e2e.seed import PASSWORD, SeedInfo, add_reports, seed


@dataclass
class Seeded:
    path: Path
    info: SeedInfo


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Seeded:
    folder = tmp_path_factory.mktemp("seeded")
    path = folder / "seeded.db"
    shutil.copyfile(_sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    config = load_config({"config_dir": REPO / "config", "data_dir": folder / "var"})
    info = seed(db, config, DEFAULT_NOW)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return Seeded(path, info)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def config(data_dir: Path) -> AppConfig:
    return load_config({"config_dir": REPO / "config", "data_dir": data_dir})


@pytest.fixture
def seeded_db(seeded_template: Seeded, tmp_path: Path) -> Iterator[Database]:
    target = tmp_path / "dashboard.db"
    shutil.copyfile(seeded_template.path, target)
    db = Database(f"sqlite:///{target}")
    yield db
    db.dispose()


@pytest.fixture
def info(seeded_template: Seeded) -> SeedInfo:
    return seeded_template.info


@pytest.fixture
def fixed_clock() -> FixedClock:
    return FixedClock(DEFAULT_NOW)


@pytest.fixture
def app(config: AppConfig, seeded_db: Database, fixed_clock: FixedClock, info: SeedInfo) -> object:
    add_reports(seeded_db, DEFAULT_NOW, config.settings.data_dir / "reports", info)
    dash_app = create_app(config, db=seeded_db, clock=fixed_clock, cache_seconds=0)
    dash_app.server.config["TESTING"] = True
    return dash_app


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the sign-in form"
    return match.group(1)


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD, next_url: str = "/") -> object:
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": form_token(page.text),
            "next": next_url,
        },
    )


@pytest.fixture
def client_for(app: object) -> Callable[[str], FlaskClient]:
    def make(username: str) -> FlaskClient:
        client: FlaskClient = app.server.test_client()  # type: ignore[attr-defined]
        response = sign_in(client, username)
        assert response.status_code == 302, getattr(response, "text", "")[:300]  # type: ignore[attr-defined]
        return client

    return make
