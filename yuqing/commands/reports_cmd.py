"""`yuqing report`: the weekly sentiment report and the daily brief."""

from __future__ import annotations

from pathlib import Path

import typer

from yuqing.context import state

report_app = typer.Typer(help="Weekly report (舆情周报) and daily brief (舆情日报).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")

    @report_app.command("weekly")
    def weekly(
        ctx: typer.Context,
        week: str | None = typer.Option(None, help="ISO week such as 2026-W47; default: last week."),
        out: Path | None = typer.Option(None, help="Directory for the .docx and .html (default var/reports)."),
        mail: bool = typer.Option(False, help="Also mail it to the configured leaders."),
    ) -> None:
        """Build the weekly report (Word and HTML) for a Monday-to-Sunday week from the database."""
        state(ctx).config()
        typer.echo("reports arrive with the weekly-report issue (#8)", err=True)
        raise typer.Exit(1)

    @report_app.command("daily")
    def daily(
        ctx: typer.Context,
        day: str | None = typer.Option(None, help="Date such as 2026-11-20; default: yesterday."),
        out: Path | None = typer.Option(None, help="Output directory."),
        mail: bool = typer.Option(False, help="Also mail it."),
    ) -> None:
        """Build the daily brief: yesterday's figures, new events, open alerts and timers."""
        state(ctx).config()
        typer.echo("reports arrive with the weekly-report issue (#8)", err=True)
        raise typer.Exit(1)
