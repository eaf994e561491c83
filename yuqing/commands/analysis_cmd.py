"""Analysis commands: `yuqing analyze` and `yuqing train sentiment`."""

from __future__ import annotations

from pathlib import Path

import typer

from yuqing.context import state

train_app = typer.Typer(help="Retrain models.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")

    @app.command("analyze")
    def analyze(
        ctx: typer.Context,
        in_path: Path | None = typer.Option(None, "--in", help="JSONL of {id, kind, title, content, ...}."),
        out_path: Path | None = typer.Option(None, "--out", help="JSONL of results, one per input."),
    ) -> None:
        """Score items: sentiment, topic, tags, scheme hits, risk and masked text. With --in/--out it works
        on files without a database; with no arguments it analyzes the pending items in the database once."""
        from sqlalchemy import inspect

        from analysis.jobs import run_analysis
        from analysis.offline import analyze_file
        from analysis.pipeline import Analyzer
        from core.clock import SystemClock
        from core.errors import InputError

        config = state(ctx).config()
        if (in_path is None) != (out_path is None):
            typer.echo("--in and --out go together (or give neither to analyze the database)", err=True)
            raise typer.Exit(2)
        if in_path is not None and out_path is not None:
            try:
                analyzer = Analyzer.from_config(config)
                written = analyze_file(analyzer, in_path, out_path, now=SystemClock().now())
            except InputError as exc:
                typer.echo(f"输入有误 / bad input: {exc}", err=True)
                raise typer.Exit(2) from None
            typer.echo(f"analyzed {written} records -> {out_path}")
            return
        db = state(ctx).database()
        if "items" not in inspect(db.engine).get_table_names():
            typer.echo("error: database not ready (run `yuqing init`)", err=True)
            raise typer.Exit(3)
        summary = run_analysis(db, config, SystemClock())
        typer.echo(" ".join(f"{k}={v}" for k, v in summary.as_dict().items()))

    @train_app.command("sentiment")
    def train_sentiment(ctx: typer.Context) -> None:
        """Retrain the sentiment model on the project's corpus plus the human corrections in `labels`."""
        state(ctx).config()
        typer.echo("training arrives with the analysis issue (#5)", err=True)
        raise typer.Exit(1)
