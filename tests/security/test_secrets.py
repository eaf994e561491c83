"""No secret in a page, a response, a log line or a command's output: the dashboard runs with marker values for
every secret (tests/security/conftest.py); the command-line passes (init, config check, a crawl, analysis,
alerts, the mail sender against an SMTP server that refuses the login, a database that cannot be reached) run
as subprocesses with the markers in their environment and DEBUG logging. Production refuses a missing or
default admin password."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.db import Database
from core.migrate import upgrade
from core.settings import load_config
from core.users import create_user
from tests.conftest import REPO
from tests.e2e.server import RunningDashboard
from tests.integration.alerts.smtpserver import Recorder
from tests.integration.crawlers.conftest import start_demo, write_test_config
from tests.pgserver import free_port
from tests.security.conftest import (
    ADMIN_PASSWORD,
    DB_PASSWORD,
    METRICS_TOKEN,
    SECRET_KEY,
    SMTP_PASSWORD,
    Client,
    assert_no_marker,
    decoded,
)
from yuqing.commands.dashboard_cmd import production_problems
from yuqing.commands.system_cmd import DEMO_PASSWORD

Login = Callable[[str | None], Client]
PAGES = ["/", "/alerts", "/events", "/items", "/departments", "/sources", "/reports", "/admin"]


def test_dashboard_pages_responses_and_logs_hold_no_secret(
    site: RunningDashboard, login: Login, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[tuple[str, str]] = []
    for role in ("admin", "leader", "duty"):
        client = login(role)
        for path in [*PAGES, "/_dash-layout", "/_dash-dependencies", "/metrics"]:
            response = client.get(path)
            seen.append((f"{role} {path}", response.text))
            seen.append((f"{role} {path} headers", str(dict(response.headers))))
        for page in PAGES:  # each page's content as its router callback returns it
            seen.append((f"{role} layout {page}", decoded(_router(client, page))))
        seen.append((f"{role} cookies", str(client.http.cookies.get_dict())))
    admin = login("admin")
    config_view = decoded(_router(admin, "/admin"))
    assert "database_url" in config_view and "smtp_password" in config_view  # the view is there ...
    assert "已设置（隐藏）" in config_view and "db.internal" in config_view  # ... with secrets hidden
    # A scrape with the token works and echoes nothing; a wrong token is logged without itself.
    anonymous = login(None)
    scrape = anonymous.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert scrape.status_code == 200
    seen.append(("metrics", scrape.text))
    wrong = anonymous.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}-wrong"})
    assert wrong.status_code == 401
    seen.append(("metrics refused", wrong.text + str(dict(wrong.headers))))
    # Failed sign-ins with a secret typed as the password are not logged with it.
    login_page = anonymous.get("/login")
    token = login_page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    failed = anonymous.post(
        "/login", data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token}
    )
    seen.append(("failed sign-in", failed.text))
    for where, body in seen:
        assert_no_marker(body, where)
    records = [r for r in caplog.records]
    assert records, "the dashboard logged nothing: the capture is not working"
    for record in records:
        assert_no_marker(record.getMessage(), f"log record of {record.name}")
        if record.exc_info:
            assert_no_marker(
                logging.Formatter().formatException(record.exc_info), f"traceback in {record.name}"
            )
    assert_no_marker(caplog.text, "the captured log")


def _router(client: Client, pathname: str) -> Any:
    key = next(k for k in client.site.app.callback_map if "_pages_content.children" in k)
    spec = client.site.app.callback_map[key]
    body = {
        "output": key,
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [{**i, "value": pathname if i["property"] == "pathname" else ""} for i in spec["inputs"]],
        "state": [{**i, "value": None} for i in spec.get("state", [])],
        "changedPropIds": ["_pages_location.pathname"],
    }
    return client.post("/_dash-update-component", json=body, headers={"X-CSRF-Token": client.csrf})


# --- command-line passes ------------------------------------------------------------------------------------


class RefusingAuth:
    """An SMTP server's authenticator that refuses every login (as a wrong password would be)."""

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        return AuthResult(success=False, handled=False)


@pytest.fixture
def refusing_smtp() -> Iterator[int]:
    port = free_port()
    controller = Controller(
        Recorder(), hostname="127.0.0.1", port=port, authenticator=RefusingAuth(), auth_require_tls=False
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def _run(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yuqing", "--log-level", "DEBUG", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _env(tmp_path: Path, database_url: str, smtp_port: int, demo_url: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    env.update(
        YUQING_CONFIG_DIR=str(tmp_path / "config"),
        YUQING_DATA_DIR=str(tmp_path / "var"),
        YUQING_DATABASE_URL=database_url,
        YUQING_SECRET_KEY=SECRET_KEY,
        YUQING_ADMIN_PASSWORD=ADMIN_PASSWORD,
        YUQING_SMTP_USER="yuqing",
        YUQING_SMTP_PASSWORD=SMTP_PASSWORD,
        YUQING_SMTP_PORT=str(smtp_port),
        YUQING_METRICS_TOKEN=METRICS_TOKEN,
        YUQING_LOG_LEVEL="DEBUG",
    )
    if demo_url:
        env["YUQING_DEMO_URL"] = demo_url
    return env


@pytest.mark.slow
@pytest.mark.postgres
def test_command_line_passes_print_and_log_no_secret(
    tmp_path: Path, pg_cluster: str, refusing_smtp: int
) -> None:
    # A PostgreSQL database reached with a password in its URL (the test cluster trusts loopback, so the
    # marker password is accepted and every command really works against it).
    name = f"secrets_{os.getpid()}"
    admin = create_engine(pg_cluster, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(pg_cluster).set(database=name, password=DB_PASSWORD).render_as_string(hide_password=False)
    assert DB_PASSWORD in url
    write_test_config(tmp_path / "config")
    demo = start_demo()
    try:
        env = _env(tmp_path, url, refusing_smtp, demo.url)
        outputs: list[tuple[str, subprocess.CompletedProcess[str]]] = []
        for args in (
            ("init",),
            ("config", "check"),
            ("crawl", "demo_board"),
            ("analyze",),
            ("alerts", "evaluate"),
            ("mail", "test", "duty@example.test"),
            ("mail", "send"),
            ("user", "list"),
        ):
            outputs.append((" ".join(args), _run(env, *args)))
        # The crawl subprocess itself (Scrapy logs its settings at start-up), as the scheduler runs it.
        child = subprocess.run(
            [sys.executable, "-m", "crawlers.run", "demo_news_rss", "--trigger", "manual"],
            env=env, cwd=REPO, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        outputs.append(("python -m crawlers.run demo_news_rss", child))
        # The database cannot be reached: the error names the server, not the password.
        unreachable = make_url(url).set(port=free_port()).render_as_string(hide_password=False)
        outputs.append(
            ("crawl, database down", _run({**env, "YUQING_DATABASE_URL": unreachable}, "crawl", "demo_board"))
        )
        outputs.append(("init, database down", _run({**env, "YUQING_DATABASE_URL": unreachable}, "init")))
    finally:
        demo.stop()
        admin = create_engine(pg_cluster, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    results = dict(outputs)
    assert results["init"].returncode == 0, results["init"].stderr[-2000:]
    assert results["config check"].returncode == 0 and "***" in results["config check"].stdout
    assert results["crawl demo_board"].returncode == 0, results["crawl demo_board"].stderr[-2000:]
    assert results["mail test duty@example.test"].returncode != 0  # the server refused the login
    assert (
        "535" in results["mail test duty@example.test"].stdout + results["mail test duty@example.test"].stderr
    )
    assert results["crawl, database down"].returncode != 0 and results["init, database down"].returncode != 0
    assert child.returncode == 0, child.stderr[-2000:]
    everything = "".join(done.stdout + done.stderr for _, done in outputs)
    assert " DEBUG " in everything, everything[-3000:]  # the logs really were at DEBUG
    for where, done in outputs:
        assert_no_marker(done.stdout, f"stdout of `yuqing {where}`")
        assert_no_marker(done.stderr, f"stderr of `yuqing {where}`")
    for log in (tmp_path / "var").rglob("*.log"):
        assert_no_marker(log.read_text(encoding="utf-8", errors="replace"), str(log))


# --- production start-up ------------------------------------------------------------------------------------


def _production(tmp_path: Path, **overrides: Any) -> Any:
    return load_config(
        {
            "config_dir": REPO / "config",
            "data_dir": tmp_path / "var",
            "mode": "production",
            "secret_key": SECRET_KEY,
            **overrides,
        }
    )


@pytest.mark.parametrize("password", [None, "", DEMO_PASSWORD, "admin", "Password", "changeme", "short1"])
def test_production_refuses_a_missing_or_default_admin_password(tmp_path: Path, password: str | None) -> None:
    config = _production(tmp_path, **({} if password is None else {"admin_password": password}))
    problems = production_problems(config, admin_exists=True)
    assert [p.key for p in problems] == ["YUQING_ADMIN_PASSWORD"]
    assert password is None or password == "" or password not in str(problems[0])


def test_production_refuses_an_admin_still_on_the_demo_password_or_a_short_key(tmp_path: Path) -> None:
    config = _production(tmp_path, admin_password="a-real-admin-passphrase")
    assert production_problems(config, admin_exists=True) == []
    problems = production_problems(config, admin_exists=True, demo_password_admins=["admin"])
    assert [p.key for p in problems] == ["users.admin"] and "yuqing user passwd admin" in problems[0].problem
    short = _production(tmp_path, admin_password="a-real-admin-passphrase", secret_key="k" * 16)
    assert [p.key for p in production_problems(short, admin_exists=True)] == ["YUQING_SECRET_KEY"]


def test_yuqing_dashboard_in_production_exits_with_a_clear_message(tmp_path: Path) -> None:
    db_path = tmp_path / "y.db"
    db = Database(f"sqlite:///{db_path}")
    upgrade(db.engine)
    from core.clock import SystemClock

    with db.session() as s:  # an admin created in development with the demo password, then production
        create_user(s, SystemClock(), username="admin", password=DEMO_PASSWORD, role="admin")
    db.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    env.update(
        YUQING_CONFIG_DIR=str(REPO / "config"),
        YUQING_DATA_DIR=str(tmp_path / "var"),
        YUQING_DATABASE_URL=f"sqlite:///{db_path}",
        YUQING_MODE="production",
        YUQING_SECRET_KEY=SECRET_KEY,
        YUQING_ADMIN_PASSWORD=DEMO_PASSWORD,
    )
    cmd = [sys.executable, "-m", "yuqing", "dashboard", "--port", str(free_port())]
    default = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert default.returncode == 2
    assert "YUQING_ADMIN_PASSWORD" in default.stderr and "default" in default.stderr
    assert "the admin account still has the demo password" in default.stderr
    assert DEMO_PASSWORD not in default.stderr and SECRET_KEY not in default.stderr + default.stdout
