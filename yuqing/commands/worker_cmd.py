"""`yuqing worker analysis|mail|crawl-node`: the processes of a deployment on several machines (docs/deploy.md)."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import threading
from pathlib import Path

import typer

from yuqing.context import state

logger = logging.getLogger(__name__)

worker_app = typer.Typer(
    help="Worker processes for several machines: analysis, mail, Scrapyd crawl nodes (PostgreSQL).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(worker_app, name="worker")


def _stop_event() -> threading.Event:
    stop = threading.Event()

    def handler(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stop


def _context(ctx: typer.Context) -> object:
    from core.clock import SystemClock
    from core.runtime import JobContext

    cli = state(ctx)
    config = cli.config()
    db = cli.database()
    if db.engine.dialect.name == "sqlite":
        logger.warning(
            "workers share work through PostgreSQL row locks; on SQLite one scheduler alone does the same"
        )
    return JobContext(config=config, db=db, clock=SystemClock())


@worker_app.command("analysis")
def analysis(
    ctx: typer.Context,
    idle_seconds: float = typer.Option(2.0, help="Sleep this long when no item was waiting."),
    batch_size: int | None = typer.Option(None, help="Items per transaction (default analysis_batch_size)."),
) -> None:
    """Analyse items with status 'new', again and again. Run several on several machines: each batch is
    claimed with FOR UPDATE SKIP LOCKED, so no item is analysed by two workers. Stops on SIGTERM/Ctrl-C."""
    from core.runtime import JobContext
    from yuqing.workers import WorkerLoop, analysis_step

    job_ctx = _context(ctx)
    assert isinstance(job_ctx, JobContext)
    stop = _stop_event()
    WorkerLoop("analysis", analysis_step(job_ctx, batch_size), idle_seconds=idle_seconds).run(stop)
    job_ctx.db.dispose()


@worker_app.command("mail")
def mail(
    ctx: typer.Context,
    idle_seconds: float = typer.Option(2.0, help="Sleep this long when nothing was due."),
    batch: int = typer.Option(10, help="Outbox rows claimed at a time."),
    lease_seconds: float = typer.Option(
        300.0, help="How long a claim lasts: rows of a worker that died are sent by another after this."
    ),
) -> None:
    """Deliver the mail outbox, again and again (retry, backoff, fail-over as `alerts.jobs.send_mail`). Run
    several: each row is claimed under a lease, so no row is sent by two workers. Stops on SIGTERM/Ctrl-C."""
    from core.runtime import JobContext
    from yuqing.workers import WorkerLoop, mail_step

    job_ctx = _context(ctx)
    assert isinstance(job_ctx, JobContext)
    stop = _stop_event()
    step = mail_step(job_ctx, batch=batch, lease_seconds=lease_seconds)
    WorkerLoop("mail", step, idle_seconds=idle_seconds).run(stop)
    job_ctx.db.dispose()


@worker_app.command("crawl-node")
def crawl_node(
    ctx: typer.Context,
    directory: Path = typer.Option(
        ..., "--dir", help="The node's working directory (scrapyd.conf, job queue, job logs)."
    ),
    port: int = typer.Option(6800, help="Scrapyd's HTTP port."),
    bind: str = typer.Option(
        "127.0.0.1", help="Address to listen on (a private network address, never public)."
    ),
    max_proc: int = typer.Option(4, help="Crawls run at once on this node."),
    poll_interval: float = typer.Option(1.0, help="Seconds between Scrapyd's looks at its queue."),
) -> None:
    """Run a Scrapyd crawl node here: writes <dir>/scrapyd.conf (project `yuqing` = the installed crawlers
    package, no egg) and becomes Scrapyd. The scheduler dispatches crawls to the nodes in
    YUQING_SCRAPYD_NODES; crawls reach the database through this process's settings (YUQING_DATABASE_URL...)."""
    from yuqing.crawlnodes import scrapy_cfg, scrapyd_conf
    from yuqing.crawlproc import subprocess_env

    settings = state(ctx).settings()
    directory.mkdir(parents=True, exist_ok=True)
    conf = scrapyd_conf(port=port, bind=bind, max_proc=max_proc, poll_interval=poll_interval)
    (directory / "scrapyd.conf").write_text(conf, encoding="utf-8")
    # Scrapyd exports the [settings] entry to the crawls it starts, but runs `scrapy list` (which it needs
    # before scheduling) without it; Scrapy itself finds the project through the closest scrapy.cfg.
    (directory / "scrapy.cfg").write_text(scrapy_cfg(), encoding="utf-8")
    # A restarted node starts with an empty queue: crawls still queued when it stopped were recorded as
    # failed by their scheduler and are dispatched again on their next interval; running them now would be
    # stale work.
    shutil.rmtree(directory / "dbs", ignore_errors=True)
    env = subprocess_env(settings)
    os.chdir(directory)
    typer.echo(f"crawl node: Scrapyd on http://{bind}:{port} in {directory}")
    sys.stdout.flush()
    # Scrapyd replaces this process (one pid per node); no pid file, so a node killed hard restarts cleanly.
    os.execve(sys.executable, [sys.executable, "-m", "scrapyd", "--pidfile="], env)
