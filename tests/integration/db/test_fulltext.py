"""Full-text search (core/search.py, migration 0002): the same item ids on SQLite (FTS5 trigram) and PostgreSQL
(pg_trgm) for a table of queries, equal to the Python reference; the index follows inserts, updates and deletes;
the indexes are really used; downgrade and upgrade rebuild them from existing rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, inspect, select, text, update

from core.db import Database
from core.migrate import downgrade, upgrade
from core.models import Item, ItemAnalysis, Source
from core.search import item_search_clause, matches, search_terms

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)

# (title, content, masked title, masked content); None for the masked pair: not analysed yet.
TEXTS: list[tuple[str, str, str | None, str | None]] = [
    ("幸福里小区电梯频繁故障", "3号楼电梯这个月坏了五次，联系电话13912345678", "幸福里小区电梯频繁故障",
     "3号楼电梯这个月坏了五次，联系电话139****5678"),
    ("供暖温度不达标", "锦绣花园室内温度只有14度，供热公司说管网老化", "供暖温度不达标", "锦绣花园室内温度只有14度，供热公司说管网老化"),
    ("WiFi信号差", "小区WIFI经常断线，Wifi路由器在地下室", "WiFi信号差", "小区WIFI经常断线，Wifi路由器在地下室"),
    ("折扣100%返现", "商家承诺100%返现，实际没有兑现", "折扣100%返现", "商家承诺100%返现，实际没有兑现"),
    ("文件名a_b_c.txt", "下载链接里的 snake_case 名称", "文件名a_b_c.txt", "下载链接里的 snake_case 名称"),
    ('他说"马上处理"', "引号 ' 单引号 和 \"双引号\" 都在", '他说"马上处理"', "引号 ' 单引号 和 \"双引号\" 都在"),
    ("关于AND和OR的说明", "NEAR(电梯 故障) 与 星号* 和 减号- 以及 ^caret", "关于AND和OR的说明",
     "NEAR(电梯 故障) 与 星号* 和 减号- 以及 ^caret"),
    ("反斜杠路径", "C:\\yuqing\\data 目录", "反斜杠路径", "C:\\yuqing\\data 目录"),
    ("张伟反映拖欠工资", "我叫张伟，老板拖欠工资三个月", "张*反映拖欠工资", "我叫张*，老板拖欠工资三个月"),
    ("黑臭水体", "清水河出现黑臭水体，有死鱼", None, None),
    ("标题里有电梯", "内容里有故障", "标题里有电梯", "内容里有故障"),
    ("Elevator BROKEN again", "the elevator in building 3 is broken", "Elevator BROKEN again",
     "the elevator in building 3 is broken"),
]  # fmt: skip

QUERIES = [
    "电梯",  # 2 characters: LIKE fallback
    "电梯故障",  # 4 characters: index
    "频繁故障",
    "小区",
    "温度不达标",
    "电梯 故障",  # two short terms, in title and content separately
    "电梯 频繁故障",
    "黑臭 死鱼",
    "wifi",  # ASCII case
    "WIFI 路由器",
    "Wi",
    "elevator broken",
    "ELEVATOR",
    "100%",
    "%",
    "0%返",
    "_",
    "a_b",
    "snake_case",
    "a%b",
    '"',
    '"马上处理"',
    "'",
    "AND",
    "OR",
    "NEAR(电梯",
    "*",
    "星号*",
    "-",
    "^caret",
    "\\",
    "C:\\yuqing",
    "\\data",
    "张伟",
    "139",
    "13912345678",
    "拖欠工资",
    "不存在的词语",
    "电梯 不存在的词语",
    "标题里有电梯内容",  # spans title and content: matches neither field alone
    "   ",
]


def _seed(db: Database) -> dict[int, tuple[str, str, str | None, str | None]]:
    with db.session() as s:
        source = Source(key="s1", name="S1", kind="board", created_at=NOW, state={})
        s.add(source)
        s.flush()
        rows = {}
        for n, (title, content, title_masked, content_masked) in enumerate(TEXTS):
            item = Item(
                source_id=source.id,
                external_id=f"e{n}",
                kind="board",
                title=title,
                content=content,
                fetched_at=NOW,
                updated_at=NOW,
                content_hash=str(n),
            )
            s.add(item)
            s.flush()
            if title_masked is not None and content_masked is not None:
                s.add(_analysis(item.id, title_masked, content_masked))
            rows[item.id] = (title, content, title_masked, content_masked)
    return rows


def _analysis(item_id: int, title_masked: str, content_masked: str) -> ItemAnalysis:
    return ItemAnalysis(
        item_id=item_id,
        sentiment="neutral",
        sentiment_score=0.5,
        title_masked=title_masked,
        content_masked=content_masked,
        model_version="t",
        analyzed_at=NOW,
    )


def _search(db: Database, query: str, masked: bool = False) -> set[int]:
    clause = item_search_clause(db.engine.dialect.name, query, masked=masked)
    stmt = select(Item.id)
    if clause is not None:
        stmt = stmt.where(clause)
    with db.session() as s:
        return set(s.scalars(stmt))


def _expected(rows: dict[int, tuple[str, str, str | None, str | None]], query: str, masked: bool) -> set[int]:
    if not search_terms(query):
        return set(rows)  # no condition at all
    out = set()
    for item_id, (title, content, title_masked, content_masked) in rows.items():
        if masked:
            if title_masked is None or content_masked is None:
                continue
            title, content = title_masked, content_masked
        if matches(title, content, query):
            out.add(item_id)
    return out


def test_reference_semantics() -> None:
    assert search_terms("  电梯  故障 电梯 ") == ["电梯", "故障"]
    assert matches("Elevator", "", "eLEV") and not matches("电梯", "故障", "电梯故障")
    assert matches("a", "b", "") and matches("a", "b", "   ")


def test_same_ids_on_both_databases_as_the_reference(any_db: Database) -> None:
    rows = _seed(any_db)
    seen_nonempty = 0
    for masked in (False, True):
        for query in QUERIES:
            expected = _expected(rows, query, masked)
            assert _search(any_db, query, masked) == expected, (query, masked)
            seen_nonempty += bool(expected) and len(expected) < len(rows)
    # The table is not trivial: most queries select a proper, non-empty subset.
    assert seen_nonempty >= 50


def test_masked_search_does_not_find_what_masking_removed(any_db: Database) -> None:
    rows = _seed(any_db)
    phone_item = next(i for i, r in rows.items() if "13912345678" in r[1])
    assert _search(any_db, "13912345678") == {phone_item}
    assert _search(any_db, "13912345678", masked=True) == set()
    assert _search(any_db, "张伟", masked=True) == set()
    assert len(_search(any_db, "拖欠工资", masked=True)) == 1


def test_index_follows_inserts_updates_and_deletes(any_db: Database) -> None:
    rows = _seed(any_db)
    elevator = _search(any_db, "电梯故障")
    with any_db.session() as s:
        source_id = s.scalar(select(Source.id))
        new = Item(
            source_id=source_id,
            external_id="late",
            kind="news",
            title="新发布：电梯故障处理通报",
            content="全市开展电梯安全检查",
            fetched_at=NOW,
            updated_at=NOW,
            content_hash="late",
        )
        s.add(new)
        s.flush()
        new_id = new.id
        s.add(_analysis(new_id, "新发布：电梯故障处理通报", "全市开展电梯安全检查"))
    assert _search(any_db, "电梯故障") == elevator | {new_id}
    assert _search(any_db, "电梯故障", masked=True) >= {new_id}
    assert _search(any_db, "安全检查") == {new_id}

    heating = next(i for i, r in rows.items() if r[0] == "供暖温度不达标")
    with any_db.session() as s:
        s.execute(update(Item).where(Item.id == heating).values(content="维修后温度已经恢复正常"))
        s.execute(
            update(ItemAnalysis)
            .where(ItemAnalysis.item_id == heating)
            .values(content_masked="维修后温度已经恢复正常")
        )
    assert _search(any_db, "管网老化") == set()
    assert _search(any_db, "管网老化", masked=True) == set()
    assert _search(any_db, "恢复正常") == {heating} == _search(any_db, "恢复正常", masked=True)
    # A status change (no text column) leaves the index alone and the item findable.
    with any_db.session() as s:
        s.execute(update(Item).where(Item.id == heating).values(status="analyzed"))
    assert _search(any_db, "恢复正常") == {heating}

    with any_db.session() as s:
        s.execute(delete(Item).where(Item.id == new_id))  # item_analysis goes by ON DELETE CASCADE
    assert _search(any_db, "安全检查") == set() == _search(any_db, "安全检查", masked=True)
    assert _search(any_db, "电梯故障") == elevator
    if any_db.engine.dialect.name == "sqlite":
        with any_db.engine.begin() as conn:
            for fts in ("items_fts", "item_analysis_fts"):
                conn.exec_driver_sql(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)")


def _plan(db: Database, query: str, masked: bool) -> str:
    clause = item_search_clause(db.engine.dialect.name, query, masked=masked)
    assert clause is not None
    stmt = select(Item.id).where(clause)
    compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
            return "\n".join(str(r[-1]) for r in rows)
        # Tiny tables favour a sequential scan; forbid it to see whether the index can answer at all.
        conn.execute(text("SET enable_seqscan = off"))
        return "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}").all())


@pytest.mark.parametrize("masked", [False, True])
def test_terms_of_three_characters_use_the_index(any_db: Database, masked: bool) -> None:
    _seed(any_db)
    plan = _plan(any_db, "电梯故障 管网老化", masked)
    if any_db.engine.dialect.name == "sqlite":
        assert "VIRTUAL TABLE INDEX" in plan, plan
    else:
        prefix = "ix_item_analysis_" if masked else "ix_items_"
        assert f"{prefix}title" in plan and "_trgm" in plan, plan
        # The index is selective for Chinese only when the database's LC_CTYPE classifies CJK characters as
        # letters (a UTF-8 locale, docs/deploy.md); under plain "C" pg_trgm extracts no trigrams from them.
        with any_db.engine.connect() as conn:
            assert (conn.scalar(text("SELECT cardinality(show_trgm('电梯故障'))")) or 0) >= 2
        # A two-character term has no trigram: reading the whole index for it is slower than the table.
        assert "_trgm" not in _plan(any_db, "电梯", masked)


def test_sqlite_triggers_exist_at_head(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    with db.engine.connect() as conn:
        triggers = {
            r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").all()
        }
    assert {f"{t}_{op}" for t in ("items_fts", "item_analysis_fts") for op in ("ai", "ad", "au")} <= triggers


def test_downgrade_and_upgrade_rebuild_from_existing_rows(any_db: Database) -> None:
    rows = _seed(any_db)
    downgrade(any_db.engine, "0001")
    names = set(inspect(any_db.engine).get_table_names())
    assert "items_fts" not in names
    index_names = {i["name"] for i in inspect(any_db.engine).get_indexes("items")}
    assert not any(str(n).endswith("_trgm") for n in index_names)
    with any_db.session() as s:  # written while there was no index
        s.execute(update(Item).where(Item.external_id == "e0").values(title="电梯改造完成"))
    rows[min(rows)] = ("电梯改造完成", *rows[min(rows)][1:])
    upgrade(any_db.engine)
    for query in ("电梯改造", "电梯故障", "频繁故障", "wifi"):
        assert _search(any_db, query) == _expected(rows, query, False), query
