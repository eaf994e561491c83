"""Fixtures for the demo simulator: real servers on 127.0.0.1 (port 0) with a fixed start and a frozen clock
(speed 0), moved only through /_admin/advance."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from demo.server import DemoServer
from tests.integration.demo.demo_http import START, Fetch, make_fetch


@pytest.fixture(scope="module")
def shared_server() -> Iterator[DemoServer]:
    """A read-only server for shape tests (tests that move its clock or set faults use `server`)."""
    with DemoServer(seed=7, speed=0, backfill_days=14, start=START) as srv:
        yield srv


@pytest.fixture(scope="module")
def sfetch(shared_server: DemoServer) -> Fetch:
    return make_fetch(shared_server)


@pytest.fixture
def server() -> Iterator[DemoServer]:
    with DemoServer(seed=7, speed=0, backfill_days=3, start=START) as srv:
        yield srv


@pytest.fixture
def fetch(server: DemoServer) -> Fetch:
    return make_fetch(server)
