"""Plotly figures with one house style (CJK font, level colours from core.levels, compact margins)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import dcc

from core.levels import Level
from dashboard.components.text import KIND_COLOURS, KIND_LABELS, SENTIMENT_COLOURS, SENTIMENT_LABELS

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
GRAPH_CONFIG: Any = {"displayModeBar": False, "locale": "zh-CN", "responsive": True}


def base_layout(
    fig: go.Figure, *, height: int = 300, legend: bool = True, legend_below: bool = False
) -> go.Figure:
    """`legend_below` for charts with many series, whose legend would cover the plot when on top."""
    fig.update_layout(
        height=height,
        margin={"l": 48, "r": 16, "t": 12, "b": 40},
        font={"family": FONT, "size": 14, "color": "#1f2933"},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        showlegend=legend,
        legend={"orientation": "h", "y": 1.12, "x": 0, "font": {"size": 13}},
        hoverlabel={"font": {"family": FONT}},
        bargap=0.15,
    )
    if legend_below:
        fig.update_layout(
            legend={"orientation": "h", "y": -0.18, "x": 0, "yanchor": "top"},
            margin={"l": 48, "r": 16, "t": 12, "b": 90},
        )
    fig.update_xaxes(gridcolor="#e4e7eb", zeroline=False)
    fig.update_yaxes(gridcolor="#e4e7eb", zeroline=False, rangemode="tozero")
    return fig


def empty_figure(message: str = "暂无数据", height: int = 300) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(
        text=message,
        showarrow=False,
        font={"size": 16, "color": "#7b8794"},
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return base_layout(fig, height=height, legend=False)


def graph(graph_id: str, height: int = 300, figure: go.Figure | None = None) -> dcc.Graph:
    return dcc.Graph(
        id=graph_id,
        figure=figure or empty_figure("加载中…", height),
        config=GRAPH_CONFIG,
        style={"height": f"{height}px"},
    )


def _tick_format(freq: str) -> str:
    return "%H:00" if freq == "h" else "%m-%d"


def _series(df: pd.DataFrame, key: str, value: Any, buckets: pd.DatetimeIndex) -> pd.Series:
    sub = df[df[key] == value].set_index("bucket")["count"] if len(df) else pd.Series(dtype="int64")
    return sub.reindex(buckets, fill_value=0) if len(buckets) else sub


def risk_trend(df: pd.DataFrame, buckets: pd.DatetimeIndex, freq: str) -> go.Figure:
    """Stacked bars of items with a risk level, highest level on top."""
    if df.empty:
        return empty_figure("所选时段内没有风险信息")
    fig = go.Figure()
    for level in (Level.IV, Level.III, Level.II, Level.I):
        values = _series(df, "risk_level", int(level), buckets)
        fig.add_bar(
            x=values.index,
            y=values.values,
            name=level.label,
            marker_color=level.colour,
            hovertemplate="%{x|%m-%d %H:00}<br>" + level.label + "：%{y}条<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(tickformat=_tick_format(freq))
    return base_layout(fig)


def stacked_lines(
    df: pd.DataFrame,
    buckets: pd.DatetimeIndex,
    freq: str,
    key: str,
    labels: Mapping[str, str],
    colours: Mapping[str, str],
    order: Sequence[str],
) -> go.Figure:
    if df.empty:
        return empty_figure()
    fig = go.Figure()
    for value in order:
        values = _series(df, key, value, buckets)
        if not values.any():
            continue
        label = labels.get(value, value)
        fig.add_scatter(
            x=values.index,
            y=values.values,
            name=label,
            mode="lines",
            stackgroup="one",
            line={"width": 1.5, "color": colours.get(value)},
            hovertemplate="%{x|%m-%d %H:00}<br>" + label + "：%{y}条<extra></extra>",
        )
    fig.update_xaxes(tickformat=_tick_format(freq))
    return base_layout(fig)


def volume_by_kind(df: pd.DataFrame, buckets: pd.DatetimeIndex, freq: str) -> go.Figure:
    return stacked_lines(df, buckets, freq, "kind", KIND_LABELS, KIND_COLOURS, list(KIND_LABELS))


def sentiment_over_time(df: pd.DataFrame, buckets: pd.DatetimeIndex, freq: str) -> go.Figure:
    return stacked_lines(
        df,
        buckets,
        freq,
        "sentiment",
        SENTIMENT_LABELS,
        SENTIMENT_COLOURS,
        ["negative", "neutral", "positive"],
    )


def ranked_bars(
    df: pd.DataFrame, label_col: str, *, limit: int = 10, height: int = 300, negative: bool = True
) -> go.Figure:
    """Horizontal bars, largest on top; the negative part drawn in red when `negative`."""
    if df.empty:
        return empty_figure(height=height)
    top = df.head(limit).iloc[::-1]
    fig = go.Figure()
    if negative and "negative" in top:
        fig.add_bar(
            y=top[label_col],
            x=top["negative"],
            orientation="h",
            name="负面",
            marker_color=SENTIMENT_COLOURS["negative"],
            hovertemplate="%{y}<br>负面：%{x}条<extra></extra>",
        )
        fig.add_bar(
            y=top[label_col],
            x=top["count"] - top["negative"],
            orientation="h",
            name="其他",
            marker_color="#91a7c4",
            hovertemplate="%{y}<br>其他：%{x}条<extra></extra>",
        )
        fig.update_layout(barmode="stack")
    else:
        value_col = "count" if "count" in top else top.columns[1]
        fig.add_bar(
            y=top[label_col],
            x=top[value_col],
            orientation="h",
            marker_color="#1f5fbf",
            hovertemplate="%{y}：%{x}<extra></extra>",
        )
    fig = base_layout(fig, height=height, legend=negative)
    fig.update_layout(margin={"l": 120, "r": 16, "t": 12, "b": 30})
    return fig


def donut(
    values: Mapping[str, int], labels: Mapping[str, str], colours: Mapping[str, str], height: int = 260
) -> go.Figure:
    keys = [k for k in values if values[k]]
    if not keys:
        return empty_figure(height=height)
    fig = go.Figure(
        go.Pie(
            labels=[labels.get(k, k) for k in keys],
            values=[values[k] for k in keys],
            hole=0.55,
            marker={"colors": [colours.get(k) for k in keys]},
            sort=False,
            textinfo="label+percent",
        )
    )
    return base_layout(fig, height=height, legend=False)
