"""Charts for the reports: matplotlib (Agg, object API, no pyplot state) with Noto Sans CJK for Chinese.

Each function returns PNG bytes. Without a CJK font every Chinese glyph would be a box, so the font is looked
up once and its absence is logged loudly (install the Debian package fonts-noto-cjk).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from functools import cache
from typing import Any

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from core.levels import Level
from reports.periods import WEEKDAYS
from reports.queries import Counted
from reports.weekly import DayFigures

logger = logging.getLogger(__name__)

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
)
COLOURS = {"negative": "#d4380d", "neutral": "#8c8c8c", "positive": "#389e0d", "unanalyzed": "#d9d9d9"}
SENTIMENT_LABELS = {"negative": "负面", "neutral": "中性", "positive": "正面", "unanalyzed": "未分析"}
THIS_WEEK = "#1f5fa8"
LAST_WEEK = "#a6c8ec"
WIDTH_IN = 7.2
DPI = 150


@cache
def cjk_font() -> str | None:
    available = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in available:
            return name
    logger.warning("no CJK font found (%s); chart text will not render; install fonts-noto-cjk", CJK_FONTS[0])
    return None


def _rc() -> Any:
    font = cjk_font()
    return {
        "font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"],
        "axes.unicode_minus": False,
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 10,
        "legend.fontsize": 8,
        "legend.frameon": False,
    }


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(
        buf, format="png", dpi=DPI, bbox_inches="tight", facecolor="white", metadata={"Software": None}
    )
    return buf.getvalue()


def _figure(height_in: float, ncols: int = 1) -> tuple[Figure, Any]:
    fig = Figure(figsize=(WIDTH_IN, height_in))
    axes = fig.subplots(1, ncols)
    return fig, axes


def _empty(ax: Any, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#8c8c8c")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _day_labels(days: Sequence[DayFigures]) -> list[str]:
    return [f"{d.day.month}/{d.day.day}\n{WEEKDAYS[d.day.weekday()]}" for d in days]


def volume_sentiment(days: Sequence[DayFigures]) -> bytes:
    """Stacked daily bars by sentiment with the negative share as a line on a second axis."""
    with matplotlib.rc_context(_rc()):
        fig, ax = _figure(3.2)
        x = list(range(len(days)))
        bottom = [0] * len(days)
        for key in ("negative", "neutral", "positive", "unanalyzed"):
            values = [d.sentiment.get(key, 0) for d in days]
            if key == "unanalyzed" and not any(values):
                continue
            ax.bar(x, values, bottom=bottom, color=COLOURS[key], label=SENTIMENT_LABELS[key], width=0.62)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        for i, total in enumerate(bottom):
            if total:
                ax.annotate(
                    str(total),
                    (i, total),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    xytext=(0, 2),
                    textcoords="offset points",
                )
        ax.set_xticks(x, _day_labels(days))
        ax.set_ylabel("信息量（条）")
        ax.set_ylim(0, max([*bottom, 1]) * 1.18)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        share_ax = ax.twinx()
        shares = []
        for d in days:
            analyzed = sum(d.sentiment.get(k, 0) for k in ("negative", "neutral", "positive"))
            shares.append(d.sentiment.get("negative", 0) / analyzed * 100 if analyzed else float("nan"))
        share_ax.plot(x, shares, color="#262626", marker="o", markersize=3.5, linewidth=1.4, label="负面占比")
        share_ax.set_ylim(0, 100)
        share_ax.set_ylabel("负面占比（%）")
        share_ax.spines["top"].set_visible(False)
        handles, labels = ax.get_legend_handles_labels()
        h2, l2 = share_ax.get_legend_handles_labels()
        ax.legend(handles + h2, labels + l2, loc="upper left", ncol=5, bbox_to_anchor=(0, 1.14))
        return _png(fig)


def risk_levels(days: Sequence[DayFigures]) -> bytes:
    """Items per risk level (IV..I) per day, stacked with the levels' own colours."""
    with matplotlib.rc_context(_rc()):
        fig, ax = _figure(2.8)
        x = list(range(len(days)))
        if not any(sum(d.levels.values()) for d in days):
            _empty(ax, "本周无带风险等级的信息")
            return _png(fig)
        bottom = [0] * len(days)
        for level in (Level.IV, Level.III, Level.II, Level.I):
            values = [d.levels.get(int(level), 0) for d in days]
            ax.bar(
                x,
                values,
                bottom=bottom,
                color=level.colour,
                label=f"{level.roman}级（{level.colour_name}）",
                width=0.62,
                edgecolor="white",
                linewidth=0.5,
            )
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_xticks(x, _day_labels(days))
        ax.set_ylabel("风险信息（条）")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper left", ncol=4, bbox_to_anchor=(0, 1.14))
        return _png(fig)


def _compare_bars(ax: Any, rows: Sequence[Counted], title: str, *, top: int) -> None:
    rows = [r for r in rows if r.count or r.previous][:top]
    if not rows:
        _empty(ax, f"{title}：无数据")
        return
    rows = list(reversed(rows))
    y = list(range(len(rows)))
    ax.barh([v + 0.2 for v in y], [r.count for r in rows], height=0.4, color=THIS_WEEK, label="本周")
    ax.barh([v - 0.2 for v in y], [r.previous for r in rows], height=0.4, color=LAST_WEEK, label="上周")
    for v, r in zip(y, rows, strict=True):
        ax.annotate(
            str(r.count),
            (r.count, v + 0.2),
            va="center",
            fontsize=7,
            xytext=(2, 0),
            textcoords="offset points",
        )
    ax.set_yticks(y, [r.name for r in rows])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title, loc="left")
    ax.legend(loc="lower right")


def topics_and_tags(topics: Sequence[Counted], tags: Sequence[Counted]) -> bytes:
    with matplotlib.rc_context(_rc()):
        fig, (left, right) = _figure(3.6, ncols=2)
        _compare_bars(left, topics, "诉求领域（前8位）", top=8)
        _compare_bars(right, tags, "重点关注领域（前8位）", top=8)
        fig.subplots_adjust(wspace=0.55)
        return _png(fig)


def districts(regions: Sequence[Counted]) -> bytes:
    with matplotlib.rc_context(_rc()):
        fig, ax = _figure(2.9)
        _compare_bars(ax, regions, "区县分布", top=10)
        return _png(fig)


def hourly(hours: Sequence[int], negative: Sequence[int]) -> bytes:
    """The daily brief's chart: items per hour, the negative part darker."""
    with matplotlib.rc_context(_rc()):
        fig, ax = _figure(2.6)
        x = list(range(24))
        if not any(hours):
            _empty(ax, "当日无信息")
            return _png(fig)
        others = [h - n for h, n in zip(hours, negative, strict=True)]
        ax.bar(x, negative, color=COLOURS["negative"], label="负面", width=0.75)
        ax.bar(x, others, bottom=list(negative), color=THIS_WEEK, label="其他", width=0.75)
        ax.set_xticks(list(range(0, 24, 2)), [f"{h}时" for h in range(0, 24, 2)])
        ax.set_ylabel("信息量（条）")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper left", ncol=2)
        return _png(fig)
