"""Plotly figures with one house style (CJK font, level colours from core.levels, compact margins).

Figures are plain dicts in Plotly's JSON schema rather than plotly.graph_objects: building and validating
graph objects cost 20-40 ms a figure, which on the overview (six figures) was most of a refresh. Times are
given to Plotly as Asia/Shanghai wall-clock strings, which it shows as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
from dash import dcc

from core.levels import Level
from dashboard.components.text import KIND_COLOURS, KIND_LABELS, SENTIMENT_COLOURS, SENTIMENT_LABELS

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
GRAPH_CONFIG: Any = {"displayModeBar": False, "locale": "zh-CN", "responsive": True}
LOCAL_TZ = "Asia/Shanghai"
Figure = dict[str, Any]


def wall_clock(values: Iterable[Any]) -> list[str]:
    """Aware times as Shanghai wall-clock strings for Plotly's date axes."""
    stamps = pd.DatetimeIndex(pd.to_datetime(list(values), utc=True)).tz_convert(LOCAL_TZ).tz_localize(None)
    return [t.strftime("%Y-%m-%d %H:%M:%S") for t in stamps]


def figure(
    traces: list[dict[str, Any]],
    *,
    height: int = 300,
    legend: bool = True,
    legend_below: bool = False,
    layout: Mapping[str, Any] | None = None,
) -> Figure:
    """A figure dict in the house style; `legend_below` for many series, whose legend would cover the plot."""
    base: dict[str, Any] = {
        "height": height,
        "margin": {"l": 48, "r": 16, "t": 12, "b": 40},
        "font": {"family": FONT, "size": 14, "color": "#1f2933"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": legend,
        "legend": {"orientation": "h", "y": 1.12, "x": 0, "font": {"size": 13}},
        "hoverlabel": {"font": {"family": FONT}},
        "bargap": 0.15,
        "xaxis": {"gridcolor": "#e4e7eb", "zeroline": False},
        "yaxis": {"gridcolor": "#e4e7eb", "zeroline": False, "rangemode": "tozero"},
    }
    if legend_below:
        base["legend"] = {"orientation": "h", "y": -0.18, "x": 0, "yanchor": "top", "font": {"size": 13}}
        base["margin"] = {"l": 48, "r": 16, "t": 12, "b": 90}
    for key, value in (layout or {}).items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return {"data": traces, "layout": base}


def empty_figure(message: str = "暂无数据", height: int = 300) -> Figure:
    return figure(
        [],
        height=height,
        legend=False,
        layout={
            "annotations": [
                {
                    "text": message,
                    "showarrow": False,
                    "font": {"size": 16, "color": "#7b8794"},
                    "x": 0.5,
                    "y": 0.5,
                    "xref": "paper",
                    "yref": "paper",
                }
            ],
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
        },
    )


def graph(graph_id: str, height: int = 300, fig: Figure | None = None) -> dcc.Graph:
    return dcc.Graph(
        id=graph_id,
        figure=fig or empty_figure("加载中…", height),
        config=GRAPH_CONFIG,
        style={"height": f"{height}px"},
    )


def _tick_format(freq: str) -> str:
    return "%H:00" if freq == "h" else "%m-%d"


def _series(df: pd.DataFrame, key: str, value: Any, buckets: pd.DatetimeIndex) -> list[int]:
    if not len(df):
        return [0] * len(buckets)
    sub = df[df[key] == value].set_index("bucket")["count"]
    return [int(v) for v in sub.reindex(buckets, fill_value=0)]


def risk_trend(df: pd.DataFrame, buckets: pd.DatetimeIndex, freq: str) -> Figure:
    """Stacked bars of items with a risk level, highest level on top."""
    if df.empty:
        return empty_figure("所选时段内没有风险信息")
    x = wall_clock(buckets)
    traces = [
        {
            "type": "bar",
            "x": x,
            "y": _series(df, "risk_level", int(level), buckets),
            "name": level.label,
            "marker": {"color": level.colour},
            "hovertemplate": "%{x|%m-%d %H:00}<br>" + level.label + "：%{y}条<extra></extra>",
        }
        for level in (Level.IV, Level.III, Level.II, Level.I)
    ]
    return figure(traces, layout={"barmode": "stack", "xaxis": {"tickformat": _tick_format(freq)}})


def stacked_lines(
    df: pd.DataFrame,
    buckets: pd.DatetimeIndex,
    freq: str,
    key: str,
    labels: Mapping[str, str],
    colours: Mapping[str, str],
    order: Sequence[str],
) -> Figure:
    if df.empty:
        return empty_figure()
    x = wall_clock(buckets)
    traces = []
    for value in order:
        values = _series(df, key, value, buckets)
        if not any(values):
            continue
        label = labels.get(value, value)
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": values,
                "name": label,
                "mode": "lines",
                "stackgroup": "one",
                "line": {"width": 1.5, "color": colours.get(value)},
                "hovertemplate": "%{x|%m-%d %H:00}<br>" + label + "：%{y}条<extra></extra>",
            }
        )
    return figure(traces, layout={"xaxis": {"tickformat": _tick_format(freq)}})


def volume_by_kind(df: pd.DataFrame, buckets: pd.DatetimeIndex, freq: str) -> Figure:
    return stacked_lines(df, buckets, freq, "kind", KIND_LABELS, KIND_COLOURS, list(KIND_LABELS))


def sentiment_over_time(df: pd.DataFrame, buckets: pd.DatetimeIndex, freq: str) -> Figure:
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
    df: pd.DataFrame,
    label_col: str,
    *,
    limit: int = 10,
    height: int = 300,
    negative: bool = True,
    value_col: str = "count",
) -> Figure:
    """Horizontal bars, largest on top; the negative part drawn in red when `negative`."""
    if df.empty:
        return empty_figure(height=height)
    top = df.head(limit).iloc[::-1]
    labels = [str(v) for v in top[label_col]]
    if negative and "negative" in top:
        neg = [int(v) for v in top["negative"]]
        rest = [int(c) - n for c, n in zip(top[value_col], neg, strict=True)]
        traces = [
            {
                "type": "bar",
                "orientation": "h",
                "y": labels,
                "x": neg,
                "name": "负面",
                "marker": {"color": SENTIMENT_COLOURS["negative"]},
                "hovertemplate": "%{y}<br>负面：%{x}条<extra></extra>",
            },
            {
                "type": "bar",
                "orientation": "h",
                "y": labels,
                "x": rest,
                "name": "其他",
                "marker": {"color": "#91a7c4"},
                "hovertemplate": "%{y}<br>其他：%{x}条<extra></extra>",
            },
        ]
        extra: dict[str, Any] = {"barmode": "stack"}
    else:
        traces = [
            {
                "type": "bar",
                "orientation": "h",
                "y": labels,
                "x": [int(v) for v in top[value_col]],
                "marker": {"color": "#1f5fbf"},
                "hovertemplate": "%{y}：%{x}<extra></extra>",
            }
        ]
        extra = {}
    return figure(
        traces,
        height=height,
        legend=negative,
        layout={**extra, "margin": {"l": 120, "r": 16, "t": 12, "b": 30}},
    )


def donut(
    values: Mapping[str, int], labels: Mapping[str, str], colours: Mapping[str, str], height: int = 260
) -> Figure:
    keys = [k for k in values if values[k]]
    if not keys:
        return empty_figure(height=height)
    trace = {
        "type": "pie",
        "labels": [labels.get(k, k) for k in keys],
        "values": [int(values[k]) for k in keys],
        "hole": 0.55,
        "marker": {"colors": [colours.get(k) for k in keys]},
        "sort": False,
        "textinfo": "label+percent",
    }
    return figure([trace], height=height, legend=False)
