"""`yuqing dashboard`: serve the duty officer's console (werkzeug in development, gunicorn in production)."""

from __future__ import annotations

import logging
from typing import Any

import typer
from sqlalchemy import select

from core.errors import ConfigError, ConfigProblem
from core.models import User
from core.settings import AppConfig
from yuqing.context import config_failure, state

logger = logging.getLogger(__name__)


def production_problems(config: AppConfig, admin_exists: bool) -> list[ConfigProblem]:
    """What stops the dashboard from starting in production mode."""
    settings = config.settings
    problems = []
    if settings.secret_key is None or not settings.secret_key.get_secret_value():
        problems.append(ConfigProblem("environment", "YUQING_SECRET_KEY", "required in production mode"))
    if settings.admin_password is None or not settings.admin_password.get_secret_value():
        problems.append(ConfigProblem("environment", "YUQING_ADMIN_PASSWORD", "required in production mode"))
    elif not admin_exists:
        problems.append(
            ConfigProblem("database", "users", "no active admin account; run `yuqing init` first")
        )
    return problems


def _serve_gunicorn(config: AppConfig, host: str, port: int, workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    class DashboardServer(BaseApplication):
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "timeout": 60,
                "graceful_timeout": 20,
                "control_socket_disable": True,  # --no-control-socket: no runtime control socket
                "accesslog": "-",
                "proc_name": "yuqing-dashboard",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            # Built in each worker after the fork, so no database connection crosses a fork.
            from dashboard.app import create_app

            return create_app(config).server

    DashboardServer().run()


def register(app: typer.Typer) -> None:
    @app.command("dashboard")
    def dashboard(
        ctx: typer.Context,
        host: str | None = typer.Option(None, help="Address to listen on (YUQING_DASHBOARD_HOST)."),
        port: int | None = typer.Option(None, help="Port (YUQING_DASHBOARD_PORT, default 8050)."),
        workers: int = typer.Option(2, min=1, help="Production only: gunicorn worker processes."),
        threads: int = typer.Option(8, min=1, help="Production only: threads per worker."),
    ) -> None:
        """Serve the dashboard (login required for every page and endpoint). Production mode serves it with
        gunicorn and refuses to start without an admin password and secret key."""
        config = state(ctx).config()
        settings = config.settings
        bind_host = host or settings.dashboard_host
        bind_port = port or settings.dashboard_port
        if settings.mode == "production":
            db = state(ctx).database()
            try:
                with db.session() as s:
                    admin = s.scalar(
                        select(User.id).where(User.role == "admin", User.active.is_(True)).limit(1)
                    )
            except Exception:  # an unmigrated database: report it like the other start-up problems
                logger.exception("cannot read users")
                admin = None
            finally:
                db.dispose()
            problems = production_problems(config, admin is not None)
            if problems:
                config_failure(ConfigError(problems))
            typer.echo(f"dashboard (production, gunicorn) on http://{bind_host}:{bind_port}")
            _serve_gunicorn(config, bind_host, bind_port, workers, threads)
            return
        from werkzeug.serving import run_simple

        from dashboard.app import create_app

        try:
            dash_app = create_app(config)
        except ConfigError as exc:
            config_failure(exc)
        typer.echo(f"dashboard (development) on http://{bind_host}:{bind_port}")
        run_simple(
            bind_host, bind_port, dash_app.server, threaded=True, use_reloader=False, use_debugger=False
        )
