"""What a scheduled job receives: the validated configuration, the database and the clock."""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import Clock
from core.db import Database
from core.settings import AppConfig


@dataclass(frozen=True)
class JobContext:
    """Passed to every `jobs.py` entry point; jobs return a small dict summary that is logged and stored."""

    config: AppConfig
    db: Database
    clock: Clock
