"""Crawl tests run the production path: a DemoServer on loopback, the repository's config/sources.yaml (pointed
at it through YUQING_DEMO_URL) in a temp config dir, and `python -m crawlers.run` as a subprocess writing
into a migrated temp SQLite file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from core.db import Database
from core.models import CrawlRun, Item, Source
from demo.server import DemoServer

REPO = Path(__file__).resolve().parents[3]

# Test politeness: no delays, short timeouts (the demo is on loopback).
TEST_DEFAULTS = {
    "download_delay": 0,
    "autothrottle": False,
    "concurrency_per_domain": 8,
    "download_timeout": 3,
    "retry_times": 2,
    "max_pages": 200,
}


@dataclass
class CrawlEnv:
    config_dir: Path
    data_dir: Path
    database_url: str
    demo: DemoServer | None  # None: a test serving its own site
    db: Database

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            YUQING_CONFIG_DIR=str(self.config_dir),
            YUQING_DATA_DIR=str(self.data_dir),
            YUQING_DATABASE_URL=self.database_url,
            YUQING_LOG_LEVEL="INFO",
        )
        if self.demo is not None:
            env["YUQING_DEMO_URL"] = self.demo.url
        return env

    def crawl(self, key: str, *extra: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "crawlers.run", key, "--trigger", "test", *extra],
            env=self.env, cwd=REPO, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip

    def popen(self, key: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "crawlers.run", key, "--trigger", "test"],
            env=self.env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def edit_sources(self, change: Any) -> None:
        """Apply `change(data)` to the temp sources.yaml (a dict) and write it back."""
        path = self.config_dir / "sources.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    def source(self, key: str) -> dict[str, Any]:
        data = yaml.safe_load((self.config_dir / "sources.yaml").read_text(encoding="utf-8"))
        return next(s for s in data["sources"] if s["key"] == key)

    # --- the demo's admin endpoints ----------------------------------------------------------------------

    def admin(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        assert self.demo is not None
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(self.demo.url + path, data=data, method="POST" if data else "GET")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def published(self, source: str) -> list[dict[str, Any]]:
        return list(self.admin(f"/_admin/published?source={source}")["sources"][source])

    def advance(self, minutes: float) -> None:
        self.admin("/_admin/advance", {"minutes": minutes})

    def fault(self, spec: dict[str, Any]) -> None:
        self.admin("/_admin/faults", {"add": [spec]})

    def clear_faults(self) -> None:
        self.admin("/_admin/faults", {"clear": True})

    # --- the database ------------------------------------------------------------------------------------

    def items(self, key: str) -> list[Item]:
        with self.db.session() as session:
            return list(
                session.scalars(
                    select(Item).join(Source, Source.id == Item.source_id).where(Source.key == key)
                )
            )

    def runs(self, key: str) -> list[CrawlRun]:
        with self.db.session() as session:
            return list(
                session.scalars(
                    select(CrawlRun)
                    .join(Source, Source.id == CrawlRun.source_id)
                    .where(Source.key == key)
                    .order_by(CrawlRun.id)
                )
            )

    def source_row(self, key: str) -> Source:
        with self.db.session() as session:
            return session.scalars(select(Source).where(Source.key == key)).one()


def write_test_config(config_dir: Path, *, extra_sources: list[dict[str, Any]] | None = None) -> None:
    """Copy config/ and adapt sources.yaml for tests: no politeness delays, short timeouts, every feed on
    (also demo_open311 and demo_news_list, which the default config leaves off as duplicates)."""
    shutil.copytree(REPO / "config", config_dir)
    path = config_dir / "sources.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.setdefault("defaults", {}).update(TEST_DEFAULTS)
    for source in data["sources"]:
        source["enabled"] = True
        if source.get("board"):
            source["board"]["revisit_interval_minutes"] = 0.001
            source["board"]["revisit_max_age_days"] = 36500
    data["sources"].extend(extra_sources or [])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


# A fixed simulated start (Friday 10:00 in Asia/Shanghai) makes the demo's content, replies, edits and
# deletions the same on every run; the test config lets revisits reach back that far.
DEMO_START = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def start_demo(**kwargs: Any) -> DemoServer:
    options: dict[str, Any] = {"seed": 7, "speed": 0, "backfill_days": 1, "start": DEMO_START}
    options.update(kwargs)
    return DemoServer(**options).start()


@contextmanager
def custom_env(tmp_path: Path, sqlite_url: str, **demo_options: Any) -> Iterator[CrawlEnv]:
    """A CrawlEnv over a DemoServer built with other options (board size, backfill, faults)."""
    server = start_demo(**demo_options)
    config_dir = tmp_path / "config"
    write_test_config(config_dir)
    database = Database(sqlite_url)
    try:
        yield CrawlEnv(config_dir, tmp_path / "var", sqlite_url, server, database)
    finally:
        database.dispose()
        server.stop()


@pytest.fixture
def demo() -> Iterator[DemoServer]:
    server = start_demo()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def crawl_env(tmp_path: Path, sqlite_url: str, demo: DemoServer) -> Iterator[CrawlEnv]:
    config_dir = tmp_path / "config"
    write_test_config(config_dir)
    database = Database(sqlite_url)
    try:
        yield CrawlEnv(config_dir, tmp_path / "var", sqlite_url, demo, database)
    finally:
        database.dispose()
