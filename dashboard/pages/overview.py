"""总览 (/): today's and this week's figures against the previous period, risk trend by level, volume by
source kind, sentiment over time, top topics and focus areas, rising events and districts. Everything comes
from rollup_hourly and small indexed queries, cached a few seconds for all sessions alike."""

from __future__ import annotations

from typing import Any

import dash
from dash import Dash, Input, Output, dcc, html

from core.levels import Level
from dashboard import data, ids
from dashboard.components import charts
from dashboard.components.cards import change_text, panel, stat_card
from dashboard.components.grid import grid
from dashboard.components.text import fmt_time, level_label
from dashboard.inputs import as_choice, cell_row_id
from dashboard.runtime import services

PATH = "/"
NAME = "总览"


def layout(**_query: Any) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.H2("舆情总览"),
                    dcc.RadioItems(
                        id=ids.OV_WINDOW,
                        options=[{"label": v, "value": k} for k, v in data.WINDOWS.items()],
                        value="7d",
                        inline=True,
                        persistence=True,
                        persistence_type="session",
                        className="window-picker",
                    ),
                    html.Div(className="spacer"),
                    html.Span(id=ids.OV_UPDATED, className="updated"),
                ],
                className="page-head",
            ),
            html.Div(id=ids.OV_CARDS, className="cards"),
            html.Div(
                [
                    panel("风险趋势（按等级）", charts.graph(ids.OV_RISK)),
                    panel("信息量（按来源类型）", charts.graph(ids.OV_KINDS)),
                    panel("情感走势", charts.graph(ids.OV_SENTIMENT)),
                ],
                className="grid-3",
            ),
            html.Div(
                [
                    panel("热点主题", charts.graph(ids.OV_TOPICS)),
                    panel("关注领域", charts.graph(ids.OV_TAGS)),
                    panel("区县分布", charts.graph(ids.OV_REGIONS)),
                ],
                className="grid-3",
            ),
            panel(
                "上升事件（24小时内）",
                grid(
                    ids.OV_EVENTS,
                    [
                        {"field": "level", "headerName": "等级", "maxWidth": 130},
                        {"field": "title", "headerName": "事件", "flex": 3, "tooltipField": "title"},
                        {"field": "region", "headerName": "区县", "maxWidth": 120},
                        {"field": "item_count", "headerName": "信息数", "maxWidth": 110},
                        {"field": "source_count", "headerName": "来源数", "maxWidth": 110},
                        {"field": "growth", "headerName": "6小时增量", "maxWidth": 130},
                        {"field": "last_seen", "headerName": "最近", "maxWidth": 140},
                    ],
                    height="360px",
                    row_class_rules={"row-level-high": "params.data.risk_level >= 3"},
                ),
                extra="点击一行查看事件详情",
            ),
            dcc.Location(id=ids.OV_NAV, refresh="callback-nav"),
        ]
    )


def _cards(numbers: data.OverviewNumbers) -> list[Any]:
    n = numbers
    level_chips = [
        html.Span(
            str(n.open_alerts_by_level.get(int(level), 0)),
            className="level-chip",
            style={"backgroundColor": level.colour, "color": "#000" if level == Level.III else "#fff"},
            title=level.label,
        )
        for level in (Level.I, Level.II, Level.III, Level.IV)
    ]
    open_total = sum(n.open_alerts_by_level.values())
    return [
        stat_card(
            "今日信息量",
            f"{n.items_today.current:,.0f}",
            change_text(n.items_today.delta, n.items_today.ratio, lower_is_better=False),
            "较昨日同期",
            card_id="card-items-today",
        ),
        stat_card(
            "今日负面占比",
            f"{n.negative_share_today.current * 100:.1f}%",
            change_text(n.negative_share_today.delta, None, percent_points=True),
            "较昨日同期",
            accent="#d4380d",
            card_id="card-negative-today",
        ),
        stat_card(
            "本周信息量",
            f"{n.items_week.current:,.0f}",
            change_text(n.items_week.delta, n.items_week.ratio, lower_is_better=False),
            "较上周同期",
            card_id="card-items-week",
        ),
        stat_card(
            "本周负面占比",
            f"{n.negative_share_week.current * 100:.1f}%",
            change_text(n.negative_share_week.delta, None, percent_points=True),
            "较上周同期",
            accent="#d4380d",
            card_id="card-negative-week",
        ),
        html.Div(
            [
                html.Div("待处理预警（红/橙/黄/蓝）", className="stat-title"),
                html.Div(
                    [
                        html.Span(f"{open_total}", className="stat-value"),
                        html.Div(level_chips, className="level-chips"),
                    ]
                ),
                html.Div(
                    [
                        change_text(n.alerts_opened_today.delta, n.alerts_opened_today.ratio),
                        html.Span(
                            f"今日新增 {n.alerts_opened_today.current:.0f}，较昨日同期", className="stat-note"
                        ),
                    ],
                    className="stat-foot",
                ),
            ],
            className="stat-card",
            style={"borderTopColor": "#f5222d"},
            id="card-open-alerts",
        ),
        stat_card(
            "超时未回应",
            f"{n.overdue_now}",
            change_text(n.overdue_today.delta, n.overdue_today.ratio),
            f"今日到期超时 {n.overdue_today.current:.0f}，较昨日同期",
            accent="#cf1322",
            card_id="card-overdue",
        ),
    ]


def register_callbacks(app: Dash) -> None:
    @app.callback(
        Output(ids.OV_CARDS, "children"),
        Output(ids.OV_RISK, "figure"),
        Output(ids.OV_KINDS, "figure"),
        Output(ids.OV_SENTIMENT, "figure"),
        Output(ids.OV_TOPICS, "figure"),
        Output(ids.OV_TAGS, "figure"),
        Output(ids.OV_REGIONS, "figure"),
        Output(ids.OV_EVENTS, "rowData"),
        Output(ids.OV_UPDATED, "children"),
        Input(ids.OV_WINDOW, "value"),
        Input(ids.REFRESH, "n_intervals"),
    )
    def refresh(window: str | None, _n: int | None) -> tuple[Any, ...]:
        window = as_choice(window, data.WINDOWS, "7d")
        return overview_view(window)

    @app.callback(Output(ids.OV_NAV, "href"), Input(ids.OV_EVENTS, "cellClicked"), prevent_initial_call=True)
    def open_event(cell: dict[str, Any] | None) -> str:
        event_id = cell_row_id(cell)
        if event_id is None:
            raise dash.exceptions.PreventUpdate
        return f"/events?id={event_id}"


def overview_view(window: str) -> tuple[Any, ...]:
    """Everything the overview shows for one window (shared by all sessions for a few seconds)."""
    svc = services()
    now = svc.clock.now()
    minute_key = int(now.timestamp() // max(svc.refresh_seconds, 1))

    def compute() -> tuple[Any, ...]:
        numbers = data.overview_numbers(svc.db, now)
        series = data.overview_series(svc.db, now, window)
        tags = data.focus_tags(svc.db, now, window)
        events = data.rising_events(svc.db, now)
        _, freq = data.window_start(now, window)
        tag_fig: charts.Figure = (
            charts.ranked_bars(tags, "tag", negative=False, value_col="items")
            if len(tags)
            else charts.empty_figure("所选时段内没有关注领域事件")
        )
        rows = [
            {
                "id": int(r.id),
                "risk_level": int(r.risk_level),
                "level": level_label(r.risk_level),
                "title": r.title,
                "region": r.region,
                "item_count": int(r.item_count),
                "source_count": int(r.source_count),
                "growth": f"{int(r.growth):+d}",
                "last_seen": fmt_time(r.last_seen_at),
            }
            for r in events.itertuples(index=False)
        ]
        return (
            _cards(numbers),
            charts.risk_trend(series.risk, series.buckets, freq),
            charts.volume_by_kind(series.kinds, series.buckets, freq),
            charts.sentiment_over_time(series.sentiment, series.buckets, freq),
            charts.ranked_bars(series.topics, "topic"),
            tag_fig,
            charts.ranked_bars(series.regions, "region"),
            rows,
            f"更新于 {fmt_time(now, '%H:%M:%S')}",
        )

    return svc.cache.get(("overview", window, minute_key), compute)
