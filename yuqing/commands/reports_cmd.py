"""`yuqing report`: the weekly sentiment report and the daily brief."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from core.clock import SystemClock
from reports.periods import Period, day_period, last_full_week, parse_week, yesterday
from yuqing.context import state

report_app = typer.Typer(help="Weekly report (舆情周报) and daily brief (舆情日报).", no_args_is_help=True)


def _run(ctx: typer.Context, period: Period, out: Path | None, mail: bool) -> None:
    # Imported here: pandas, matplotlib and python-docx cost a second that other commands need not pay.
    from reports.build import build_and_record, recipients

    config = state(ctx).config()
    db = state(ctx).database()
    try:
        built, queued = build_and_record(config, db, SystemClock(), period, out_dir=out, mail=mail)
    finally:
        db.dispose()
    name = built.document.masthead
    typer.echo(
        f"{name} {period.label}: {built.items} 条信息{'（无数据，已生成简短报告）' if built.empty else ''}"
    )
    typer.echo(f"  Word: {built.docx_path}")
    typer.echo(f"  HTML: {built.html_path}")
    if mail:
        if not recipients(config):
            typer.echo("  未发送：config/alerts.yaml 中没有配置 leaders", err=True)
        else:
            typer.echo(
                f"  已加入发件队列 {queued} 封（已在队列中的不重复加入），由调度器的邮件任务或 `yuqing mail send` 发送"
            )


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")

    @report_app.command("weekly")
    def weekly(
        ctx: typer.Context,
        week: str | None = typer.Option(None, help="ISO week such as 2026-W47; default: last week."),
        out: Path | None = typer.Option(
            None, help="Directory for the .docx and .html (default var/reports)."
        ),
        mail: bool = typer.Option(False, help="Also mail it to the configured leaders."),
    ) -> None:
        """Build the weekly report (Word and HTML) for a Monday-to-Sunday week from the database."""
        try:
            period = parse_week(week) if week else last_full_week(SystemClock().now())
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--week") from None
        _run(ctx, period, out, mail)

    @report_app.command("daily")
    def daily(
        ctx: typer.Context,
        day: str | None = typer.Option(None, help="Date such as 2026-11-20; default: yesterday."),
        out: Path | None = typer.Option(None, help="Output directory."),
        mail: bool = typer.Option(False, help="Also mail it."),
    ) -> None:
        """Build the daily brief: yesterday's figures, new events, open alerts and timers."""
        try:
            period = day_period(date.fromisoformat(day)) if day else yesterday(SystemClock().now())
        except ValueError:
            raise typer.BadParameter(
                f"not a date: {day!r} (use e.g. 2026-11-20)", param_hint="--day"
            ) from None
        _run(ctx, period, out, mail)
