"""What every command shares: global flags, loading the configuration once, logging, the database."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from typing import Any, NoReturn

import typer

from core.db import Database
from core.errors import ConfigError
from core.settings import AppConfig, Settings, load_config, load_settings

logger = logging.getLogger(__name__)

EXIT_CONFIG = 2


@dataclass
class CliState:
    overrides: dict[str, Any] = field(default_factory=dict)
    _config: AppConfig | None = None

    def config(self) -> AppConfig:
        """The whole validated configuration; a broken one prints every problem and exits with status 2."""
        if self._config is None:
            try:
                self._config = load_config(self.overrides)
            except ConfigError as exc:
                config_failure(exc)
        return self._config

    def settings(self) -> Settings:
        if self._config is not None:
            return self._config.settings
        try:
            return load_settings(self.overrides)
        except ConfigError as exc:
            config_failure(exc)

    def database(self) -> Database:
        return Database(self.settings().effective_database_url)


def config_failure(exc: ConfigError) -> NoReturn:
    typer.echo("配置有误 / configuration error:", err=True)
    for problem in exc.problems:
        typer.echo(f"  - {problem}", err=True)
    raise typer.Exit(EXIT_CONFIG)


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Scrapy and APScheduler are chatty at INFO; their warnings still show.
    for noisy in ("apscheduler.executors", "urllib3", "matplotlib", "jieba", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
