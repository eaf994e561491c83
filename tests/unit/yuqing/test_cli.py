"""The command line: config check exit status and messages, init, users and export."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.db import Database
from core.models import Item, ItemAnalysis, Source, User

REPO = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def yuqing(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "yuqing", *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=stdin,
        timeout=120,
        cwd=REPO,
    )


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    return target


def test_config_check_ok_and_hides_secrets(config_dir: Path) -> None:
    result = yuqing(
        "--config-dir",
        str(config_dir),
        "config",
        "check",
        env={
            "YUQING_SMTP_PASSWORD": "s3cret-value",
            "YUQING_DATABASE_URL": "postgresql+psycopg://u:db-pass-123@127.0.0.1/x",
        },
    )
    assert result.returncode == 0, result.stderr
    assert "configuration OK" in result.stdout
    assert "s3cret-value" not in result.stdout + result.stderr
    assert "db-pass-123" not in result.stdout + result.stderr
    assert "password set" in result.stdout


def test_config_check_broken_file_exit_2_no_traceback(config_dir: Path) -> None:
    (config_dir / "alerts.yaml").write_text("rules: []\nescalation: []\nsurprise: 1\n", encoding="utf-8")
    result = yuqing("--config-dir", str(config_dir), "config", "check")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{config_dir / 'alerts.yaml'}: surprise: unknown key" in result.stderr
    assert f"{config_dir / 'alerts.yaml'}: escalation:" in result.stderr


def test_config_dir_from_environment(config_dir: Path) -> None:
    (config_dir / "timers.yaml").write_text("rules: 5\n", encoding="utf-8")
    result = yuqing("config", "check", env={"YUQING_CONFIG_DIR": str(config_dir)})
    assert result.returncode == 2
    assert f"{config_dir / 'timers.yaml'}: rules:" in result.stderr


def test_init_creates_admin_once_with_generated_password(config_dir: Path, tmp_path: Path) -> None:
    env = {"YUQING_CONFIG_DIR": str(config_dir), "YUQING_DATA_DIR": str(tmp_path / "var")}
    first = yuqing("init", env=env)
    assert first.returncode == 0, first.stderr
    assert "created user admin with password" in first.stdout
    password = first.stdout.split("created user admin with password ")[1].split()[0]
    second = yuqing("init", env=env)
    assert second.returncode == 0 and "created user" not in second.stdout  # shown once only
    db = Database(f"sqlite:///{tmp_path / 'var' / 'yuqing.db'}")
    with db.session() as s:
        admin = s.query(User).filter_by(username="admin").one()
        from core.users import verify_password

        assert verify_password(admin.password_hash, password)
        assert s.query(Source).count() >= 1


def test_init_takes_admin_password_from_environment(config_dir: Path, tmp_path: Path) -> None:
    env = {
        "YUQING_CONFIG_DIR": str(config_dir),
        "YUQING_DATA_DIR": str(tmp_path / "var"),
        "YUQING_ADMIN_PASSWORD": "a-long-admin-pass",
    }
    result = yuqing("init", env=env)
    assert result.returncode == 0, result.stderr
    assert "a-long-admin-pass" not in result.stdout
    add = yuqing(
        "user", "add", "wang", "--role", "duty", "--password-stdin", env=env, stdin="duty-password-1\n"
    )
    assert add.returncode == 0, add.stderr
    bad = yuqing("user", "add", "li", "--role", "emperor", env=env)
    assert bad.returncode == 2 and "unknown role" in bad.stderr
    listing = yuqing("user", "list", env=env)
    assert "admin\tadmin" in listing.stdout and "wang\tduty" in listing.stdout


def test_export_items_jsonl(config_dir: Path, tmp_path: Path) -> None:
    env = {"YUQING_CONFIG_DIR": str(config_dir), "YUQING_DATA_DIR": str(tmp_path / "var")}
    assert yuqing("init", env=env).returncode == 0
    db = Database(f"sqlite:///{tmp_path / 'var' / 'yuqing.db'}")
    with db.session() as s:
        src = s.query(Source).first()
        assert src is not None
        item = Item(
            source_id=src.id,
            external_id="X1",
            kind="board",
            title="小区供暖不热",
            content="暖气不热",
            fetched_at=NOW,
            updated_at=NOW,
            content_hash="h",
            reply_status="replied",
            reply_at=NOW,
            reply_text="已安排维修",
            reply_department="市住建局",
        )
        s.add(item)
        s.flush()
        s.add(
            ItemAnalysis(
                item_id=item.id, sentiment="negative", sentiment_score=0.1, model_version="t", analyzed_at=NOW
            )
        )
    out = tmp_path / "items.jsonl"
    result = yuqing("export", "items", "--format", "jsonl", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 1
    rec = records[0]
    assert rec["source"] == src.key and rec["kind"] == "board" and rec["title"] == "小区供暖不热"
    assert rec["reply_status"] == "replied" and rec["reply_text"] == "已安排维修"
    assert rec["reply_department"] == "市住建局" and rec["reply_at"].startswith("2026-11-20T02:00")
    assert rec["sentiment"] == "negative"


def test_help_describes_every_command() -> None:
    result = yuqing("--help")
    assert result.returncode == 0
    for command in (
        "init",
        "run",
        "scheduler",
        "dashboard",
        "crawl",
        "analyze",
        "export",
        "report",
        "user",
        "config",
        "demo-sources",
    ):
        assert command in result.stdout
