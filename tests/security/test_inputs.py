"""Oversized and malformed inputs to `yuqing analyze --in` and `yuqing import hotline`: a clear error naming the
line or row, exit status 2, nothing written or stored half-way, and bounded memory on a huge line."""

from __future__ import annotations

import csv
import json
import tracemalloc
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from analysis import offline
from core.db import Database
from core.errors import InputError
from core.models import CrawlRun, Item
from tests.conftest import REPO
from yuqing.cli import app

GOOD = {"id": 1, "kind": "board", "title": "小区停水", "content": "幸福里小区停水三天无人处理"}


def _cli(tmp_path: Path, *args: str, database_url: str | None = None) -> tuple[int, str]:
    base = ["--config-dir", str(REPO / "config"), "--data-dir", str(tmp_path / "var")]
    if database_url:
        base += ["--database-url", database_url]
    result = CliRunner().invoke(app, [*base, *args])
    return result.exit_code, result.output


# --- yuqing analyze --in ------------------------------------------------------------------------------------

BAD_LINES: list[tuple[str, bytes, str]] = [
    ("invalid JSON", b'{"id": 1, "kind": "board", "title": "x", "content": "y"', "not valid JSON"),
    ("not an object", b"[1, 2, 3]", "JSON object"),
    ("id is a list", json.dumps({**GOOD, "id": [1]}).encode(), "'id'"),
    ("id is a bool", json.dumps({**GOOD, "id": True}).encode(), "'id'"),
    ("id is a float", b'{"id": NaN, "kind": "board", "title": "x", "content": "y"}', "'id'"),
    ("kind is a number", json.dumps({**GOOD, "kind": 3}).encode(), "'kind'"),
    ("title is a number", json.dumps({**GOOD, "title": 12}).encode(), "'title'"),
    ("content is null", json.dumps({**GOOD, "content": None}).encode(), "'content'"),
    ("content is an object", json.dumps({**GOOD, "content": {"a": 1}}).encode(), "'content'"),
    ("region is a list", json.dumps({**GOOD, "region": ["江北区"]}).encode(), "'region'"),
    ("published_at is a number", json.dumps({**GOOD, "published_at": 1700000000}).encode(), "published_at"),
    ("binary", b"\x00\xff\xfe\x89PNG\r\x1a\x00\x01\x02", "not UTF-8"),
    ("GBK text", json.dumps({**GOOD}, ensure_ascii=False).encode("gbk"), "not UTF-8"),
    ("deeply nested", b'{"id": 1, "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", "nested too deeply"),
]


@pytest.mark.parametrize(("name", "bad", "message"), BAD_LINES, ids=[b[0] for b in BAD_LINES])
def test_analyze_refuses_a_malformed_line_and_writes_nothing(
    tmp_path: Path, name: str, bad: bytes, message: str
) -> None:
    src = tmp_path / "items.jsonl"
    good = json.dumps(GOOD, ensure_ascii=False).encode()
    src.write_bytes(b"\n".join([good, good, bad, good]) + b"\n")
    out = tmp_path / "results.jsonl"
    out.write_text("earlier results\n", encoding="utf-8")
    code, output = _cli(tmp_path, "analyze", "--in", str(src), "--out", str(out))
    assert code == 2, output
    assert "items.jsonl:3:" in output and message in output, output
    assert "Traceback" not in output
    assert out.read_text(encoding="utf-8") == "earlier results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["items.jsonl", "results.jsonl"]


def test_analyze_refuses_a_huge_line_without_reading_it_whole(tmp_path: Path) -> None:
    src = tmp_path / "items.jsonl"
    size = 40 * offline.MAX_LINE_BYTES  # 40 MiB on one line, no line break at all
    with src.open("wb") as fh:
        fh.write(json.dumps(GOOD).encode() + b"\n")
        fh.write(b'{"id": 2, "kind": "board", "title": "t", "content": "')
        chunk = "长".encode() * (1 << 16)
        for _ in range(size // len(chunk)):
            fh.write(chunk)
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match=r"items\.jsonl:2: line is longer than"):
            list(offline.read_items(src))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * offline.MAX_LINE_BYTES, f"peak {peak / 1e6:.0f} MB while refusing the line"
    out = tmp_path / "r.jsonl"
    code, output = _cli(tmp_path, "analyze", "--in", str(src), "--out", str(out))
    assert code == 2 and "items.jsonl:2:" in output and "longer than" in output
    assert not out.exists()


def test_analyze_missing_or_unreadable_input(tmp_path: Path) -> None:
    code, output = _cli(
        tmp_path, "analyze", "--in", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "r")
    )
    assert code == 2 and "nope.jsonl" in output
    code, output = _cli(tmp_path, "analyze", "--in", str(tmp_path), "--out", str(tmp_path / "r"))
    assert code == 2 and "Traceback" not in output


# --- yuqing import hotline ----------------------------------------------------------------------------------

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


def _row(n: int) -> list[str]:
    return [f"YJ{n:06d}", "2026-11-20 09:01:00", "投诉", f"小区噪音扰民{n}", "楼下商铺夜间噪音很大。", "东城区",
            "市生态环境局", "已办结", "2026-11-20 15:00:00", "已责令整改。"]  # fmt: skip


def _csv(
    path: Path, rows: list[list[str]], headers: list[str] = HEADERS, encoding: str = "utf-8-sig"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def _stored(db: Database) -> tuple[int, int]:
    with db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Item)) or 0,
            s.scalar(select(func.count()).select_from(CrawlRun)) or 0,
        )


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "工单明细"
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _truncated_xlsx(path: Path) -> Path:
    full = _xlsx(path.with_name("full.xlsx"), [_row(n) for n in range(50)]).read_bytes()
    path.write_bytes(full[: len(full) // 2])
    return path


def _gbk_in_the_middle(path: Path) -> Path:
    path = _csv(path.with_suffix(".csv"), [_row(n) for n in range(1, 6)])
    with path.open("ab") as fh:
        fh.write(",".join(_row(6)).encode("gbk") + b"\r\n")
        fh.write(",".join(_row(7)).encode("utf-8") + b"\r\n")
    return path


BAD_FILES = [
    ("bad header", lambda p: _csv(p.with_suffix(".csv"), [_row(1)], ["编号", *HEADERS[1:4]]), "missing column(s): 工单编号"),
    ("GBK file", lambda p: _csv(p.with_suffix(".csv"), [_row(1), _row(2)], encoding="gbk"), "第1行"),
    ("GBK row in a UTF-8 file", _gbk_in_the_middle, "第7行"),
    ("binary", lambda p: (p.with_suffix(".csv").write_bytes(b"\x00\x01\xff\xfe" * 500), p.with_suffix(".csv"))[1], "cannot read"),
    ("truncated xlsx", lambda p: _truncated_xlsx(p.with_suffix(".xlsx")), "cannot read"),
    ("empty file", lambda p: (p.with_suffix(".csv").write_bytes(b""), p.with_suffix(".csv"))[1], "cannot read"),
    ("text named xlsx", lambda p: (p.with_suffix(".xlsx").write_text("工单编号,来电时间\n", encoding="utf-8"), p.with_suffix(".xlsx"))[1], "cannot read"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "make", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_import_refuses_a_malformed_file_and_stores_nothing(
    tmp_path: Path, sqlite_url: str, db: Database, name: str, make: object, message: str
) -> None:
    path = make(tmp_path / "hotline")  # type: ignore[operator]
    code, output = _cli(
        tmp_path, "import", "hotline", str(path), "--source", "demo_hotline_file", database_url=sqlite_url
    )
    assert code == 2, output
    assert message in output and "Traceback" not in output, output
    assert _stored(db) == (0, 0)


@pytest.mark.slow
def test_import_of_100k_rows_with_one_bad_row_names_it_and_stores_nothing(
    tmp_path: Path, sqlite_url: str, db: Database
) -> None:
    rows = [_row(n) for n in range(1, 100_001)]
    rows[54_320][1] = "去年某天"  # an unreadable time: spreadsheet row 54,322 (the header is row 1)
    path = _csv(tmp_path / "big.csv", rows)
    code, output = _cli(
        tmp_path, "import", "hotline", str(path), "--source", "demo_hotline_file", database_url=sqlite_url
    )
    assert code == 2, output[-500:]
    assert "第54322行" in output and "去年某天" in output and "nothing imported" in output
    # Every problem of the file is listed, and there is just this one: the other 99,999 rows were fine.
    assert output.count("第") == 1 and "另有" not in output
    assert _stored(db) == (0, 0)
