"""报告 (/reports): the list of weekly and daily reports with their Word and HTML files to download, and
"generate now" (core.report_requests.request_report; reports.jobs builds it within a minute). Files are
served by a login-protected Flask route, only from inside the data directory, always as attachments."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from dash import Dash, Input, Output, State, dcc, html
from flask import Flask, Response, abort, send_file

from core.clock import to_local
from core.errors import InputError
from core.report_requests import request_report
from dashboard import data, ids
from dashboard.auth import require_account
from dashboard.components.cards import field, message, panel
from dashboard.components.grid import grid
from dashboard.components.text import REPORT_KIND_LABELS, REPORT_STATUS_LABELS, fmt_full, fmt_time
from dashboard.runtime import services

logger = logging.getLogger(__name__)

PATH = "/reports"
NAME = "报告"
FILE_ROUTE = "/reports/file/<int:report_id>/<fmt>"


def file_url(report_id: int, fmt: str) -> str:
    return f"/reports/file/{report_id}/{fmt}"


def layout(**_query: Any) -> html.Div:
    today = to_local(services().clock.now()).date()
    return html.Div(
        [
            html.Div(
                [
                    html.H2("舆情报告"),
                    html.Div(className="spacer"),
                    html.Span("周报每周一自动生成，日报每日自动生成", className="updated"),
                ],
                className="page-head",
            ),
            panel(
                "立即生成",
                html.Div(
                    [
                        field(
                            "类型",
                            dcc.Dropdown(
                                id=ids.RP_KIND,
                                options=[
                                    {"label": "周报", "value": "weekly"},
                                    {"label": "日报", "value": "daily"},
                                ],
                                value="weekly",
                                clearable=False,
                            ),
                        ),
                        field(
                            "所在日期（周报取该日所在周）",
                            dcc.DatePickerSingle(
                                id=ids.RP_DATE,
                                date=(today - timedelta(days=7)).isoformat(),
                                max_date_allowed=today.isoformat(),
                                display_format="YYYY-MM-DD",
                            ),
                        ),
                        html.Button("立即生成", id=ids.RP_GENERATE, className="btn btn-primary"),
                        html.Div(id=ids.RP_MESSAGE),
                    ],
                    className="filters",
                ),
            ),
            panel(
                "报告列表",
                grid(
                    ids.RP_GRID,
                    [
                        {"field": "kind", "headerName": "类型", "maxWidth": 100},
                        {"field": "period", "headerName": "报告期", "flex": 2},
                        {"field": "status", "headerName": "状态", "maxWidth": 130},
                        {"field": "generated", "headerName": "生成时间", "maxWidth": 170},
                        {"field": "requested_by", "headerName": "申请人", "maxWidth": 120},
                        {"field": "files", "headerName": "下载", "flex": 1, "cellRenderer": "markdown"},
                        {"field": "error", "headerName": "说明", "flex": 2, "tooltipField": "error"},
                    ],
                    height="calc(100vh - 22rem)",
                ),
            ),
        ]
    )


def _rows() -> list[dict[str, Any]]:
    df = data.report_list(services().db)
    rows = []
    for r in df.itertuples(index=False):
        links = []
        if isinstance(r.docx_path, str) and r.docx_path:
            links.append(f"[Word]({file_url(int(r.id), 'docx')})")
        if isinstance(r.html_path, str) and r.html_path:
            links.append(f"[网页版]({file_url(int(r.id), 'html')})")
        last_day = r.period_end - timedelta(seconds=1)
        rows.append(
            {
                "id": int(r.id),
                "kind": REPORT_KIND_LABELS.get(r.kind, r.kind),
                "period": f"{fmt_time(r.period_start, '%Y-%m-%d')} 至 {fmt_time(last_day, '%Y-%m-%d')}",
                "status": REPORT_STATUS_LABELS.get(r.status, r.status),
                "generated": fmt_full(r.generated_at),
                "requested_by": r.requested_by if isinstance(r.requested_by, str) else "",
                "files": "　".join(links) if r.status == "done" else "",
                "error": r.error if isinstance(r.error, str) else "",
            }
        )
    return rows


def register_callbacks(app: Dash) -> None:
    @app.callback(
        Output(ids.RP_GRID, "rowData"),
        Input(ids.RP_GRID, "id"),
        Input(ids.RP_MESSAGE, "children"),
        Input(ids.REFRESH, "n_intervals"),
    )
    def refresh(_id: str, _msg: Any, _n: Any) -> list[dict[str, Any]]:
        return _rows()

    @app.callback(
        Output(ids.RP_MESSAGE, "children"),
        Input(ids.RP_GENERATE, "n_clicks"),
        State(ids.RP_KIND, "value"),
        State(ids.RP_DATE, "date"),
        prevent_initial_call=True,
    )
    def generate(_n: int | None, kind: str | None, day: str | None) -> Any:
        account = require_account()
        svc = services()
        if not day:
            return message("请选择日期。", "error")
        try:
            report_id = request_report(
                svc.db, svc.clock, account.username, kind or "weekly", date.fromisoformat(day[:10])
            )
        except InputError as exc:
            return message(str(exc), "error")
        label = REPORT_KIND_LABELS.get(kind or "", kind or "")
        return message(f"已提交{label}生成请求（#{report_id}），约一分钟内完成，列表会自动刷新。", "ok")


def register_routes(server: Flask) -> None:
    def download(report_id: int, fmt: str) -> Response:
        svc = services()
        path = data.report_file(svc.db, report_id, fmt, svc.config.settings.data_dir)
        if path is None:
            abort(404)
        account = require_account()
        logger.info("%s downloaded report %d (%s)", account.username, report_id, fmt)
        return send_file(path, as_attachment=True, download_name=path.name, max_age=0)

    server.add_url_rule(FILE_ROUTE, "report_file", download, methods=["GET"])
