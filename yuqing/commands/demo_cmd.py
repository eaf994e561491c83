"""`yuqing demo-sources`: the local simulator of a 12345 hotline, message boards and news sites."""

from __future__ import annotations

import typer

from yuqing.context import state


def register(app: typer.Typer) -> None:
    @app.command("demo-sources")
    def demo_sources(
        ctx: typer.Context,
        host: str | None = typer.Option(None, help="Address to listen on (loopback by default)."),
        port: int | None = typer.Option(None, help="Port (default 8765, YUQING_DEMO_PORT)."),
        seed: int | None = typer.Option(None, help="Seed: the same seed publishes the same content."),
        speed: float | None = typer.Option(None, help="Simulated seconds per real second (60: an hour a minute)."),
        backfill: int | None = typer.Option(None, "--backfill", help="Days of history created at start."),
    ) -> None:
        """Serve the demo 12345 hotline API (JSON, Open311, CSV/Excel), message boards (UTF-8 and GBK) and
        news site (RSS, Atom, articles) on loopback, publishing new items as time passes; print the URLs."""
        settings = state(ctx).settings()
        typer.echo(
            f"demo sources (host={host or settings.demo_host}, port={port or settings.demo_port}, "
            f"seed={seed if seed is not None else settings.demo_seed}) arrive with the demo-sources issue (#3)",
            err=True,
        )
        raise typer.Exit(1)
