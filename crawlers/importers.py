"""Import 12345 work orders handed over as CSV or Excel files, with a source's column mapping.

All or nothing: the whole file is read and checked first, every problem is reported with its row, and the
items are stored in one transaction; importing the same file again changes nothing (idempotent upsert).
"""

from __future__ import annotations

import codecs
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from core.clock import Clock
from core.db import Database
from core.errors import InputError
from core.models import CrawlRun, Item, Source
from core.settings import AppConfig, FileImportConfig, SourceConfig
from crawlers.dates import parse_datetime
from crawlers.departments import DepartmentMatcher
from crawlers.items import CrawledItem, build_item
from crawlers.pipelines import normalize_item, validation_problem
from crawlers.store import ItemStore

logger = logging.getLogger(__name__)

MAX_REPORTED_PROBLEMS = 20
DATE_FIELDS = ("published_at", "reply_at")


@dataclass(frozen=True)
class ImportResult:
    source_key: str
    rows: int
    items_new: int
    items_updated: int
    items_unchanged: int


def read_table(path: Path, cfg: FileImportConfig) -> list[dict[str, Any]]:
    """The file's rows as dicts of strings (blank cells None); InputError when it cannot be read."""
    if not path.exists():
        raise InputError(f"文件不存在 file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, encoding=cfg.encoding, keep_default_na=False)
        elif suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, sheet_name=cfg.sheet or 0, dtype=str, keep_default_na=False)
        else:
            raise InputError(f"不支持的文件类型 unsupported file type {suffix!r}: use .csv or .xlsx")
    except InputError:
        raise
    except UnicodeDecodeError as exc:
        line = _undecodable_line(path, cfg.encoding)
        where = f"第{line}行" if line else "文件中"
        raise InputError(
            f"无法读取文件 cannot read {path.name}: {where}不是 {cfg.encoding} 编码的文本 (line {line or '?'} is not "
            f"{cfg.encoding}); 请另存为 UTF-8，或在 sources.yaml 的 file.encoding 中写明编码（如 gbk）"
        ) from exc
    except (ValueError, KeyError, OSError, pd.errors.ParserError) as exc:
        raise InputError(f"无法读取文件 cannot read {path.name}: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # openpyxl/zipfile raise their own errors on a damaged workbook
        raise InputError(f"无法读取文件 cannot read {path.name}: {type(exc).__name__}: {exc}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [column for column in cfg.columns.values() if column not in frame.columns]
    if missing:
        raise InputError(
            f"{path.name} 缺少列 missing column(s): {', '.join(missing)}; "
            f"文件中的列 columns found: {', '.join(frame.columns)}"
        )
    rows: list[dict[str, Any]] = []
    for record in frame.to_dict(orient="records"):
        rows.append({str(k): (str(v).strip() or None) if v is not None else None for k, v in record.items()})
    return rows


def _undecodable_line(path: Path, encoding: str) -> int | None:
    """The first line (1-based) that does not decode in `encoding`; rows are lines unless a quoted cell spans
    several, so this is also the row a spreadsheet shows in the common case."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                decoder.decode(raw)
            except UnicodeDecodeError:
                return number
    return None


def parse_rows(source: SourceConfig, rows: list[dict[str, Any]], clock: Clock) -> list[CrawledItem]:
    """Items for every row, or InputError listing each row's problem (row numbers as a spreadsheet shows them)."""
    assert source.file is not None
    cfg = source.file
    now = clock.now()
    items: list[CrawledItem] = []
    problems: list[str] = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        fields = {name: row.get(column) for name, column in cfg.columns.items()}
        for name in DATE_FIELDS:
            value = fields.get(name)
            if value and parse_datetime(value, now) is None:
                problems.append(f"第{number}行: {cfg.columns[name]} “{value}” 不是可识别的时间")
        item = normalize_item(
            build_item(fields, kind=source.kind, now=now, status_replied=cfg.status_replied,
                       default_region=source.region)
        )  # fmt: skip
        problem = validation_problem(item)
        if problem:
            field = problem.removeprefix("missing_")
            problems.append(f"第{number}行: 缺少 {cfg.columns.get(field, field)} ({problem})")
        items.append(item)
    if problems:
        more = len(problems) - MAX_REPORTED_PROBLEMS
        text = "\n".join(problems[:MAX_REPORTED_PROBLEMS]) + (f"\n... 另有{more}处问题" if more > 0 else "")
        raise InputError(f"文件有误，未导入任何记录 nothing imported:\n{text}")
    return items


def import_file(db: Database, clock: Clock, config: AppConfig, source_key: str, path: Path) -> ImportResult:
    try:
        source = config.sources.get(source_key)
    except KeyError:
        raise InputError(f"未知的信息源 unknown source {source_key!r}") from None
    if source.file is None:
        raise InputError(f"信息源 {source_key} 没有 file: 列映射 (no file column mapping in sources.yaml)")
    rows = read_table(path, source.file)
    items = parse_rows(source, rows, clock)
    now = clock.now()
    with db.session() as session:
        row = session.scalar(select(Source).where(Source.key == source.key))
        if row is None:
            row = Source(
                key=source.key, name=source.name, kind=source.kind, url=source.url, created_at=now, state={}
            )
            session.add(row)
            session.flush()
        source_id = row.id
        departments = DepartmentMatcher.load(session)
    # One batch = one transaction: a failure stores nothing.
    store = ItemStore(db, clock, source_id=source_id, batch_size=len(items) + 1, departments=departments)
    for item in items:
        store.add(item)
    store.flush()
    with db.session() as session:
        session.add(
            CrawlRun(
                source_id=source_id, started_at=now, finished_at=clock.now(), status="success", trigger="manual",
                pages=1, items_new=store.counts["new"], items_updated=store.counts["updated"],
                items_unchanged=store.counts["unchanged"], dropped_reasons={}, duration_s=0.0,
                error_message=None, node=path.name[:200],
            )
        )  # fmt: skip
        row = session.get(Source, source_id)
        assert row is not None
        row.last_run_at = row.last_success_at = clock.now()
        row.consecutive_failures = 0
        row.items_total = session.scalar(select(func.count(Item.id)).where(Item.source_id == source_id)) or 0
        if store.counts["new"]:
            row.last_item_at = clock.now()
    logger.info("imported %s: %d rows, %s", path.name, len(rows), dict(store.counts))
    return ImportResult(
        source.key, len(rows), store.counts["new"], store.counts["updated"], store.counts["unchanged"]
    )
