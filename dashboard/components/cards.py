"""Small building blocks: figure cards with their change, level and state badges, panels, messages."""

from __future__ import annotations

from typing import Any

from dash import html

from dashboard.components.text import ALERT_STATE_LABELS, level_colour, level_label


def change_text(
    delta: float, ratio: float | None, *, percent_points: bool = False, lower_is_better: bool = True
) -> html.Span:
    """'↑12.5%' / '↓3' / '持平', coloured: red when the change is bad news."""
    if abs(delta) < 1e-9:
        return html.Span("与上期持平", className="chg chg-flat")
    up = delta > 0
    arrow = "↑" if up else "↓"
    if percent_points:
        text = f"{arrow}{abs(delta) * 100:.1f}个百分点"
    elif ratio is not None:
        text = f"{arrow}{abs(ratio) * 100:.0f}%"
    else:
        text = f"{arrow}{abs(delta):g}"
    bad = up if lower_is_better else not up
    return html.Span(text, className="chg chg-bad" if bad else "chg chg-good")


def stat_card(
    title: str,
    value: str,
    change: Any = None,
    note: str = "",
    card_id: str | None = None,
    accent: str | None = None,
) -> html.Div:
    children: list[Any] = [html.Div(title, className="stat-title"), html.Div(value, className="stat-value")]
    foot: list[Any] = []
    if change is not None:
        foot.append(change)
    if note:
        foot.append(html.Span(note, className="stat-note"))
    if foot:
        children.append(html.Div(foot, className="stat-foot"))
    kwargs: dict[str, Any] = {"id": card_id} if card_id else {}
    style = {"borderTopColor": accent} if accent else None
    return html.Div(children, className="stat-card", style=style, **kwargs)


def level_badge(level: int | None) -> html.Span:
    return html.Span(
        level_label(level),
        className="badge level-badge",
        style={"backgroundColor": level_colour(level), "color": "#000" if level == 2 else "#fff"},
    )


def state_badge(state: str) -> html.Span:
    return html.Span(ALERT_STATE_LABELS.get(state, state), className=f"badge state-badge state-{state}")


def panel(title: str, *children: Any, extra: Any = None, class_name: str = "") -> html.Section:
    header: list[Any] = [html.H3(title)]
    if extra is not None:
        header.append(html.Div(extra, className="panel-extra"))
    return html.Section(
        [html.Div(header, className="panel-head"), *children], className=f"panel {class_name}"
    )


def message(text: str, kind: str = "info") -> html.Div:
    """kind: info | ok | error."""
    return html.Div(text, className=f"msg msg-{kind}", role="status")


def forbidden() -> html.Div:
    return html.Div([html.H2("无权访问"), html.P("当前账户的角色不能查看此页面。")], className="forbidden")


def field(label: str, control: Any, class_name: str = "") -> html.Label:
    return html.Label([html.Span(label, className="field-label"), control], className=f"field {class_name}")
