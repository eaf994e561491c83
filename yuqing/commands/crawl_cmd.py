"""Crawling commands: `yuqing crawl`, `yuqing source test`, `yuqing import hotline`."""

from __future__ import annotations

from pathlib import Path

import typer

from yuqing.context import state

source_app = typer.Typer(help="Inspect configured sources.", no_args_is_help=True)
import_app = typer.Typer(help="Import records handed over as files.", no_args_is_help=True)


def _not_yet(what: str) -> None:
    typer.echo(f"{what} arrives with the crawlers issue (#4)", err=True)
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(source_app, name="source")
    app.add_typer(import_app, name="import")

    @app.command("crawl")
    def crawl(
        ctx: typer.Context,
        key: str | None = typer.Argument(None, help="Source key from config/sources.yaml."),
        all_sources: bool = typer.Option(False, "--all", help="Crawl every enabled source."),
        timeout: int | None = typer.Option(None, help="Hard timeout in seconds for each crawl."),
    ) -> None:
        """Crawl one source (or --all) now, each in its own subprocess with a hard timeout; store new and
        changed items and print the run's figures (pages, new, updated, dropped, errors)."""
        state(ctx).config()
        _not_yet("crawling")

    @source_app.command("test")
    def source_test(ctx: typer.Context, key: str = typer.Argument(..., help="Source key.")) -> None:
        """Fetch a few pages of a source and print the parsed items field by field, storing nothing,
        so an administrator can tune selectors."""
        state(ctx).config()
        _not_yet("source test")

    @import_app.command("hotline")
    def import_hotline(
        ctx: typer.Context,
        path: Path = typer.Argument(..., help="A .csv or .xlsx export from the hotline centre."),
        source: str = typer.Option(..., "--source", help="Source key whose column mapping to use."),
    ) -> None:
        """Import 12345 work orders from a CSV or Excel file with the source's column mapping; idempotent."""
        state(ctx).config()
        _not_yet("file import")
