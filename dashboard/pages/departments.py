"""部门 (/departments): response performance per department from the response timers: on-time rate, median
time to first response, open and overdue counts, the weekly trend, and the list behind each number (click a
figure in the table)."""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import Dash, Input, Output, dcc, html

from dashboard import data, ids
from dashboard.components import charts
from dashboard.components.cards import panel
from dashboard.components.grid import grid
from dashboard.components.text import TASK_STATE_LABELS, duration_words, fmt_time, timer_label
from dashboard.inputs import as_choice, cell_row_id
from dashboard.runtime import services

PATH = "/departments"
NAME = "部门"
PERIODS = {7: "近7天", 30: "近30天", 90: "近90天"}
# Which tasks a clicked column stands for.
COLUMN_OUTCOMES = {
    "tasks": ("on_time", "late", "overdue", "open"),
    "answered": ("on_time", "late"),
    "on_time": ("on_time",),
    "late": ("late",),
    "open": ("open", "overdue"),
    "overdue": ("overdue",),
    "on_time_rate": ("on_time", "late", "overdue"),
    "median": ("on_time", "late"),
    "department": ("on_time", "late", "overdue", "open"),
}
COLUMN_LABELS = {
    "tasks": "全部任务",
    "answered": "已回应",
    "on_time": "按时回应",
    "late": "超时回应",
    "open": "在办",
    "overdue": "超时未回应",
    "on_time_rate": "计入按时率的任务",
    "median": "已回应任务",
    "department": "全部任务",
}


def layout(**_query: Any) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.H2("部门回应绩效"),
                    dcc.RadioItems(
                        id=ids.DP_PERIOD,
                        options=[{"label": v, "value": k} for k, v in PERIODS.items()],
                        value=30,
                        inline=True,
                        persistence=True,
                        persistence_type="session",
                    ),
                    html.Div(className="spacer"),
                    html.Span("按时率 = 按时回应 ÷（按时回应 + 超时回应 + 超时未回应）", className="updated"),
                ],
                className="page-head",
            ),
            panel(
                "各部门",
                grid(
                    ids.DP_GRID,
                    [
                        {"field": "department", "headerName": "部门", "flex": 2, "minWidth": 200},
                        {"field": "tasks", "headerName": "任务数", "maxWidth": 110},
                        {"field": "on_time_rate", "headerName": "按时率", "maxWidth": 120},
                        {"field": "median", "headerName": "首次回应中位用时", "maxWidth": 180},
                        {"field": "on_time", "headerName": "按时回应", "maxWidth": 120},
                        {"field": "late", "headerName": "超时回应", "maxWidth": 120},
                        {"field": "open", "headerName": "在办", "maxWidth": 100},
                        {
                            "field": "overdue",
                            "headerName": "超时未回应",
                            "maxWidth": 130,
                            "cellStyle": {
                                "function": "params.value > 0 ? {color: '#cf1322', fontWeight: 700} : {}"
                            },
                        },
                    ],
                    height="380px",
                    row_id="params.data.department_id + ''",
                ),
                extra="点击任一数字查看对应任务清单",
            ),
            html.Div(
                [
                    panel("按时率走势（按周）", charts.graph(ids.DP_TREND, 340)),
                    panel(
                        "任务清单",
                        html.Div(id=ids.DP_LIST_TITLE, className="count-line"),
                        grid(
                            ids.DP_LIST,
                            [
                                {"field": "department", "headerName": "部门", "maxWidth": 200},
                                {
                                    "field": "subject",
                                    "headerName": "事项",
                                    "flex": 3,
                                    "tooltipField": "subject",
                                },
                                {"field": "kind", "headerName": "时限类型", "maxWidth": 140},
                                {"field": "started", "headerName": "开始", "maxWidth": 130},
                                {"field": "due", "headerName": "期限", "maxWidth": 130},
                                {"field": "answered", "headerName": "回应", "maxWidth": 130},
                                {"field": "outcome", "headerName": "结果", "maxWidth": 130},
                            ],
                            height="300px",
                        ),
                    ),
                ],
                className="stack",
            ),
            dcc.Location(id="departments-location", refresh="callback-nav"),
        ]
    )


def _summary_rows(summary: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "department_id": int(r.department_id),
            "department": r.department,
            "tasks": int(r.tasks),
            "on_time_rate": "—"
            if r.on_time_rate is None or pd.isna(r.on_time_rate)
            else f"{r.on_time_rate * 100:.0f}%",
            "median": duration_words(r.median_hours),
            "answered": int(r.answered),
            "on_time": int(r.on_time),
            "late": int(r.late),
            "open": int(r.open),
            "overdue": int(r.overdue),
        }
        for r in summary.itertuples(index=False)
    ]


def _trend_figure(trend: pd.DataFrame, summary: pd.DataFrame) -> charts.Figure:
    if trend.empty:
        return charts.empty_figure("所选时段内没有到期的回应任务", 340)
    busiest = list(summary.sort_values("tasks", ascending=False)["department"].head(6))
    traces = []
    for dept in busiest:
        sub = trend[trend["department"] == dept].sort_values("week")
        if sub.empty:
            continue
        traces.append(
            {
                "type": "scatter",
                "x": charts.wall_clock(sub["week"]),
                "y": [round(v * 100, 1) for v in sub["on_time_rate"]],
                "mode": "lines+markers",
                "name": dept,
                "customdata": [int(v) for v in sub["settled"]],
                "hovertemplate": "%{x|%m-%d}当周<br>"
                + dept
                + "：%{y:.0f}%（%{customdata}件）<extra></extra>",
            }
        )
    return charts.figure(
        traces,
        height=340,
        legend_below=True,
        layout={"yaxis": {"range": [0, 105], "ticksuffix": "%"}, "xaxis": {"tickformat": "%m-%d"}},
    )


def _task_rows(tasks: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "id": int(r.id),
            "department": r.department,
            "subject": r.subject or f"任务 #{r.id}",
            "kind": timer_label(r.kind, services().config.timers.rules),
            "started": fmt_time(r.started_at),
            "due": fmt_time(r.due_at),
            "answered": fmt_time(r.answered_at),
            "outcome": data.OUTCOMES.get(r.outcome, TASK_STATE_LABELS.get(r.state, r.state)),
            "item_id": int(r.item_id) if not pd.isna(r.item_id) else None,
            "event_id": int(r.event_id) if not pd.isna(r.event_id) else None,
        }
        for r in tasks.itertuples(index=False)
    ]


def register_callbacks(app: Dash) -> None:
    @app.callback(
        Output(ids.DP_GRID, "rowData"),
        Output(ids.DP_TREND, "figure"),
        Output(ids.DP_LIST, "rowData"),
        Output(ids.DP_LIST_TITLE, "children"),
        Input(ids.DP_PERIOD, "value"),
        Input(ids.DP_GRID, "cellClicked"),
        Input(ids.REFRESH, "n_intervals"),
    )
    def refresh(days: int | None, cell: dict[str, Any] | None, _n: Any) -> tuple[Any, ...]:
        svc = services()
        period = as_choice(days, PERIODS, 30)
        now = svc.clock.now()
        # The same for every viewer: computed once per refresh period for all of them.
        bucket = int(now.timestamp() // max(svc.refresh_seconds, 1))
        tasks = svc.cache.get(
            ("department_tasks", period, bucket), lambda: data.department_tasks(svc.db, now, period)
        )
        summary = data.department_summary(tasks)
        trend = data.department_trend(tasks)
        listing = tasks[tasks["outcome"] == "overdue"]
        title = "当前超时未回应的任务（点击上表数字可切换）"
        dept_id = cell_row_id(cell)
        if dept_id is not None and isinstance(cell, dict):
            column = str(cell.get("colId") or "department")
            outcomes = COLUMN_OUTCOMES.get(column, COLUMN_OUTCOMES["department"])
            mine = tasks["department_id"].fillna(-1).astype(int) == dept_id
            listing = tasks[mine & tasks["outcome"].isin(outcomes)]
            name = summary.loc[summary["department_id"] == dept_id, "department"]
            title = f"{name.iloc[0] if len(name) else ''} · {COLUMN_LABELS.get(column, '全部任务')}：{len(listing)} 件"
        listing = listing.sort_values("due_at", ascending=False).head(1000)
        return _summary_rows(summary), _trend_figure(trend, summary), _task_rows(listing), title

    @app.callback(
        Output("departments-location", "href"),
        Input(ids.DP_LIST, "cellClicked"),
        dash.State(ids.DP_LIST, "rowData"),
        prevent_initial_call=True,
    )
    def open_task(cell: dict[str, Any] | None, rows: list[dict[str, Any]] | None) -> str:
        if not isinstance(cell, dict) or cell.get("rowId") is None or not isinstance(rows, list):
            raise dash.exceptions.PreventUpdate
        row = next((r for r in rows if isinstance(r, dict) and str(r.get("id")) == str(cell["rowId"])), None)
        if row and row.get("item_id"):
            return f"/items?id={row['item_id']}"
        if row and row.get("event_id"):
            return f"/events?id={row['event_id']}"
        raise dash.exceptions.PreventUpdate
