"""`yuqing report weekly|daily` against a seeded database: files written, the Report row, --mail, bad input."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from sqlalchemy import select
from typer.testing import CliRunner

from core.db import Database
from core.models import Notification, Report
from tests.conftest import REPO
from tests.integration.reports.seed import Seeded
from yuqing.cli import app


def run(database_url: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        ["--config-dir", str(REPO / "config"), "--database-url", database_url, "--data-dir", str(tmp_path / "var"),
         "report", *args],
    )  # fmt: skip
    return result.exit_code, result.output


def test_weekly_command_writes_both_files_and_queues_mail(
    db: Database, seeded: Seeded, tmp_path: Path
) -> None:
    code, output = run(
        db.url, tmp_path, "weekly", "--week", "2026-W47", "--out", str(tmp_path / "out"), "--mail"
    )
    assert code == 0, output
    docx = tmp_path / "out" / "weekly-2026-W47.docx"
    assert f"Word: {docx}" in output and "21 条信息" in output and "已加入发件队列 2 封" in output
    assert "一、总体情况" in [p.text for p in Document(str(docx)).paragraphs]
    assert (tmp_path / "out" / "weekly-2026-W47.html").exists()
    with db.session() as s:
        row = s.scalars(select(Report)).one()
        assert (row.kind, row.status, row.docx_path) == ("weekly", "done", str(docx))
        assert len(s.scalars(select(Notification)).all()) == 2


def test_daily_command_and_bad_input(db: Database, seeded: Seeded, tmp_path: Path) -> None:
    code, output = run(db.url, tmp_path, "daily", "--day", "2026-11-18")
    assert code == 0, output
    assert (tmp_path / "var" / "reports" / "daily-2026-11-18.docx").exists()
    assert "8 条信息" in output
    code, output = run(db.url, tmp_path, "weekly", "--week", "2026-W60")
    assert code == 2 and "no ISO week" in output
    code, output = run(db.url, tmp_path, "daily", "--day", "yesterday")
    assert code == 2 and "not a date" in output
