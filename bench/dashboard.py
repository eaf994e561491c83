"""Dashboard benchmark: a year of data (1,000,000 items with analysis by default) in SQLite, then

1. the Overview and Alerts data functions (dashboard.data), cold, p50/p95 over repeated calls;
2. the same two callbacks end to end over HTTP on loopback (figures built, JSON serialised; cache off);
3. a load run: N sessions (default 20) each refreshing its page every 10 s against a werkzeug server in a
   separate process, with the shared 5 s figure cache of production, bounded in time.

    .venv/bin/python bench/dashboard.py [--items 1000000] [--db /tmp/yuqing-bench-dashboard.db] [--reuse]
                                        [--repeat 30] [--sessions 20] [--load-seconds 60]

Rows are bulk-inserted with sqlite3 executemany; rollup_hourly is built with one INSERT ... SELECT grouping
the items as analysis.jobs.refresh_rollups does (hour of published_at, kind, topic, region, sentiment, risk).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select, text  # noqa: E402

from core.catalog import sync_reference_data  # noqa: E402
from core.clock import FixedClock, SystemClock  # noqa: E402
from core.db import Database  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.models import Department, HourlyRollup, Item, Source  # noqa: E402
from core.settings import TOPIC_CLASSES, AppConfig, load_config  # noqa: E402
from core.users import create_user  # noqa: E402

PASSWORD = "bench-password-1"
FMT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite
REGIONS = ["江北区", "江南区", "临湖区", "高新区", "东城区", "西山县", "青石县"]
TITLES = [
    "小区电梯故障长期未修",
    "拖欠农民工工资",
    "河道黑臭水体",
    "夜间施工噪音扰民",
    "公交线路调整出行不便",
    "学位紧张入学难",
    "医院挂号排队过长",
    "预付卡商家跑路",
    "低保审批进度咨询",
    "小区盗窃频发",
    "感谢街道办解决供暖",
    "政务服务窗口效率高",
    "征地补偿款未到位",
    "路灯损坏无人维修",
    "燃气管道老化",
]
TAGS = ["欠薪", "生态环境", "食品药品", "社会保障", "征地拆迁", "房地产市场", "社会治安", "教育改革"]


def ts(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).strftime(FMT)


def config_for(data_dir: Path) -> AppConfig:
    return load_config({"config_dir": REPO / "config", "data_dir": data_dir})


# --- building the database --------------------------------------------------------------------------------


def build(db_path: Path, n_items: int, now: datetime, seed: int = 11) -> dict[str, Any]:
    rng = random.Random(seed)
    if db_path.exists():
        db_path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    db = Database(f"sqlite:///{db_path}")
    upgrade(db.engine)
    config = config_for(db_path.parent / "var")
    clock = FixedClock(now)
    with db.session() as s:
        sync_reference_data(s, config, clock)
        create_user(s, clock, username="bench", password=PASSWORD, role="duty", display_name="压测")
    with db.session() as s:
        sources = [(row.id, row.kind) for row in s.scalars(select(Source))]
        departments = [row.id for row in s.scalars(select(Department))]
    by_kind: dict[str, list[int]] = {}
    for sid, kind in sources:
        by_kind.setdefault(kind, []).append(sid)
    timings: dict[str, float] = {}
    start_of_year = now - timedelta(days=365)
    year_seconds = 365 * 86400
    raw = db.engine.raw_connection()
    cur = raw.cursor()
    cur.execute("PRAGMA synchronous=OFF")
    cur.execute("PRAGMA cache_size=-400000")

    t0 = time.perf_counter()
    chunk = 50_000
    kinds = ["hotline"] * 45 + ["board"] * 35 + ["news"] * 20
    sentiments = ["negative"] * 45 + ["neutral"] * 35 + ["positive"] * 20
    levels = [0] * 80 + [1] * 12 + [2] * 5 + [3] * 2 + [4]
    topics = list(TOPIC_CLASSES)
    item_sql = (
        "INSERT INTO items (id, source_id, external_id, kind, title, content, published_at, fetched_at, updated_at,"
        " region, reply_status, content_hash, revision, status, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,1,'analyzed','{}')"
    )
    analysis_sql = (
        "INSERT INTO item_analysis (item_id, sentiment, sentiment_score, topic, topic_confidence, tags, scheme_hits,"
        " risk_score, risk_level, risk_factors, title_masked, content_masked, model_version, analyzed_at)"
        " VALUES (?,?,?,?,0.8,?,'[]',?,?,'[]',?,?,'bench',?)"
    )
    for base in range(0, n_items, chunk):
        items, analyses = [], []
        for i in range(base + 1, min(base + chunk, n_items) + 1):
            # Busier by day than by night, a little busier towards now.
            offset = year_seconds * (rng.random() ** 0.9)
            at = now - timedelta(seconds=offset)
            if 0 <= (at.hour + 8) % 24 < 7 and rng.random() < 0.6:
                at -= timedelta(hours=8)
            if at < start_of_year:
                at = start_of_year + timedelta(seconds=rng.random() * 3600)
            kind = rng.choice(kinds)
            region = rng.choice(REGIONS)
            title = f"{region}{rng.choice(TITLES)}"
            content = f"{title}，群众反映多次未解决，希望有关部门尽快处理。编号{i}"
            stamp = ts(at)
            items.append(
                (
                    i,
                    rng.choice(by_kind[kind]),
                    f"b{i}",
                    kind,
                    title,
                    content,
                    stamp,
                    stamp,
                    stamp,
                    region,
                    "none" if kind == "news" else rng.choice(("pending", "replied")),
                    f"{i:064x}",
                )
            )
            sentiment = rng.choice(sentiments)
            level = rng.choice(levels)
            tags = json.dumps([rng.choice(TAGS)]) if rng.random() < 0.3 else "[]"
            analyses.append(
                (
                    i,
                    sentiment,
                    0.2 if sentiment == "negative" else 0.7,
                    rng.choice(topics),
                    tags,
                    level * 20.0,
                    level,
                    title,
                    content,
                    stamp,
                )
            )
        cur.executemany(item_sql, items)
        cur.executemany(analysis_sql, analyses)
        raw.commit()
    timings["items+analysis"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    cur.execute(
        "INSERT INTO rollup_hourly (hour, kind, topic, region, sentiment, risk_level, count) "
        "SELECT strftime('%Y-%m-%d %H:00:00.000000', i.published_at), i.kind, coalesce(a.topic, ''), "
        "coalesce(i.region, ''), a.sentiment, a.risk_level, count(*) "
        "FROM items i JOIN item_analysis a ON a.item_id = i.id "
        "GROUP BY 1, 2, 3, 4, 5, 6"
    )
    raw.commit()
    timings["rollup"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    events = []
    for e in range(1, 20_001):
        last = now - timedelta(seconds=year_seconds * (rng.random() ** 1.5))
        first = last - timedelta(hours=rng.randint(1, 96))
        hours = [
            [
                (last - timedelta(hours=h)).replace(minute=0, second=0, microsecond=0).isoformat(),
                rng.randint(1, 6),
            ]
            for h in range(min(24, rng.randint(2, 30)))
        ]
        events.append(
            (
                e,
                f"{rng.choice(REGIONS)}{rng.choice(TITLES)}",
                rng.choice(topics),
                rng.choice(REGIONS),
                json.dumps([rng.choice(TAGS)]),
                ts(first),
                ts(last),
                rng.randint(2, 80),
                rng.randint(1, 4),
                rng.choice(levels),
                json.dumps(hours),
                ts(last),
            )
        )
    cur.executemany(
        "INSERT INTO events (id, title, topic, region, tags, first_seen_at, last_seen_at, item_count, source_count,"
        " kind_counts, neg_count, neu_count, pos_count, risk_score, risk_level, risk_factors, trend, status, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,'{}',0,0,0,0,?,'[]',?,'open',?)",
        [(e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7], e[8], e[9], e[10], e[11]) for e in events],
    )
    # Response timers: one per ~7 items over the year, mostly answered; alerts: ~5,000, the recent ones open.
    tasks, alerts, audits = [], [], []
    task_id = 0
    timed_items = rng.sample(range(1, n_items + 1), min(150_000, n_items // 7))
    for item_id in timed_items:
        task_id += 1
        started = now - timedelta(seconds=year_seconds * rng.random())
        due = started + timedelta(days=rng.choice((1, 3, 5, 7)))
        if due < now:
            answered = started + (due - started) * rng.uniform(0.2, 1.4)
            state, answered_at = ("answered", ts(answered)) if rng.random() < 0.93 else ("running", None)
        else:
            state, answered_at = "running", None
        tasks.append(
            (
                task_id,
                item_id,
                rng.choice(departments),
                "board_reply",
                ts(started),
                ts(due),
                state,
                answered_at,
                ts(now),
            )
        )
    for a in range(1, 5_001):
        opened = now - timedelta(seconds=year_seconds * (rng.random() ** 2))
        recent = now - opened < timedelta(days=3)
        state = rng.choice(("triggered", "acknowledged", "responding")) if recent else "resolved"
        task_id += 1
        due = opened + timedelta(hours=rng.choice((5, 24, 48)))
        tasks.append(
            (
                task_id,
                None,
                rng.choice(departments),
                "event_first_response",
                ts(opened),
                ts(due),
                "running" if state != "resolved" else "answered",
                None if state != "resolved" else ts(due),
                ts(now),
            )
        )
        alerts.append(
            (
                a,
                f"event_risk:{a}",
                "event_risk",
                rng.choice((1, 2, 3, 4)),
                state,
                f"{rng.choice(REGIONS)}{rng.choice(TITLES)}",
                ts(opened),
                ts(now),
                task_id,
                rng.randint(1, 20_000),
                ts(opened + timedelta(minutes=15)) if state == "triggered" else None,
                ts(opened + timedelta(hours=5)) if state == "resolved" else None,
            )
        )
        for k, action in enumerate(("alert.open", "alert.acknowledge", "alert.assign", "alert.resolve")):
            audits.append((ts(opened + timedelta(minutes=10 * k)), "bench", action, "alert", str(a)))
    cur.executemany(
        "INSERT INTO response_tasks (id, item_id, department_id, kind, limit_spec, started_at, due_at, state,"
        " paused_seconds, extensions, answered_at, updated_at) VALUES (?,?,?,?,'{}',?,?,?,0,0,?,?)",
        [(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8]) for t in tasks],
    )
    cur.executemany(
        "INSERT INTO alerts (id, fingerprint, rule, level, state, title, detail, opened_at, updated_at,"
        " response_task_id, event_id, next_escalation_at, resolved_at, escalation_policy, escalation_step,"
        " escalation_repeats, last_notified_level) VALUES (?,?,?,?,?,?,'{}',?,?,?,?,?,?,'[]',0,0,0)",
        alerts,
    )
    cur.executemany(
        "INSERT INTO audit_log (at, actor, action, object_type, object_id, detail) VALUES (?,?,?,?,?,'{}')",
        audits,
    )
    runs = []
    for sid, _kind in sources:
        for m in range(0, 30 * 24 * 60, 5):
            started = now - timedelta(minutes=m)
            runs.append(
                (
                    sid,
                    ts(started),
                    ts(started + timedelta(seconds=3)),
                    "success",
                    "schedule",
                    rng.randint(0, 4),
                )
            )
    cur.executemany(
        "INSERT INTO crawl_runs (source_id, started_at, finished_at, status, trigger, pages, items_new,"
        " items_updated, items_unchanged, items_dropped, dropped_reasons, errors, duration_s)"
        " VALUES (?,?,?,?,?,1,?,0,0,0,'{}',0,3.0)",
        runs,
    )
    raw.commit()
    cur.execute("ANALYZE")
    raw.commit()
    raw.close()
    timings["events+alerts+timers+runs"] = time.perf_counter() - t0
    with db.session() as s:
        counts = {
            "items": s.scalar(select(func.count(Item.id))),
            "rollup_rows": s.scalar(select(func.count(HourlyRollup.id))),
        }
    db.dispose()
    return {
        "timings": timings,
        "counts": counts,
        "tasks": len(tasks),
        "alerts": len(alerts),
        "runs": len(runs),
    }


# --- measuring --------------------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return p50 * 1000, p95 * 1000, ordered[-1] * 1000


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, float]:
    fn()  # warm the page cache once, as a running server would be
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return percentiles(samples)


def check_rollup(db: Database, now: datetime) -> None:
    """The INSERT...SELECT rollup agrees with the items, through the dashboard's own query."""
    from dashboard import data

    numbers = data.overview_numbers(db, now)
    today = data.local_midnight(now)
    with db.session() as s:
        direct = s.scalar(select(func.count(Item.id)).where(Item.published_at >= today))
    assert numbers.items_today.current == direct, (numbers.items_today.current, direct)


def measure_functions(db: Database, repeat: int) -> dict[str, tuple[float, float, float]]:
    from dashboard import data

    clock = SystemClock()
    out: dict[str, tuple[float, float, float]] = {}
    for window in ("24h", "7d", "30d"):

        def overview(window: str = window) -> None:
            now = clock.now()
            data.overview_numbers(db, now)
            data.overview_series(db, now, window)
            data.focus_tags(db, now, window)
            data.rising_events(db, now)

        out[f"overview data ({window})"] = timed(overview, repeat)
    out["  overview_numbers"] = timed(lambda: data.overview_numbers(db, clock.now()), repeat)
    out["  overview_series (30d)"] = timed(lambda: data.overview_series(db, clock.now(), "30d"), repeat)

    queue = data.alert_queue(db, clock.now())
    first = int(queue.iloc[0]["id"])

    def alerts() -> None:
        now = clock.now()
        data.alert_queue(db, now)
        detail = data.alert_detail(db, first)
        data.alert_history(db, first, detail.task_id if detail else None)

    out["alerts data (queue+detail+history)"] = timed(alerts, repeat)
    out["  alert_queue"] = timed(lambda: data.alert_queue(db, clock.now()), repeat)
    return out


def _dependencies(session: Any, base: str) -> list[dict[str, Any]]:
    return list(session.get(base + "/_dash-dependencies", timeout=30).json())


def callback_body(deps: list[dict[str, Any]], output_contains: str, values: dict[str, Any]) -> dict[str, Any]:
    spec = next(d for d in deps if output_contains in d["output"])
    key = spec["output"]
    parts = key.strip(".").split("...") if key.startswith("..") else [key]
    outputs = [{"id": p.rpartition(".")[0], "property": p.rpartition(".")[2]} for p in parts]
    inputs = [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in spec["inputs"]]
    return {
        "output": key,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "state": [
            {**st, "value": values.get(f"{st['id']}.{st['property']}")} for st in spec.get("state", [])
        ],
        "changedPropIds": [f"{inputs[-1]['id']}.{inputs[-1]['property']}"],
    }


def login(base: str) -> Any:
    import requests

    session = requests.Session()
    page = session.get(base + "/login", timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    response = session.post(
        base + "/login",
        data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.status_code
    session.headers["X-CSRF-Token"] = session.cookies["yuqing_csrf"]
    return session


def start_server(db_path: Path, port: int, cache_seconds: float) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "serve",
            "--db",
            str(db_path),
            "--port",
            str(port),
            "--cache",
            str(cache_seconds),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return proc
        except requests.ConnectionError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("dashboard server did not start")


def serve(db_path: Path, port: int, cache_seconds: float) -> None:
    import logging

    from werkzeug.serving import make_server

    from dashboard.app import create_app

    logging.basicConfig(level=logging.WARNING)
    config = config_for(db_path.parent / "var")
    app = create_app(
        config, db=Database(f"sqlite:///{db_path}"), refresh_seconds=10, cache_seconds=cache_seconds
    )
    make_server("127.0.0.1", port, app.server, threaded=True).serve_forever()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def measure_http(db_path: Path, repeat: int) -> dict[str, tuple[float, float, float]]:
    """Whole callbacks (query, figures, JSON) over loopback with the figure cache off."""
    port = _free_port()
    proc = start_server(db_path, port, cache_seconds=0)
    base = f"http://127.0.0.1:{port}"
    try:
        session = login(base)
        session.get(base + "/", timeout=30)
        deps = _dependencies(session, base)
        out = {}
        for window in ("24h", "7d", "30d"):
            body = callback_body(
                deps,
                "overview-cards.children",
                {"overview-window.value": window, "refresh-interval.n_intervals": 1},
            )
            out[f"overview callback over HTTP ({window})"] = timed(
                lambda body=body: session.post(
                    base + "/_dash-update-component", json=body, timeout=60
                ).raise_for_status(),
                repeat,
            )
        body = callback_body(
            deps,
            "alerts-queue.children",
            {
                "alerts-states.value": ["triggered", "acknowledged", "responding"],
                "alerts-levels.value": 0,
                "refresh-interval.n_intervals": 1,
            },
        )
        out["alerts queue callback over HTTP"] = timed(
            lambda: session.post(base + "/_dash-update-component", json=body, timeout=60).raise_for_status(),
            repeat,
        )
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def load_run(db_path: Path, sessions: int, seconds: float, interval: float) -> dict[str, Any]:
    """`sessions` browsers' worth of refreshes (half watch the overview, half the alert queue)."""
    port = _free_port()
    proc = start_server(db_path, port, cache_seconds=5.0)
    base = f"http://127.0.0.1:{port}"
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    try:
        clients = [login(base) for _ in range(sessions)]
        deps = _dependencies(clients[0], base)
        bodies = [
            callback_body(
                deps,
                "overview-cards.children",
                {"overview-window.value": "7d", "refresh-interval.n_intervals": 1},
            ),
            callback_body(
                deps,
                "alerts-queue.children",
                {
                    "alerts-states.value": ["triggered", "acknowledged", "responding"],
                    "alerts-levels.value": 0,
                    "refresh-interval.n_intervals": 1,
                },
            ),
        ]
        stop_at = time.monotonic() + seconds

        def browser(n: int) -> None:
            session = clients[n]
            body = bodies[n % 2]
            time.sleep(interval * n / sessions)  # spread the sessions like real, unsynchronised screens
            while time.monotonic() < stop_at:
                t0 = time.perf_counter()
                try:
                    session.post(base + "/_dash-update-component", json=body, timeout=30).raise_for_status()
                    with lock:
                        latencies.append(time.perf_counter() - t0)
                except Exception as exc:  # counted, reported
                    with lock:
                        errors.append(type(exc).__name__)
                time.sleep(max(0.0, interval - (time.perf_counter() - t0)))

        threads = [threading.Thread(target=browser, args=(n,)) for n in range(sessions)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    p50, p95, worst = percentiles(latencies) if latencies else (0.0, 0.0, 0.0)
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "p50_ms": p50,
        "p95_ms": p95,
        "max_ms": worst,
        "sessions": sessions,
        "seconds": seconds,
        "interval": interval,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", nargs="?", default="run", choices=["run", "build", "serve"])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "yuqing-bench-dashboard.db")
    parser.add_argument("--reuse", action="store_true", help="keep an existing database (skip building)")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--load-seconds", type=float, default=60)
    parser.add_argument("--interval", type=float, default=10)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cache", type=float, default=5.0)
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.db, args.port, args.cache)
        return
    now = datetime.now(UTC)
    if not (args.reuse and args.db.exists()):
        t0 = time.perf_counter()
        built = build(args.db, args.items, now)
        print(f"built {args.db} in {time.perf_counter() - t0:.0f} s: {built}")
    if args.command == "build":
        return
    db = Database(f"sqlite:///{args.db}")
    with db.engine.connect() as conn:
        size = (
            conn.execute(text("PRAGMA page_count")).scalar_one()
            * conn.execute(text("PRAGMA page_size")).scalar_one()
        )
    print(f"database: {size / 1e6:.0f} MB")
    check_rollup(db, now)
    print(f"{'measure':44s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s}")
    for name, (p50, p95, worst) in measure_functions(db, args.repeat).items():
        print(f"{name:44s} {p50:8.1f} {p95:8.1f} {worst:8.1f}")
    db.dispose()
    for name, (p50, p95, worst) in measure_http(args.db, args.repeat).items():
        print(f"{name:44s} {p50:8.1f} {p95:8.1f} {worst:8.1f}")
    load = load_run(args.db, args.sessions, args.load_seconds, args.interval)
    print(
        f"load: {load['sessions']} sessions refreshing every {load['interval']:.0f} s for {load['seconds']:.0f} s: "
        f"{load['requests']} callbacks, {load['errors']} errors, p50 {load['p50_ms']:.0f} ms, "
        f"p95 {load['p95_ms']:.0f} ms, max {load['max_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
