"""Serve a seeded dashboard on 127.0.0.1 (werkzeug, threaded, in a background thread) and launch Debian's
Chromium through Playwright: shared by the browser tests and the screenshot script."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import make_server

from core.db import Database
from core.migrate import upgrade
from core.settings import AppConfig, load_config
from dashboard.app import create_app
from tests.e2e.seed import PASSWORD, SeedInfo, add_reports, seed

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class RunningDashboard:
    base_url: str
    config: AppConfig
    db: Database
    info: SeedInfo
    app: Any

    def url(self, path: str) -> str:
        return self.base_url + path


@contextmanager
def running_dashboard(
    tmp: Path, *, refresh_seconds: float = 3.0, settings: dict[str, Any] | None = None
) -> Iterator[RunningDashboard]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    overrides = {"config_dir": REPO / "config", "data_dir": tmp / "var", **(settings or {})}
    config = load_config(overrides)
    db = Database(f"sqlite:///{tmp / 'dashboard.db'}")
    upgrade(db.engine)
    now = datetime.now(UTC).replace(microsecond=0)
    info = seed(db, config, now)
    add_reports(db, now, config.settings.data_dir / "reports", info)
    app = create_app(config, db=db, refresh_seconds=refresh_seconds, cache_seconds=1.0)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="dashboard", daemon=True)
    thread.start()
    try:
        yield RunningDashboard(f"http://127.0.0.1:{server.server_port}", config, db, info, app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        db.dispose()


def http_login(base_url: str, username: str, password: str = PASSWORD) -> requests.Session:
    """A requests session signed in through the real form (CSRF field included)."""
    session = requests.Session()
    page = session.get(base_url + "/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "login form has no CSRF field"
    response = session.post(
        base_url + "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1), "next": "/"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:300]
    return session


def card_selector(alert_id: int) -> str:
    """CSS selector of an alert card: Dash renders pattern-matching ids as sorted compact JSON."""
    return "[id='" + json.dumps({"index": alert_id, "type": "alert-card"}, separators=(",", ":")) + "']"


def countdown_selector(alert_id: int) -> str:
    return "[id='" + json.dumps({"index": alert_id, "type": "countdown"}, separators=(",", ":")) + "']"


def launch_browser(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def browser_login(
    page: Any, base_url: str, username: str, password: str = PASSWORD, next_path: str = "/"
) -> None:
    page.goto(f"{base_url}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#login-submit")
