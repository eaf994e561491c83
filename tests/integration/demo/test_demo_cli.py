"""`yuqing demo-sources` as a process: starts, prints every URL, serves them, applies --fault, stops on
Ctrl-C (SIGINT) and on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.demo.demo_http import http

REPO = Path(__file__).resolve().parents[3]


def _start(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "yuqing", "demo-sources", "--port", "0", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl-C"):
            return proc, lines
    proc.kill()
    raise AssertionError(f"demo-sources did not come up: {lines}")


@pytest.mark.slow  # a Python process per case: ~3 s each, more on a busy machine
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_demo_sources_prints_urls_and_serves_until_stopped(stop_signal: int):
    proc, lines = _start(
        "--seed",
        "3",
        "--speed",
        "0",
        "--backfill",
        "1",
        "--start",
        "2026-11-20T10:00:00",
        "--fault",
        "error,status=503,count=1,prefix=/news/rss",
    )
    try:
        header = lines[0]
        base = re.search(r"on (http://127\.0\.0\.1:\d+)", header).group(1)
        assert "seed=3" in header and "start=2026-11-20T10:00:00+08:00" in header
        urls = dict(re.findall(r"^\s+(\w+)\s+(http://\S+)$", "\n".join(lines), re.M))
        assert {
            "hotline_json",
            "open311_requests",
            "hotline_export_csv",
            "board",
            "gbk_board",
            "news_rss",
            "news_atom",
            "admin_state",
        } <= set(urls)
        assert all(url.startswith(base) for url in urls.values())
        assert any("fault:" in line and "'error'" in line for line in lines)
        for name in ("hotline_json", "board", "gbk_board", "news_atom", "open311_requests"):
            assert http(urls[name]).status == 200, name
        assert http(urls["news_rss"]).status == 503  # the --fault, once
        assert http(urls["news_rss"]).status == 200
        state = http(urls["admin_state"]).json()
        assert state["seed"] == 3 and state["sim_now"] == "2026-11-20T10:00:00+08:00"
    finally:
        proc.send_signal(stop_signal)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "stopped" in out


def test_bad_fault_flag_is_a_usage_error():
    from typer.testing import CliRunner

    from yuqing.cli import app

    result = CliRunner().invoke(app, ["demo-sources", "--port", "0", "--fault", "flood,prefix=/x/"])
    assert result.exit_code == 2
    assert "kind" in result.output
