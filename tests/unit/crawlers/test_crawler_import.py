"""Hotline file import: column mapping, idempotence, and all-or-nothing on malformed files (SQLite)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.clock import FixedClock
from core.db import Database
from core.errors import InputError
from core.models import CrawlRun, Item
from core.settings import AppConfig
from crawlers.importers import import_file
from tests.conftest import DEFAULT_NOW

HEADERS = [
    "工单编号",
    "来电时间",
    "诉求类型",
    "诉求标题",
    "诉求内容",
    "所属区域",
    "承办单位",
    "状态",
    "办结时间",
    "答复内容",
]
ROWS = [
    ["YJ001", "2026-11-20 09:01:00", "投诉", "小区噪音扰民", "楼下商铺夜间噪音很大。", "东城区", "市生态环境局", "已办结",
     "2026-11-20 15:00:00", "已责令整改。"],
    ["YJ002", "2026-11-20 09:30:00", "咨询", "社保转移", "想咨询社保转移手续。", "西城区", "市人社局", "办理中", "", ""],
]  # fmt: skip


def write_csv(path: Path, rows: list[list[str]], headers: list[str] = HEADERS) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def count_items(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count(Item.id))) or 0


def test_csv_then_xlsx_import_is_idempotent(db: Database, app_config: AppConfig, tmp_path: Path) -> None:
    clock = FixedClock(DEFAULT_NOW)
    result = import_file(db, clock, app_config, "demo_hotline_file", write_csv(tmp_path / "a.csv", ROWS))
    assert (result.rows, result.items_new) == (2, 2)
    with db.session() as session:
        items = {i.external_id: i for i in session.scalars(select(Item))}
        assert items["YJ001"].reply_status == "replied" and items["YJ001"].reply_text == "已责令整改。"
        assert items["YJ002"].reply_status == "pending" and items["YJ002"].reply_at is None
        assert items["YJ001"].published_raw == "2026-11-20 09:01:00" and items["YJ001"].region == "东城区"
        assert session.scalar(select(func.count(CrawlRun.id))) == 1
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "工单明细"
    sheet.append(HEADERS)
    for row in ROWS:
        sheet.append(row)
    book.save(tmp_path / "a.xlsx")
    again = import_file(db, clock, app_config, "demo_hotline_file", tmp_path / "a.xlsx")
    assert (again.items_new, again.items_updated, again.items_unchanged) == (0, 0, 2)
    assert count_items(db) == 2


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p: write_csv(
                p, [*ROWS, ["", "2026-11-20 10:00:00", "投诉", "t", "c", "", "", "", "", ""]]
            ),
            "第4行",
        ),
        (
            lambda p: write_csv(p, [*ROWS, ["YJ9", "昨天下午", "投诉", "t", "c", "", "", "", "", ""]]),
            "不是可识别的时间",
        ),
        (lambda p: write_csv(p, ROWS, HEADERS[:4]), "missing column(s): 诉求内容"),
        (lambda p: (p.write_bytes(b"\x00\x01garbage\xff\xfe" * 10), p)[1], "cannot read"),
    ],
    ids=["missing-id", "bad-date", "missing-column", "garbage"],
)
def test_malformed_file_stores_nothing(
    db: Database, app_config: AppConfig, tmp_path: Path, make: object, message: str
) -> None:
    path = make(tmp_path / "bad.csv")  # type: ignore[operator]
    with pytest.raises(InputError) as caught:
        import_file(db, FixedClock(DEFAULT_NOW), app_config, "demo_hotline_file", path)
    assert message in str(caught.value)
    assert count_items(db) == 0


def test_import_needs_a_file_source(db: Database, app_config: AppConfig, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ROWS)
    with pytest.raises(InputError, match=r"file: 列映射|no file column mapping"):
        import_file(db, FixedClock(DEFAULT_NOW), app_config, "demo_board", path)
    with pytest.raises(InputError, match="unknown source"):
        import_file(db, FixedClock(DEFAULT_NOW), app_config, "nope", path)
    with pytest.raises(InputError, match="unsupported file type"):
        import_file(
            db, FixedClock(DEFAULT_NOW), app_config, "demo_hotline_file", path.rename(tmp_path / "a.txt")
        )
