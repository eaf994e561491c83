"""The `yuqing` command line. Each stage's commands live in yuqing/commands/<area>.py."""

from __future__ import annotations

from pathlib import Path

import typer

from yuqing.commands import ALL_AREAS
from yuqing.context import CliState, setup_logging

app = typer.Typer(
    name="yuqing",
    help="舆情监测与回应平台 — public-opinion monitoring and response for city and county offices.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global(
    ctx: typer.Context,
    config_dir: Path | None = typer.Option(
        None, "--config-dir", help="Directory of the YAML files (YUQING_CONFIG_DIR)."
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", help="SQLAlchemy URL (YUQING_DATABASE_URL)."
    ),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Where the database, reports and mail live."
    ),
    log_level: str = typer.Option("INFO", "--log-level", help="DEBUG, INFO, WARNING or ERROR."),
) -> None:
    setup_logging(log_level)
    ctx.obj = CliState(
        overrides={
            k: v
            for k, v in {"config_dir": config_dir, "database_url": database_url, "data_dir": data_dir}.items()
            if v is not None
        }
    )


for register in ALL_AREAS:
    register(app)


def main() -> None:
    app()
