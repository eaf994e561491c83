"""Security-test fixtures: one seeded dashboard served by werkzeug on 127.0.0.1 for the session, started with
marker values for every secret (so any test may look for them), and plain-HTTP helpers: signing in through the
real form and calling Dash callbacks the way the renderer does, with or without the CSRF header."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from dashboard.auth import CSRF_COOKIE, CSRF_HEADER
from tests.e2e.server import RunningDashboard, http_login, running_dashboard
from tests.unit.dashboard.callbacks import payload

# Marker values: none of them may ever show up in a page, a response, a log line or command output.
SECRET_KEY = "MARKER-secret-key-7f3a9c1e5b2d8f4a6c0e9b7d3f1a5c8e"
ADMIN_PASSWORD = "MARKER-admin-password-4e8b"
SMTP_PASSWORD = "MARKER-smtp-password-9d2c"
DB_PASSWORD = "MARKER-db-password-6a1f"
METRICS_TOKEN = "MARKER-metrics-token-3c7e5a9b1d"
MARKERS = (SECRET_KEY, ADMIN_PASSWORD, SMTP_PASSWORD, DB_PASSWORD, METRICS_TOKEN)
# Shown in the configuration view only with its password hidden (the dashboard itself is given its database).
DISPLAY_DATABASE_URL = f"postgresql+psycopg://yuqing:{DB_PASSWORD}@db.internal:5432/yuqing"


def secret_settings() -> dict[str, Any]:
    return {
        "secret_key": SECRET_KEY,
        "admin_password": ADMIN_PASSWORD,
        "smtp_user": "yuqing",
        "smtp_password": SMTP_PASSWORD,
        "metrics_token": METRICS_TOKEN,
        "database_url": DISPLAY_DATABASE_URL,
    }


def assert_no_marker(text: str, where: str) -> None:
    for marker in MARKERS:
        assert marker not in text, f"a secret ({marker[:14]}...) appears in {where}"
        # and not in a form a template or a repr might produce
        assert marker.lower() not in text.lower(), f"a secret ({marker[:14]}...) appears in {where}"


def decoded(response: requests.Response) -> str:
    """A response body as text, with JSON's \\u escapes of Chinese undone (Dash answers in ASCII JSON)."""
    if response.headers.get("Content-Type", "").startswith("application/json") and response.content:
        return json.dumps(response.json(), ensure_ascii=False)
    return response.text


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDashboard]:
    with running_dashboard(
        Path(tmp_path_factory.mktemp("security")), refresh_seconds=3600.0, settings=secret_settings()
    ) as running:
        # Dash adds the pages router callback when it serves its first request.
        requests.get(running.url("/login"), timeout=10)
        yield running


class Client:
    """A requests session of one user (or anonymous) against the running dashboard."""

    def __init__(self, site: RunningDashboard, http: requests.Session) -> None:
        self.site = site
        self.http = http

    @property
    def csrf(self) -> str:
        return str(self.http.cookies.get(CSRF_COOKIE) or "")

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        return self.http.get(self.site.url(path), **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        return self.http.post(self.site.url(path), **kwargs)

    def call(
        self,
        output_contains: str,
        values: dict[str, Any],
        *,
        changed: list[str] | None = None,
        csrf: bool | str = True,
    ) -> requests.Response:
        """POST /_dash-update-component for the callback whose output key contains `output_contains` (or, with
        "input:<id>.<property>", the callback that input fires)."""
        headers = {}
        if csrf is True:
            headers[CSRF_HEADER] = self.csrf
        elif isinstance(csrf, str):
            headers[CSRF_HEADER] = csrf
        if output_contains.startswith("input:"):
            # The callback fired by this input ("input:<id>.<property>"), whatever its outputs.
            trigger = output_contains.removeprefix("input:")
            key = next(
                k
                for k, spec in self.site.app.callback_map.items()
                if any(f"{i['id']}.{i['property']}" == trigger for i in spec["inputs"])
            )
            body = payload(self.site.app, key, values, changed or [trigger])
            assert body["output"] == key
        else:
            body = payload(self.site.app, output_contains, values, changed)
        return self.post("/_dash-update-component", json=body, headers=headers)


@pytest.fixture
def login(site: RunningDashboard) -> Any:
    """`login("duty")` -> a signed-in Client; `login(None)` -> an anonymous one."""

    def make(username: str | None) -> Client:
        if username is None:
            return Client(site, requests.Session())
        return Client(site, http_login(site.base_url, username))

    return make
