"""`yuqing demo-sources`: the local simulator of a 12345 hotline, message boards and news sites."""

from __future__ import annotations

import signal
from datetime import datetime
from types import FrameType

import typer

from core.clock import SHANGHAI
from demo.faults import FaultError, parse_cli
from demo.render_common import iso_local
from demo.server import DemoServer
from yuqing.context import state

FAULT_HELP = (
    "A fault active from the start, as kind,key=value,...; repeatable. Kinds: slow (delay=S), error "
    "(status=503, count=N or probability=P), timeout (seconds=S), malformed (mode=truncate|tags), charset "
    "(GBK bytes labelled UTF-8 and the reverse), robots (disallow=/path), silent (source=board). Each takes "
    "prefix=/path/ to limit it, e.g. --fault error,status=503,count=5,prefix=/board/"
)


def _parse_start(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"not an ISO 8601 time: {value!r}", param_hint="--start") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def register(app: typer.Typer) -> None:
    @app.command("demo-sources")
    def demo_sources(
        ctx: typer.Context,
        host: str | None = typer.Option(None, help="Address to listen on (loopback by default)."),
        port: int | None = typer.Option(
            None, help="Port (default 8765, YUQING_DEMO_PORT); 0 picks a free one."
        ),
        seed: int | None = typer.Option(None, help="Seed: the same seed publishes the same content."),
        speed: float | None = typer.Option(
            None, help="Simulated seconds per real second (60: an hour a minute)."
        ),
        backfill: int | None = typer.Option(None, "--backfill", help="Days of history created at start."),
        start: str | None = typer.Option(
            None, "--start", help="Simulated start, ISO 8601 (naive means Asia/Shanghai); default now."
        ),
        board_size: int | None = typer.Option(
            None, "--board-size", help="Make the UTF-8 board's history at least this many posts (benchmarks)."
        ),
        fault: list[str] = typer.Option([], "--fault", help=FAULT_HELP),
    ) -> None:
        """Serve the demo 12345 hotline API (JSON, Open311, CSV/Excel), message boards (UTF-8 and GBK) and
        news site (RSS, Atom, articles) on loopback, publishing new items as time passes; print the URLs."""
        settings = state(ctx).settings()
        try:
            specs = [parse_cli(f) for f in fault]
        except FaultError as exc:
            raise typer.BadParameter(str(exc), param_hint="--fault") from None
        try:
            server = DemoServer(
                seed=seed if seed is not None else settings.demo_seed,
                speed=speed if speed is not None else settings.demo_speed,
                backfill_days=backfill if backfill is not None else settings.demo_backfill_days,
                host=host or settings.demo_host,
                port=port if port is not None else settings.demo_port,
                start=_parse_start(start),
                board_size=board_size,
                faults=specs,
            )
        except (FaultError, ValueError) as exc:
            typer.echo(f"demo-sources: {exc}", err=True)
            raise typer.Exit(2) from None
        try:
            server.start()
        except OSError as exc:
            typer.echo(f"demo-sources: cannot listen on {server.host}:{server.port}: {exc}", err=True)
            raise typer.Exit(1) from None
        counts = server.world.counts()["published"]
        typer.echo(
            f"云江市演示数据源 demo sources on {server.url}  seed={server.seed} speed={server.speed:g} "
            f"start={iso_local(server.start_at)} backfill={server.backfill_days:g}d "
            f"(built in {server.build_seconds:.2f}s: "
            + ", ".join(f"{k} {v}" for k, v in counts.items())
            + ")"
        )
        for name, url in server.urls().items():
            typer.echo(f"  {name:<20} {url}")
        for description in server.faults.describe():
            typer.echo(f"  fault: {description}")
        typer.echo("Press Ctrl-C to stop.")
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            server.stop()
            typer.echo("demo sources stopped.")
