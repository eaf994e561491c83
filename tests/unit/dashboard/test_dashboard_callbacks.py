"""Page callbacks called over HTTP as the browser's renderer calls them: alert actions through
alerts.actions with role checks, corrections, export, the report request, and the admin writes."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.db import Database
from core.models import Alert, AuditLog, Item, Label, Report, Silence, User
from dashboard import data, ids
from dashboard.pages import alerts as alerts_page
from dashboard.pages import items as items_page
from tests.e2e.seed import SeedInfo
from tests.unit.dashboard.callbacks import call

Client = Callable[[str], FlaskClient]


def _text(response: Any) -> str:
    assert response.status_code == 200, response.text[:300]
    return json.dumps(response.get_json(), ensure_ascii=False)


def _act(client: FlaskClient, app: Any, button: str, alert_id: int, **values: Any) -> str:
    state = {f"{button}.n_clicks": 1, f"{ids.AL_SELECTED}.data": alert_id, f"{ids.AL_VERSION}.data": 0}
    state.update({f"{k}.value": v for k, v in values.items()})
    return _text(call(client, app, ids.AL_MESSAGE, state, changed=[f"{button}.n_clicks"]))


def test_acknowledge_through_the_callback(
    app: Any, client_for: Client, seeded_db: Database, info: SeedInfo
) -> None:
    alert_id = info.alerts["blue_triggered"]
    duty = client_for("duty")
    duty.get(f"/alerts?alert={alert_id}")
    answer = _act(duty, app, ids.AL_ACK, alert_id, **{ids.AL_COMMENT: "已电话核实"})
    assert "已确认预警" in answer
    with seeded_db.session() as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None and alert.state == "acknowledged" and alert.acknowledged_by == "duty"
        comments = [
            c
            for (c,) in s.execute(
                select(AuditLog.comment).where(
                    AuditLog.object_id == str(alert_id), AuditLog.action == "alert.acknowledge"
                )
            )
        ]
    assert comments == ["已电话核实"]
    # Acknowledging again is a state error, told in words, not a crash.
    assert "当前状态不允许" in _act(duty, app, ids.AL_ACK, alert_id)


def test_roles_are_enforced_by_the_actions(
    app: Any, client_for: Client, seeded_db: Database, info: SeedInfo
) -> None:
    alert_id = info.alerts["red_triggered"]
    leader = client_for("leader")
    leader.get("/alerts")
    assert "无权执行此操作" in _act(leader, app, ids.AL_ACK, alert_id)
    duty = client_for("duty")
    duty.get("/alerts")
    assert "无权执行此操作" in _act(
        duty, app, ids.AL_SILENCE, alert_id, **{ids.AL_SILENCE_MINUTES: 30, ids.AL_COMMENT: "演练"}
    )
    with seeded_db.session() as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None and alert.state == "triggered"
    answer = _act(leader, app, ids.AL_INSTRUCT, alert_id, **{ids.AL_INSTRUCTION: "立即核实"})
    assert "批示已记录" in answer
    assert alerts_page.allowed_actions("leader") == {
        "ack": False,
        "assign": False,
        "respond": False,
        "extend": True,
        "resolve": False,
        "silence": False,
        "instruct": True,
    }


def test_assign_respond_and_silence(
    app: Any, client_for: Client, seeded_db: Database, info: SeedInfo
) -> None:
    alert_id = info.alerts["orange_ack"]
    admin = client_for("admin")
    admin.get("/alerts")
    assert "请选择承办部门" in _act(admin, app, ids.AL_ASSIGN, alert_id)
    department = data.department_options(seeded_db)[1][0]
    assert "已转办" in _act(admin, app, ids.AL_ASSIGN, alert_id, **{ids.AL_DEPARTMENT: department})
    assert "已记录回应" in _act(
        admin,
        app,
        ids.AL_RESPOND,
        alert_id,
        **{ids.AL_RESPONSE_TEXT: "已发布情况通报", ids.AL_COMMENT: "官网发布"},
    )
    assert "静默须填写理由" in _act(admin, app, ids.AL_SILENCE, alert_id, **{ids.AL_SILENCE_MINUTES: 30})
    assert "静默 30 分钟" in _act(
        admin,
        app,
        ids.AL_SILENCE,
        alert_id,
        **{ids.AL_SILENCE_MINUTES: 30, ids.AL_COMMENT: "处置中，暂停通知"},
    )
    with seeded_db.session() as s:
        alert = s.get(Alert, alert_id)
        assert (
            alert is not None and alert.state == "responding" and alert.assigned_department_id == department
        )
        assert s.scalar(select(func.count(Silence.id)).where(Silence.fingerprint == alert.fingerprint)) == 1


def test_links_from_mail_select_the_alert(app: Any, seeded_db: Database, info: SeedInfo) -> None:
    held = data.alert_detail(seeded_db, info.alerts["yellow_overdue"])
    assert held is not None and held.task_id is not None
    assert data.alert_for_task(seeded_db, held.task_id) == held.id
    assert data.alert_for_task(seeded_db, 987_654) is None
    with app.server.test_request_context():
        assert alerts_page._selected_from_query({"alert": "7"}) == 7
        assert alerts_page._selected_from_query({"task": str(held.task_id)}) == held.id
        assert alerts_page._selected_from_query({"id": "x"}) is None


def test_correction_is_stored(app: Any, client_for: Client, seeded_db: Database, info: SeedInfo) -> None:
    duty = client_for("duty")
    duty.get("/items")
    values = {
        f"{ids.IT_FIX_SAVE}.n_clicks": 1,
        f"{ids.IT_SELECTED}.data": info.phone_item_id,
        f"{ids.IT_FIX_SENTIMENT}.value": "neutral",
        f"{ids.IT_FIX_TOPIC}.value": "城乡建设",
    }
    answer = _text(call(duty, app, ids.IT_FIX_MESSAGE, values, changed=[f"{ids.IT_FIX_SAVE}.n_clicks"]))
    assert "已保存更正：情感" in answer and "主题" not in answer.split("已保存更正")[1].split("（")[0]
    with seeded_db.session() as s:
        labels = s.execute(select(Label.field, Label.value, Label.previous, Label.created_by)).all()
    assert [tuple(r) for r in labels] == [("sentiment", "neutral", "negative", "duty")]


def test_export_has_the_filtered_rows(app: Any, client_for: Client, seeded_db: Database) -> None:
    duty = client_for("duty")
    duty.get("/items")
    values = {
        f"{ids.IT_EXPORT_CSV}.n_clicks": 1,
        f"{ids.IT_DATES}.value": "all",
        f"{ids.IT_KINDS}.value": ["hotline"],
        f"{ids.IT_REPLY}.value": ["pending"],
    }
    response = call(duty, app, ids.IT_DOWNLOAD, values, changed=[f"{ids.IT_EXPORT_CSV}.n_clicks"])
    assert response.status_code == 200
    download = response.get_json()["response"][ids.IT_DOWNLOAD]["data"]
    content = (
        base64.b64decode(download["content"]).decode("utf-8-sig")
        if download["base64"]
        else download["content"]
    )
    rows = list(csv.DictReader(io.StringIO(content)))
    with seeded_db.session() as s:
        expected = s.scalar(
            select(func.count(Item.id)).where(Item.kind == "hotline", Item.reply_status == "pending")
        )
    assert len(rows) == expected > 0
    assert {r["类型"] for r in rows} == {"12345热线"} and {r["回复状态"] for r in rows} == {"待回复"}
    assert not any("13812345678" in r["内容"] for r in rows)  # masked in exports too


def test_spreadsheet_cells_cannot_become_formulas() -> None:
    assert items_page._spreadsheet_safe('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert items_page._spreadsheet_safe("+1") == "'+1" and items_page._spreadsheet_safe("正常") == "正常"


def test_report_request(app: Any, client_for: Client, seeded_db: Database) -> None:
    duty = client_for("duty")
    duty.get("/reports")
    values = {
        f"{ids.RP_GENERATE}.n_clicks": 1,
        f"{ids.RP_KIND}.value": "daily",
        f"{ids.RP_DATE}.date": "2026-11-19",
    }
    answer = _text(call(duty, app, ids.RP_MESSAGE, values, changed=[f"{ids.RP_GENERATE}.n_clicks"]))
    assert "已提交日报生成请求" in answer
    with seeded_db.session() as s:
        row = s.scalar(
            select(Report).where(
                Report.kind == "daily", Report.requested_by == "duty", Report.status == "requested"
            )
        )
        assert row is not None
    future = {**values, f"{ids.RP_DATE}.date": "2027-01-05"}
    assert "尚未开始" in _text(
        call(duty, app, ids.RP_MESSAGE, future, changed=[f"{ids.RP_GENERATE}.n_clicks"])
    )


def test_admin_creates_a_user_and_duty_cannot(app: Any, client_for: Client, seeded_db: Database) -> None:
    admin = client_for("admin")
    admin.get("/admin")
    values = {
        f"{ids.AD_CREATE}.n_clicks": 1,
        f"{ids.AD_NEW_USERNAME}.value": "newduty",
        f"{ids.AD_NEW_NAME}.value": "新值班员",
        f"{ids.AD_NEW_ROLE}.value": "duty",
        f"{ids.AD_VERSION}.data": 0,
    }
    answer = _text(call(admin, app, ids.AD_USER_MESSAGE, values, changed=[f"{ids.AD_CREATE}.n_clicks"]))
    assert "已创建用户 newduty" in answer
    duty = client_for("duty")
    duty.get("/")
    values[f"{ids.AD_NEW_USERNAME}.value"] = "sneaky"
    refused = call(duty, app, ids.AD_USER_MESSAGE, values, changed=[f"{ids.AD_CREATE}.n_clicks"])
    assert refused.status_code == 204
    with seeded_db.session() as s:
        names = set(s.scalars(select(User.username)))
    assert "newduty" in names and "sneaky" not in names


def test_admin_sees_the_outbox_and_duty_does_not(app: Any, client_for: Client, seeded_db: Database) -> None:
    from datetime import UTC, datetime

    from core.models import Notification

    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    with seeded_db.session() as s:
        s.add(
            Notification(
                dedupe_key="t:1|a@x",
                kind="alert",
                recipient="a@x",
                subject="[红色预警] 测试主题",
                body_text="b",
                status="failed",
                attempts=3,
                next_attempt_at=now,
                created_at=now,
                last_error="550 mailbox unavailable",
            )
        )
        s.add(
            Notification(
                dedupe_key="t:2|b@x",
                kind="report",
                recipient="b@x",
                subject="舆情周报",
                body_text="b",
                status="sent",
                attempts=1,
                next_attempt_at=now,
                created_at=now,
                sent_at=now,
            )
        )
    admin = client_for("admin")
    admin.get("/admin")
    values = {f"{ids.AD_VERSION}.data": 0, f"{ids.REFRESH}.n_intervals": 1}
    answer = _text(call(admin, app, ids.AD_OUTBOX, values, changed=[f"{ids.AD_VERSION}.data"]))
    assert "[红色预警] 测试主题" in answer and "发送失败" in answer and "550 mailbox unavailable" in answer
    assert "舆情周报" in answer and "已发送" in answer and "报告" in answer
    duty = client_for("duty")
    duty.get("/")
    refused = call(duty, app, ids.AD_OUTBOX, values, changed=[f"{ids.AD_VERSION}.data"])
    assert refused.status_code in (204, 403) and "测试主题" not in refused.get_data(as_text=True)
