"""The crawler's command-line surface: a new site added by YAML alone, `yuqing crawl`, `yuqing source test`,
`yuqing import hotline` and `yuqing export items` after a crawl."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from core.db import Database
from core.models import CrawlRun, Item
from tests.integration.crawlers.conftest import REPO, CrawlEnv
from tests.integration.crawlers.minisite import MINI_SOURCE_YAML, MiniBoard, MiniServer
from yuqing.cli import app

pytestmark = pytest.mark.slow


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def yuqing(env: CrawlEnv, *args: str) -> CliResult:
    """Run the `yuqing` CLI in this process (its crawls still run as `python -m crawlers.run` subprocesses)."""
    result = CliRunner().invoke(app, list(args), env=env.env, catch_exceptions=False)
    return CliResult(result.exit_code, result.stdout, result.stderr)


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_new_board_added_by_yaml_alone(tmp_path: Path, sqlite_url: str) -> None:
    """A site with markup the code has never seen (tables, XPath, `?p=N` pages, GB18030 behind a UTF-8
    header): appended to a copy of config/sources.yaml, crawled, revisited for its reply."""
    site = MiniBoard(encoding="gb18030", declared="utf-8")
    site.add(12)
    config_dir = tmp_path / "config"
    shutil.copytree(REPO / "config", config_dir)
    with MiniServer(site) as server:
        with (config_dir / "sources.yaml").open("a", encoding="utf-8") as fh:
            fh.write(MINI_SOURCE_YAML.format(url=server.url))
        db = Database(sqlite_url)
        env = CrawlEnv(config_dir, tmp_path / "var", sqlite_url, None, db)
        crawl = [sys.executable, "-m", "crawlers.run", "mini_board", "--trigger", "manual"]
        first = subprocess.run(crawl, env=env.env, cwd=REPO, capture_output=True, text=True, timeout=90)
        assert first.returncode == 0, first.stderr[-2000:]
        items = {i.external_id: i for i in env.items("mini_board")}
        assert set(items) == {str(n) for n in range(1, 13)}
        post = items["7"]
        assert post.title == "关于第7号小区停车难的问题"
        assert post.content == "我们小区停车位严重不足，第7栋楼下每天堵车。\n希望尽快解决。"
        assert (post.author, post.addressee, post.source_status, post.region) == (
            "张*7",
            "市交通运输局",
            "待答复",
            "青山区",
        )
        assert post.published_raw == "2026年11月8日 09:07" and post.published_at is not None
        assert post.reply_status == "pending"

        target = site.posts[6]
        target.reply, target.reply_by, target.reply_when = (
            "已协调增设临时停车位。",
            "市交通运输局",
            "2026-11-22 10:00",
        )
        site.posts[2].deleted = True
        site.add(3)
        second = subprocess.run(crawl, env=env.env, cwd=REPO, capture_output=True, text=True, timeout=90)
        assert second.returncode == 0, second.stderr[-2000:]
        items = {i.external_id: i for i in env.items("mini_board")}
        assert len(items) == 15
        post = items["7"]
        assert (post.reply_status, post.reply_text, post.reply_department) == (
            "replied", "已协调增设临时停车位。", "市交通运输局",
        )  # fmt: skip
        assert items["3"].deleted_at is not None
        run = env.runs("mini_board")[-1]
        assert (run.status, run.items_new, run.trigger) == ("success", 3, "manual")
        db.dispose()


def test_yuqing_crawl_prints_the_figures(crawl_env: CrawlEnv) -> None:
    result = yuqing(crawl_env, "crawl", "demo_gbk_board", "--timeout", "60")
    assert result.returncode == 0, result.stdout + result.stderr
    stored = len(crawl_env.items("demo_gbk_board"))
    assert stored > 0
    assert "demo_gbk_board: success  pages " in result.stdout
    assert f"new {stored}  updated 0" in result.stdout
    assert crawl_env.runs("demo_gbk_board")[-1].trigger == "manual"
    bad = yuqing(crawl_env, "crawl", "no_such_source")
    assert bad.returncode == 2 and "unknown source" in bad.stderr
    file_source = yuqing(crawl_env, "crawl", "demo_hotline_file")
    assert file_source.returncode == 2 and "yuqing import hotline" in file_source.stderr
    neither = yuqing(crawl_env, "crawl")
    assert neither.returncode == 2


def test_source_test_prints_fields_and_stores_nothing(crawl_env: CrawlEnv) -> None:
    result = yuqing(crawl_env, "source", "test", "demo_board", "--items", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    first_post = crawl_env.published("board")[-1]  # newest first on the board
    assert "── 第1条" in result.stdout and "── 第3条" in result.stdout and "── 第4条" not in result.stdout
    for field in (
        "title",
        "author",
        "published_at",
        "published_raw",
        "addressee",
        "source_status",
        "content",
    ):
        assert f"  {field} " in result.stdout
    assert first_post["title"] in result.stdout
    assert "nothing stored" in result.stdout
    assert count(crawl_env.db, Item) == 0 and count(crawl_env.db, CrawlRun) == 0


def download_export(env: CrawlEnv, tmp_path: Path, ext: str) -> Path:
    """The demo hotline centre's daily export of the simulated day, saved as a file."""
    day = env.admin("/_admin/state")["sim_now"][:10]
    assert env.demo is not None
    path = tmp_path / f"12345_{day}.{ext}"
    with urllib.request.urlopen(f"{env.demo.url}/hotline/export/{day}.{ext}") as response:
        path.write_bytes(response.read())
    return path


def test_import_hotline_csv_and_xlsx_idempotent_and_all_or_nothing(
    crawl_env: CrawlEnv, tmp_path: Path
) -> None:
    csv_file, xlsx_file = (
        download_export(crawl_env, tmp_path, "csv"),
        download_export(crawl_env, tmp_path, "xlsx"),
    )
    day = csv_file.stem.split("_")[1]
    truth = {e["id"]: e for e in crawl_env.published("hotline") if e["published_at"].startswith(day)}
    assert truth

    first = yuqing(crawl_env, "import", "hotline", str(csv_file), "--source", "demo_hotline_file")
    assert first.returncode == 0, first.stderr
    assert f"new {len(truth)}" in first.stdout
    items = {i.external_id: i for i in crawl_env.items("demo_hotline_file")}
    assert set(items) == set(truth)
    for pid, item in items.items():
        assert item.title == truth[pid]["title"] and item.department == truth[pid]["dept"]
        assert item.reply_status == ("replied" if truth[pid]["status"] == "已办结" else "pending")
        assert item.published_at is not None and item.kind == "hotline"
    again = yuqing(crawl_env, "import", "hotline", str(xlsx_file), "--source", "demo_hotline_file")
    assert again.returncode == 0, again.stderr
    assert f"new 0, updated 0, unchanged {len(truth)}" in again.stdout
    assert len(crawl_env.items("demo_hotline_file")) == len(truth)

    # a file with a broken row stores nothing, and says which row (more cases: test_crawler_import.py)
    lines = csv_file.read_text(encoding="utf-8-sig").splitlines()
    header, rows = lines[0], lines[1:]
    fresh_rows = [r.replace("YJ", "ZZ", 1) for r in rows]  # new ids: they would all be new items
    fresh_rows.insert(1, "," * header.count(","))  # row 3: empty, no 工单编号
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join([header, *fresh_rows]) + "\n", encoding="utf-8")
    result = yuqing(crawl_env, "import", "hotline", str(broken), "--source", "demo_hotline_file")
    assert result.returncode == 2 and "第3行" in result.stderr and "nothing imported" in result.stderr
    assert len(crawl_env.items("demo_hotline_file")) == len(truth)


def test_export_items_jsonl_after_a_crawl(crawl_env: CrawlEnv, tmp_path: Path) -> None:
    assert crawl_env.crawl("demo_board").returncode == 0
    export_file = download_export(crawl_env, tmp_path, "csv")  # hotline items too: two sources, two kinds
    assert (
        yuqing(crawl_env, "import", "hotline", str(export_file), "--source", "demo_hotline_file").returncode
        == 0
    )
    out = tmp_path / "items.jsonl"
    result = yuqing(crawl_env, "export", "items", "--format", "jsonl", "--out", str(out))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    stored = crawl_env.items("demo_board") + crawl_env.items("demo_hotline_file")
    assert len(records) == len(stored) and len({r["id"] for r in records}) == len(stored)
    by_key = {(r["source"], r["external_id"]): r for r in records}
    for item in stored:
        record = by_key[("demo_board" if item.kind == "board" else "demo_hotline_file", item.external_id)]
        assert record["kind"] == item.kind and record["title"] == item.title and record["url"] == item.url
        assert record["reply_status"] == item.reply_status and record["reply_text"] == item.reply_text
        assert record["reply_department"] == item.reply_department
        assert (record["reply_at"] is None) == (item.reply_at is None)
        assert record["published_raw"] == item.published_raw and record["deleted"] is False
    assert {r["kind"] for r in records} == {"board", "hotline"}
    assert {r["reply_status"] for r in records} == {"pending", "replied"}


@pytest.mark.slow
def test_yuqing_crawl_all_crawls_every_enabled_source(crawl_env: CrawlEnv) -> None:
    from core.settings import load_config

    config = load_config({"config_dir": crawl_env.config_dir})
    enabled = [s.key for s in config.sources.sources if s.enabled and s.type != "file"]
    result = yuqing(crawl_env, "crawl", "--all", "--timeout", "90")
    assert result.returncode == 0, result.stdout + result.stderr
    for key in enabled:
        assert f"{key}: success" in result.stdout, result.stdout
        assert crawl_env.items(key), f"nothing stored for {key}"
        assert crawl_env.runs(key)[-1].trigger == "manual"
    skipped = [s.key for s in config.sources.sources if not s.enabled]
    for key in skipped:
        assert not crawl_env.items(key)
