"""`yuqing run` (everything on one laptop), `yuqing scheduler` and `yuqing mail-catcher`."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import typer

from core.clock import SystemClock
from core.runtime import JobContext
from yuqing.context import state
from yuqing.crawlproc import subprocess_env

logger = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    @app.command("scheduler")
    def scheduler(ctx: typer.Context) -> None:
        """Run the scheduler: crawls (each a subprocess with a hard timeout), analysis, alerts, mail and
        reports on their configured intervals. Holds a database lock: a second scheduler waits."""
        from yuqing.scheduler import YuqingScheduler

        config = state(ctx).config()
        db = state(ctx).database()
        sched = YuqingScheduler(JobContext(config=config, db=db, clock=SystemClock()))
        _stop_on_signals(sched.stop)
        sched.run()

    @app.command("mail-catcher")
    def mail_catcher(
        ctx: typer.Context,
        port: int | None = typer.Option(None, help="Port (default YUQING_MAIL_CATCHER_PORT, 8025)."),
        directory: Path | None = typer.Option(
            None, "--dir", help="Where to keep messages (default var/mail)."
        ),
    ) -> None:
        """A local SMTP server that keeps every message as an .eml file, for laptops and demos."""
        from yuqing.mailcatcher import start_catcher

        settings = state(ctx).settings()
        target = directory or settings.mail_dir
        controller = start_catcher(target, port=port or settings.mail_catcher_port)
        typer.echo(
            f"mail catcher on 127.0.0.1:{port or settings.mail_catcher_port}, keeping mail in {target}"
        )
        stop = threading.Event()
        _stop_on_signals(stop.set)
        stop.wait()
        controller.stop()

    @app.command("run")
    def run(ctx: typer.Context) -> None:
        """Start everything on this machine: the demo sources, a local mail catcher, the scheduler and the
        dashboard, on the embedded defaults (SQLite in var/). Prints the dashboard URL and the demo login;
        Ctrl-C stops everything cleanly."""
        cli = state(ctx)
        config = cli.config()
        settings = config.settings
        base = [sys.executable, "-m", "yuqing"]
        env = subprocess_env(settings)
        # config/sources.yaml refers to the demo as ${YUQING_DEMO_URL:-http://127.0.0.1:8765}
        env["YUQING_DEMO_URL"] = f"http://{settings.demo_host}:{settings.demo_port}"
        init = subprocess.run([*base, "init", "--demo-users"], env=env, capture_output=True, text=True)
        if init.returncode != 0:
            typer.echo(init.stdout + init.stderr, err=True)
            raise typer.Exit(init.returncode)
        typer.echo(init.stdout.strip())
        logs = settings.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        children: dict[str, subprocess.Popen[bytes]] = {}
        plan = [
            ("mail-catcher", [*base, "mail-catcher"]),
            ("demo-sources", [*base, "demo-sources"]),
            ("dashboard", [*base, "dashboard"]),
            ("scheduler", [*base, "scheduler"]),
        ]
        for name, cmd in plan:
            log = (logs / f"{name}.log").open("ab")
            children[name] = subprocess.Popen(
                cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        url = settings.effective_base_url
        ready = _wait_for_port(settings.dashboard_host, settings.dashboard_port, timeout=60)
        typer.echo("")
        typer.echo(
            f"舆情监测平台已启动  yuqing is running: {url}  ({'ready' if ready else 'still starting'})"
        )
        typer.echo(
            f"演示账号 demo login: admin / {_demo_password(settings.admin_password)}   "
            f"(also duty / leader, password {_demo_password(None)})"
        )
        typer.echo(
            f"demo sources: http://{settings.demo_host}:{settings.demo_port}/   "
            f"mail caught in: {settings.mail_dir}   logs: {logs}"
        )
        typer.echo("Ctrl-C stops everything.")
        stop = threading.Event()
        _stop_on_signals(stop.set)
        try:
            while not stop.is_set():
                for name, proc in children.items():
                    if proc.poll() is not None:
                        typer.echo(
                            f"{name} exited with status {proc.returncode}; see {logs / (name + '.log')}",
                            err=True,
                        )
                        stop.set()
                        break
                stop.wait(1.0)
        finally:
            typer.echo("stopping ...")
            for proc in children.values():
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + 15
            for proc in children.values():
                try:
                    proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            typer.echo("stopped.")


def _demo_password(secret: object) -> str:
    from yuqing.commands.system_cmd import DEMO_PASSWORD

    return "(YUQING_ADMIN_PASSWORD)" if secret else DEMO_PASSWORD


def _wait_for_port(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.5)
    return False


def _stop_on_signals(callback: object) -> None:
    def handler(signum: int, _frame: object) -> None:
        callback()  # type: ignore[operator]

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
