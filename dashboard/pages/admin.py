"""管理 (/admin, administrators only): users and roles, alert silences (through alerts.actions.silence),
working-day overrides, the configuration with secrets hidden, and the audit log. The guard refuses the page
to other roles, the layout shows nothing to them and every callback checks the role again."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import dash
from dash import Dash, Input, Output, State, dcc, html
from pydantic import SecretStr

from core import admin as admin_ops
from core.errors import InputError, PermissionDenied, StateError
from core.models import ROLES
from dashboard import data, ids
from dashboard.auth import require_account
from dashboard.components.cards import field, forbidden, message, panel
from dashboard.components.grid import grid
from dashboard.components.text import ROLE_LABELS, action_label, fmt_full, fmt_time, missing
from dashboard.inputs import as_id, as_int, cell_row_id, cell_row_key
from dashboard.runtime import services

logger = logging.getLogger(__name__)

PATH = "/admin"
NAME = "管理"
SELECTED_USER = "admin-selected-user"
SELECTED_DAY = "admin-selected-day"
SELECTED_SILENCE = "admin-selected-silence"
SIL_EXPIRE = "admin-silence-expire"
SIL_MANUAL = "admin-silence-manual"
ROLE_OPTIONS = [{"label": ROLE_LABELS[r], "value": r} for r in ROLES]


def layout(**_query: Any) -> html.Div:
    account = require_account()
    if not account.is_admin:
        return forbidden()
    return html.Div(
        [
            html.Div([html.H2("系统管理")], className="page-head"),
            dcc.Tabs(
                id=ids.AD_TABS,
                value="users",
                persistence=True,
                persistence_type="session",
                children=[
                    dcc.Tab(label="用户与角色", value="users", children=_users_tab()),
                    dcc.Tab(label="预警静默", value="silences", children=_silences_tab()),
                    dcc.Tab(label="工作日调整", value="workdays", children=_workdays_tab()),
                    dcc.Tab(label="配置", value="config", children=_config_tab()),
                    dcc.Tab(label="邮件发件箱", value="outbox", children=_outbox_tab()),
                    dcc.Tab(
                        label="审计日志",
                        value="audit",
                        children=[
                            panel(
                                "最近操作",
                                grid(
                                    ids.AD_AUDIT,
                                    [
                                        {"field": "at", "headerName": "时间", "maxWidth": 170},
                                        {"field": "actor", "headerName": "操作人", "maxWidth": 130},
                                        {"field": "action", "headerName": "操作", "maxWidth": 170},
                                        {"field": "object", "headerName": "对象", "maxWidth": 180},
                                        {
                                            "field": "comment",
                                            "headerName": "说明",
                                            "flex": 2,
                                            "tooltipField": "comment",
                                        },
                                    ],
                                    height="calc(100vh - 16rem)",
                                    pagination=True,
                                ),
                            ),
                        ],
                    ),
                ],
            ),
            dcc.Store(id=ids.AD_VERSION, data=0),
            dcc.Store(id=SELECTED_USER),
            dcc.Store(id=SELECTED_DAY),
            dcc.Store(id=SELECTED_SILENCE),
        ]
    )


OUTBOX_KINDS = {
    "alert": "预警",
    "escalation": "升级",
    "timer": "催办",
    "digest": "摘要",
    "report": "报告",
    "test": "测试",
}
OUTBOX_STATUS = {"pending": "待发送", "sent": "已发送", "failed": "发送失败", "cancelled": "已取消"}


def _outbox_tab() -> list[Any]:
    settings = services().config.settings
    where = (
        f"开发模式：邮件发往本地邮件捕获器 {settings.smtp_host}:{settings.smtp_port}，保存在 {settings.mail_dir}"
        if settings.mode == "development"
        else f"邮件服务器 {settings.smtp_host}:{settings.smtp_port}"
    )
    return [
        panel(
            "最近邮件（预警、催办、摘要、报告）",
            grid(
                ids.AD_OUTBOX,
                [
                    {"field": "created", "headerName": "生成时间", "maxWidth": 170},
                    {"field": "kind", "headerName": "类型", "maxWidth": 110},
                    {"field": "recipient", "headerName": "收件人", "maxWidth": 260},
                    {"field": "subject", "headerName": "主题", "flex": 2, "tooltipField": "subject"},
                    {"field": "status", "headerName": "状态", "maxWidth": 110},
                    {"field": "attempts", "headerName": "尝试", "maxWidth": 80},
                    {"field": "sent", "headerName": "发送时间 / 下次重试", "maxWidth": 190},
                    {"field": "error", "headerName": "最近错误", "flex": 1, "tooltipField": "error"},
                ],
                height="calc(100vh - 18rem)",
                pagination=True,
            ),
            extra=where,
        )
    ]


def _users_tab() -> list[Any]:
    return [
        panel(
            "用户",
            grid(
                ids.AD_USERS,
                [
                    {"field": "username", "headerName": "用户名", "maxWidth": 160},
                    {"field": "display_name", "headerName": "姓名", "maxWidth": 160},
                    {"field": "role", "headerName": "角色", "maxWidth": 110},
                    {"field": "email", "headerName": "邮箱"},
                    {"field": "active", "headerName": "状态", "maxWidth": 100},
                    {"field": "last_login", "headerName": "最近登录", "maxWidth": 160},
                    {"field": "locked", "headerName": "锁定至", "maxWidth": 160},
                ],
                height="300px",
                row_id="params.data.username",
            ),
            extra="点击一行选中用户",
        ),
        html.Div(
            [
                panel(
                    "新建用户",
                    html.Div(
                        [
                            field("用户名", dcc.Input(id=ids.AD_NEW_USERNAME, type="text", maxLength=64)),
                            field("姓名", dcc.Input(id=ids.AD_NEW_NAME, type="text", maxLength=100)),
                            field(
                                "角色",
                                dcc.Dropdown(
                                    id=ids.AD_NEW_ROLE, options=ROLE_OPTIONS, value="duty", clearable=False
                                ),
                            ),
                            field("邮箱", dcc.Input(id=ids.AD_NEW_EMAIL, type="email", maxLength=320)),
                            html.Button(
                                "创建（生成初始密码）", id=ids.AD_CREATE, className="btn btn-primary"
                            ),
                        ],
                        className="filters",
                    ),
                ),
                panel(
                    "选中用户",
                    html.Div(
                        [
                            html.Div(id="admin-selected-user-label", className="count-line"),
                            html.Div(
                                [
                                    dcc.Dropdown(
                                        id=ids.AD_USER_ROLE,
                                        options=ROLE_OPTIONS,
                                        placeholder="新角色",
                                        style={"minWidth": "10rem"},
                                    ),
                                    html.Button("修改角色", id=ids.AD_SET_ROLE, className="btn"),
                                ],
                                className="action-row",
                            ),
                            html.Div(
                                [
                                    html.Button("停用", id=ids.AD_DISABLE, className="btn"),
                                    html.Button("启用", id=ids.AD_ENABLE, className="btn"),
                                    html.Button("重置密码", id=ids.AD_RESET, className="btn"),
                                    html.Button("解除锁定", id=ids.AD_UNLOCK, className="btn"),
                                ],
                                className="action-row",
                            ),
                        ],
                        className="actions",
                    ),
                ),
            ],
            className="grid-2",
        ),
        html.Div(id=ids.AD_USER_MESSAGE),
    ]


def _silences_tab() -> list[Any]:
    return [
        panel(
            "新建静默（同一指纹的预警在此期间不再通知）",
            html.Div(
                [
                    field(
                        "选择当前预警", dcc.Dropdown(id=ids.AD_SIL_FINGERPRINT, placeholder="按预警选择指纹")
                    ),
                    field("或填写指纹", dcc.Input(id=SIL_MANUAL, type="text", maxLength=200)),
                    field(
                        "时长（分钟）",
                        dcc.Input(id=ids.AD_SIL_MINUTES, type="number", min=5, step=5, value=120),
                    ),
                    field("理由", dcc.Input(id=ids.AD_SIL_REASON, type="text", maxLength=500)),
                    html.Button("静默", id=ids.AD_SIL_CREATE, className="btn btn-primary"),
                ],
                className="filters",
            ),
            html.Div(id=ids.AD_SIL_MESSAGE),
        ),
        panel(
            "静默记录（近7天）",
            grid(
                ids.AD_SILENCES,
                [
                    {"field": "active", "headerName": "状态", "maxWidth": 100},
                    {"field": "fingerprint", "headerName": "指纹", "flex": 2},
                    {"field": "starts", "headerName": "开始", "maxWidth": 150},
                    {"field": "ends", "headerName": "结束", "maxWidth": 150},
                    {"field": "reason", "headerName": "理由", "flex": 2},
                    {"field": "created_by", "headerName": "设置人", "maxWidth": 120},
                ],
                height="320px",
            ),
            html.Div([html.Button("解除选中的静默", id=SIL_EXPIRE, className="btn")], className="action-row"),
            extra="点击一行选中",
        ),
    ]


def _workdays_tab() -> list[Any]:
    return [
        panel(
            "调整工作日（覆盖法定节假日日历，用于回应时限计算）",
            html.Div(
                [
                    field("日期", dcc.DatePickerSingle(id=ids.AD_WD_DATE, display_format="YYYY-MM-DD")),
                    field(
                        "类型",
                        dcc.Dropdown(
                            id=ids.AD_WD_KIND,
                            options=[
                                {"label": "上班（工作日）", "value": "work"},
                                {"label": "休息（非工作日）", "value": "off"},
                            ],
                            value="off",
                            clearable=False,
                        ),
                    ),
                    field("说明", dcc.Input(id=ids.AD_WD_NOTE, type="text", maxLength=200)),
                    html.Div(
                        [
                            html.Button("保存", id=ids.AD_WD_SAVE, className="btn btn-primary"),
                            html.Button("删除选中日期", id=ids.AD_WD_DELETE, className="btn"),
                        ],
                        className="action-row",
                    ),
                ],
                className="filters",
            ),
            html.Div(id=ids.AD_WD_MESSAGE),
        ),
        panel(
            "已有调整",
            grid(
                ids.AD_WORKDAYS,
                [
                    {"field": "day", "headerName": "日期", "maxWidth": 140},
                    {"field": "kind", "headerName": "类型", "maxWidth": 160},
                    {"field": "note", "headerName": "说明", "flex": 2},
                    {"field": "created_by", "headerName": "设置人", "maxWidth": 120},
                    {"field": "created", "headerName": "设置时间", "maxWidth": 160},
                ],
                height="320px",
                row_id="params.data.day",
            ),
        ),
    ]


def config_rows() -> list[dict[str, str]]:
    """Settings as (key, value) rows; secrets show only whether they are set."""
    settings = services().config.settings
    rows = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr) or name in (
            "secret_key",
            "admin_password",
            "smtp_password",
            "metrics_token",
        ):
            shown = "已设置（隐藏）" if value else "未设置"
        elif name == "database_url" and value:
            shown = _hide_password(str(value))
        else:
            shown = str(value)
        rows.append({"key": name, "value": shown})
    return rows


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a malformed URL is shown as a placeholder rather than risk showing a password
        return "（无法解析）"


def _config_tab() -> list[Any]:
    config = services().config
    sources = [
        {
            "id": s.key,
            "key": s.key,
            "name": s.name,
            "kind": s.kind,
            "type": s.type,
            "enabled": "是" if s.enabled else "否",
            "url": s.url or "",
        }
        for s in config.sources.sources
    ]
    rules = [
        {
            "id": r.name,
            "name": r.name,
            "type": r.type,
            "min_level": r.min_level,
            "level": r.level or "",
            "enabled": "是" if r.enabled else "否",
        }
        for r in config.alerts.rules
    ]
    timers = [
        {
            "id": r.name,
            "name": r.name,
            "applies_to": r.applies_to,
            "unit": r.unit,
            "amount": r.amount,
            "request_types": "、".join(r.request_types),
        }
        for r in config.timers.rules
    ]
    return [
        html.Div(
            [
                panel(
                    "运行设置",
                    grid(
                        ids.AD_CONFIG,
                        [
                            {"field": "key", "headerName": "设置项", "maxWidth": 260},
                            {"field": "value", "headerName": "值", "flex": 2},
                        ],
                        row_data=config_rows(),
                        height="420px",
                        row_id="params.data.key",
                    ),
                    extra=f"配置目录 {config.settings.config_dir}",
                ),
                panel(
                    "数据源（sources.yaml）",
                    grid(
                        "admin-config-sources",
                        [
                            {"field": "key", "headerName": "键"},
                            {"field": "name", "headerName": "名称", "flex": 2},
                            {"field": "kind", "headerName": "类型"},
                            {"field": "type", "headerName": "接入方式"},
                            {"field": "enabled", "headerName": "启用", "maxWidth": 90},
                        ],
                        row_data=sources,
                        height="420px",
                    ),
                ),
            ],
            className="grid-2",
        ),
        html.Div(
            [
                panel(
                    "预警规则（alerts.yaml）",
                    grid(
                        "admin-config-rules",
                        [
                            {"field": "name", "headerName": "规则"},
                            {"field": "type", "headerName": "类型"},
                            {"field": "min_level", "headerName": "最低等级"},
                            {"field": "level", "headerName": "固定等级"},
                            {"field": "enabled", "headerName": "启用"},
                        ],
                        row_data=rules,
                        height="300px",
                    ),
                ),
                panel(
                    "回应时限（timers.yaml）",
                    grid(
                        "admin-config-timers",
                        [
                            {"field": "name", "headerName": "规则"},
                            {"field": "applies_to", "headerName": "适用"},
                            {"field": "unit", "headerName": "单位"},
                            {"field": "amount", "headerName": "时限"},
                            {"field": "request_types", "headerName": "诉求类型", "flex": 2},
                        ],
                        row_data=timers,
                        height="300px",
                    ),
                ),
            ],
            className="grid-2",
        ),
    ]


def _iso_day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _admin_or_refuse() -> Any:
    account = require_account()
    if not account.is_admin:
        raise dash.exceptions.PreventUpdate
    return account


def register_callbacks(app: Dash) -> None:
    @app.callback(
        Output(ids.AD_USERS, "rowData"),
        Output(ids.AD_SILENCES, "rowData"),
        Output(ids.AD_WORKDAYS, "rowData"),
        Output(ids.AD_AUDIT, "rowData"),
        Output(ids.AD_OUTBOX, "rowData"),
        Output(ids.AD_SIL_FINGERPRINT, "options"),
        Input(ids.AD_VERSION, "data"),
        Input(ids.REFRESH, "n_intervals"),
    )
    def refresh(_v: Any, _n: Any) -> tuple[Any, ...]:
        _admin_or_refuse()
        svc = services()
        now = svc.clock.now()
        users = [
            {
                "username": r.username,
                "display_name": r.display_name,
                "role": ROLE_LABELS.get(r.role, r.role),
                "email": r.email if isinstance(r.email, str) else "",
                "active": "启用" if r.active else "停用",
                "last_login": fmt_full(r.last_login_at),
                "locked": fmt_full(r.locked_until)
                if not missing(r.locked_until) and r.locked_until > now
                else "",
            }
            for r in data.users_frame(svc.db).itertuples(index=False)
        ]
        silences = [
            {
                "id": int(r.id),
                "active": "生效中" if r.active else "已结束",
                "fingerprint": r.fingerprint,
                "starts": fmt_time(r.starts_at),
                "ends": fmt_time(r.ends_at),
                "reason": r.reason,
                "created_by": r.created_by,
            }
            for r in data.silences_frame(svc.db, now).itertuples(index=False)
        ]
        workdays = [
            {
                "day": r.day.isoformat() if isinstance(r.day, date) else str(r.day),
                "kind": "上班（工作日）" if r.is_workday else "休息（非工作日）",
                "note": r.note if isinstance(r.note, str) else "",
                "created_by": r.created_by,
                "created": fmt_full(r.created_at),
            }
            for r in data.workdays_frame(svc.db).itertuples(index=False)
        ]
        audit = [
            {
                "id": i,
                "at": fmt_full(r.at),
                "actor": r.actor,
                "action": action_label(r.action),
                "object": f"{r.object_type} {r.object_id or ''}".strip(),
                "comment": r.comment if isinstance(r.comment, str) else "",
            }
            for i, r in enumerate(data.audit_recent(svc.db).itertuples(index=False))
        ]
        outbox = [
            {
                "id": int(r.id),
                "created": fmt_full(r.created_at),
                "kind": OUTBOX_KINDS.get(r.kind, r.kind),
                "recipient": r.recipient,
                "subject": r.subject,
                "status": OUTBOX_STATUS.get(r.status, r.status),
                "attempts": int(r.attempts),
                "sent": fmt_full(r.sent_at) if r.status == "sent" else fmt_full(r.next_attempt_at),
                "error": r.last_error if isinstance(r.last_error, str) else "",
            }
            for r in data.outbox_recent(svc.db).itertuples(index=False)
        ]
        fingerprints = [{"label": label, "value": fp} for fp, label in data.open_fingerprints(svc.db)]
        return users, silences, workdays, audit, outbox, fingerprints

    @app.callback(
        Output(SELECTED_USER, "data"),
        Output("admin-selected-user-label", "children"),
        Input(ids.AD_USERS, "cellClicked"),
        prevent_initial_call=True,
    )
    def select_user(cell: dict[str, Any] | None) -> tuple[str, str]:
        _admin_or_refuse()
        username = cell_row_key(cell, 64)
        if username is None:
            raise dash.exceptions.PreventUpdate
        return username, f"已选中：{username}"

    @app.callback(
        Output(SELECTED_DAY, "data"), Input(ids.AD_WORKDAYS, "cellClicked"), prevent_initial_call=True
    )
    def select_day(cell: dict[str, Any] | None) -> str:
        _admin_or_refuse()
        day = cell_row_key(cell, 10)
        if day is None:
            raise dash.exceptions.PreventUpdate
        return day

    @app.callback(
        Output(ids.AD_USER_MESSAGE, "children"),
        Output(ids.AD_VERSION, "data", allow_duplicate=True),
        Input(ids.AD_CREATE, "n_clicks"),
        Input(ids.AD_SET_ROLE, "n_clicks"),
        Input(ids.AD_DISABLE, "n_clicks"),
        Input(ids.AD_ENABLE, "n_clicks"),
        Input(ids.AD_RESET, "n_clicks"),
        Input(ids.AD_UNLOCK, "n_clicks"),
        State(ids.AD_NEW_USERNAME, "value"),
        State(ids.AD_NEW_NAME, "value"),
        State(ids.AD_NEW_ROLE, "value"),
        State(ids.AD_NEW_EMAIL, "value"),
        State(SELECTED_USER, "data"),
        State(ids.AD_USER_ROLE, "value"),
        State(ids.AD_VERSION, "data"),
        prevent_initial_call=True,
    )
    def users_action(*args: Any) -> tuple[Any, Any]:
        account = _admin_or_refuse()
        new_username, new_name, new_role, new_email, selected, role, version = args[6:]
        trigger = dash.ctx.triggered_id
        svc = services()
        common = {"actor": account.username, "role": account.role}
        try:
            if trigger == ids.AD_CREATE:
                password = admin_ops.create_user(
                    svc.db,
                    svc.clock,
                    username=new_username or "",
                    new_role=new_role or "duty",
                    display_name=new_name or "",
                    email=new_email or None,
                    **common,
                )
                result: Any = html.Div(
                    [
                        message(f"已创建用户 {new_username}。初始密码只显示这一次，请当面交给本人："),
                        html.Div(password, className="secret", id="admin-new-password"),
                    ]
                )
            elif not selected:
                return message("请先在表格中选中一个用户。", "error"), dash.no_update
            elif trigger == ids.AD_SET_ROLE:
                if not role:
                    return message("请选择新角色。", "error"), dash.no_update
                admin_ops.set_role(svc.db, svc.clock, username=selected, new_role=role, **common)
                result = message(
                    f"已将 {selected} 的角色改为 {ROLE_LABELS.get(role, role)}（立即生效）。", "ok"
                )
            elif trigger in (ids.AD_DISABLE, ids.AD_ENABLE):
                active = trigger == ids.AD_ENABLE
                admin_ops.set_active(svc.db, svc.clock, username=selected, active=active, **common)
                result = message(f"已{'启用' if active else '停用'}用户 {selected}。", "ok")
            elif trigger == ids.AD_RESET:
                password = admin_ops.reset_password(svc.db, svc.clock, username=selected, **common)
                result = html.Div(
                    [
                        message(f"已为 {selected} 重置密码（其所有会话已失效）。新密码只显示这一次："),
                        html.Div(password, className="secret"),
                    ]
                )
            elif trigger == ids.AD_UNLOCK:
                admin_ops.unlock_user(svc.db, svc.clock, username=selected, **common)
                result = message(f"已解除 {selected} 的登录锁定。", "ok")
            else:
                raise dash.exceptions.PreventUpdate
        except (InputError, StateError, PermissionDenied) as exc:
            return message(str(exc), "error"), dash.no_update
        return result, (version or 0) + 1

    @app.callback(
        Output(SELECTED_SILENCE, "data"), Input(ids.AD_SILENCES, "cellClicked"), prevent_initial_call=True
    )
    def select_silence(cell: dict[str, Any] | None) -> int:
        _admin_or_refuse()
        silence_id = cell_row_id(cell)
        if silence_id is None:
            raise dash.exceptions.PreventUpdate
        return silence_id

    @app.callback(
        Output(ids.AD_SIL_MESSAGE, "children", allow_duplicate=True),
        Output(ids.AD_VERSION, "data", allow_duplicate=True),
        Input(SIL_EXPIRE, "n_clicks"),
        State(SELECTED_SILENCE, "data"),
        State(ids.AD_SIL_REASON, "value"),
        State(ids.AD_VERSION, "data"),
        prevent_initial_call=True,
    )
    def expire_silence(
        _n: Any, silence_id: int | None, reason: str | None, version: int | None
    ) -> tuple[Any, Any]:
        account = _admin_or_refuse()
        from alerts import actions

        silence_id = as_id(silence_id)
        if silence_id is None:
            return message("请先在表格中选中一条静默。", "error"), dash.no_update
        svc = services()
        try:
            actions.expire_silence(
                svc.db,
                svc.clock,
                actions.Actor(account.username, account.role),
                silence_id,
                (reason or "").strip(),
            )
        except (InputError, StateError, PermissionDenied) as exc:
            return message(str(exc), "error"), dash.no_update
        return message(f"已解除静默 #{silence_id}。", "ok"), (version or 0) + 1

    @app.callback(
        Output(ids.AD_SIL_MESSAGE, "children"),
        Output(ids.AD_VERSION, "data", allow_duplicate=True),
        Input(ids.AD_SIL_CREATE, "n_clicks"),
        State(ids.AD_SIL_FINGERPRINT, "value"),
        State(SIL_MANUAL, "value"),
        State(ids.AD_SIL_MINUTES, "value"),
        State(ids.AD_SIL_REASON, "value"),
        State(ids.AD_VERSION, "data"),
        prevent_initial_call=True,
    )
    def create_silence(
        _n: Any, chosen: str | None, manual: str | None, minutes: Any, reason: str | None, version: int | None
    ) -> tuple[Any, Any]:
        account = _admin_or_refuse()
        from alerts import actions

        fingerprint = (manual or "").strip() or (chosen or "")
        if not fingerprint:
            return message("请选择或填写预警指纹。", "error"), dash.no_update
        minutes = as_int(minutes, 0, 1, 60 * 24 * 365)
        if not minutes:
            return message("请填写静默时长。", "error"), dash.no_update
        if not (reason or "").strip():
            return message("请填写静默理由。", "error"), dash.no_update
        svc = services()
        try:
            actions.silence(
                svc.db,
                svc.clock,
                actions.Actor(account.username, account.role),
                fingerprint,
                int(minutes),
                (reason or "").strip(),
            )
        except (InputError, StateError, PermissionDenied) as exc:
            return message(str(exc), "error"), dash.no_update
        return message(f"已静默 {fingerprint} {int(minutes)} 分钟。", "ok"), (version or 0) + 1

    @app.callback(
        Output(ids.AD_WD_MESSAGE, "children"),
        Output(ids.AD_VERSION, "data", allow_duplicate=True),
        Input(ids.AD_WD_SAVE, "n_clicks"),
        Input(ids.AD_WD_DELETE, "n_clicks"),
        State(ids.AD_WD_DATE, "date"),
        State(ids.AD_WD_KIND, "value"),
        State(ids.AD_WD_NOTE, "value"),
        State(SELECTED_DAY, "data"),
        State(ids.AD_VERSION, "data"),
        prevent_initial_call=True,
    )
    def workday_action(
        _save: Any,
        _delete: Any,
        day: str | None,
        kind: str | None,
        note: str | None,
        selected: str | None,
        version: int | None,
    ) -> tuple[Any, Any]:
        account = _admin_or_refuse()
        svc = services()
        common = {"actor": account.username, "role": account.role}
        try:
            if dash.ctx.triggered_id == ids.AD_WD_SAVE:
                target = _iso_day(day)
                if target is None:
                    return message("请选择日期。", "error"), dash.no_update
                admin_ops.set_workday_override(
                    svc.db, svc.clock, day=target, is_workday=kind == "work", note=note or "", **common
                )
                return message(
                    f"已将 {target.isoformat()} 设为{'工作日' if kind == 'work' else '非工作日'}。", "ok"
                ), (version or 0) + 1
            chosen = _iso_day(selected)
            if chosen is None:
                return message("请先在表格中选中一个日期。", "error"), dash.no_update
            removed = admin_ops.delete_workday_override(svc.db, svc.clock, day=chosen, **common)
        except (InputError, PermissionDenied) as exc:
            return message(str(exc), "error"), dash.no_update
        return message(f"已删除 {selected} 的调整。" if removed else "该日期没有调整。", "ok"), (
            version or 0
        ) + 1
