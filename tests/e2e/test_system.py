"""The whole system from one command: `yuqing run` brings up the demo sources, mail catcher, scheduler and
dashboard; items flow through crawl, analysis and alerts into caught mail; Ctrl-C stops everything."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.pgserver import free_port

REPO = Path(__file__).resolve().parents[2]


def _count(db_path: Path, sql: str) -> int:
    import sqlite3

    if not db_path.exists():
        return 0
    try:
        with sqlite3.connect(db_path, timeout=10) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not migrated yet


@pytest.mark.slow
def test_yuqing_run_brings_up_the_whole_system(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("dashboard", "demo", "smtp")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    env.update(
        YUQING_CONFIG_DIR=str(REPO / "config"),
        YUQING_DATA_DIR=str(tmp_path / "var"),
        YUQING_DASHBOARD_PORT=str(ports["dashboard"]),
        YUQING_DEMO_PORT=str(ports["demo"]),
        YUQING_MAIL_CATCHER_PORT=str(ports["smtp"]),
        YUQING_SMTP_PORT=str(ports["smtp"]),
        YUQING_DEMO_BACKFILL_DAYS="2",
    )
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "yuqing", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        url = None
        assert proc.stdout is not None
        while time.monotonic() - started < 90:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            match = re.search(r"yuqing is running: (http://\S+)", line)
            if match:
                url = match.group(1)
            if "demo login" in line:
                break
        assert url == f"http://127.0.0.1:{ports['dashboard']}", "".join(output)
        assert any("admin / yuqing-demo" in line for line in output)
        # The dashboard answers on the printed URL within 60 s of the command starting.
        answered = None
        while time.monotonic() - started < 60:
            try:
                with urllib.request.urlopen(url + "/login", timeout=5) as response:
                    answered = response.status
                    break
            except OSError:
                time.sleep(0.5)
        assert answered == 200, f"no answer from {url} within 60 s"

        # Items are crawled and analysed, alerts open, and their mail reaches the local catcher.
        db_path = tmp_path / "var" / "yuqing.db"
        mail_dir = tmp_path / "var" / "mail"
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            analysed = _count(db_path, "select count(*) from items where status = 'analyzed'")
            mails = len(list(mail_dir.glob("*.eml"))) if mail_dir.exists() else 0
            sources = _count(db_path, "select count(distinct source_id) from items")
            if analysed > 0 and mails > 0 and sources >= 4:
                break
            time.sleep(2)
        assert analysed > 0, "no item was crawled and analysed"
        assert _count(db_path, "select count(*) from alerts") > 0
        assert mails > 0, "no mail reached the catcher"
        assert sources >= 4, "the staggered start-up crawls did not reach every demo source"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            rest, _ = proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            rest, _ = proc.communicate()
        output.append(rest or "")
    assert proc.returncode == 0, "".join(output)
    assert "stopped." in "".join(output)
    assert _processes_in(tmp_path) == [], "child processes left running after Ctrl-C"


def _processes_in(directory: Path) -> list[int]:
    """Processes whose working directory is `directory` (every child of `yuqing run` inherits it)."""
    found = []
    for proc_dir in Path("/proc").iterdir():
        if not proc_dir.name.isdigit():
            continue
        try:
            if Path(os.readlink(proc_dir / "cwd")) == directory:
                status = (proc_dir / "status").read_text()
                if "\nState:\tZ" not in status:
                    found.append(int(proc_dir.name))
        except OSError:
            continue
    return found
