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
        state(ctx).config()
        typer.echo("analysis arrives with the analysis issue (#5)", err=True)
        raise typer.Exit(1)

    @train_app.command("sentiment")
    def train_sentiment(ctx: typer.Context) -> None:
        """Retrain the sentiment model on the project's corpus plus the human corrections in `labels`."""
        state(ctx).config()
        typer.echo("training arrives with the analysis issue (#5)", err=True)
        raise typer.Exit(1)
