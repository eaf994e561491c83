"""Access control on the real Flask/Dash app: sign-in, refusal of every endpoint without it, rate limits,
session rotation and timeout, CSRF on callbacks, roles, the secret key."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from core.clock import FixedClock
from core.db import Database
from core.errors import ConfigError
from core.models import AuditLog, DashboardSession, User
from core.settings import load_config
from core.users import set_password
from dashboard import auth, ids
from dashboard.auth import CSRF_HEADER, SESSION_COOKIE
from tests.conftest import REPO
from tests.unit.dashboard.callbacks import call, csrf_token, payload
from tests.unit.dashboard.conftest import form_token, sign_in


def layout_text(client: FlaskClient) -> str:
    response = client.get("/_dash-layout")
    assert response.status_code == 200
    return json.dumps(response.get_json(), ensure_ascii=False)


PROTECTED_GET = [
    "/",
    "/alerts",
    "/items",
    "/admin",
    "/_dash-layout",
    "/_dash-dependencies",
    "/assets/style.css",
    "/assets/yuqing.js",
    "/reports/file/1/docx",
    "/_favicon.ico",
]


def test_every_endpoint_refuses_anonymous_requests(app: Any) -> None:
    client = app.server.test_client()
    for path in PROTECTED_GET:
        response = client.get(path)
        assert response.status_code in (302, 401), path
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next="), path
    assert client.get("/_dash-layout").status_code == 401
    response = client.post("/_dash-update-component", json={"output": "x.children", "inputs": []})
    assert response.status_code == 401
    bundles = client.get("/_dash-component-suites/dash/dcc/dash_core_components.js")
    assert bundles.status_code in (302, 401)
    assert client.get("/login").status_code == 200


def test_sign_in_and_out(app: Any, fixed_clock: FixedClock) -> None:
    client = app.server.test_client()
    anonymous_cookie = (client.get("/login"), client.get_cookie(SESSION_COOKIE))[1]
    response = sign_in(client, "duty", next_url="/alerts")
    assert response.status_code == 302 and response.headers["Location"] == "/alerts"
    signed_cookie = client.get_cookie(SESSION_COOKIE)
    assert signed_cookie is not None and anonymous_cookie is not None
    assert signed_cookie.value != anonymous_cookie.value
    assert client.get("/_dash-layout").status_code == 200
    assert "值班员张敏" in layout_text(client)
    # The cookie from before sign-in grants nothing (no session fixation).
    stale = app.server.test_client()
    stale.set_cookie(SESSION_COOKIE, anonymous_cookie.value)
    assert stale.get("/_dash-layout").status_code == 401
    # Sign-out needs the token too, then every endpoint refuses again.
    assert client.post("/logout").status_code == 403
    out = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert client.get("/_dash-layout").status_code == 401
    with app.server.extensions["yuqing"].db.session() as s:
        actions = [a for (a,) in s.execute(select(AuditLog.action).where(AuditLog.actor == "duty"))]
    assert "user.login" in actions and "user.logout" in actions


def test_wrong_password_and_lockout(app: Any, seeded_db: Database, fixed_clock: FixedClock) -> None:
    client = app.server.test_client()
    for _ in range(4):
        response = sign_in(client, "duty", password="wrong-password")
        assert response.status_code == 401 and "用户名或密码错误" in response.text
    locked = sign_in(client, "duty", password="wrong-password")
    assert locked.status_code == 403 and "账户已锁定" in locked.text
    # Even the right password is refused while locked, and the lock ends after login_lockout_minutes.
    assert sign_in(client, "duty").status_code == 403
    fixed_clock.advance(minutes=16)
    assert sign_in(client, "duty").status_code == 302
    with seeded_db.session() as s:
        user = s.scalar(select(User).where(User.username == "duty"))
        assert user is not None and user.failed_logins == 0 and user.locked_until is None


def test_unknown_users_get_the_same_answer(app: Any) -> None:
    client = app.server.test_client()
    unknown = sign_in(client, "nobody", password="whatever-123")
    known = sign_in(client, "leader", password="whatever-123")
    assert unknown.status_code == known.status_code == 401
    assert "用户名或密码错误" in unknown.text and "用户名或密码错误" in known.text


def test_per_address_rate_limit(app: Any) -> None:
    client = app.server.test_client()
    limit = app.server.extensions["yuqing"].config.settings.login_max_attempts * 4
    statuses = [sign_in(client, f"nobody{i}", password="x" * 10).status_code for i in range(limit + 1)]
    assert statuses[:limit] == [401] * limit
    assert statuses[limit] == 429
    assert sign_in(client, "admin").status_code == 429  # still limited: the address, not the account


def test_login_form_needs_its_token_and_redirects_only_locally(app: Any) -> None:
    client = app.server.test_client()
    client.get("/login")
    bad = client.post(
        "/login", data={"username": "duty", "password": "Seed-pass-2026", "csrf_token": "forged"}
    )
    assert bad.status_code == 400
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = sign_in(app.server.test_client(), "duty", next_url=target)
        assert response.headers["Location"] == "/", target


def test_callbacks_need_the_csrf_header(app: Any, client_for: Callable[[str], FlaskClient]) -> None:
    client = client_for("duty")
    client.get("/")
    values = {f"{ids.OV_WINDOW}.value": "7d", f"{ids.REFRESH}.n_intervals": 0}
    assert call(client, app, ids.OV_CARDS, values, csrf=False).status_code == 403
    wrong = client.post(
        "/_dash-update-component",
        json=payload(app, ids.OV_CARDS, values),
        headers={CSRF_HEADER: "not-the-token"},
    )
    assert wrong.status_code == 403
    ok = call(client, app, ids.OV_CARDS, values)
    assert ok.status_code == 200 and "今日信息量" in json.dumps(ok.get_json(), ensure_ascii=False)
    # A token from another session is worthless here.
    other = client_for("leader")
    borrowed = client.post(
        "/_dash-update-component",
        json=payload(app, ids.OV_CARDS, values),
        headers={CSRF_HEADER: csrf_token(other)},
    )
    assert borrowed.status_code == 403


def test_session_times_out_without_activity(
    app: Any, fixed_clock: FixedClock, seeded_db: Database, client_for: Callable[[str], FlaskClient]
) -> None:
    timeout = app.server.extensions["yuqing"].config.settings.session_timeout_minutes
    idle, active = client_for("duty"), client_for("leader")
    refresh = {f"{ids.OV_WINDOW}.value": "7d", f"{ids.REFRESH}.n_intervals": 5}
    fixed_clock.advance(minutes=timeout - 1)
    # An interval refresh does not count as activity, a person's action does.
    assert call(idle, app, ids.OV_CARDS, refresh, changed=[f"{ids.REFRESH}.n_intervals"]).status_code == 200
    assert call(active, app, ids.OV_CARDS, refresh, changed=[f"{ids.OV_WINDOW}.value"]).status_code == 200
    fixed_clock.advance(minutes=2)
    assert call(idle, app, ids.OV_CARDS, refresh, changed=[f"{ids.REFRESH}.n_intervals"]).status_code == 401
    assert call(active, app, ids.OV_CARDS, refresh, changed=[f"{ids.OV_WINDOW}.value"]).status_code == 200
    assert idle.get("/alerts").status_code == 302  # signed out for good
    fixed_clock.advance(minutes=timeout + 1)
    page = active.get("/alerts")
    assert page.status_code == 302 and "expired=1" in page.headers["Location"]
    with seeded_db.session() as s:
        reasons = sorted(r for (r,) in s.execute(select(DashboardSession.end_reason)) if r)
    assert reasons == ["timeout", "timeout"]


def test_signing_out_ends_the_session_server_side(app: Any, client_for: Callable[[str], FlaskClient]) -> None:
    client = client_for("duty")
    cookie = client.get_cookie(SESSION_COOKIE)
    assert cookie is not None
    copy = app.server.test_client()
    copy.set_cookie(SESSION_COOKIE, cookie.value)
    assert copy.get("/_dash-layout").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    # A copy of the signed cookie taken before signing out is worthless afterwards.
    assert copy.get("/_dash-layout").status_code == 401


def test_password_change_and_disabling_end_sessions(
    app: Any, seeded_db: Database, fixed_clock: FixedClock, client_for: Callable[[str], FlaskClient]
) -> None:
    client = client_for("duty")
    assert client.get("/_dash-layout").status_code == 200
    with seeded_db.session() as s:
        set_password(s, fixed_clock, "duty", "a-new-password-1")
    assert client.get("/_dash-layout").status_code == 401
    other = client_for("leader")
    with seeded_db.session() as s:
        user = s.scalar(select(User).where(User.username == "leader"))
        assert user is not None
        user.active = False
    assert other.get("/_dash-layout").status_code == 401


def test_roles_on_the_admin_page(app: Any, client_for: Callable[[str], FlaskClient]) -> None:
    duty = client_for("duty")
    refused = duty.get("/admin")
    assert refused.status_code == 403 and "无权访问" in refused.text
    assert '"nav-admin"' not in layout_text(duty)
    admin = client_for("admin")
    assert admin.get("/admin").status_code == 200
    assert '"nav-admin"' in layout_text(admin)
    # The admin callbacks refuse other roles even when called directly.
    admin.get("/admin")
    values = {f"{ids.AD_VERSION}.data": 0, f"{ids.REFRESH}.n_intervals": 0}
    assert call(admin, app, ids.AD_USERS, values).status_code == 200
    duty.get("/")
    response = call(duty, app, ids.AD_USERS, values)
    assert response.status_code == 204 or "duty@yunjiang" not in response.text


def test_security_headers(app: Any) -> None:
    response = app.server.test_client().get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_report_download_is_an_attachment(
    app: Any, client_for: Callable[[str], FlaskClient], info: Any
) -> None:
    client = client_for("duty")
    response = client.get(f"/reports/file/{info.report_id}/docx")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert client.get("/reports/file/999999/docx").status_code == 404


def test_secret_key_generated_once_with_private_permissions(tmp_path: Path) -> None:
    settings = load_config({"config_dir": REPO / "config", "data_dir": tmp_path}).settings
    first = auth.resolve_secret_key(settings)
    assert len(first) >= 32 and auth.resolve_secret_key(settings) == first
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_production_needs_a_secret_key(tmp_path: Path) -> None:
    settings = load_config(
        {"config_dir": REPO / "config", "data_dir": tmp_path, "mode": "production"}
    ).settings
    with pytest.raises(ConfigError, match="YUQING_SECRET_KEY"):
        auth.resolve_secret_key(settings)
    explicit = load_config(
        {"config_dir": REPO / "config", "data_dir": tmp_path, "mode": "production", "secret_key": "k" * 40}
    ).settings
    assert auth.resolve_secret_key(explicit) == "k" * 40
    assert not (tmp_path / "secret_key").exists()


def test_login_page_escapes_what_it_echoes(app: Any) -> None:
    client = app.server.test_client()
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": '"><script>x</script>', "password": "x" * 9, "csrf_token": form_token(page.text)},
    )
    assert "<script>x</script>" not in response.text and "&lt;script&gt;" in response.text
