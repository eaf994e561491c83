"""`yuqing dashboard`: serve the duty officer's console."""

from __future__ import annotations

import typer

from yuqing.context import state


def register(app: typer.Typer) -> None:
    @app.command("dashboard")
    def dashboard(
        ctx: typer.Context,
        host: str | None = typer.Option(None, help="Address to listen on (YUQING_DASHBOARD_HOST)."),
        port: int | None = typer.Option(None, help="Port (YUQING_DASHBOARD_PORT, default 8050)."),
    ) -> None:
        """Serve the dashboard (login required for every page and endpoint). Production mode serves it with
        gunicorn and refuses to start without an admin password and secret key."""
        state(ctx).config()
        typer.echo("the dashboard arrives with the dashboard issue (#7)", err=True)
        raise typer.Exit(1)
