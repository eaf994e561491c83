"""The frame around every page: title bar with the clock and the signed-in user, navigation (by role), the
shared refresh and 1-second intervals, and the page container."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dash
from dash import Dash, Input, Output, dcc, html
from flask import session

from dashboard import ids
from dashboard.auth import current_account
from dashboard.runtime import services


@dataclass(frozen=True)
class NavEntry:
    path: str
    label: str
    roles: frozenset[str] = frozenset({"duty", "leader", "admin"})

    @property
    def link_id(self) -> str:
        return "nav-" + (self.path.strip("/") or "overview")


NAV = (
    NavEntry("/", "总览"),
    NavEntry("/alerts", "预警"),
    NavEntry("/events", "事件"),
    NavEntry("/items", "信息"),
    NavEntry("/departments", "部门"),
    NavEntry("/sources", "数据源"),
    NavEntry("/reports", "报告"),
    NavEntry("/admin", "管理", frozenset({"admin"})),
)


def layout() -> html.Div:
    account = current_account()
    role = account.role if account else ""
    entries = [e for e in NAV if role in e.roles]
    settings = services().config.settings
    user_area: list[Any] = []
    if account is not None:
        user_area = [
            html.Span(
                [account.display_name, html.Small(f"（{account.role_label}）")],
                id=ids.USER_BADGE,
                className="user-badge",
            ),
            html.Form(
                [
                    dcc.Input(type="hidden", name="csrf_token", value=str(session.get("csrf", ""))),
                    html.Button("退出", type="submit", id=ids.LOGOUT, className="btn btn-ghost"),
                ],
                method="POST",
                action="/logout",
                className="logout-form",
            ),
        ]
    return html.Div(
        [
            html.Header(
                [
                    html.Div(
                        [
                            html.Div("舆情监测与回应平台", className="brand-title"),
                            html.Div(settings.office_name, className="brand-sub"),
                        ],
                        className="brand",
                    ),
                    html.Nav(
                        [dcc.Link(e.label, href=e.path, id=e.link_id, className="nav-link") for e in entries],
                        id=ids.NAV,
                        className="nav",
                    ),
                    html.Div(id=ids.CLOCK, className="clock"),
                    html.Div(user_area, className="user-area"),
                ],
                className="topbar",
            ),
            html.Main(dash.page_container, className="page"),
            dcc.Interval(id=ids.REFRESH, interval=int(services().refresh_seconds * 1000), n_intervals=0),
            dcc.Interval(id=ids.TICK, interval=1000, n_intervals=0),
        ],
        className="app",
    )


def register_callbacks(app: Dash) -> None:
    app.clientside_callback(
        "function(n) { return window.yuqing ? window.yuqing.clock() : ''; }",
        Output(ids.CLOCK, "children"),
        Input(ids.TICK, "n_intervals"),
    )
    # Highlight the current section; ids that are not on the page (admin for others) are skipped by Dash's
    # allow_duplicate-free design: one output per visible link.
    for entry in NAV:
        app.clientside_callback(
            f"""function(path) {{
                var p = (path || '/');
                var mine = {entry.path!r};
                var on = mine === '/' ? p === '/' : (p === mine || p.indexOf(mine + '/') === 0);
                return on ? 'nav-link active' : 'nav-link';
            }}""",
            Output(entry.link_id, "className"),
            Input("_pages_location", "pathname"),
        )
