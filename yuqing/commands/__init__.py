"""Command groups, one module per area; each exposes `register(app)`."""

from __future__ import annotations

from collections.abc import Callable

import typer

from yuqing.commands import (
    alerts_cmd,
    analysis_cmd,
    crawl_cmd,
    dashboard_cmd,
    demo_cmd,
    reports_cmd,
    run_cmd,
    system_cmd,
    worker_cmd,
)

ALL_AREAS: list[Callable[[typer.Typer], None]] = [
    system_cmd.register,
    run_cmd.register,
    demo_cmd.register,
    crawl_cmd.register,
    analysis_cmd.register,
    alerts_cmd.register,
    dashboard_cmd.register,
    reports_cmd.register,
    worker_cmd.register,
]
