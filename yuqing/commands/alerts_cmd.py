"""Alert and mail commands: `yuqing alerts evaluate`, `yuqing alerts digest`, `yuqing mail send`,
`yuqing mail test`."""

from __future__ import annotations

import json

import typer

from core.clock import SystemClock
from core.errors import NotifyError
from core.runtime import JobContext
from yuqing.context import state

alerts_app = typer.Typer(help="Alert rules, escalation and response timers.", no_args_is_help=True)
mail_app = typer.Typer(help="The mail outbox.", no_args_is_help=True)


def _context(ctx: typer.Context) -> JobContext:
    cli = state(ctx)
    config = cli.config()
    return JobContext(config=config, db=cli.database(), clock=SystemClock())


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(mail_app, name="mail")

    @alerts_app.command("evaluate")
    def evaluate(ctx: typer.Context) -> None:
        """Run one pass of the alert rules, the escalation chain and the response timers (as the scheduler
        does), writing notifications to the outbox."""
        from alerts import jobs

        job_ctx = _context(ctx)
        try:
            summary = jobs.evaluate(job_ctx)
        finally:
            job_ctx.db.dispose()
        typer.echo(json.dumps(summary, ensure_ascii=False))

    @alerts_app.command("digest")
    def digest(ctx: typer.Context) -> None:
        """Write the leaders' digests of alerts they do not get immediately to the outbox (as the scheduler
        does at digest_cron)."""
        from alerts import jobs

        job_ctx = _context(ctx)
        try:
            summary = jobs.send_digest(job_ctx)
        finally:
            job_ctx.db.dispose()
        typer.echo(json.dumps(summary, ensure_ascii=False))

    @mail_app.command("send")
    def send(ctx: typer.Context) -> None:
        """Deliver what is due in the outbox, with retry, backoff and fail-over; each mail at most once."""
        from alerts import jobs

        job_ctx = _context(ctx)
        try:
            report = jobs.send_mail(job_ctx)
        finally:
            job_ctx.db.dispose()
        typer.echo(json.dumps(report, ensure_ascii=False))
        if report.get("failed"):
            raise typer.Exit(1)

    @mail_app.command("test")
    def test(ctx: typer.Context, address: str = typer.Argument(..., help="Recipient.")) -> None:
        """Send a test mail through the configured SMTP server and report what the server said."""
        from alerts import jobs

        settings = state(ctx).config().settings
        try:
            typer.echo(jobs.send_test_mail(settings, address, SystemClock().now()))
        except NotifyError as exc:
            typer.echo(f"测试邮件发送失败 / test mail failed: {exc}", err=True)
            raise typer.Exit(1) from exc
