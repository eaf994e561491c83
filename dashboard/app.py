"""`create_app(config)`: the Dash application (use_pages) on a Flask server with sign-in, roles and CSRF.

The app's `server` attribute is the Flask WSGI application (werkzeug in development, gunicorn in production).
Pages are registered explicitly from dashboard.pages and callbacks bound to this app, so several apps can
live in one process (tests) and nothing touches the database at import time.
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from types import ModuleType

import dash
from dash import Dash
from flask import Flask

from core.clock import Clock, SystemClock
from core.db import Database
from core.settings import AppConfig
from dashboard import auth, metrics
from dashboard.components import shell
from dashboard.pages import admin, alerts, departments, events, items, overview, reports, sources
from dashboard.runtime import EXTENSION_KEY, Services, TTLCache

logger = logging.getLogger(__name__)

PAGES: tuple[ModuleType, ...] = (overview, alerts, events, items, departments, sources, reports, admin)
ASSETS = Path(__file__).resolve().parent / "assets"


def create_app(
    config: AppConfig,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    refresh_seconds: float = 10.0,
    cache_seconds: float = 5.0,
) -> Dash:
    """Build the dashboard. `refresh_seconds` is how often figures refresh in the browser; `cache_seconds`
    how long one computation of the shared figures (overview) serves every session."""
    settings = config.settings
    database = db or Database(settings.effective_database_url)
    services = Services(
        config=config,
        db=database,
        clock=clock or SystemClock(),
        refresh_seconds=refresh_seconds,
        cache=TTLCache(cache_seconds),
    )

    server = Flask(__name__, root_path=str(ASSETS.parent), static_folder=None)
    auth.configure_server(server, settings)
    server.extensions[EXTENSION_KEY] = services
    # Auth first: its before_request guard must run before any hook Dash installs.
    auth.Auth(server, services)
    reports.register_routes(server)
    metrics.register_routes(server)

    app = Dash(
        __name__,
        server=server,  # type: ignore[arg-type]  # Dash's stubs omit the Flask instance it accepts
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        title="舆情监测与回应平台",
        update_title="",  # no "Updating..." flicker in the tab title on every refresh
        suppress_callback_exceptions=True,
        serve_locally=True,
        compress=False,
        csrf_token_name=auth.CSRF_COOKIE,
        csrf_header_name=auth.CSRF_HEADER,
        enable_mcp=False,
        health_endpoint=None,
    )
    for order, page in enumerate(PAGES):
        dash.register_page(
            page.__name__,
            path=page.PATH,
            name=page.NAME,
            title=f"{page.NAME} - 舆情监测与回应平台",
            layout=page.layout,
            order=order,
        )
    app.layout = shell.layout
    shell.register_callbacks(app)
    for page in PAGES:
        page.register_callbacks(app)
    # Everything built so far (Dash, Plotly, pandas, the page registry) lives as long as the process: keep it
    # out of the garbage collector's full passes, which otherwise land on random requests (~60 ms each).
    gc.freeze()
    logger.info("dashboard ready (%d pages, refresh every %.0f s)", len(PAGES), refresh_seconds)
    return app
