"""/metrics: the Prometheus text format parses, its figures equal counts made independently on the seeded
database (plus job runs and outbox rows added here), and it answers a signed-in user or the bearer token only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import select

from core.clock import FixedClock, ensure_utc
from core.db import Database
from core.levels import Level
from core.models import Alert, CrawlRun, Item, JobRun, Notification, ResponseTask, Source
from core.settings import AppConfig, load_config
from dashboard.app import create_app
from dashboard.metrics import CONTENT_TYPE, Family, bearer_ok, render
from tests.conftest import DEFAULT_NOW, REPO

TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
def token_config(data_dir: Any) -> AppConfig:
    return load_config({"config_dir": REPO / "config", "data_dir": data_dir, "metrics_token": TOKEN})


@pytest.fixture
def metrics_app(token_config: AppConfig, seeded_db: Database, fixed_clock: FixedClock) -> Any:
    _add_jobs_and_outbox(seeded_db)
    app = create_app(token_config, db=seeded_db, clock=fixed_clock, cache_seconds=0)
    app.server.config["TESTING"] = True
    return app


def _add_jobs_and_outbox(db: Database) -> None:
    now = DEFAULT_NOW
    with db.session() as s:
        runs = [
            ("analysis", now - timedelta(minutes=3), "success"),
            ("analysis", now - timedelta(minutes=2), "failed"),
            ("analysis", now - timedelta(minutes=1), "running"),  # still running: the failed one is last
            ("alerts", now - timedelta(minutes=5), "failed"),
            ("alerts", now - timedelta(minutes=4), "success"),
            ("mail", now - timedelta(minutes=9), "failed"),  # never succeeded
        ]
        for job, started, status in runs:
            s.add(
                JobRun(
                    job=job,
                    started_at=started,
                    finished_at=None if status == "running" else started + timedelta(seconds=2),
                    status=status,
                    detail={},
                )
            )
        for n, status in enumerate(["pending", "pending", "failed", "sent", "pending"]):
            s.add(
                Notification(
                    dedupe_key=f"m{n}",
                    kind="alert",
                    recipient="a@example.org",
                    subject="s",
                    body_text="b",
                    status=status,
                    next_attempt_at=now,
                    created_at=now,
                )
            )


def _parse(body: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """name -> {sorted labels: value}, through prometheus_client's own parser (it rejects malformed text)."""
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def _by(metric: dict[tuple[tuple[str, str], ...], float], label: str) -> dict[str, float]:
    return {dict(k)[label]: v for k, v in metric.items()}


def test_figures_match_the_database(metrics_app: Any, seeded_db: Database, client_for: Any) -> None:
    client = client_for("duty")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == CONTENT_TYPE
    assert response.headers["Cache-Control"] == "no-store"
    m = _parse(response.text)
    now = DEFAULT_NOW
    with seeded_db.session() as s:
        items = list(s.execute(select(Item.kind, Item.status)))
        sources = list(
            s.execute(select(Source.id, Source.key, Source.consecutive_failures, Source.last_success_at))
        )
        runs = list(s.execute(select(CrawlRun.source_id, CrawlRun.status)))
        alerts = list(s.execute(select(Alert.level, Alert.state)))
        tasks = list(s.execute(select(ResponseTask.state, ResponseTask.due_at)))
    assert _by(m["yuqing_items"], "kind") == dict(Counter(k for k, _ in items))
    assert _by(m["yuqing_items_by_status"], "status") == dict(Counter(st for _, st in items))
    failed = Counter(sid for sid, st in runs if st in ("failed", "timeout", "killed"))
    assert sum(failed.values()) >= 1  # the seed has a failing source
    assert _by(m["yuqing_crawl_runs_failed_total"], "source") == {
        key: failed[sid] for sid, key, _, _ in sources
    }
    assert _by(m["yuqing_source_consecutive_failures"], "source") == {key: c for _, key, c, _ in sources}
    assert max(_by(m["yuqing_source_consecutive_failures"], "source").values()) >= 1
    assert _by(m["yuqing_source_last_success_timestamp_seconds"], "source") == {
        key: ensure_utc(at).timestamp() for _, key, _, at in sources if at is not None
    }
    expected_alerts = Counter((Level(level).name, state) for level, state in alerts)
    got_alerts = {(dict(k)["level"], dict(k)["state"]): v for k, v in m["yuqing_alerts"].items()}
    assert got_alerts == dict(expected_alerts) and len(got_alerts) >= 3
    assert _by(m["yuqing_outbox_notifications"], "status") == {
        "pending": 3,
        "failed": 1,
        "sent": 1,
        "cancelled": 0,
    }
    assert _by(m["yuqing_response_tasks"], "state") == dict(Counter(st for st, _ in tasks))
    overdue = sum(1 for st, due in tasks if st == "running" and ensure_utc(due) < now)
    assert m["yuqing_response_tasks_overdue"][()] == overdue and overdue >= 1
    last = _by(m["yuqing_job_last_run_success"], "job")
    assert last == {"analysis": 0, "alerts": 1, "mail": 0}
    stamps = _by(m["yuqing_job_last_run_timestamp_seconds"], "job")
    assert stamps["analysis"] == (now - timedelta(minutes=2, seconds=-2)).timestamp()
    assert _by(m["yuqing_job_last_success_timestamp_seconds"], "job") == {
        "analysis": (now - timedelta(minutes=3, seconds=-2)).timestamp(),
        "alerts": (now - timedelta(minutes=4, seconds=-2)).timestamp(),
    }


def test_token_or_login_and_nothing_else(metrics_app: Any, client_for: Callable[[str], FlaskClient]) -> None:
    anonymous = metrics_app.server.test_client()
    refused = anonymous.get("/metrics")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert "yuqing_items" not in refused.text
    for header in (f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN, "Bearer ", "Bearer"):
        assert anonymous.get("/metrics", headers={"Authorization": header}).status_code == 401, header
    ok = anonymous.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and "yuqing_items{" in ok.text
    assert "Set-Cookie" not in ok.headers  # a scrape creates no session
    # The token opens /metrics only.
    for path in ("/", "/_dash-layout", "/items"):
        assert anonymous.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code in (302, 401)
    # A signed-in user of any role may look.
    for user in ("duty", "leader", "admin"):
        assert client_for(user).get("/metrics").status_code == 200
    assert anonymous.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code in (401, 405)


def test_without_a_configured_token_bearer_access_is_off(app: Any) -> None:
    client = app.server.test_client()
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer None"}).status_code == 401
    assert not bearer_ok("Bearer x", None) and not bearer_ok("Bearer ", SecretStr(""))
    assert bearer_ok("bearer  abc ", SecretStr("abc")) and not bearer_ok("Bearer abd", SecretStr("abc"))


def test_exposition_escapes_label_values() -> None:
    fam = Family("yuqing_x", "Help with \\ backslash\nand newline.")
    fam.add(3, source='a"b\\c\nd')
    fam.add(1.5, source="e")
    body = render([fam])
    assert body.endswith("\n")
    parsed = _parse(body)
    assert _by(parsed["yuqing_x"], "source") == {'a"b\\c\nd': 3.0, "e": 1.5}
