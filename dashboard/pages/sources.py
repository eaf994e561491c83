"""数据源 (/sources): health of each source (last success, consecutive failures, items per day, last error),
new items per day over two weeks, and the latest crawl runs."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, html

from dashboard import data, ids
from dashboard.components import charts
from dashboard.components.cards import panel
from dashboard.components.grid import grid
from dashboard.components.text import KIND_LABELS, fmt_time
from dashboard.runtime import services

PATH = "/sources"
NAME = "数据源"
RUN_STATUS = {"running": "运行中", "success": "成功", "failed": "失败", "timeout": "超时", "killed": "已终止"}
TRIGGERS = {"schedule": "定时", "manual": "手动", "test": "测试"}
HEALTH_STYLE = (
    "params.value === '故障' ? {color: '#fff', backgroundColor: '#cf1322', fontWeight: 700} : "
    "params.value === '静默' || params.value === '偶发失败' ? {color: '#ad4e00', backgroundColor: '#fff7e6', fontWeight: 700} : "
    "params.value === '正常' ? {color: '#237804', fontWeight: 700} : {color: '#616e7c'}"
)


def layout(**_query: Any) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.H2("数据源健康"),
                    html.Div(className="spacer"),
                    html.Span(
                        "“静默”：超过设定时间没有新信息；“故障”：连续失败达到告警次数", className="updated"
                    ),
                ],
                className="page-head",
            ),
            panel(
                "数据源",
                grid(
                    ids.SR_GRID,
                    [
                        {
                            "field": "health",
                            "headerName": "状态",
                            "maxWidth": 110,
                            "cellStyle": {"function": HEALTH_STYLE},
                        },
                        {"field": "name", "headerName": "名称", "flex": 2, "minWidth": 200},
                        {"field": "kind", "headerName": "类型", "maxWidth": 110},
                        {"field": "last_success", "headerName": "最近成功", "maxWidth": 140},
                        {"field": "failures", "headerName": "连续失败", "maxWidth": 110},
                        {"field": "last_item", "headerName": "最近入库", "maxWidth": 140},
                        {"field": "today", "headerName": "今日新增", "maxWidth": 110},
                        {"field": "per_day", "headerName": "7日日均", "maxWidth": 130},
                        {"field": "total", "headerName": "累计", "maxWidth": 110},
                        {
                            "field": "last_error",
                            "headerName": "最近错误",
                            "flex": 2,
                            "tooltipField": "last_error",
                        },
                    ],
                    height="400px",
                ),
            ),
            html.Div(
                [
                    panel("每日新增信息（近14天）", charts.graph(ids.SR_DAILY, 340)),
                    panel(
                        "最近采集记录",
                        grid(
                            ids.SR_RUNS,
                            [
                                {"field": "started", "headerName": "开始", "maxWidth": 130},
                                {"field": "source", "headerName": "数据源", "flex": 2},
                                {"field": "status", "headerName": "结果", "maxWidth": 90},
                                {"field": "trigger", "headerName": "方式", "maxWidth": 90},
                                {"field": "new", "headerName": "新增", "maxWidth": 90},
                                {"field": "updated", "headerName": "更新", "maxWidth": 90},
                                {"field": "duration", "headerName": "用时", "maxWidth": 100},
                                {"field": "error", "headerName": "错误", "flex": 2, "tooltipField": "error"},
                            ],
                            height="320px",
                        ),
                    ),
                ],
                className="stack",
            ),
        ]
    )


def _daily_figure(daily: Any) -> charts.Figure:
    if daily.empty:
        return charts.empty_figure("近14天没有采集记录", 340)
    traces = [
        {
            "type": "bar",
            "x": charts.wall_clock(sub["day"]),
            "y": [int(v) for v in sub["items"]],
            "name": str(source),
            "hovertemplate": "%{x|%m-%d}<br>" + str(source) + "：%{y}条<extra></extra>",
        }
        for source, sub in daily.groupby("source")
    ]
    return charts.figure(
        traces, height=340, legend_below=True, layout={"barmode": "stack", "xaxis": {"tickformat": "%m-%d"}}
    )


def register_callbacks(app: Dash) -> None:
    @app.callback(
        Output(ids.SR_GRID, "rowData"),
        Output(ids.SR_DAILY, "figure"),
        Output(ids.SR_RUNS, "rowData"),
        Input(ids.SR_GRID, "id"),
        Input(ids.REFRESH, "n_intervals"),
    )
    def refresh(_id: str, _n: Any) -> tuple[Any, ...]:
        svc = services()
        now = svc.clock.now()
        defaults = svc.config.sources.defaults
        health = data.source_health(
            svc.db,
            now,
            failures_before_alert=defaults.failures_before_alert,
            silent_after_hours=defaults.silent_after_hours,
        )
        rows = [
            {
                "id": int(r.id),
                "health": r.health,
                "name": r.name,
                "kind": KIND_LABELS.get(r.kind, r.kind),
                "last_success": fmt_time(r.last_success_at),
                "failures": int(r.consecutive_failures or 0),
                "last_item": fmt_time(r.last_item_at),
                "today": int(r.items_today),
                "per_day": float(r.per_day_7d),
                "total": int(r.items_total or 0),
                "last_error": r.last_error if isinstance(r.last_error, str) else "",
            }
            for r in health.itertuples(index=False)
        ]
        runs = data.crawl_runs_recent(svc.db)
        run_rows = [
            {
                "id": int(r.id),
                "started": fmt_time(r.started_at),
                "source": r.source,
                "status": RUN_STATUS.get(r.status, r.status),
                "trigger": TRIGGERS.get(r.trigger, r.trigger),
                "new": int(r.items_new or 0),
                "updated": int(r.items_updated or 0),
                "duration": f"{r.duration_s:.1f}秒"
                if r.duration_s == r.duration_s and r.duration_s is not None
                else "",
                "error": r.error_message if isinstance(r.error_message, str) else "",
            }
            for r in runs.itertuples(index=False)
        ]
        return rows, _daily_figure(data.source_daily(svc.db, now)), run_rows
