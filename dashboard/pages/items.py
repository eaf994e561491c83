"""信息 (/items): search and filter every stored item (time, source, kind, topic, tag, sentiment, district,
risk, reply status), read one with its matched scheme terms highlighted, export the filtered rows to CSV or
Excel, and correct its sentiment or topic (stored as labels for retraining). Filters persist in the browser
session, and query parameters (?sentiment=negative&range=today, ?id=N) open a prepared view."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import dash
import pandas as pd
from dash import Dash, Input, Output, State, dcc, html

from core.admin import view_unmasked_item
from core.corrections import correct_item
from core.errors import InputError, PermissionDenied
from core.levels import Level
from core.models import REPLY_STATUSES, SENTIMENTS
from core.settings import TOPIC_CLASSES
from dashboard import data, ids
from dashboard.auth import require_account
from dashboard.components.cards import field, level_badge, message, panel
from dashboard.components.grid import grid
from dashboard.components.text import (
    KIND_LABELS,
    REPLY_LABELS,
    SENTIMENT_LABELS,
    fmt_full,
    fmt_time,
    highlight,
    level_label,
    paragraphs,
    risk_factor_lines,
)
from dashboard.inputs import as_id, cell_row_id
from dashboard.runtime import services

logger = logging.getLogger(__name__)

PATH = "/items"
NAME = "信息"
SHOW_LIMIT = 500
EXPORT_LIMIT = 50_000
RANGES = {
    "today": "今天",
    "24h": "近24小时",
    "3d": "近3天",
    "7d": "近7天",
    "30d": "近30天",
    "90d": "近90天",
    "all": "全部时间",
}
CUSTOM_DATES = "items-custom-dates"
EXPORT_COLUMNS = {
    "id": "编号",
    "published": "发布时间",
    "source": "来源",
    "kind": "类型",
    "title": "标题",
    "content": "内容",
    "sentiment": "情感",
    "topic": "主题",
    "tags": "关注领域",
    "region": "区县",
    "risk": "风险等级",
    "reply": "回复状态",
    "url": "链接",
}


def _multi(query: dict[str, Any], key: str, allowed: Any) -> list[Any]:
    raw = query.get(key)
    if not raw:
        return []
    values = [v for v in str(raw).split(",") if v]
    return [v for v in values if v in allowed]


def layout(**query: Any) -> html.Div:
    account = require_account()
    svc = services()
    topics = svc.config.topics
    sources = data.source_options(svc.db)
    preset = str(query.get("range", "7d"))
    risk_raw = str(query.get("risk", "0"))
    selected = str(query.get("id", ""))
    persist: dict[str, Any] = {"persistence": True, "persistence_type": "session"}
    return html.Div(
        [
            html.Div(
                [
                    html.H2("信息检索"),
                    html.Div(className="spacer"),
                    html.Span(id=ids.IT_COUNT, className="count-line"),
                ],
                className="page-head",
            ),
            panel(
                "筛选",
                html.Div(
                    [
                        field(
                            "关键词",
                            dcc.Input(
                                id=ids.IT_TEXT,
                                type="text",
                                debounce=True,
                                value=str(query.get("q", "")),
                                placeholder="空格分隔，须同时包含",
                                **persist,
                            ),
                            "wide",
                        ),
                        field(
                            "时间范围",
                            dcc.Dropdown(
                                id=ids.IT_DATES,
                                options=[{"label": v, "value": k} for k, v in RANGES.items()],
                                value=preset if preset in RANGES else "7d",
                                clearable=False,
                                **persist,
                            ),
                        ),
                        field(
                            "自定义日期",
                            dcc.DatePickerRange(
                                id=CUSTOM_DATES,
                                display_format="YYYY-MM-DD",
                                start_date_placeholder_text="开始",
                                end_date_placeholder_text="结束",
                                clearable=True,
                                **persist,
                            ),
                            "wide",
                        ),
                        field(
                            "来源",
                            dcc.Dropdown(
                                id=ids.IT_SOURCES,
                                options=[{"label": n, "value": i} for i, n in sources],
                                multi=True,
                                placeholder="全部",
                                **persist,
                            ),
                        ),
                        field(
                            "类型",
                            dcc.Dropdown(
                                id=ids.IT_KINDS,
                                options=[{"label": v, "value": k} for k, v in KIND_LABELS.items()],
                                value=_multi(query, "kind", KIND_LABELS),
                                multi=True,
                                placeholder="全部",
                                **persist,
                            ),
                        ),
                        field(
                            "主题",
                            dcc.Dropdown(
                                id=ids.IT_TOPICS,
                                options=list(TOPIC_CLASSES),
                                value=_multi(query, "topic", TOPIC_CLASSES),
                                multi=True,
                                placeholder="全部",
                                **persist,
                            ),
                        ),
                        field(
                            "关注领域",
                            dcc.Dropdown(
                                id=ids.IT_TAG,
                                options=[t.name for t in topics.tags],
                                value=query.get("tag") or None,
                                placeholder="全部",
                                **persist,
                            ),
                        ),
                        field(
                            "情感",
                            dcc.Dropdown(
                                id=ids.IT_SENTIMENTS,
                                options=[{"label": SENTIMENT_LABELS[s], "value": s} for s in SENTIMENTS],
                                value=_multi(query, "sentiment", SENTIMENTS),
                                multi=True,
                                placeholder="全部",
                                **persist,
                            ),
                        ),
                        field(
                            "区县",
                            dcc.Dropdown(
                                id=ids.IT_REGIONS,
                                options=list(topics.regions),
                                value=_multi(query, "region", topics.regions),
                                multi=True,
                                placeholder="全部",
                                **persist,
                            ),
                        ),
                        field(
                            "风险等级",
                            dcc.Dropdown(
                                id=ids.IT_RISK,
                                options=[{"label": "不限", "value": 0}]
                                + [
                                    {"label": f"{lv.label}及以上", "value": int(lv)}
                                    for lv in (Level.IV, Level.III, Level.II, Level.I)
                                ],
                                value=int(risk_raw) if risk_raw.isdigit() and int(risk_raw) <= 4 else 0,
                                clearable=False,
                                **persist,
                            ),
                        ),
                        field(
                            "回复状态",
                            dcc.Dropdown(
                                id=ids.IT_REPLY,
                                options=[{"label": REPLY_LABELS[s], "value": s} for s in REPLY_STATUSES],
                                value=_multi(query, "reply", REPLY_STATUSES),
                                multi=True,
                                placeholder="全部",
                                **persist,
                            ),
                        ),
                        html.Div(
                            [
                                html.Button("重置", id=ids.IT_RESET, className="btn"),
                                html.Button("导出CSV", id=ids.IT_EXPORT_CSV, className="btn"),
                                html.Button("导出Excel", id=ids.IT_EXPORT_XLSX, className="btn btn-primary"),
                            ],
                            className="action-row wide-row",
                        ),
                    ],
                    className="filters",
                ),
            ),
            panel(
                "结果",
                grid(
                    ids.IT_GRID,
                    [
                        {"field": "published", "headerName": "发布时间", "maxWidth": 150},
                        {"field": "source", "headerName": "来源", "maxWidth": 200},
                        {"field": "kind", "headerName": "类型", "maxWidth": 110},
                        {"field": "title", "headerName": "标题", "flex": 3, "tooltipField": "title"},
                        {"field": "sentiment", "headerName": "情感", "maxWidth": 90},
                        {"field": "topic", "headerName": "主题", "maxWidth": 150},
                        {"field": "region", "headerName": "区县", "maxWidth": 110},
                        {"field": "risk", "headerName": "风险", "maxWidth": 130},
                        {"field": "reply", "headerName": "回复", "maxWidth": 110},
                    ],
                    height="430px",
                    pagination=True,
                    page_size=50,
                ),
                extra="点击一行查看全文",
            ),
            html.Div(
                [
                    panel("信息详情", html.Div(id=ids.IT_DETAIL)),
                    panel(
                        "人工更正（用于模型再训练）",
                        html.Div(
                            [
                                field(
                                    "情感",
                                    dcc.Dropdown(
                                        id=ids.IT_FIX_SENTIMENT,
                                        options=[
                                            {"label": SENTIMENT_LABELS[s], "value": s} for s in SENTIMENTS
                                        ],
                                        placeholder="选择情感",
                                    ),
                                ),
                                field(
                                    "主题",
                                    dcc.Dropdown(
                                        id=ids.IT_FIX_TOPIC,
                                        options=list(TOPIC_CLASSES),
                                        placeholder="选择主题",
                                    ),
                                ),
                                html.Button("保存更正", id=ids.IT_FIX_SAVE, className="btn btn-primary"),
                                html.Div(id=ids.IT_FIX_MESSAGE),
                                html.Hr(),
                                html.Div(
                                    [
                                        html.Button(
                                            "查看原文（含个人信息，将留痕）",
                                            id=ids.IT_UNMASK,
                                            className="btn btn-danger",
                                        ),
                                        html.Div(id=ids.IT_UNMASKED),
                                    ],
                                    style=None if account.is_admin else {"display": "none"},
                                ),
                            ],
                            className="actions",
                        ),
                    ),
                ],
                className="grid-2",
            ),
            dcc.Store(id=ids.IT_SELECTED, data=as_id(selected)),
            dcc.Download(id=ids.IT_DOWNLOAD),
        ]
    )


def filters_from(values: Sequence[Any], now: datetime) -> data.ItemFilters:
    """The filter controls' values, in the order of the page's filter inputs."""
    text, preset, start, end, sources, kinds, topics, tag, sentiments, regions, risk, reply = values[:12]
    return build_filters(
        text, preset, start, end, sources, kinds, topics, tag, sentiments, regions, risk, reply, now=now
    )


def web_url(url: str) -> bool:
    """Only http(s) addresses become links: a crawled `javascript:` or `data:` URL must not run on a click."""
    return url.strip().lower().startswith(("http://", "https://"))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _day(value: Any) -> date | None:
    """A date picker's value; anything else (a forged request) is ignored."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


# Stands for a forged value: no row has it (and it holds no NUL, which PostgreSQL refuses in text).
INVALID = "\ufffd"


def _string(value: Any) -> str:
    return value.replace("\x00", INVALID) if isinstance(value, str) else INVALID


def _strings(values: Any) -> tuple[str, ...]:
    """A multi-select's values. Forged non-strings become a value no row has, so they never widen a filter."""
    if values is None:
        return ()
    if not isinstance(values, list):
        values = [values]
    return tuple(_string(v) for v in values)


def _ids(values: Any) -> tuple[int, ...]:
    """Source ids; anything that is not an id becomes 0 (no source has it), for the same reason."""
    if values is None:
        return ()
    if not isinstance(values, list):
        values = [values]
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | str):
            out.append(0)
        elif isinstance(v, int):
            out.append(v if 0 < v < 2**63 else 0)
        else:
            out.append(int(v) if v.isdigit() and len(v) < 19 else 0)
    return tuple(out)


def _risk(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and 0 <= value <= int(Level.I) else 0


def build_filters(
    text: Any,
    preset: Any,
    start_date: Any,
    end_date: Any,
    source_ids: Any,
    kinds: Any,
    topics: Any,
    tag: Any,
    sentiments: Any,
    regions: Any,
    risk: Any,
    reply: Any,
    now: datetime,
) -> data.ItemFilters:
    """The filters from the controls' values. The values come from the browser and are checked here: a forged
    request (wrong types, unknown values) gets no error and never more rows than a real choice would."""
    start: datetime | None = None
    end: datetime | None = None
    first, last = _day(start_date), _day(end_date)
    preset = preset if isinstance(preset, str) and preset in RANGES else "7d"
    if first or last:
        if first:
            start = data.local_day_start(first)
        if last:
            end = data.local_day_start(last) + timedelta(days=1)
    elif preset == "today":
        start = data.local_midnight(now)
    elif preset != "all":
        amount = {
            "24h": timedelta(hours=24),
            "3d": timedelta(days=3),
            "7d": timedelta(days=7),
            "30d": timedelta(days=30),
            "90d": timedelta(days=90),
        }.get(preset, timedelta(days=7))
        start = now - amount
    return data.ItemFilters(
        text=_text(text).strip()[:200],
        start=start,
        end=end,
        source_ids=_ids(source_ids),
        kinds=_strings(kinds),
        topics=_strings(topics),
        tag=_string(tag) if tag else None,
        sentiments=_strings(sentiments),
        regions=_strings(regions),
        min_risk=_risk(risk),
        reply_statuses=_strings(reply),
    )


def _rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "id": int(r.id),
            "published": fmt_time(r.published_at),
            "source": r.source,
            "kind": KIND_LABELS.get(r.kind, r.kind),
            "title": r.title,
            "sentiment": SENTIMENT_LABELS.get(r.sentiment, "未分析"),
            "topic": r.topic,
            "region": r.region,
            "risk": level_label(r.risk_level) if r.risk_level else "—",
            "reply": REPLY_LABELS.get(r.reply_status, r.reply_status),
        }
        for r in df.itertuples(index=False)
    ]


def export_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "id": df["id"],
            "published": [fmt_full(v) for v in df["published_at"]],
            "source": df["source"],
            "kind": [KIND_LABELS.get(k, k) for k in df["kind"]],
            "title": df["title"],
            "content": df["content"],
            "sentiment": [SENTIMENT_LABELS.get(s, "未分析") for s in df["sentiment"]],
            "topic": df["topic"],
            "tags": ["、".join(str(t) for t in tags) for tags in df["tags"]],
            "region": df["region"],
            "risk": [level_label(v) if v else "" for v in df["risk_level"]],
            "reply": [REPLY_LABELS.get(s, s) for s in df["reply_status"]],
            "url": df["url"],
        }
    )
    return out.rename(columns=EXPORT_COLUMNS)


def _spreadsheet_safe(value: Any) -> Any:
    """Crawled text starting with = + - @ would be a formula in Excel (CSV injection): prefix a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _detail(item_id: int | None, text: str | None) -> tuple[Any, Any, Any]:
    if item_id is None:
        return html.P("在上方结果中点击一条信息。", className="updated"), None, None
    d = data.item_detail(services().db, item_id)
    if d is None:
        return message("该信息不存在。", "error"), None, None
    terms = data.scheme_terms(d.scheme_hits)
    words = [w for w in (text or "").split() if w]

    def hl(value: str) -> list[Any]:
        parts = highlight(value, terms)
        if not words:
            return parts
        out: list[Any] = []
        for part in parts:
            out.extend(highlight(part, words, "query") if isinstance(part, str) else [part])
        return out

    schemes = [
        html.Li([html.B(h.get("scheme", "")), "：", "、".join(str(t) for t in h.get("terms") or [])])
        for h in d.scheme_hits
    ]
    labels = [
        html.Span(
            f"人工更正{'情感' if f == 'sentiment' else '主题'}：{SENTIMENT_LABELS.get(v, v)}（{by}）",
            className="tag",
        )
        for f, (v, by) in d.labels.items()
    ]
    body = [
        html.Div(
            [
                level_badge(d.risk_level) if d.risk_level else None,
                html.Span(
                    f" {d.source} · {KIND_LABELS.get(d.kind, d.kind)} · {fmt_full(d.published_at)}",
                    className="field-label",
                ),
            ]
        ),
        html.H3(hl(d.title), id="item-title", className="item-title"),
        html.Div(
            [
                html.Span(["情感 ", html.B(SENTIMENT_LABELS.get(d.sentiment or "", "未分析"))]),
                html.Span(["主题 ", html.B(d.topic or "—")]),
                html.Span(["区县 ", html.B(d.region or "—")]),
                html.Span(["诉求 ", html.B(d.request_type or "—")]),
                html.Span(["承办 ", html.B(d.department or "—")]),
                html.Span(["回复 ", html.B(REPLY_LABELS.get(d.reply_status, d.reply_status))]),
            ],
            className="kv",
        ),
        html.Div([html.Span(t, className="tag") for t in d.tags] + labels, className="tags"),
        html.Div(
            [html.P(hl(ln)) for ln in d.content.splitlines() if ln.strip()],
            className="item-text",
            id="item-content",
        ),
    ]
    if schemes:
        body.append(html.Div([html.B("命中监测方案"), html.Ul(schemes, className="factor-list")]))
    factors = risk_factor_lines(d.risk_factors)
    if factors:
        body.append(
            html.Div([html.B("风险因素"), html.Ul([html.Li(f) for f in factors], className="factor-list")])
        )
    if d.reply_text:
        body.append(
            html.Div(
                [
                    html.B(f"答复（{d.reply_department or ''} {fmt_full(d.reply_at)}）："),
                    html.P(d.reply_text, className="item-text"),
                ]
            )
        )
    links: list[Any] = []
    if d.event_id:
        links.append(html.A(f"所属事件：{d.event_title or d.event_id}", href=f"/events?id={d.event_id}"))
    if d.url and web_url(d.url):
        links.append(html.A(" 原始页面", href=d.url, target="_blank", rel="noopener noreferrer"))
    elif d.url:  # not a web address (e.g. javascript:): shown as text, never made a link
        links.append(html.Span(f" 原始地址：{d.url}", className="field-label"))
    if links:
        body.append(html.P(links))
    if d.model_version:
        body.append(html.P(f"模型版本 {d.model_version}", className="updated"))
    fix_sentiment = d.labels.get("sentiment", (d.sentiment, ""))[0]
    fix_topic = d.labels.get("topic", (d.topic, ""))[0]
    return html.Div(body), fix_sentiment, fix_topic


def register_callbacks(app: Dash) -> None:
    filter_inputs = [
        Input(ids.IT_TEXT, "value"),
        Input(ids.IT_DATES, "value"),
        Input(CUSTOM_DATES, "start_date"),
        Input(CUSTOM_DATES, "end_date"),
        Input(ids.IT_SOURCES, "value"),
        Input(ids.IT_KINDS, "value"),
        Input(ids.IT_TOPICS, "value"),
        Input(ids.IT_TAG, "value"),
        Input(ids.IT_SENTIMENTS, "value"),
        Input(ids.IT_REGIONS, "value"),
        Input(ids.IT_RISK, "value"),
        Input(ids.IT_REPLY, "value"),
    ]

    @app.callback(
        Output(ids.IT_GRID, "rowData"),
        Output(ids.IT_COUNT, "children"),
        *filter_inputs,
        Input(ids.REFRESH, "n_intervals"),
    )
    def search(*values: Any) -> tuple[list[dict[str, Any]], str]:
        account = require_account()
        svc = services()
        filters = filters_from(values[:12], svc.clock.now())
        if filters.text and dash.ctx.triggered_id == ids.REFRESH:
            # Terms under three characters cannot use the trigram index (core.search) and scan the texts:
            # a text search runs when asked, not on every refresh.
            raise dash.exceptions.PreventUpdate
        df, total = data.search_items(svc.db, filters, limit=SHOW_LIMIT, unmasked_search=account.is_admin)
        shown = f"（显示最新 {SHOW_LIMIT} 条）" if total > SHOW_LIMIT else ""
        return _rows(df), f"共 {total:,} 条{shown}"

    @app.callback(
        Output(ids.IT_TEXT, "value"),
        Output(ids.IT_DATES, "value"),
        Output(CUSTOM_DATES, "start_date"),
        Output(CUSTOM_DATES, "end_date"),
        Output(ids.IT_SOURCES, "value"),
        Output(ids.IT_KINDS, "value"),
        Output(ids.IT_TOPICS, "value"),
        Output(ids.IT_TAG, "value"),
        Output(ids.IT_SENTIMENTS, "value"),
        Output(ids.IT_REGIONS, "value"),
        Output(ids.IT_RISK, "value"),
        Output(ids.IT_REPLY, "value"),
        Input(ids.IT_RESET, "n_clicks"),
        prevent_initial_call=True,
    )
    def reset(_n: int | None) -> tuple[Any, ...]:
        return "", "7d", None, None, [], [], [], None, [], [], 0, []

    @app.callback(
        Output(ids.IT_SELECTED, "data"), Input(ids.IT_GRID, "cellClicked"), prevent_initial_call=True
    )
    def select(cell: dict[str, Any] | None) -> int:
        item_id = cell_row_id(cell)
        if item_id is None:
            raise dash.exceptions.PreventUpdate
        return item_id

    @app.callback(
        Output(ids.IT_DETAIL, "children"),
        Output(ids.IT_FIX_SENTIMENT, "value"),
        Output(ids.IT_FIX_TOPIC, "value"),
        Output(ids.IT_UNMASKED, "children"),
        Input(ids.IT_SELECTED, "data"),
        Input(ids.IT_FIX_MESSAGE, "children"),
        State(ids.IT_TEXT, "value"),
    )
    def show(item_id: int | None, _msg: Any, text: str | None) -> tuple[Any, Any, Any, Any]:
        detail, sentiment, topic = _detail(as_id(item_id), _text(text))
        return detail, sentiment, topic, None

    @app.callback(
        Output(ids.IT_FIX_MESSAGE, "children"),
        Input(ids.IT_FIX_SAVE, "n_clicks"),
        State(ids.IT_SELECTED, "data"),
        State(ids.IT_FIX_SENTIMENT, "value"),
        State(ids.IT_FIX_TOPIC, "value"),
        prevent_initial_call=True,
    )
    def save_correction(_n: int | None, item_id: int | None, sentiment: str | None, topic: str | None) -> Any:
        item_id = as_id(item_id)
        sentiment = sentiment if isinstance(sentiment, str) else None
        topic = topic if isinstance(topic, str) else None
        if item_id is None:
            return message("请先选择一条信息。", "error")
        account = require_account()
        svc = services()
        current = data.item_detail(svc.db, int(item_id))
        if current is None:
            return message("该信息不存在。", "error")
        shown = {
            "sentiment": current.labels.get("sentiment", (current.sentiment, ""))[0],
            "topic": current.labels.get("topic", (current.topic, ""))[0],
        }
        changed = []
        try:
            for name, value in (("sentiment", sentiment), ("topic", topic)):
                if value and value != shown[name]:
                    correct_item(
                        svc.db,
                        svc.clock,
                        actor=account.username,
                        role=account.role,
                        item_id=int(item_id),
                        field=name,
                        value=value,
                    )
                    changed.append("情感" if name == "sentiment" else "主题")
        except (InputError, PermissionDenied) as exc:
            return message(str(exc), "error")
        if not changed:
            return message("没有改动。", "info")
        return message(f"已保存更正：{'、'.join(changed)}（信息 #{item_id}）", "ok")

    @app.callback(
        Output(ids.IT_UNMASKED, "children", allow_duplicate=True),
        Input(ids.IT_UNMASK, "n_clicks"),
        State(ids.IT_SELECTED, "data"),
        prevent_initial_call=True,
    )
    def unmask(_n: int | None, item_id: int | None) -> Any:
        item_id = as_id(item_id)
        if item_id is None:
            return message("请先选择一条信息。", "error")
        account = require_account()
        svc = services()
        try:
            original = view_unmasked_item(
                svc.db, svc.clock, actor=account.username, role=account.role, item_id=int(item_id)
            )
        except PermissionDenied:
            return message("只有管理员可以查看原文。", "error")
        except InputError as exc:
            return message(str(exc), "error")
        return html.Div(
            [
                html.B("原文（本次查看已记录）"),
                html.H4(original.title),
                *paragraphs(original.content),
                html.P(original.reply_text) if original.reply_text else None,
            ],
            className="unmasked item-text",
            id="item-unmasked",
        )

    @app.callback(
        Output(ids.IT_DOWNLOAD, "data"),
        Input(ids.IT_EXPORT_CSV, "n_clicks"),
        Input(ids.IT_EXPORT_XLSX, "n_clicks"),
        *[State(i.component_id, i.component_property) for i in filter_inputs],
        prevent_initial_call=True,
    )
    def export(csv_clicks: int | None, xlsx_clicks: int | None, *values: Any) -> dict[str, Any]:
        trigger = dash.ctx.triggered_id
        if trigger not in (ids.IT_EXPORT_CSV, ids.IT_EXPORT_XLSX):
            raise dash.exceptions.PreventUpdate
        account = require_account()
        svc = services()
        now = svc.clock.now()
        filters = filters_from(values, now)
        df, total = data.search_items(
            svc.db, filters, limit=EXPORT_LIMIT, unmasked_search=account.is_admin, with_content=True
        )
        table = export_frame(df).map(_spreadsheet_safe)
        stamp = fmt_time(now, "%Y%m%d-%H%M")
        logger.info("%s exported %d of %d items", account.username, len(table), total)
        if trigger == ids.IT_EXPORT_CSV:
            payload = table.to_csv(index=False).encode("utf-8-sig")  # the BOM lets Excel read UTF-8
            return dcc.send_bytes(payload, f"信息导出-{stamp}.csv", type="text/csv")
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            table.to_excel(writer, index=False, sheet_name="信息")
        return dcc.send_bytes(
            buffer.getvalue(),
            f"信息导出-{stamp}.xlsx",
            type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
