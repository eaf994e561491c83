"""Alert and mail commands: `yuqing alerts evaluate`, `yuqing mail send`, `yuqing mail test`."""

from __future__ import annotations

import typer

from yuqing.context import state

alerts_app = typer.Typer(help="Alert rules, escalation and response timers.", no_args_is_help=True)
mail_app = typer.Typer(help="The mail outbox.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(mail_app, name="mail")

    @alerts_app.command("evaluate")
    def evaluate(ctx: typer.Context) -> None:
        """Run one pass of the alert rules, the escalation chain and the response timers (as the scheduler
        does), writing notifications to the outbox."""
        state(ctx).config()
        typer.echo("alerts arrive with the alerts issue (#6)", err=True)
        raise typer.Exit(1)

    @mail_app.command("send")
    def send(ctx: typer.Context) -> None:
        """Deliver what is due in the outbox, with retry, backoff and fail-over; each mail at most once."""
        state(ctx).config()
        typer.echo("mail arrives with the alerts issue (#6)", err=True)
        raise typer.Exit(1)

    @mail_app.command("test")
    def test(ctx: typer.Context, address: str = typer.Argument(..., help="Recipient.")) -> None:
        """Send a test mail through the configured SMTP server and report what the server said."""
        state(ctx).config()
        typer.echo("mail arrives with the alerts issue (#6)", err=True)
        raise typer.Exit(1)
