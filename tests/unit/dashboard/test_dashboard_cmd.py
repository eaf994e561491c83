"""`yuqing dashboard`: refuses production without secrets and an admin; serves with werkzeug in development and
with gunicorn (no control socket) in production."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import REPO


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    env.update(
        YUQING_CONFIG_DIR=str(REPO / "config"),
        YUQING_DATA_DIR=str(tmp_path / "var"),
        YUQING_DATABASE_URL=f"sqlite:///{tmp_path / 'y.db'}",
        XDG_RUNTIME_DIR=str(tmp_path / "run"),
        **extra,
    )
    (tmp_path / "run").mkdir(exist_ok=True)
    return env


def _yuqing(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yuqing", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_and_get(env: dict[str, str], port: int) -> tuple[int, str, list[str]]:
    """Start the dashboard, then: the sign-in page's status, an anonymous layout request's status, and the
    files in XDG_RUNTIME_DIR while it runs (where gunicorn would put its control socket)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "yuqing", "dashboard", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/login", timeout=2)
                anonymous = requests.get(f"http://127.0.0.1:{port}/_dash-layout", timeout=5)
                time.sleep(1.0)  # let the arbiter finish starting up
                runtime = sorted(p.name for p in Path(env["XDG_RUNTIME_DIR"]).iterdir())
                return response.status_code, f"{anonymous.status_code}", runtime
            except requests.ConnectionError:
                if proc.poll() is not None:
                    raise AssertionError(proc.stdout.read() if proc.stdout else "exited") from None
                time.sleep(0.3)
        raise AssertionError("the dashboard did not start")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_production_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    env = _env(tmp_path, YUQING_MODE="production")
    result = _yuqing(env, "dashboard")
    assert result.returncode == 2
    assert "YUQING_SECRET_KEY" in result.stderr and "YUQING_ADMIN_PASSWORD" in result.stderr
    env.update(YUQING_SECRET_KEY="s" * 48, YUQING_ADMIN_PASSWORD="an-admin-password")
    assert _yuqing(env, "dashboard").returncode == 2  # no admin account yet (database not initialised)
    assert "yuqing init" in _yuqing(env, "dashboard").stderr


@pytest.mark.slow
def test_development_serves_with_werkzeug(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert _yuqing(env, "init").returncode == 0
    assert _serve_and_get(env, _port())[:2] == (200, "401")
    key = tmp_path / "var" / "secret_key"
    assert key.exists() and (key.stat().st_mode & 0o777) == 0o600


@pytest.mark.slow
def test_production_serves_with_gunicorn_without_control_socket(tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        YUQING_MODE="production",
        YUQING_SECRET_KEY="s" * 48,
        YUQING_ADMIN_PASSWORD="an-admin-password",
    )
    assert _yuqing(env, "init").returncode == 0
    assert _serve_and_get(env, _port()) == (200, "401", [])  # no gunicorn.ctl while serving
    assert not (tmp_path / "var" / "secret_key").exists()  # production uses the configured key only
