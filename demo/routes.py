"""The demo site's routes: maps a GET path and query to a Response, reading the World's indexes and caching
rendered bytes per item version (or per source version for list pages and feeds), so serving stays cheap.
"""

from __future__ import annotations

import base64
import bisect
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.clock import SHANGHAI
from demo import render_board as RB
from demo import render_hotline as RH
from demo import render_news as RN
from demo.model import HOTLINE_CLOSED, BoardPost, HotlineOrder, NewsArticle, local_date, local_midnight
from demo.render_common import esc
from demo.world import World

JSON_TYPE = "application/json; charset=utf-8"
HTML_UTF8 = "text/html; charset=utf-8"
HTML_GBK = "text/html; charset=gbk"
MAX_PAGE_SIZE = 500
OPEN311_MAX_PAGE_SIZE = 1000


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    conditional: bool = False  # send ETag and answer If-None-Match / If-Modified-Since with 304
    last_modified: datetime | None = None
    charset: str | None = None  # declared charset of a text body (the charset fault re-encodes it)


class BadRequest(Exception):
    def __init__(self, message: str, open311: bool = False) -> None:
        super().__init__(message)
        self.open311 = open311


def json_response(payload: Any, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, JSON_TYPE, charset="utf-8")


def html_response(
    text: str,
    status: int = 200,
    *,
    charset: str = "utf-8",
    conditional: bool = False,
    last_modified: datetime | None = None,
) -> Response:
    content_type = HTML_GBK if charset == "gbk" else HTML_UTF8
    body = text.encode(charset, errors="xmlcharrefreplace")
    return Response(
        status, body, content_type, conditional=conditional, last_modified=last_modified, charset=charset
    )


def not_found(message: str = "页面不存在") -> Response:
    text = (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>404 {esc(message)}</title></head>'
        f'<body><h1>404</h1><p class="error">{esc(message)}</p><p><a href="/">返回首页</a></p></body></html>'
    )
    return html_response(text, 404)


def parse_time(value: str, key: str, open311: bool = False) -> datetime:
    """ISO 8601 (naive means Asia/Shanghai wall time, as the site prints it) or epoch seconds."""
    text = value.strip()
    # an unencoded '+' of '+08:00' arrives as a space
    text = re.sub(r"(T|\s)(\d{2}:\d{2}(:\d{2}(\.\d+)?)?) (\d{2}:?\d{2})$", r"\1\2+\5", text)
    try:
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return datetime.fromtimestamp(float(text), UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise BadRequest(f"{key}: not an ISO 8601 time or epoch seconds: {value!r}", open311) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SHANGHAI)
    return parsed.astimezone(UTC)


def int_param(
    query: Mapping[str, str], key: str, default: int, low: int, high: int, open311: bool = False
) -> int:
    raw = query.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{key}: not an integer: {raw!r}", open311) from None
    if not low <= value <= high:
        raise BadRequest(f"{key}: must be between {low} and {high}", open311)
    return value


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, _, position = raw.partition(":")
        if version != "v1":
            raise ValueError(version)
        return max(0, int(position))
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(f"cursor: not a cursor this server issued: {cursor!r}") from None


class Site:
    """Every public route. Callers hold the server's lock and have synced the world to the current time."""

    def __init__(self, world: World, base_url: str = "") -> None:
        self.world = world
        self.base_url = base_url
        self._cache: dict[tuple[Any, ...], tuple[int, Any]] = {}
        self._since_cache: dict[tuple[datetime, int], list[HotlineOrder]] = {}
        self._routes: list[tuple[re.Pattern[str], Callable[..., Response]]] = [
            (re.compile(r"/"), self.index),
            (re.compile(r"/hotline/api/orders"), self.hotline_orders),
            (re.compile(r"/hotline/export/(\d{4}-\d{2}-\d{2})\.(csv|xlsx)"), self.hotline_export),
            (re.compile(r"/open311/v2/services\.json"), self.open311_services),
            (re.compile(r"/open311/v2/requests\.json"), self.open311_requests),
            (re.compile(r"/open311/v2/requests/([A-Za-z0-9]+)\.json"), self.open311_request),
            (re.compile(r"/board/?"), self.board_list),
            (re.compile(r"/board/list"), self.board_list),
            (re.compile(r"/board/post/(\d+)"), self.board_post),
            (re.compile(r"/gbk-board/?"), self.gbk_list),
            (re.compile(r"/gbk-board/list"), self.gbk_list),
            (re.compile(r"/gbk-board/post/(\d+)"), self.gbk_post),
            (re.compile(r"/news/rss\.xml"), self.rss),
            (re.compile(r"/news/atom\.xml"), self.atom),
            (re.compile(r"/news/?"), self.news_list),
            (re.compile(r"/news/list"), self.news_list),
            (re.compile(r"/news/article/(\d+)\.html"), self.news_article),
        ]

    def dispatch(self, path: str, query: Mapping[str, str]) -> Response:
        for pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match:
                try:
                    return handler(query, *match.groups())
                except BadRequest as exc:
                    if exc.open311:
                        return json_response([{"code": 400, "description": str(exc)}], 400)
                    return json_response({"code": 400, "msg": str(exc)}, 400)
        return not_found()

    def _cached(self, key: tuple[Any, ...], version: int, build: Callable[[], Any]) -> Any:
        hit = self._cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        if len(self._cache) > 4000:
            self._cache.clear()
        value = build()
        self._cache[key] = (version, value)
        return value

    # --- index -------------------------------------------------------------------------------------------

    def index(self, query: Mapping[str, str]) -> Response:
        links = [
            ("12345热线工单接口 (JSON)", "/hotline/api/orders?page=1&page_size=50"),
            ("12345 Open311 服务目录", "/open311/v2/services.json"),
            ("12345 Open311 工单", "/open311/v2/requests.json"),
            ("12345 工单日报 (CSV)", f"/hotline/export/{local_date(self.world.now).isoformat()}.csv"),
            ("网民留言板", "/board/list?page=1"),
            ("县（区）领导留言板 (GBK)", "/gbk-board/list?page=1"),
            ("新闻 RSS", "/news/rss.xml"),
            ("新闻 Atom", "/news/atom.xml"),
            ("新闻列表", "/news/list?page=1"),
        ]
        items = "".join(
            f'<li><a href="{href}">{esc(name)}</a> <code>{esc(href)}</code></li>' for name, href in links
        )
        text = (
            '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>云江市 演示数据源</title></head>'
            f"<body><h1>云江市 演示数据源</h1><ul>{items}</ul></body></html>"
        )
        return html_response(text)

    # --- hotline JSON ------------------------------------------------------------------------------------

    def _changed_since(self, since: datetime) -> list[HotlineOrder]:
        key = (since, len(self.world.hotline_log))
        hit = self._since_cache.get(key)
        if hit is None:
            if len(self._since_cache) > 64:
                self._since_cache.clear()
            hit, _ = self.world.hotline_changed_since(since)
            self._since_cache[key] = hit
        return hit

    def hotline_orders(self, query: Mapping[str, str]) -> Response:
        world = self.world
        since = parse_time(query["updated_since"], "updated_since") if query.get("updated_since") else None
        if "cursor" in query:
            limit = int_param(
                query, "limit", int_param(query, "page_size", 50, 1, MAX_PAGE_SIZE), 1, MAX_PAGE_SIZE
            )
            cursor = query["cursor"]
            position = decode_cursor(cursor) if cursor else (world.log_position(since) if since else 0)
            orders, next_position, more = world.hotline_log_slice(position, limit)
            return json_response(
                {
                    "code": 0,
                    "msg": "ok",
                    "page_size": limit,
                    "data": [RH.hotline_record(o) for o in orders],
                    "next_cursor": encode_cursor(next_position),
                    "has_more": more,
                }
            )
        if "offset" in query or "limit" in query:
            size = int_param(query, "limit", 50, 1, MAX_PAGE_SIZE)
            offset = int_param(query, "offset", 0, 0, 10**9)
            page = offset // size + 1
        else:
            size = int_param(query, "page_size", 50, 1, MAX_PAGE_SIZE)
            page = int_param(query, "page", 1, 1, 10**9)
            offset = (page - 1) * size
        if since is not None:
            matching = self._changed_since(since)
            total = len(matching)
            chosen = matching[offset : offset + size]
        else:
            total = len(world.hotline)
            end = max(0, total - offset)
            chosen = list(reversed(world.hotline[max(0, end - size) : end]))
        payload: dict[str, Any] = {"code": 0, "msg": "ok", "total": total, "page": page, "page_size": size}
        if "offset" in query or "limit" in query:
            payload["offset"], payload["limit"] = offset, size
        payload["data"] = [RH.hotline_record(o) for o in chosen]
        return json_response(payload)

    def _orders_of_day(self, day: date) -> list[HotlineOrder]:
        orders = self.world.hotline
        begin = bisect.bisect_left(orders, local_midnight(day), key=lambda o: o.publish_at)
        end = bisect.bisect_left(orders, local_midnight(day + timedelta(days=1)), key=lambda o: o.publish_at)
        return orders[begin:end]

    def hotline_export(self, query: Mapping[str, str], day_text: str, ext: str) -> Response:
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            return not_found("日期格式错误")
        if day > local_date(self.world.now) or day < local_date(self.world.window_start):
            return not_found(f"{day_text} 无工单数据")
        version = self.world.version["hotline"]
        orders = self._orders_of_day(day)
        name = f"12345_{day_text}.{ext}"
        if ext == "csv":
            body = self._cached(("export", day, ext), version, lambda: RH.export_csv(orders))
            content_type = "text/csv; charset=utf-8"
        else:
            body = self._cached(("export", day, ext), version, lambda: RH.export_xlsx(orders, day))
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(
            200,
            body,
            content_type,
            headers=[("Content-Disposition", f'attachment; filename="{name}"')],
            conditional=True,
        )

    # --- Open311 -----------------------------------------------------------------------------------------

    def open311_services(self, query: Mapping[str, str]) -> Response:
        return json_response(RH.open311_services())

    def open311_requests(self, query: Mapping[str, str]) -> Response:
        world = self.world
        orders = world.hotline
        ascending = False
        if query.get("updated_after"):
            after = parse_time(query["updated_after"], "updated_after", True)
            selected: list[HotlineOrder] = self._changed_since(after)
            ascending = True
        else:
            begin, end = 0, len(orders)
            if query.get("start_date"):
                start = parse_time(query["start_date"], "start_date", True)
                begin = bisect.bisect_left(orders, start, key=lambda o: o.publish_at)
            if query.get("end_date"):
                stop = parse_time(query["end_date"], "end_date", True)
                end = bisect.bisect_right(orders, stop, key=lambda o: o.publish_at)
            selected = orders[begin:end] if begin < end else []
        statuses = {s.strip() for s in query.get("status", "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise BadRequest("status: must be open, closed or both (comma separated)", True)
        if statuses and statuses != {"open", "closed"}:
            want_closed = "closed" in statuses
            selected = [o for o in selected if (o.status == HOTLINE_CLOSED) == want_closed]
        codes = {c.strip() for c in query.get("service_code", "").split(",") if c.strip()}
        if codes:
            selected = [o for o in selected if o.service_code in codes]
        size = int_param(query, "page_size", 100, 1, OPEN311_MAX_PAGE_SIZE, True)
        page = int_param(query, "page", 1, 1, 10**9, True)
        offset = (page - 1) * size
        if ascending:
            chosen = selected[offset : offset + size]
        else:
            end = max(0, len(selected) - offset)
            chosen = list(reversed(selected[max(0, end - size) : end]))
        response = json_response([RH.open311_record(o) for o in chosen])
        response.headers.append(("X-Total-Count", str(len(selected))))
        return response

    def open311_request(self, query: Mapping[str, str], request_id: str) -> Response:
        order = self.world.hotline_by_id.get(request_id)
        if order is None:
            return json_response(
                [{"code": 404, "description": f"service_request_id {request_id} not found"}], 404
            )
        return json_response([RH.open311_record(order)])

    # --- boards ------------------------------------------------------------------------------------------

    def _board_page(
        self, source: str, query: Mapping[str, str], render: Callable[..., str], charset: str
    ) -> Response:
        board = self.world.boards[source]
        page = int_param(query, "page", 1, 1, 10**9)
        version = self.world.version[source]

        def build() -> bytes:
            posts = RB.page_slice(board.live, page)
            return html_response(render(posts, page, len(board.live)), charset=charset).body

        body = self._cached((source, "list", page), version, build)
        return Response(200, body, HTML_GBK if charset == "gbk" else HTML_UTF8, charset=charset)

    def _board_post(
        self, source: str, post_id: str, render: Callable[[BoardPost], str], charset: str
    ) -> Response:
        post = self.world.boards[source].by_id.get(post_id)
        if post is None:
            return not_found("该留言不存在")
        if post.deleted:
            return not_found("该留言已被删除")
        body = post.cached(f"{source}.html")
        if body is None:
            body = post.remember(f"{source}.html", html_response(render(post), charset=charset).body)
        return Response(
            200,
            body,
            HTML_GBK if charset == "gbk" else HTML_UTF8,
            conditional=True,
            last_modified=post.updated_at,
            charset=charset,
        )

    def board_list(self, query: Mapping[str, str]) -> Response:
        return self._board_page("board", query, RB.board_list_page, "utf-8")

    def board_post(self, query: Mapping[str, str], post_id: str) -> Response:
        return self._board_post("board", post_id, RB.board_post_page, "utf-8")

    def gbk_list(self, query: Mapping[str, str]) -> Response:
        return self._board_page("gbk_board", query, RB.gbk_list_page, "gbk")

    def gbk_post(self, query: Mapping[str, str], post_id: str) -> Response:
        return self._board_post("gbk_board", post_id, RB.gbk_post_page, "gbk")

    # --- news --------------------------------------------------------------------------------------------

    def _feed(
        self, channel: str, render: Callable[[list[NewsArticle], str, datetime], str], kind: str
    ) -> Response:
        articles = self.world.news_by_channel[channel]
        latest = articles[-RN.FEED_SIZE :][::-1]
        stamp = latest[0].publish_at if latest else self.world.window_start
        body = self._cached(
            ("feed", channel), len(articles), lambda: render(latest, self.base_url, stamp).encode("utf-8")
        )
        return Response(
            200,
            body,
            f"application/{kind}+xml; charset=utf-8",
            conditional=True,
            last_modified=stamp,
            charset="utf-8",
        )

    def rss(self, query: Mapping[str, str]) -> Response:
        return self._feed("rss", RN.rss_feed, "rss")

    def atom(self, query: Mapping[str, str]) -> Response:
        return self._feed("atom", RN.atom_feed, "atom")

    def news_list(self, query: Mapping[str, str]) -> Response:
        news = self.world.news
        page = int_param(query, "page", 1, 1, 10**9)

        def build() -> bytes:
            end = max(0, len(news) - (page - 1) * RN.LIST_PAGE_SIZE)
            chosen = list(reversed(news[max(0, end - RN.LIST_PAGE_SIZE) : end]))
            return RN.news_list_page(chosen, page, len(news)).encode("utf-8")

        body = self._cached(("news", "list", page), self.world.version["news"], build)
        return Response(200, body, HTML_UTF8, charset="utf-8")

    def news_article(self, query: Mapping[str, str], article_id: str) -> Response:
        article = self.world.news_by_id.get(article_id)
        if article is None:
            return not_found("文章不存在")
        body = article.cached("html")
        if body is None:
            # related and hot lists come from what preceded the article, so a page never changes later
            position = self.world.news_position[article_id]
            before = self.world.news[max(0, position - 60) : position]
            related = [a for a in reversed(before) if a.category == article.category][:5]
            hot = list(reversed(before[-8:]))
            body = article.remember("html", RN.article_page(article, related, hot).encode("utf-8"))
        return Response(
            200,
            body,
            HTML_UTF8,
            conditional=True,
            last_modified=article.updated_at or article.publish_at,
            charset="utf-8",
        )

    # --- robots ------------------------------------------------------------------------------------------

    @staticmethod
    def robots(extra_disallow: list[str]) -> Response:
        lines = ["User-agent: *", "Disallow: /_admin/"]
        lines.extend(f"Disallow: {path}" for path in extra_disallow)
        return Response(200, ("\n".join(lines) + "\n").encode(), "text/plain; charset=utf-8")
