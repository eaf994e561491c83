"""`yuqing analyze`: offline JSONL in/out (validation, atomic output) and the database run."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analysis import offline
from core.clock import FixedClock
from core.db import Database
from core.models import Item
from tests.integration.analysis.factory import add_item, add_sources
from yuqing.cli import app

REPO = Path(__file__).resolve().parents[3]
REQUIRED = {
    "id",
    "sentiment",
    "sentiment_score",
    "topic",
    "topic_confidence",
    "tags",
    "scheme_hits",
    "risk_score",
    "risk_level",
    "risk",
    "risk_factors",
    "content_masked",
    "model_version",
}


def _invoke(tmp_path: Path, *args: str, database_url: str | None = None) -> tuple[int, str]:
    base = ["--config-dir", str(REPO / "config"), "--data-dir", str(tmp_path / "var")]
    if database_url:
        base += ["--database-url", database_url]
    result = CliRunner().invoke(app, [*base, *args])
    return result.exit_code, result.output


def _write(path: Path, *lines: object) -> Path:
    path.write_text(
        "".join(
            (line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n" for line in lines
        ),
        encoding="utf-8",
    )
    return path


RECORDS = [
    {
        "id": "a1",
        "kind": "hotline",
        "title": "欠薪",
        "content": "宏达建筑公司拖欠三十多名农民工工资，明天集体去市政府门口拉横幅。联系人：张伟，13912345678",
        "region": "江南区",
        "published_at": "2026-11-20T09:30:00+08:00",
    },
    {"id": 2, "kind": "board", "title": "感谢", "content": "感谢街道办工作人员及时解决了我们的供暖问题"},
    {"id": "n3", "kind": "news", "title": "我市召开防汛工作会议", "content": "会议部署了今年的防汛工作。"},
]


def test_offline_results_one_per_input_in_order(tmp_path: Path) -> None:
    src = _write(tmp_path / "items.jsonl", *RECORDS, "")
    out = tmp_path / "out" / "results.jsonl"
    code, output = _invoke(tmp_path, "analyze", "--in", str(src), "--out", str(out))
    assert code == 0, output
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in results] == ["a1", 2, "n3"]
    for r in results:
        assert set(r) >= REQUIRED
        assert r["sentiment"] in {"negative", "neutral", "positive"}
        assert r["risk_level"] in {"I", "II", "III", "IV", "none"}
        assert (
            r["risk"]
            == {"I": "high", "II": "high", "III": "medium", "IV": "medium", "none": "low"}[r["risk_level"]]
        )
        assert 0 <= r["risk_score"] <= 100
    wage = results[0]
    assert wage["risk"] == "high" and wage["sentiment"] == "negative"
    assert {h["scheme"] for h in wage["scheme_hits"]} >= {"群体性事件苗头"}
    assert {f["factor"] for f in wage["risk_factors"]} >= {"group_gathering", "gov_threat"}
    assert "张伟" not in wage["content_masked"] and "13912345678" not in wage["content_masked"]
    assert results[1]["sentiment"] == "positive" and results[1]["risk"] == "low"
    assert not list(out.parent.glob(".*tmp"))


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "JSON object"),
        ('{"kind": "board", "title": "t", "content": "c"}', "'id'"),
        ('{"id": 1, "kind": "weibo", "title": "t", "content": "c"}', "'kind'"),
        ('{"id": 1, "kind": "board", "title": "t"}', "'content'"),
        ('{"id": 1, "kind": "board", "title": "", "content": " "}', "both empty"),
        (
            '{"id": 1, "kind": "board", "title": "t", "content": "c", "published_at": "yesterday"}',
            "published_at",
        ),
    ],
)
def test_malformed_line_is_named_and_nothing_is_written(tmp_path: Path, bad_line: str, message: str) -> None:
    src = _write(tmp_path / "items.jsonl", RECORDS[0], RECORDS[1], bad_line, RECORDS[2])
    out = tmp_path / "results.jsonl"
    out.write_text("previous results\n", encoding="utf-8")
    code, output = _invoke(tmp_path, "analyze", "--in", str(src), "--out", str(out))
    assert code == 2
    assert "items.jsonl:3:" in output and message in output
    assert out.read_text(encoding="utf-8") == "previous results\n"  # untouched
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_oversized_line_is_refused(tmp_path: Path) -> None:
    huge = {"id": 1, "kind": "board", "title": "长", "content": "很" * (offline.MAX_LINE_BYTES // 3 + 10)}
    src = _write(tmp_path / "items.jsonl", RECORDS[1], huge)
    code, output = _invoke(tmp_path, "analyze", "--in", str(src), "--out", str(tmp_path / "r.jsonl"))
    assert code == 2 and "items.jsonl:2:" in output and "longer than" in output
    assert not (tmp_path / "r.jsonl").exists()


def test_missing_input_and_half_options(tmp_path: Path) -> None:
    code, output = _invoke(
        tmp_path, "analyze", "--in", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "r")
    )
    assert code == 2 and "nope.jsonl" in output
    code, output = _invoke(tmp_path, "analyze", "--in", str(tmp_path / "x.jsonl"))
    assert code == 2 and "--out" in output


def test_naive_times_are_shanghai_local() -> None:
    record = offline.parse_record(
        '{"id": 1, "kind": "board", "content": "c", "published_at": "2026-11-20 10:00:00"}'
    )
    assert record.published_at is not None and record.published_at.isoformat() == "2026-11-20T02:00:00+00:00"


def test_without_arguments_it_analyzes_the_database(
    tmp_path: Path, sqlite_url: str, clock: FixedClock
) -> None:
    db = Database(sqlite_url)
    try:
        src = add_sources(db, clock.now(), ("board", "board"))
        item_id = add_item(
            db,
            src["board"],
            "board",
            "b1",
            "路灯坏了",
            "临湖区滨江路路灯坏了一个月",
            clock.now() - timedelta(hours=1),
        )
        code, output = _invoke(tmp_path, "analyze", database_url=sqlite_url)
        assert code == 0, output
        assert "analyzed=1" in output
        with db.session() as s:
            assert s.get(Item, item_id).status == "analyzed"  # type: ignore[union-attr]
    finally:
        db.dispose()


def test_database_not_initialised(tmp_path: Path) -> None:
    code, output = _invoke(tmp_path, "analyze", database_url=f"sqlite:///{tmp_path}/empty.db")
    assert code == 3 and "yuqing init" in output
