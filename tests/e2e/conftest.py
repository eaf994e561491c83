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


@pytest.fixture(scope="session")
def _signed_in(browser: Any, dashboard: RunningDashboard) -> Iterator[dict[str, Any]]:
    """One browser context per user for the whole session (its cache keeps Dash's bundles between tests)."""
    contexts: dict[str, Any] = {}
    yield contexts
    for context in contexts.values():
        context.close()


@pytest.fixture
def new_context(
    browser: Any, dashboard: RunningDashboard, _signed_in: dict[str, Any]
) -> Iterator[Callable[..., Any]]:
    """`new_context("duty")` -> that user's signed-in context; `new_context(None)` -> a fresh anonymous one.
    Pages opened in a test are closed after it."""
    anonymous: list[Any] = []
    pages_before = {name: len(ctx.pages) for name, ctx in _signed_in.items()}

    def make(username: str | None) -> Any:
        if username is not None and username in _signed_in:
            return _signed_in[username]
        context = browser.new_context(
            viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
        )
        context.set_default_timeout(15_000)
        if username is None:
            anonymous.append(context)
            return context
        page = context.new_page()
        browser_login(page, dashboard.base_url, username)
        page.close()
        _signed_in[username] = context
        return context

    yield make
    for context in anonymous:
        context.close()
    for name, context in _signed_in.items():
        for page in context.pages[pages_before.get(name, 0) :]:
            page.close()
