"""Browser-test fixtures: one seeded dashboard on loopback and one Chromium for the whole session; signed-in
browser contexts per user (the sign-in is done once per user and its cookies reused)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server import RunningDashboard, browser_login, launch_browser, running_dashboard

VIEWPORT = {"width": 1440, "height": 900}


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDashboard]:
    with running_dashboard(Path(tmp_path_factory.mktemp("dashboard")), refresh_seconds=2.0) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_browser(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(
    browser: Any, dashboard: RunningDashboard, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Any]]:
    """`new_context("duty")` -> a signed-in browser context; `new_context(None)` -> an anonymous one."""
    contexts: list[Any] = []
    states = _STATES

    def make(username: str | None, **options: Any) -> Any:
        kwargs: dict[str, Any] = {
            "viewport": VIEWPORT,
            "locale": "zh-CN",
            "timezone_id": "Asia/Shanghai",
            "accept_downloads": True,
            **options,
        }
        if username is not None and username in states:
            kwargs["storage_state"] = states[username]
        context = browser.new_context(**kwargs)
        context.set_default_timeout(15_000)
        contexts.append(context)
        if username is not None and username not in states:
            page = context.new_page()
            browser_login(page, dashboard.base_url, username)
            path = tmp_path_factory.mktemp("state") / f"{username}.json"
            context.storage_state(path=str(path))
            states[username] = str(path)
            page.close()
        return context

    yield make
    for context in contexts:
        context.close()


_STATES: dict[str, str] = {}
