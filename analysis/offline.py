"""Offline analysis of a JSONL file (`yuqing analyze --in ITEMS.jsonl --out RESULTS.jsonl`), no database.

The input is validated completely before anything is analysed; the output is written to a temporary file
beside the target and renamed at the end, so a failure never leaves a half-written result.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from analysis.pipeline import Analyzer, ItemInput
from core.clock import SHANGHAI, ensure_utc
from core.errors import InputError
from core.models import SOURCE_KINDS

logger = logging.getLogger(__name__)

MAX_LINE_BYTES = 1 << 20  # one record; a board post is a few kB, a news article rarely 100 kB
MAX_ITEMS = 1_000_000
CHUNK = 1_000


def _parse_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("published_at must be an ISO 8601 string")
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    # Chinese sources state local time; a time without an offset is taken as Asia/Shanghai.
    return ensure_utc(parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI))


def parse_record(line: str) -> ItemInput:
    """One JSONL line -> ItemInput; ValueError with a short reason when malformed."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise ValueError("not valid input: JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError("each line must be a JSON object")
    record_id = data.get("id")
    if record_id is None or isinstance(record_id, bool) or not isinstance(record_id, str | int):
        raise ValueError("'id' is missing or not a string/integer")
    kind = data.get("kind")
    if kind not in SOURCE_KINDS:
        raise ValueError(f"'kind' must be one of {', '.join(SOURCE_KINDS)} (got {kind!r})")
    title = data.get("title", "")
    content = data.get("content")
    if not isinstance(title, str):
        raise ValueError("'title' must be a string")
    if not isinstance(content, str):
        raise ValueError("'content' is missing or not a string")
    if not title.strip() and not content.strip():
        raise ValueError("'title' and 'content' are both empty")
    region = data.get("region")
    if region is not None and not isinstance(region, str):
        raise ValueError("'region' must be a string")
    try:
        published_at = _parse_time(data.get("published_at"))
    except ValueError as exc:
        raise ValueError(f"'published_at' is not a valid time: {exc}") from None
    return ItemInput(
        id=record_id,
        kind=kind,
        title=title,
        content=content,
        region=region or None,
        published_at=published_at,
    )


def read_items(path: Path) -> Iterator[ItemInput]:
    """Validated records of a JSONL file; InputError naming file and line on the first problem."""
    count = 0
    lineno = 0
    try:
        with path.open("rb") as fh:
            while True:
                # Read at most one byte past the limit: a huge line is refused without holding it in memory.
                raw = fh.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    break
                lineno += 1
                if len(raw) > MAX_LINE_BYTES:
                    raise InputError(f"{path}:{lineno}: line is longer than {MAX_LINE_BYTES} bytes")
                try:
                    line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
                except UnicodeDecodeError:
                    raise InputError(f"{path}:{lineno}: not UTF-8 text") from None
                if not line.strip():
                    continue
                count += 1
                if count > MAX_ITEMS:
                    raise InputError(f"{path}:{lineno}: more than {MAX_ITEMS} records in one file")
                try:
                    yield parse_record(line)
                except ValueError as exc:
                    raise InputError(f"{path}:{lineno}: {exc}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def analyze_file(analyzer: Analyzer, in_path: Path, out_path: Path, *, now: datetime | None = None) -> int:
    """Validate all of `in_path`, analyse it in chunks, write `out_path` atomically. Returns records written."""
    total = sum(1 for _ in read_items(in_path))  # first pass: fail before any work on a bad line
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    written = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            chunk: list[ItemInput] = []
            for record in read_items(in_path):
                chunk.append(record)
                if len(chunk) >= CHUNK:
                    written += _write(out, analyzer, chunk, now)
                    chunk = []
            if chunk:
                written += _write(out, analyzer, chunk, now)
        if written != total:
            raise InputError(f"{in_path}: the file changed while it was being analysed")
        os.replace(tmp_name, out_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    logger.info("analysed %d records from %s", written, in_path)
    return written


def _write(out: Any, analyzer: Analyzer, chunk: list[ItemInput], now: datetime | None) -> int:
    for result in analyzer.analyze(chunk, now):
        out.write(json.dumps(result.to_json(), ensure_ascii=False))
        out.write("\n")
    return len(chunk)
