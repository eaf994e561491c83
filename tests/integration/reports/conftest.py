"""Fixtures for the report tests: a database seeded with two known weeks (see seed.py), the Monday-morning
clock of the weekly job, and the reports directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.clock import FixedClock
from core.db import Database
from core.settings import AppConfig
from tests.integration.reports.seed import MONDAY_MORNING, Seeded, seed_two_weeks


@pytest.fixture
def seeded(db: Database) -> Seeded:
    return seed_two_weeks(db)


@pytest.fixture
def monday_clock() -> FixedClock:
    return FixedClock(MONDAY_MORNING)


@pytest.fixture
def reports_dir(app_config: AppConfig) -> Iterator[Path]:
    path = app_config.settings.reports_dir
    path.mkdir(parents=True, exist_ok=True)
    yield path
