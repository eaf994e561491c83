"""`yuqing dashboard`: serve the duty officer's console (werkzeug in development, gunicorn in production)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import typer
from sqlalchemy import select

from core.errors import ConfigError, ConfigProblem
from core.models import User
from core.settings import AppConfig
from core.users import verify_password
from yuqing.commands.system_cmd import DEMO_PASSWORD
from yuqing.context import config_failure, state

logger = logging.getLogger(__name__)


# Passwords that ship with the software or come first to mind: production refuses them for the admin.
DEFAULT_PASSWORDS = frozenset(
    {DEMO_PASSWORD, "admin", "administrator", "password", "changeme", "change-me", "123456", "12345678",
     "yuqing", "yuqing123", "admin123", "admin@123", "password123", "qwerty"}
)  # fmt: skip
MIN_ADMIN_PASSWORD = 10
MIN_SECRET_KEY = 32


def production_problems(
    config: AppConfig, admin_exists: bool, demo_password_admins: Sequence[str] = ()
) -> list[ConfigProblem]:
    """What stops the dashboard from starting in production mode. `demo_password_admins`: active admin
    accounts whose password is still the development demo password. Problems never quote a secret."""
    settings = config.settings
    problems = []
    secret_key = settings.secret_key.get_secret_value() if settings.secret_key else ""
    if not secret_key:
        problems.append(ConfigProblem("environment", "YUQING_SECRET_KEY", "required in production mode"))
    elif len(secret_key) < MIN_SECRET_KEY:
        problems.append(
            ConfigProblem(
                "environment",
                "YUQING_SECRET_KEY",
                f"too short: at least {MIN_SECRET_KEY} characters (python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')",
            )
        )
    admin_password = settings.admin_password.get_secret_value() if settings.admin_password else ""
    if not admin_password:
        problems.append(ConfigProblem("environment", "YUQING_ADMIN_PASSWORD", "required in production mode"))
    elif admin_password.strip().lower() in DEFAULT_PASSWORDS or len(admin_password) < MIN_ADMIN_PASSWORD:
        problems.append(
            ConfigProblem(
                "environment",
                "YUQING_ADMIN_PASSWORD",
                f"a default or well-known password, or shorter than {MIN_ADMIN_PASSWORD} characters: "
                "choose a real one",
            )
        )
    elif not admin_exists:
        problems.append(
            ConfigProblem("database", "users", "no active admin account; run `yuqing init` first")
        )
    for username in demo_password_admins:
        problems.append(
            ConfigProblem(
                "database",
                f"users.{username}",
                f"the admin account still has the demo password; change it with `yuqing user passwd {username}`",
            )
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
            admins: list[tuple[str, str]] = []
            try:
                with db.session() as s:
                    admins = [
                        (name, password_hash)
                        for name, password_hash in s.execute(
                            select(User.username, User.password_hash).where(
                                User.role == "admin", User.active.is_(True)
                            )
                        )
                    ]
            except Exception:  # an unmigrated database: report it like the other start-up problems
                logger.exception("cannot read users")
            finally:
                db.dispose()
            demo = [name for name, password_hash in admins if verify_password(password_hash, DEMO_PASSWORD)]
            problems = production_problems(config, bool(admins), demo)
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
