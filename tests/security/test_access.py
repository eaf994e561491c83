"""Access control over plain HTTP against the served dashboard: every route refuses an anonymous request; a duty
or leader session cannot run the administrators' callbacks (each refusal is checked against the database, and
the same call made by an administrator is shown to work, so a refusal is never a malformed request); session
fixation; CSRF on state changes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from core.models import Alert, AuditLog, Item, ResponseTask, Silence, User, WorkdayOverride
from dashboard.auth import CSRF_HEADER, SESSION_COOKIE
from tests.e2e.server import RunningDashboard
from tests.security.conftest import Client, assert_no_marker, decoded

Login = Callable[[str | None], Client]


def _rules(site: RunningDashboard) -> list[tuple[str, set[str]]]:
    """Every URL rule of the Flask server with a concrete path (route parameters filled in)."""
    out = []
    for rule in site.app.server.url_map.iter_rules():
        path = re.sub(r"<int:[^>]+>", str(site.info.report_id), rule.rule)
        path = re.sub(r"<(?:string:|path:)?fmt>", "docx", path)
        path = re.sub(r"<(?:string:|path:)?package_name>", "dash", path)
        path = re.sub(r"<(?:string:|path:)?fingerprinted_path>", "dcc/dash_core_components.js", path)
        path = re.sub(r"<path:filename>", "style.css", path)
        path = re.sub(r"<path:path>", "alerts", path)
        assert "<" not in path, rule.rule
        out.append((path, set(rule.methods or ()) - {"HEAD", "OPTIONS"}))
    return out


PAGES = ["/", "/alerts", "/events", "/items", "/departments", "/sources", "/reports", "/admin"]


def test_every_route_refuses_an_anonymous_request(site: RunningDashboard, login: Login) -> None:
    anonymous = login(None)
    rules = _rules(site)
    assert len(rules) >= 12  # pages, Dash's endpoints, assets, bundles, report files, /metrics, login/logout
    for path, methods in rules:
        for method in methods:
            if path == "/login":
                continue
            response = anonymous.http.request(
                method,
                site.url(path),
                allow_redirects=False,
                timeout=30,
                json={} if method == "POST" else None,
            )
            assert response.status_code in (302, 401, 403), (method, path, response.status_code)
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/login?next="), (method, path)
            assert "yuqing_items" not in response.text and "rowData" not in response.text
    # Dash's endpoints answer 401 (JSON), pages redirect to the sign-in form, and so do unknown paths.
    for path in ("/_dash-layout", "/_dash-dependencies", "/metrics"):
        assert anonymous.get(path).status_code == 401, path
    assert anonymous.post("/_dash-update-component", json={"output": "x.children"}).status_code == 401
    for path in [*PAGES, "/nonexistent", "/reports/file/1/html", "/assets/../app.py"]:
        response = anonymous.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path
    assert anonymous.get("/login").status_code == 200


def test_a_duty_session_reaches_its_pages_but_not_admin(site: RunningDashboard, login: Login) -> None:
    duty = login("duty")
    for path in PAGES:
        response = duty.get(path)
        assert response.status_code == (403 if path == "/admin" else 200), path
    assert duty.get("/_dash-layout").status_code == 200
    assert duty.get("/_dash-dependencies").status_code == 200
    assert duty.get("/metrics").status_code == 200
    report = duty.get(f"/reports/file/{site.info.report_id}/docx")
    assert report.status_code == 200 and report.content[:2] == b"PK"
    # Only the known formats of recorded reports are served: a path trick gets no file (werkzeug decodes %2f,
    # the report route no longer matches, and Dash's catch-all answers with the page shell).
    assert duty.get(f"/reports/file/{site.info.report_id}/py").status_code == 404
    assert duty.get("/reports/file/999999/docx").status_code == 404
    for path in ("/reports/file/1/..%2f..%2fsecret_key", "/reports/file/1/docx/..%2f..%2f..%2fyuqing.db"):
        response = duty.get(path)
        assert "attachment" not in response.headers.get("Content-Disposition", ""), path
        assert (
            response.headers["Content-Type"].startswith("text/html")
            and b"SQLite format" not in response.content
        )
        assert_no_marker(response.text, path)


def _router(client: Client, pathname: str) -> requests.Response:
    key = next(k for k in client.site.app.callback_map if "_pages_content.children" in k)
    spec = client.site.app.callback_map[key]
    values = {"_pages_location.pathname": pathname, "_pages_location.search": ""}
    body = {
        "output": key,
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in spec["inputs"]],
        "state": [{**i, "value": None} for i in spec.get("state", [])],
        "changedPropIds": ["_pages_location.pathname"],
    }
    return client.post("/_dash-update-component", json=body, headers={CSRF_HEADER: client.csrf})


def _count(site: RunningDashboard, stmt: Any) -> int:
    with site.db.session() as s:
        return int(s.scalar(stmt) or 0)


def _password_hash(site: RunningDashboard, username: str) -> str:
    with site.db.session() as s:
        return str(s.scalar(select(User.password_hash).where(User.username == username)))


def _raw_phone(site: RunningDashboard) -> str:
    with site.db.session() as s:
        content = str(s.scalar(select(Item.content).where(Item.id == site.info.phone_item_id)))
    match = re.search(r"1\d{10}", content)
    assert match, "the seeded phone item has a phone number"
    return match.group(0)


def _active_silence(site: RunningDashboard) -> int:
    with site.db.session() as s:
        silence_id = s.scalar(
            select(Silence.id).where(Silence.ends_at > datetime.now(UTC)).order_by(Silence.id)
        )
    assert silence_id is not None
    return int(silence_id)


def _scalar(site: RunningDashboard, stmt: Any) -> Any:
    with site.db.session() as s:
        return s.scalar(stmt)


# (name, callback, values, a probe of the database that changes when the action happens). The refused roles
# aim at a real account (duty2); the administrator's control run aims at the account it has just created.
def _admin_actions(
    site: RunningDashboard, tag: str
) -> list[tuple[str, str, dict[str, Any], Callable[[], Any]]]:
    new_user = f"sec_{tag}"
    target = new_user if tag == "admin" else "duty2"
    day = {"duty": "2027-01-04", "leader": "2027-01-05", "admin": "2027-01-06"}[tag]
    fingerprint = f"security:{tag}"
    silence_id = _active_silence(site)
    return [
        (
            "create user",
            "input:admin-create-user.n_clicks",
            {
                "admin-create-user.n_clicks": 1,
                "admin-new-username.value": new_user,
                "admin-new-role.value": "admin",
            },
            lambda: _count(site, select(func.count()).where(User.username == new_user)),
        ),
        (
            "promote a user",
            "input:admin-set-role.n_clicks",
            {
                "admin-set-role.n_clicks": 1,
                "admin-selected-user.data": target,
                "admin-user-role.value": "leader",
            },
            lambda: _scalar(site, select(User.role).where(User.username == target)),
        ),
        (
            "reset a password",
            "input:admin-reset-password.n_clicks",
            {"admin-reset-password.n_clicks": 1, "admin-selected-user.data": target},
            lambda: _scalar(site, select(User.password_hash).where(User.username == target)),
        ),
        (
            "disable a user",
            "input:admin-disable.n_clicks",
            {"admin-disable.n_clicks": 1, "admin-selected-user.data": target},
            lambda: _scalar(site, select(User.active).where(User.username == target)),
        ),
        (
            "working-day override",
            "input:admin-workday-save.n_clicks",
            {
                "admin-workday-save.n_clicks": 1,
                "admin-workday-date.date": day,
                "admin-workday-kind.value": "rest",
            },
            lambda: _count(site, select(func.count()).where(WorkdayOverride.created_by == tag)),
        ),
        (
            "create a silence",
            "input:admin-silence-create.n_clicks",
            {
                "admin-silence-create.n_clicks": 1,
                "admin-silence-manual.value": fingerprint,
                "admin-silence-minutes.value": 60,
                "admin-silence-reason.value": "测试",
            },
            lambda: _count(site, select(func.count()).where(Silence.fingerprint == fingerprint)),
        ),
        (
            "end a silence",
            "input:admin-silence-expire.n_clicks",
            {"admin-silence-expire.n_clicks": 1, "admin-selected-silence.data": silence_id},
            lambda: _scalar(site, select(Silence.ends_at).where(Silence.id == silence_id)),
        ),
    ]


@pytest.mark.parametrize("role", ["duty", "leader"])
def test_admin_actions_are_refused_to_other_roles(site: RunningDashboard, login: Login, role: str) -> None:
    client = login(role)
    client.get("/")
    for name, output, values, probe in _admin_actions(site, role):
        before = probe()
        response = client.call(output, values)
        assert response.status_code in (200, 204), (name, response.status_code)
        assert probe() == before, f"{role} could {name}"
    assert _count(
        site, select(func.count()).where(AuditLog.actor == role, AuditLog.action.like("user.%"))
    ) == (
        _count(
            site,
            select(func.count()).where(
                AuditLog.actor == role, AuditLog.action.in_(["user.login", "user.logout"])
            ),
        )
    )
    # The users table, the configuration view and the unmasked text stay out of reach too.
    users = client.call("admin-users.rowData", {"admin-version.data": 0, "refresh-interval.n_intervals": 0})
    assert users.status_code == 204 and "duty2" not in users.text
    config = _router(client, "/admin")
    assert config.status_code == 200 and "无权访问" in decoded(config)
    assert "smtp_host" not in config.text and "database_url" not in config.text
    phone = _raw_phone(site)
    unmasked = client.call(
        "input:items-unmask.n_clicks",
        {"items-unmask.n_clicks": 1, "items-selected.data": site.info.phone_item_id},
        changed=["items-unmask.n_clicks"],
    )
    assert unmasked.status_code == 200 and phone not in unmasked.text and "只有管理员" in decoded(unmasked)
    assert (
        _count(site, select(func.count()).where(AuditLog.actor == role, AuditLog.action.like("%unmask%")))
        == 0
    )


def test_the_same_calls_work_for_an_administrator(site: RunningDashboard, login: Login) -> None:
    """The positive control of the test above: the identical requests do change the database for an admin."""
    admin = login("admin")
    admin.get("/admin")
    for name, output, values, probe in _admin_actions(site, "admin"):
        before = probe()
        response = admin.call(output, values)
        assert response.status_code == 200, (name, response.text[:300])
        assert probe() != before, f"admin could not {name}: {decoded(response)[:300]}"
    users = admin.call("admin-users.rowData", {"admin-version.data": 0, "refresh-interval.n_intervals": 0})
    assert users.status_code == 200 and "duty2" in users.text
    config = _router(admin, "/admin")
    assert "smtp_host" in config.text and "database_url" in config.text
    unmasked = admin.call(
        "input:items-unmask.n_clicks",
        {"items-unmask.n_clicks": 1, "items-selected.data": site.info.phone_item_id},
        changed=["items-unmask.n_clicks"],
    )
    assert _raw_phone(site) in unmasked.text


def _alert_state(site: RunningDashboard, alert_id: int) -> tuple[str, str | None]:
    with site.db.session() as s:
        row = s.get(Alert, alert_id)
        assert row is not None
        return row.state, row.instruction


def _act(client: Client, alert_id: int, button: str, **values: Any) -> requests.Response:
    fields = {
        f"alerts-{button}.n_clicks": 1,
        "alerts-selected.data": alert_id,
        "alerts-comment.value": values.get("comment", "测试"),
        "alerts-silence-minutes.value": values.get("minutes", 60),
        "alerts-instruction.value": values.get("instruction"),
        "alerts-extend-amount.value": values.get("amount"),
    }
    return client.call("alerts-message.children", fields, changed=[f"alerts-{button}.n_clicks"])


def test_alert_actions_follow_the_roles(site: RunningDashboard, login: Login) -> None:
    duty, leader = login("duty"), login("leader")
    red = site.info.alerts["red_triggered"]
    fingerprint_silences = _count(site, select(func.count()).select_from(Silence))
    refused = [
        (duty, "silence", {}),
        (duty, "instruct", {"instruction": "越权批示"}),
        (leader, "ack", {}),
        (leader, "resolve", {}),
        (leader, "silence", {}),
    ]
    for client, button, values in refused:
        response = _act(client, red, button, **values)
        assert response.status_code == 200 and "无权执行此操作" in decoded(response), (
            button,
            response.text[:300],
        )
    assert _alert_state(site, red) == ("triggered", None)
    # Approving an extension is the leader's: a duty officer's request changes no due time.
    orange = site.info.alerts["orange_ack"]
    with site.db.session() as s:
        due = s.scalar(
            select(ResponseTask.due_at)
            .join(Alert, Alert.response_task_id == ResponseTask.id)
            .where(Alert.id == orange)
        )
    assert due is not None
    extend = _act(duty, orange, "extend", amount=2)
    assert "无权执行此操作" in decoded(extend)
    with site.db.session() as s:
        assert (
            s.scalar(
                select(ResponseTask.due_at)
                .join(Alert, Alert.response_task_id == ResponseTask.id)
                .where(Alert.id == orange)
            )
            == due
        )
    assert _count(site, select(func.count()).select_from(Silence)) == fingerprint_silences
    # What the roles do allow goes through.
    assert "批示已记录" in decoded(_act(leader, red, "instruct", instruction="请立即核实"))
    assert "已确认预警" in decoded(_act(duty, red, "ack"))
    state, instruction = _alert_state(site, red)
    assert state == "acknowledged" and instruction is not None and instruction.endswith("leader：请立即核实")


def test_session_fixation_and_server_side_sign_out(site: RunningDashboard, login: Login) -> None:
    http = requests.Session()
    # An attacker-chosen cookie is not adopted, and the pre-sign-in session is not the signed-in one.
    http.cookies.set(SESSION_COOKIE, "attacker-chosen-session-id", domain="127.0.0.1", path="/")
    page = http.get(site.url("/login"), timeout=10)
    before = http.cookies.get(SESSION_COOKIE)
    assert before and before != "attacker-chosen-session-id"
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    signed = http.post(
        site.url("/login"),
        data={"username": "duty", "password": site.info.password, "csrf_token": token.group(1), "next": "/"},
        allow_redirects=False,
        timeout=10,
    )
    assert signed.status_code == 302
    after = http.cookies.get(SESSION_COOKIE)
    assert after and after not in (before, "attacker-chosen-session-id")
    for cookie, expected in ((before, 401), ("attacker-chosen-session-id", 401), (after, 200)):
        probe = requests.get(site.url("/_dash-layout"), cookies={SESSION_COOKIE: cookie}, timeout=10)
        assert probe.status_code == expected, cookie
    # Signing out ends the session on the server: a copy of the old cookie is worthless afterwards.
    csrf = http.cookies.get("yuqing_csrf")
    out = http.post(site.url("/logout"), data={"csrf_token": csrf}, allow_redirects=False, timeout=10)
    assert out.status_code == 302
    probe = requests.get(site.url("/_dash-layout"), cookies={SESSION_COOKIE: after}, timeout=10)
    assert probe.status_code == 401


def test_state_changes_need_the_sessions_csrf_token(site: RunningDashboard, login: Login) -> None:
    duty, leader = login("duty"), login("duty2")
    blue = site.info.alerts["blue_triggered"]
    for csrf in (False, "", "forged-token", leader.csrf, duty.csrf + "x"):
        response = duty.call(
            "alerts-message.children",
            {"alerts-ack.n_clicks": 1, "alerts-selected.data": blue, "alerts-comment.value": "x"},
            changed=["alerts-ack.n_clicks"],
            csrf=csrf,
        )
        assert response.status_code == 403, csrf
        assert _alert_state(site, blue)[0] == "triggered"
    # Other state changes: a label correction, a report request, signing out.
    labels_before = _count(site, select(func.count()).select_from(AuditLog))
    fix = duty.call(
        "items-fix-message.children",
        {
            "items-fix-save.n_clicks": 1,
            "items-selected.data": site.info.phone_item_id,
            "items-fix-sentiment.value": "positive",
        },
        changed=["items-fix-save.n_clicks"],
        csrf=False,
    )
    assert fix.status_code == 403
    report = duty.call("reports-message.children", {"reports-generate.n_clicks": 1}, csrf="nope")
    assert report.status_code == 403
    assert duty.post("/logout").status_code == 403
    assert duty.post("/logout", data={"csrf_token": "nope"}).status_code == 403
    assert _count(site, select(func.count()).select_from(AuditLog)) == labels_before
    assert duty.get("/_dash-layout").status_code == 200  # still signed in
    # The sign-in form has its own token.
    anonymous = requests.Session()
    anonymous.get(site.url("/login"), timeout=10)
    forged = anonymous.post(
        site.url("/login"),
        data={"username": "duty", "password": site.info.password, "csrf_token": "forged"},
        allow_redirects=False,
        timeout=10,
    )
    assert forged.status_code == 400
    # And with the right token the same acknowledgement goes through.
    ok = duty.call(
        "alerts-message.children",
        {"alerts-ack.n_clicks": 1, "alerts-selected.data": blue, "alerts-comment.value": "x"},
        changed=["alerts-ack.n_clicks"],
    )
    assert ok.status_code == 200 and json.loads(ok.text) and _alert_state(site, blue)[0] == "acknowledged"
