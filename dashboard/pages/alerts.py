"""预警 (/alerts): the queue by level and time with a live countdown per alert (a clientside callback on the
1-second interval), colour by state, and the selected alert's record, actions and history. Every action goes
through alerts.actions (role checks, audit, state machine live there) with the operator's comment."""

from __future__ import annotations

import logging
from typing import Any

import dash
import pandas as pd
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, dcc, html

from core.errors import InputError, PermissionDenied, StateError
from dashboard import data, ids
from dashboard.auth import require_account
from dashboard.components.cards import level_badge, message, panel, state_badge
from dashboard.components.text import (
    action_label,
    fmt_full,
    fmt_time,
    level_colour,
    missing,
    risk_factor_lines,
    timer_label,
)
from dashboard.inputs import as_id, as_int, as_strings
from dashboard.runtime import services

logger = logging.getLogger(__name__)

PATH = "/alerts"
NAME = "预警"
UNIT_LABELS = {
    "hours": "小时",
    "working_hours": "工作小时",
    "working_days": "工作日",
    "natural_days": "自然日",
}
STATE_OPTIONS = [
    {"label": "待确认", "value": "triggered"},
    {"label": "已确认", "value": "acknowledged"},
    {"label": "处置中", "value": "responding"},
    {"label": "已办结（近7天）", "value": "resolved"},
]
LEVEL_OPTIONS = [
    {"label": "全部等级", "value": 0},
    {"label": "蓝色及以上", "value": 1},
    {"label": "黄色及以上", "value": 2},
    {"label": "橙色及以上", "value": 3},
    {"label": "仅红色", "value": 4},
]


def _selected_from_query(query: dict[str, Any]) -> int | None:
    """?alert=N (the links in alert e-mails), ?id=N, or ?task=N (timer e-mails: the alert of that timer)."""
    for key in ("alert", "id"):
        alert_id = as_id(str(query.get(key, "")).strip())
        if alert_id is not None:
            return alert_id
    task_id = as_id(str(query.get("task", "")).strip())
    if task_id is not None:
        return data.alert_for_task(services().db, task_id)
    return None


def allowed_actions(role: str) -> dict[str, bool]:
    """Which actions this role sees (alerts.actions decides and checks again on every call)."""
    from alerts import actions

    actor = actions.Actor(username="", role=role)
    return {key: actions.can(actor, name) for key, name in ACTION_NAMES.items()}


def _row(children: list[Any], visible: bool) -> html.Div:
    return html.Div(children, className="action-row", style=None if visible else {"display": "none"})


def _action_panel(allowed: dict[str, bool], departments: list[tuple[int, str]]) -> html.Section:
    """Static controls (they survive refreshes, so a comment being typed is never lost); buttons the role
    may not use are hidden, and the detail callback disables those that do not fit the alert's state."""
    hidden = {"display": "none"}
    return panel(
        "处置操作",
        html.Div(
            [
                html.Label("处置说明（每项操作都会记录）", className="field-label", htmlFor=ids.AL_COMMENT),
                dcc.Textarea(id=ids.AL_COMMENT, placeholder="填写本次操作的说明", maxLength=2000),
                _row(
                    [
                        html.Button(
                            "确认预警",
                            id=ids.AL_ACK,
                            className="btn btn-primary",
                            style=None if allowed["ack"] else hidden,
                        ),
                        html.Button(
                            "办结",
                            id=ids.AL_RESOLVE,
                            className="btn",
                            style=None if allowed["resolve"] else hidden,
                        ),
                    ],
                    allowed["ack"] or allowed["resolve"],
                ),
                _row(
                    [
                        dcc.Dropdown(
                            id=ids.AL_DEPARTMENT,
                            options=[{"label": n, "value": i} for i, n in departments],
                            placeholder="选择承办部门",
                            style={"minWidth": "16rem"},
                        ),
                        html.Button("转办", id=ids.AL_ASSIGN, className="btn"),
                    ],
                    allowed["assign"],
                ),
                _row(
                    [
                        dcc.Textarea(
                            id=ids.AL_RESPONSE_TEXT,
                            maxLength=4000,
                            placeholder="对外回应内容（公开答复、通报等），登记后回应时限停止计时",
                        ),
                        html.Button("登记回应", id=ids.AL_RESPOND, className="btn"),
                    ],
                    allowed["respond"],
                ),
                _row(
                    [
                        dcc.Input(
                            id=ids.AL_EXTEND_AMOUNT,
                            type="number",
                            min=0.5,
                            step=0.5,
                            placeholder="延期数量",
                            style={"width": "8rem"},
                        ),
                        html.Span(id=EXTEND_UNIT, className="field-label"),
                        html.Button("批准延期", id=ids.AL_EXTEND, className="btn"),
                    ],
                    allowed["extend"],
                ),
                _row(
                    [
                        dcc.Textarea(id=ids.AL_INSTRUCTION, maxLength=2000, placeholder="领导批示内容"),
                        html.Button("批示", id=ids.AL_INSTRUCT, className="btn btn-danger"),
                    ],
                    allowed["instruct"],
                ),
                _row(
                    [
                        dcc.Input(
                            id=ids.AL_SILENCE_MINUTES,
                            type="number",
                            min=5,
                            step=5,
                            value=60,
                            style={"width": "8rem"},
                        ),
                        html.Span("分钟", className="field-label"),
                        html.Button("静默同类预警", id=ids.AL_SILENCE, className="btn"),
                    ],
                    allowed["silence"],
                ),
                html.Div(id=ids.AL_MESSAGE),
            ],
            className="actions",
        ),
        class_name="actions-panel",
    )


def layout(**query: Any) -> html.Div:
    account = require_account()
    departments = data.department_options(services().db)
    allowed = allowed_actions(account.role)
    return html.Div(
        [
            html.Div(
                [
                    html.H2("预警处置"),
                    dcc.Checklist(
                        id=ids.AL_STATES,
                        options=STATE_OPTIONS,
                        value=["triggered", "acknowledged", "responding"],
                        inline=True,
                        persistence=True,
                        persistence_type="session",
                        className="state-filter",
                    ),
                    dcc.Dropdown(
                        id=ids.AL_LEVELS,
                        options=LEVEL_OPTIONS,
                        value=0,
                        clearable=False,
                        searchable=False,
                        persistence=True,
                        persistence_type="session",
                        style={"width": "11rem"},
                    ),
                    html.Div(className="spacer"),
                    html.Span("倒计时每秒更新；列表每隔数秒自动刷新", className="updated"),
                ],
                className="page-head",
            ),
            html.Div(
                [
                    html.Div(id=ids.AL_QUEUE, className="queue"),
                    html.Div(
                        [
                            html.Div(id=ids.AL_DETAIL),
                            _action_panel(allowed, departments),
                            panel("处置记录", html.Div(id=ids.AL_HISTORY)),
                        ]
                    ),
                ],
                className="alerts-layout",
            ),
            dcc.Store(id=ids.AL_SELECTED, data=_selected_from_query(query)),
            dcc.Store(id=ids.AL_COUNTDOWNS, data={}),
            dcc.Store(id=ids.AL_VERSION, data=0),
        ]
    )


def _ms(value: Any) -> int | None:
    if missing(value):
        return None
    return int(pd.Timestamp(value).timestamp() * 1000)


def _card(row: Any, selected: int | None) -> html.Div:
    meta = [html.Span(f"触发 {fmt_time(row.opened_at)}")]
    if isinstance(row.department, str) and row.department:
        meta.append(html.Span(f"承办 {row.department}"))
    if isinstance(row.acknowledged_by, str) and row.acknowledged_by:
        meta.append(html.Span(f"确认人 {row.acknowledged_by}"))
    if not missing(row.inhibited_by):
        meta.append(html.Span(f"被 #{int(row.inhibited_by)} 抑制"))
    classes = f"alert-card card-{row.state}" + (" selected" if selected == row.id else "")
    return html.Div(
        [
            html.Div(
                [
                    level_badge(row.level),
                    state_badge(row.state),
                    html.Span(f"#{row.id}", className="field-label"),
                    html.Span(id={"type": ids.COUNTDOWN, "index": int(row.id)}, className="countdown"),
                ],
                className="row1",
            ),
            html.Div(row.title, className="title"),
            html.Div(meta, className="meta"),
        ],
        id={"type": ids.ALERT_CARD, "index": int(row.id)},
        className=classes,
        style={"borderLeftColor": level_colour(row.level)},
        n_clicks=0,
        role="button",
        title="点击查看详情并处置",
    )


def queue_view(states: list[str], min_level: int, selected: int | None) -> tuple[list[Any], dict[str, Any]]:
    svc = services()
    now = svc.clock.now()
    df = data.alert_queue(svc.db, now, states=states or [], min_level=int(min_level or 0))
    if df.empty:
        return [html.Div("当前没有符合条件的预警", className="panel")], {}
    cards = [_card(r, selected) for r in df.itertuples(index=False)]
    countdowns = {
        str(int(r.id)): {
            "deadline": _ms(r.deadline),
            "kind": r.deadline_kind,
            "warn": _ms(r.warn_at) if r.deadline_kind == "response" else None,
        }
        for r in df.itertuples(index=False)
    }
    return cards, countdowns


def _dl(rows: list[tuple[str, Any]]) -> html.Dl:
    children: list[Any] = []
    for label, value in rows:
        if value in (None, "", []):
            continue
        children.extend([html.Dt(label), html.Dd(value)])
    return html.Dl(children, className="detail-grid")


def detail_view(alert_id: int | None) -> tuple[Any, Any, dict[str, bool], str]:
    """The record of one alert, its history, which buttons apply in its state, and the extension unit."""
    off = {k: True for k in ("ack", "assign", "respond", "extend", "resolve", "silence", "instruct")}
    if alert_id is None:
        return panel("预警详情", html.P("在左侧列表中选择一条预警。", className="updated")), [], off, ""
    svc = services()
    d = data.alert_detail(svc.db, alert_id)
    if d is None:
        return panel("预警详情", message("该预警不存在。", "error")), [], off, ""
    task: list[Any] | None = None
    if d.task_id and d.task_started_at and d.task_due_at and d.task_state:
        from alerts import actions

        view = actions.timer_view(
            d.task_state,
            d.task_started_at,
            d.task_due_at,
            d.task_warn_at,
            svc.clock.now(),
            paused_at=d.task_paused_at,
            answered_at=d.task_answered_at,
        )
        task = [
            html.Span(view.label, className=f"badge light-{view.state}"),
            f" {timer_label(d.task_kind, svc.config.timers.rules)} · 期限 {fmt_full(d.task_due_at)} · "
            f"{view.remaining_text}",
            f" · 已延期 {d.task_extensions} 次" if d.task_extensions else "",
        ]
    event = (
        html.A(d.event_title or f"事件 #{d.event_id}", href=f"/events?id={d.event_id}")
        if d.event_id
        else None
    )
    item = html.A(d.item_title or f"信息 #{d.item_id}", href=f"/items?id={d.item_id}") if d.item_id else None
    factors = risk_factor_lines(d.detail.get("risk_factors") or d.detail.get("factors") or [])
    body: list[Any] = [
        html.Div(
            [
                level_badge(d.level),
                " ",
                state_badge(d.state),
                html.Span(f"  #{d.id}", className="field-label"),
            ]
        ),
        html.H3(d.title, className="alert-title", id="alert-detail-title"),
        _dl(
            [
                ("规则", d.rule),
                ("触发时间", fmt_full(d.opened_at)),
                ("确认", f"{d.acknowledged_by or ''} {fmt_full(d.acknowledged_at)}".strip() or None),
                ("下次升级", fmt_full(d.next_escalation_at) if d.state == "triggered" else None),
                ("承办部门", d.department),
                ("关联事件", event),
                ("关联信息", item),
                ("数据源", d.source_name),
                ("回应时限", task),
                ("办结", f"{d.resolved_by or ''} {fmt_full(d.resolved_at)}".strip() or None),
                ("被抑制", f"由更高级别预警 #{d.inhibited_by} 覆盖" if d.inhibited_by else None),
            ]
        ),
    ]
    if d.summary:
        body.append(html.P(d.summary, className="item-text"))
    if factors:
        body.append(
            html.Div([html.B("风险因素"), html.Ul([html.Li(f) for f in factors], className="factor-list")])
        )
    if d.instruction:
        body.append(html.Div([html.B("领导批示："), html.Span(d.instruction)], className="instruction"))
    history = data.alert_history(svc.db, d.id, d.task_id)
    items = [
        html.Li(
            [
                html.Span(fmt_full(r.at), className="when"),
                html.Span(r.actor, className="who"),
                html.Span(action_label(r.action)),
                html.Span(r.comment, className="comment")
                if isinstance(r.comment, str) and r.comment
                else None,
            ]
        )
        for r in history.itertuples(index=False)
    ]
    history_view: Any = (
        html.Ul(items, className="history") if items else html.P("暂无记录", className="updated")
    )
    open_ = d.state != "resolved"
    enabled = {
        "ack": d.state == "triggered",
        "assign": open_,
        "respond": open_,
        "extend": open_ and d.task_id is not None and d.task_state in ("running", "paused"),
        "resolve": open_,
        "silence": True,
        "instruct": True,
    }
    unit = UNIT_LABELS.get(d.task_unit or "", d.task_unit or "") if d.task_id else "（无回应时限）"
    return panel("预警详情", *body), history_view, {k: not v for k, v in enabled.items()}, unit


def _run_action(trigger: str, alert_id: int, values: dict[str, Any]) -> str:
    """Call alerts.actions for the pressed button; returns the success message."""
    from alerts import actions

    account = require_account()
    svc = services()
    actor = actions.Actor(username=account.username, role=account.role)
    comment = (values.get("comment") or "").strip()
    db, clock = svc.db, svc.clock
    if trigger == ids.AL_ACK:
        actions.acknowledge(db, clock, actor, alert_id, comment=comment)
        return "已确认预警"
    if trigger == ids.AL_ASSIGN:
        department_id = as_id(values.get("department"))
        if department_id is None:
            raise InputError("请选择承办部门")
        actions.assign(db, clock, actor, alert_id, department_id, comment=comment)
        return "已转办"
    if trigger == ids.AL_RESPOND:
        text = (values.get("response") or "").strip()
        if not text:
            raise InputError("请填写回应内容")
        actions.record_response(db, clock, actor, alert_id, text, comment=comment)
        return "已记录回应，回应时限停止计时"
    if trigger == ids.AL_RESOLVE:
        actions.resolve(db, clock, actor, alert_id, comment=comment)
        return "已办结"
    if trigger == ids.AL_EXTEND:
        detail = data.alert_detail(db, alert_id)
        if detail is None or detail.task_id is None:
            raise InputError("该预警没有回应时限")
        amount = values.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int | float) or not 0 < amount <= 1000:
            raise InputError("请填写延期数量")
        if not comment:
            raise InputError("延期须填写理由")
        actions.extend_timer(db, clock, actor, detail.task_id, float(amount), comment)
        return "已延期"
    if trigger == ids.AL_SILENCE:
        detail = data.alert_detail(db, alert_id)
        if detail is None:
            raise InputError("该预警不存在")
        minutes = as_int(values.get("minutes"), 0, 1, 60 * 24 * 365)
        if not minutes:
            raise InputError("请填写静默时长")
        if not comment:
            raise InputError("静默须填写理由")
        actions.silence(db, clock, actor, detail.fingerprint, int(minutes), comment)
        return f"同类预警静默 {int(minutes)} 分钟"
    if trigger == ids.AL_INSTRUCT:
        text = (values.get("instruction") or "").strip()
        if not text:
            raise InputError("请填写批示内容")
        actions.add_instruction(db, clock, actor, alert_id, text)
        return "批示已记录"
    raise InputError("未知操作")


ACTION_NAMES = {
    "ack": "acknowledge",
    "assign": "assign",
    "respond": "record_response",
    "extend": "extend_timer",
    "resolve": "resolve",
    "silence": "silence",
    "instruct": "add_instruction",
}
EXTEND_UNIT = "alerts-extend-unit"
BUTTONS = {
    "ack": ids.AL_ACK,
    "assign": ids.AL_ASSIGN,
    "respond": ids.AL_RESPOND,
    "extend": ids.AL_EXTEND,
    "resolve": ids.AL_RESOLVE,
    "silence": ids.AL_SILENCE,
    "instruct": ids.AL_INSTRUCT,
}


def register_callbacks(app: Dash) -> None:
    @app.callback(
        Output(ids.AL_QUEUE, "children"),
        Output(ids.AL_COUNTDOWNS, "data"),
        Input(ids.AL_STATES, "value"),
        Input(ids.AL_LEVELS, "value"),
        Input(ids.REFRESH, "n_intervals"),
        Input(ids.AL_VERSION, "data"),
        Input(ids.AL_SELECTED, "data"),
    )
    def refresh_queue(
        states: list[str] | None, level: int | None, _n: Any, _v: Any, selected: int | None
    ) -> tuple[list[Any], dict[str, Any]]:
        return queue_view(as_strings(states), as_int(level, 0, 0, 4), as_id(selected))

    app.clientside_callback(
        ClientsideFunction(namespace="yuqing", function_name="countdown"),
        Output({"type": ids.COUNTDOWN, "index": ALL}, "children"),
        Output({"type": ids.COUNTDOWN, "index": ALL}, "className"),
        Input(ids.TICK, "n_intervals"),
        Input(ids.AL_COUNTDOWNS, "data"),
    )

    @app.callback(
        Output(ids.AL_SELECTED, "data"),
        Input({"type": ids.ALERT_CARD, "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def select(clicks: list[int | None]) -> int:
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(t.get("value") for t in ctx.triggered):
            raise dash.exceptions.PreventUpdate
        alert_id = as_id(trigger.get("index"))
        if alert_id is None:
            raise dash.exceptions.PreventUpdate
        return alert_id

    @app.callback(
        Output(ids.AL_DETAIL, "children"),
        Output(ids.AL_HISTORY, "children"),
        *[Output(button, "disabled") for button in BUTTONS.values()],
        Output(EXTEND_UNIT, "children"),
        Input(ids.AL_SELECTED, "data"),
        Input(ids.AL_VERSION, "data"),
        Input(ids.REFRESH, "n_intervals"),
    )
    def show_detail(alert_id: int | None, _v: Any, _n: Any) -> tuple[Any, ...]:
        detail, history, disabled, unit = detail_view(as_id(alert_id))
        return (detail, history, *[disabled[k] for k in BUTTONS], unit)

    @app.callback(
        Output(ids.AL_MESSAGE, "children"),
        Output(ids.AL_VERSION, "data"),
        Output(ids.AL_COMMENT, "value"),
        Output(ids.AL_RESPONSE_TEXT, "value"),
        Output(ids.AL_INSTRUCTION, "value"),
        *[Input(button, "n_clicks") for button in BUTTONS.values()],
        State(ids.AL_SELECTED, "data"),
        State(ids.AL_COMMENT, "value"),
        State(ids.AL_DEPARTMENT, "value"),
        State(ids.AL_RESPONSE_TEXT, "value"),
        State(ids.AL_EXTEND_AMOUNT, "value"),
        State(ids.AL_SILENCE_MINUTES, "value"),
        State(ids.AL_INSTRUCTION, "value"),
        State(ids.AL_VERSION, "data"),
        prevent_initial_call=True,
    )
    def act(*args: Any) -> tuple[Any, ...]:
        (alert_id, comment, department, response, amount, minutes, instruction, version) = args[
            len(BUTTONS) :
        ]
        trigger = ctx.triggered_id
        if not isinstance(trigger, str) or not ctx.triggered[0].get("value"):
            raise dash.exceptions.PreventUpdate
        keep = dash.no_update
        alert_id = as_id(alert_id)
        if alert_id is None:
            return message("请先在左侧选择一条预警。", "error"), keep, keep, keep, keep
        values = {
            "comment": comment,
            "department": department,
            "response": response,
            "amount": amount,
            "minutes": minutes,
            "instruction": instruction,
        }
        try:
            done = _run_action(trigger, alert_id, values)
        except PermissionDenied as exc:
            return message(f"无权执行此操作：{exc}", "error"), keep, keep, keep, keep
        except StateError as exc:
            return message(f"当前状态不允许此操作：{exc}", "error"), (version or 0) + 1, keep, keep, keep
        except InputError as exc:
            return message(str(exc), "error"), keep, keep, keep, keep
        except Exception:
            logger.exception("alert action %s on alert %s failed", trigger, alert_id)
            return message("操作失败，请稍后重试或联系管理员。", "error"), keep, keep, keep, keep
        services().cache.clear()
        cleared_response = "" if trigger == ids.AL_RESPOND else keep
        cleared_instruction = "" if trigger == ids.AL_INSTRUCT else keep
        return (
            message(f"{done}（预警 #{alert_id}）", "ok"),
            (version or 0) + 1,
            "",
            cleared_response,
            cleared_instruction,
        )
