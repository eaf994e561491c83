"""Crawling commands: `yuqing crawl`, `yuqing source test`, `yuqing import hotline`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from core.clock import SystemClock
from core.errors import InputError
from core.models import CrawlRun, Source
from core.settings import AppConfig, SourceConfig
from yuqing.context import state
from yuqing.crawlproc import run_crawl, subprocess_env

source_app = typer.Typer(help="Inspect configured sources.", no_args_is_help=True)
import_app = typer.Typer(help="Import records handed over as files.", no_args_is_help=True)

PREVIEW_TIMEOUT_SECONDS = 120
FIELD_ORDER = (
    "external_id", "url", "title", "author", "media", "published_at", "published_raw", "region", "addressee",
    "request_type", "department", "source_status", "reply_status", "reply_at", "reply_department", "reply_text",
    "content", "extra",
)  # fmt: skip


def _source(config: AppConfig, key: str) -> SourceConfig:
    try:
        return config.sources.get(key)
    except KeyError:
        known = ", ".join(s.key for s in config.sources.sources)
        typer.echo(f"error: unknown source {key!r}; configured: {known}", err=True)
        raise typer.Exit(2) from None


def _timeout(config: AppConfig, source: SourceConfig, flag: int | None) -> float:
    if flag:
        return float(flag)
    return float(source.timeout_seconds or min(config.sources.defaults.timeout_seconds,
                                               config.settings.crawl_timeout_seconds))  # fmt: skip


def _figures(run: CrawlRun | None) -> str:
    if run is None:
        return "(no crawl_runs row)"
    text = (
        f"pages {run.pages}  new {run.items_new}  updated {run.items_updated}  unchanged {run.items_unchanged}  "
        f"dropped {run.items_dropped}  errors {run.errors}"
    )
    if run.duration_s is not None:
        text += f"  {run.duration_s:.1f}s"
    if run.dropped_reasons:
        text += f"  reasons {json.dumps(run.dropped_reasons, ensure_ascii=False)}"
    return text


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
        config = state(ctx).config()
        if all_sources == (key is not None):
            typer.echo("error: give one source key or --all", err=True)
            raise typer.Exit(2)
        if all_sources:
            sources = [s for s in config.sources.sources if s.enabled and s.type != "file"]
        else:
            assert key is not None
            sources = [_source(config, key)]
            if sources[0].type == "file":
                typer.echo(
                    f"error: {key} is a file source; use `yuqing import hotline FILE --source {key}`",
                    err=True,
                )
                raise typer.Exit(2)
        db = state(ctx).database()
        clock = SystemClock()
        failed = 0
        for source in sources:
            outcome = run_crawl(
                config.settings,
                db,
                clock,
                source.key,
                timeout=_timeout(config, source, timeout),
                trigger="manual",
            )
            try:
                with db.session() as session:
                    run = session.scalar(
                        select(CrawlRun)
                        .join(Source, Source.id == CrawlRun.source_id)
                        .where(Source.key == source.key)
                        .order_by(CrawlRun.id.desc())
                        .limit(1)
                    )
                    status = run.status if run is not None else outcome.status
                    typer.echo(f"{source.key}: {status}  {_figures(run)}")
                    if run is not None and run.error_message:
                        typer.echo(f"  {run.error_message[:500]}")
            except SQLAlchemyError as exc:
                typer.echo(f"{source.key}: {outcome.status} (cannot read crawl_runs: {exc})")
            if outcome.status != "success":
                failed += 1
                if outcome.output_tail:
                    typer.echo(outcome.output_tail[-1500:], err=True)
        if failed:
            raise typer.Exit(1)

    @source_app.command("test")
    def source_test(
        ctx: typer.Context,
        key: str = typer.Argument(..., help="Source key."),
        items: int = typer.Option(5, "--items", min=1, help="How many items to show."),
        pages: int = typer.Option(1, "--pages", min=1, help="How many list pages to fetch."),
        full: bool = typer.Option(
            False, "--full", help="Show whole texts instead of the first 300 characters."
        ),
    ) -> None:
        """Fetch a few pages of a source and print the parsed items field by field, storing nothing,
        so an administrator can tune selectors."""
        config = state(ctx).config()
        source = _source(config, key)
        if source.type == "file":
            typer.echo(f"error: {key} is a file source; nothing to fetch", err=True)
            raise typer.Exit(2)
        command = [sys.executable, "-m", "crawlers.run", key, "--preview", str(items), "--pages", str(pages)]
        try:
            done = subprocess.run(
                command, env=subprocess_env(config.settings), capture_output=True, text=True,
                timeout=PREVIEW_TIMEOUT_SECONDS,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            typer.echo(f"error: no answer within {PREVIEW_TIMEOUT_SECONDS}s", err=True)
            raise typer.Exit(1) from None
        summary: dict[str, Any] = {}
        shown = 0
        for line in done.stdout.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("_summary"):
                summary = record
                continue
            shown += 1
            typer.echo(f"── 第{shown}条 item {shown} " + "─" * 40)
            for name in FIELD_ORDER:
                value = record.get(name)
                if value in (None, "", {}):
                    continue
                text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value)
                if not full and len(text) > 300:
                    text = text[:300] + f"…（共{len(text)}字）"
                text = text.replace("\n", "\n" + " " * 18)
                typer.echo(f"  {name:<15} {text}")
        typer.echo(
            f"pages fetched: {summary.get('pages', '?')}; items parsed: {summary.get('items', shown)}; "
            f"nothing stored"
        )
        for error in summary.get("errors", []):
            typer.echo(f"  error: {error}")
        if done.returncode != 0:
            if not summary:
                typer.echo(done.stderr[-2000:], err=True)
            raise typer.Exit(1)

    @import_app.command("hotline")
    def import_hotline(
        ctx: typer.Context,
        path: Path = typer.Argument(..., help="A .csv or .xlsx export from the hotline centre."),
        source: str = typer.Option(..., "--source", help="Source key whose column mapping to use."),
    ) -> None:
        """Import 12345 work orders from a CSV or Excel file with the source's column mapping; idempotent."""
        from crawlers.importers import import_file  # pandas loads only when importing

        config = state(ctx).config()
        db = state(ctx).database()
        try:
            result = import_file(db, SystemClock(), config, source, path)
        except InputError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except SQLAlchemyError as exc:
            typer.echo(
                f"error: database not ready (run `yuqing init`): {type(exc).__name__}: {exc}", err=True
            )
            raise typer.Exit(3) from None
        typer.echo(
            f"导入完成 imported {path.name}: {result.rows} rows; new {result.items_new}, "
            f"updated {result.items_updated}, unchanged {result.items_unchanged}"
        )
