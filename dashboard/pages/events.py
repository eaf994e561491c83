"""事件 (/events, /events?id=N): the list of recent events, and one event: the timeline of its items across
sources, where it first appeared (首发), the sentiment mix, its risk factors in words, related alerts and
response timers, and the handling record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash
import pandas as pd
from dash import Dash, Input, Output, dcc, html

from core.clock import ensure_utc
from dashboard import data, ids
from dashboard.components import charts
from dashboard.components.cards import level_badge, panel
from dashboard.components.grid import grid
from dashboard.components.text import (
    ALERT_STATE_LABELS,
    KIND_LABELS,
    REPLY_LABELS,
    SENTIMENT_COLOURS,
    SENTIMENT_LABELS,
    TASK_STATE_LABELS,
    action_label,
    fmt_full,
    fmt_time,
    level_label,
    risk_factor_lines,
    timer_label,
)
from dashboard.inputs import as_id, cell_row_id
from dashboard.runtime import services

PATH = "/events"
NAME = "事件"


def layout(**query: Any) -> html.Div:
    event_id = as_id(str(query.get("id", "")).strip())
    if event_id is not None:
        return _detail_layout(event_id)
    return html.Div(
        [
            html.Div(
                [
                    html.H2("事件（近30天）"),
                    html.Div(className="spacer"),
                    html.Span("点击一行查看事件详情", className="updated"),
                ],
                className="page-head",
            ),
            panel(
                "事件列表",
                grid(
                    ids.EV_LIST,
                    [
                        {"field": "level", "headerName": "风险等级", "maxWidth": 140},
                        {"field": "title", "headerName": "事件", "flex": 3, "tooltipField": "title"},
                        {"field": "topic", "headerName": "主题", "maxWidth": 160},
                        {"field": "region", "headerName": "区县", "maxWidth": 120},
                        {"field": "item_count", "headerName": "信息数", "maxWidth": 110},
                        {"field": "source_count", "headerName": "来源数", "maxWidth": 110},
                        {"field": "first_source", "headerName": "首发来源", "maxWidth": 200},
                        {"field": "first_seen", "headerName": "首次发现", "maxWidth": 150},
                        {"field": "last_seen", "headerName": "最近", "maxWidth": 150},
                        {"field": "status", "headerName": "状态", "maxWidth": 100},
                    ],
                    height="calc(100vh - 14rem)",
                    pagination=True,
                ),
            ),
            dcc.Location(id=ids.EV_LOCATION, refresh="callback-nav"),
        ]
    )


def _detail_layout(event_id: int) -> html.Div:
    return html.Div(
        [
            html.Div([dcc.Link("← 返回事件列表", href="/events")], className="page-head"),
            html.Div(id=ids.EV_HEADER),
            html.Div(
                [
                    panel("信息时间线（跨来源）", charts.graph(ids.EV_TIMELINE, 340)),
                    panel("情感构成", charts.graph(ids.EV_SENTIMENT, 340)),
                ],
                className="grid-2",
            ),
            html.Div([panel("信息量走势（每小时）", charts.graph(ids.EV_TREND, 260))]),
            panel(
                "相关信息",
                grid(
                    ids.EV_ITEMS,
                    [
                        {"field": "at", "headerName": "时间", "maxWidth": 150},
                        {"field": "source", "headerName": "来源", "maxWidth": 200},
                        {"field": "kind", "headerName": "类型", "maxWidth": 110},
                        {"field": "title", "headerName": "标题", "flex": 3, "tooltipField": "title"},
                        {"field": "sentiment", "headerName": "情感", "maxWidth": 90},
                        {"field": "reply", "headerName": "回复", "maxWidth": 110},
                    ],
                    height="320px",
                ),
            ),
            html.Div(
                [
                    panel(
                        "关联预警",
                        grid(
                            ids.EV_ALERTS,
                            [
                                {"field": "id", "headerName": "编号", "maxWidth": 90},
                                {"field": "level", "headerName": "等级", "maxWidth": 130},
                                {"field": "state", "headerName": "状态", "maxWidth": 100},
                                {"field": "title", "headerName": "预警", "flex": 2},
                                {"field": "opened", "headerName": "触发", "maxWidth": 140},
                            ],
                            height="220px",
                        ),
                    ),
                    panel(
                        "回应时限",
                        grid(
                            ids.EV_TASKS,
                            [
                                {"field": "kind", "headerName": "类型", "maxWidth": 160},
                                {"field": "department", "headerName": "承办部门"},
                                {"field": "state", "headerName": "状态", "maxWidth": 100},
                                {"field": "due", "headerName": "期限", "maxWidth": 150},
                                {"field": "answered", "headerName": "回应", "maxWidth": 150},
                            ],
                            height="220px",
                        ),
                    ),
                ],
                className="grid-2",
            ),
            panel("处置记录", html.Div(id=ids.EV_HISTORY)),
            dcc.Store(id=ids.EV_ID, data=event_id),
            dcc.Location(id=ids.EV_LOCATION, refresh="callback-nav"),
        ]
    )


def _header(d: data.EventDetail) -> html.Div:
    factors = risk_factor_lines(d.risk_factors)
    first: list[Any] = ["—"]
    if d.first_source:
        first = [html.B(d.first_source), f"（{fmt_full(d.first_item_at)}）"]
        if d.first_item_id:
            first.append(
                html.A(
                    d.first_item_title or f"信息 #{d.first_item_id}",
                    href=f"/items?id={d.first_item_id}",
                    style={"marginLeft": "0.5rem"},
                )
            )
    kinds = "、".join(f"{KIND_LABELS.get(k, k)} {v}" for k, v in d.kind_counts.items()) or "—"
    return html.Div(
        [
            panel(
                "事件概况",
                html.Div(
                    [
                        html.Div(
                            [
                                level_badge(d.risk_level),
                                html.Span(f"  风险分 {d.risk_score:.0f}", className="field-label"),
                            ]
                        ),
                        html.H2(d.title, id="event-title"),
                        html.Div(
                            [
                                html.Span(["信息 ", html.B(str(d.item_count)), " 条"]),
                                html.Span(["来源 ", html.B(str(d.source_count)), " 个（", kinds, "）"]),
                                html.Span(["主题 ", html.B(d.topic or "—")]),
                                html.Span(["区县 ", html.B(d.region or "—")]),
                                html.Span(["首次发现 ", html.B(fmt_full(d.first_seen_at))]),
                                html.Span(["最近 ", html.B(fmt_full(d.last_seen_at))]),
                                html.Span(["状态 ", html.B("进行中" if d.status == "open" else "已结束")]),
                            ],
                            className="kv",
                        ),
                        html.P(["首发：", *first], id="event-first-source"),
                        html.Div([html.Span(t, className="tag") for t in d.tags], className="tags"),
                        html.P(d.summary, className="item-text") if d.summary else None,
                    ],
                    className="event-head",
                ),
            ),
            panel(
                "为什么有风险",
                html.Ul([html.Li(f) for f in factors], className="factor-list", id="event-risk-factors")
                if factors
                else html.P("没有记录风险因素。", className="updated"),
            ),
        ],
        className="grid-2",
    )


def _timeline(items: pd.DataFrame) -> charts.Figure:
    if items.empty:
        return charts.empty_figure("该事件暂无信息", 340)
    traces = []
    for sentiment in ("negative", "neutral", "positive", ""):
        sub = items[items["sentiment"].fillna("") == sentiment]
        if sub.empty:
            continue
        label = SENTIMENT_LABELS.get(sentiment, "未分析")
        traces.append(
            {
                "type": "scatter",
                "x": charts.wall_clock(sub["at"]),
                "y": list(sub["source"]),
                "mode": "markers",
                "name": label,
                "text": list(sub["title"]),
                "marker": {
                    "size": 13,
                    "color": SENTIMENT_COLOURS.get(sentiment, "#bfbfbf"),
                    "line": {"width": 1, "color": "#fff"},
                },
                "hovertemplate": "%{x|%m-%d %H:%M}<br>%{y}<br>%{text}<extra>" + label + "</extra>",
            }
        )
    return charts.figure(
        traces,
        height=340,
        layout={
            "margin": {"l": 16, "r": 16, "t": 12, "b": 40},
            "xaxis": {"tickformat": "%m-%d %H:%M", "tickangle": 0, "nticks": 6, "automargin": True},
            "yaxis": {"automargin": True},  # source names are long
        },
    )


def _trend(trend: list[Any]) -> charts.Figure:
    points = []
    for entry in trend:
        try:
            points.append((ensure_utc(datetime.fromisoformat(str(entry[0]))), int(entry[1])))
        except (ValueError, TypeError, IndexError):
            continue
    if not points:
        return charts.empty_figure("暂无走势数据", 260)
    points.sort()
    trace = {
        "type": "bar",
        "x": charts.wall_clock(p[0] for p in points),
        "y": [p[1] for p in points],
        "marker": {"color": "#1f5fbf"},
        "hovertemplate": "%{x|%m-%d %H:00}：%{y}条<extra></extra>",
    }
    return charts.figure(
        [trace],
        height=260,
        legend=False,
        layout={"xaxis": {"tickformat": "%m-%d"}, "yaxis": _count_axis(max(p[1] for p in points))},
    )


def _count_axis(peak: int) -> dict[str, Any]:
    """Whole-number ticks: for small counts Plotly's automatic ticks fall between integers (0.2, 0.4 ...),
    which ",d" then prints as repeated 0s and 1s."""
    axis: dict[str, Any] = {"tickformat": ",d"}
    if peak <= 10:
        axis.update(tick0=0, dtick=1 if peak <= 5 else 2)
    return axis


def event_view(event_id: int) -> tuple[Any, ...]:
    svc = services()
    d = data.event_detail(svc.db, event_id)
    if d is None:
        missing = html.Div(html.H2("事件不存在"), className="forbidden")
        empty = charts.empty_figure()
        return missing, empty, empty, empty, [], [], [], html.P("—")
    items = data.event_items(svc.db, event_id)
    alerts = data.event_alerts(svc.db, event_id)
    tasks = data.event_tasks(svc.db, event_id)
    item_rows = [
        {
            "id": int(r.id),
            "at": fmt_time(r.at),
            "source": r.source,
            "kind": KIND_LABELS.get(r.kind, r.kind),
            "title": r.title,
            "sentiment": SENTIMENT_LABELS.get(r.sentiment or "", "未分析"),
            "reply": REPLY_LABELS.get(r.reply_status, r.reply_status),
        }
        for r in items.itertuples(index=False)
    ]
    alert_rows = [
        {
            "id": int(r.id),
            "level": level_label(r.level),
            "state": ALERT_STATE_LABELS.get(r.state, r.state),
            "title": r.title,
            "opened": fmt_time(r.opened_at),
        }
        for r in alerts.itertuples(index=False)
    ]
    task_rows = [
        {
            "id": int(r.id),
            "kind": timer_label(r.kind, services().config.timers.rules),
            "department": r.department if isinstance(r.department, str) else "—",
            "state": TASK_STATE_LABELS.get(r.state, r.state),
            "due": fmt_time(r.due_at),
            "answered": fmt_time(r.answered_at),
        }
        for r in tasks.itertuples(index=False)
    ]
    objects: list[tuple[str, int | str]] = [("alert", int(i)) for i in alerts["id"]]
    objects += [("response_task", int(i)) for i in tasks["id"]]
    objects.append(("event", event_id))
    history = data.audit_trail(svc.db, objects)
    record = (
        html.Ul(
            [
                html.Li(
                    [
                        html.Span(fmt_full(r.at), className="when"),
                        html.Span(r.actor, className="who"),
                        html.Span(action_label(r.action)),
                        html.Span(
                            f" · {'预警' if r.object_type == 'alert' else '时限' if r.object_type == 'response_task' else '事件'} #{r.object_id}",
                            className="field-label",
                        ),
                        html.Span(r.comment, className="comment")
                        if isinstance(r.comment, str) and r.comment
                        else None,
                    ]
                )
                for r in history.itertuples(index=False)
            ],
            className="history",
        )
        if len(history)
        else html.P("暂无处置记录", className="updated")
    )
    return (
        _header(d),
        _timeline(items),
        charts.donut(d.sentiment, SENTIMENT_LABELS, SENTIMENT_COLOURS, height=340),
        _trend(d.trend),
        item_rows,
        alert_rows,
        task_rows,
        record,
    )


def register_callbacks(app: Dash) -> None:
    @app.callback(Output(ids.EV_LIST, "rowData"), Input(ids.EV_LIST, "id"), Input(ids.REFRESH, "n_intervals"))
    def list_events(_id: str, _n: Any) -> list[dict[str, Any]]:
        svc = services()
        df = data.event_list(svc.db, svc.clock.now())
        return [
            {
                "id": int(r.id),
                "level": level_label(r.risk_level),
                "title": r.title,
                "topic": r.topic or "",
                "region": r.region or "",
                "item_count": int(r.item_count or 0),
                "source_count": int(r.source_count or 0),
                "first_source": r.first_source if isinstance(r.first_source, str) else "",
                "first_seen": fmt_time(r.first_seen_at),
                "last_seen": fmt_time(r.last_seen_at),
                "status": "进行中" if r.status == "open" else "已结束",
            }
            for r in df.itertuples(index=False)
        ]

    @app.callback(
        Output(ids.EV_HEADER, "children"),
        Output(ids.EV_TIMELINE, "figure"),
        Output(ids.EV_SENTIMENT, "figure"),
        Output(ids.EV_TREND, "figure"),
        Output(ids.EV_ITEMS, "rowData"),
        Output(ids.EV_ALERTS, "rowData"),
        Output(ids.EV_TASKS, "rowData"),
        Output(ids.EV_HISTORY, "children"),
        Input(ids.EV_ID, "data"),
        Input(ids.REFRESH, "n_intervals"),
    )
    def show_event(event_id: int | None, _n: Any) -> tuple[Any, ...]:
        valid = as_id(event_id)
        if valid is None:
            raise dash.exceptions.PreventUpdate
        return event_view(valid)

    @app.callback(
        Output(ids.EV_LOCATION, "href"),
        Input(ids.EV_LIST, "cellClicked"),
        prevent_initial_call=True,
    )
    def open_event(cell: dict[str, Any] | None) -> str:
        event_id = cell_row_id(cell)
        if event_id is None:
            raise dash.exceptions.PreventUpdate
        return f"/events?id={event_id}"

    @app.callback(
        Output(ids.EV_LOCATION, "href", allow_duplicate=True),
        Input(ids.EV_ITEMS, "cellClicked"),
        Input(ids.EV_ALERTS, "cellClicked"),
        prevent_initial_call=True,
    )
    def open_related(item_cell: dict[str, Any] | None, alert_cell: dict[str, Any] | None) -> str:
        trigger = dash.ctx.triggered_id
        cell = item_cell if trigger == ids.EV_ITEMS else alert_cell
        row_id = cell_row_id(cell)
        if row_id is None:
            raise dash.exceptions.PreventUpdate
        target = "/items" if trigger == ids.EV_ITEMS else "/alerts"
        return f"{target}?id={row_id}"
