"""`yuqing alerts evaluate`, `yuqing mail send` and `yuqing mail test` as processes, against a real
aiosmtpd server: the commands run the same functions as the scheduler."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.db import Database
from core.levels import Level
from tests.integration.alerts.smtpserver import Recorder, start_server
from tests.pgserver import free_port
from tests.unit.alerts import factories as f

REPO = Path(__file__).resolve().parents[3]


def yuqing(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "yuqing", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        cwd=REPO,
    )


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    alerts = target / "alerts.yaml"
    alerts.write_text(
        re.sub(r"group_wait_seconds: \d+", "group_wait_seconds: 0", alerts.read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    return target


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    recorder, port = Recorder(), free_port()
    controller = start_server(recorder, port)
    try:
        yield recorder, port
    finally:
        controller.stop()


@pytest.mark.slow
def test_evaluate_then_send(
    config_dir: Path, sqlite_url: str, smtp: tuple[Recorder, int], tmp_path: Path
) -> None:
    recorder, port = smtp
    db = Database(sqlite_url)
    f.event(db, datetime.now(UTC), level=Level.I, title="某桥梁出现裂缝 市民担忧")
    db.dispose()
    base = [
        "--config-dir",
        str(config_dir),
        "--database-url",
        sqlite_url,
        "--data-dir",
        str(tmp_path / "var"),
    ]
    result = yuqing(*base, "alerts", "evaluate")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rules"]["opened"] == 1 and summary["notify"]["notified"] == 1
    assert summary["timers"]["created"] == 2  # first response (5 h) and full response (24 h) for level I
    result = yuqing(*base, "mail", "send", env={"YUQING_SMTP_PORT": str(port)})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sent"] == 3
    assert sorted(str(m["To"]) for m in recorder.messages) == [
        "deputy-mayor@yunjiang.gov.example",
        "duty@yunjiang.gov.example",
        "secretary-general@yunjiang.gov.example",
    ]
    assert all(str(m["Subject"]) == "[红色预警] 某桥梁出现裂缝 市民担忧" for m in recorder.messages)
    again = yuqing(*base, "mail", "send", env={"YUQING_SMTP_PORT": str(port)})
    assert json.loads(again.stdout)["claimed"] == 0 and len(recorder.messages) == 3


@pytest.mark.slow
def test_mail_test_command(config_dir: Path, smtp: tuple[Recorder, int]) -> None:
    recorder, port = smtp
    result = yuqing(
        "--config-dir", str(config_dir), "mail", "test", "me@x.test", env={"YUQING_SMTP_PORT": str(port)}
    )
    assert result.returncode == 0, result.stderr
    assert "accepted" in result.stdout
    [mail] = recorder.messages
    assert str(mail["To"]) == "me@x.test" and "测试" in str(mail["Subject"])
    down = yuqing(
        "--config-dir",
        str(config_dir),
        "mail",
        "test",
        "me@x.test",
        env={"YUQING_SMTP_PORT": str(free_port())},
    )
    assert down.returncode == 1 and "cannot reach SMTP server" in down.stderr
