"""DemoServer: the simulator's HTTP server (stdlib ThreadingHTTPServer, HTTP/1.1 keep-alive) on a background
thread, with the simulated clock (start + real elapsed x speed + admin jumps), fault handling, conditional
GETs and the loopback-only admin endpoints (/_admin/state, /_admin/published, /_admin/faults, /_admin/advance).
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from demo.faults import Fault, FaultError, FaultSet, parse_cli
from demo.model import SOURCE_KINDS, BoardPost, HotlineOrder, Item, NewsArticle, local_date
from demo.render_common import http_date, iso_local
from demo.routes import Response, Site, json_response
from demo.world import World

logger = logging.getLogger(__name__)

_CLOSING_TAGS = re.compile(r"</(div|p|li|td|tr|span|ul|table|TD|TR|TABLE)>")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default listen backlog is 5: a crawler opening connections in bursts had SYNs dropped
    # and waited out the 1 s SYN retransmit (a 250-post board crawl took 11.9 s instead of 0.8 s).
    request_queue_size = 128
    demo: DemoServer

    def __init__(self, address: tuple[str, int], demo: DemoServer) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.demo = demo
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self.connections_lock:
            for conn in list(self.connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self.connections.clear()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = 120  # idle keep-alive connections are closed after this long
    # Headers and body go out in two writes; with Nagle on, every keep-alive response after the first
    # waits ~40 ms for the client's delayed ACK (measured: 45 ms vs 0.2 ms per request).
    disable_nagle_algorithm = True
    server: _HTTPServer

    def do_GET(self) -> None:
        self.server.demo.handle(self, "GET")

    def do_HEAD(self) -> None:
        self.server.demo.handle(self, "HEAD")

    def do_POST(self) -> None:
        self.server.demo.handle(self, "POST")

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The site lives in simulated time: its Date header agrees with Last-Modified and the content.
        return http_date(self.server.demo.sim_now())

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class DemoServer:
    """The simulated sources, served on host:port (port 0 picks a free one).

    `start` fixes the simulated start (default: now, UTC); `speed` is simulated seconds per real second (0
    freezes the clock, which only /_admin/advance then moves); `backfill_days` of history exist at start;
    `board_size` tops the UTF-8 board's history up to at least that many posts (for crawl benchmarks);
    `faults` are specs (dicts or 'kind,key=value' strings) active from the start.
    """

    def __init__(
        self,
        seed: int = 7,
        speed: float = 60.0,
        backfill_days: float = 14,
        host: str = "127.0.0.1",
        port: int = 0,
        start: datetime | None = None,
        board_size: int | None = None,
        faults: Iterable[Mapping[str, Any] | str] = (),
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        if backfill_days < 0:
            raise ValueError("backfill_days must be >= 0")
        self.seed = seed
        self.speed = speed
        self.backfill_days = backfill_days
        self.host = host
        self.port = port
        moment = start or datetime.now(UTC)
        if moment.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self.start_at = moment.astimezone(UTC).replace(microsecond=0)
        self._lock = threading.RLock()
        self._offset = timedelta(0)
        self._anchor: float | None = None
        self._frozen_elapsed = 0.0
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        began = time.perf_counter()
        self.world = World(seed, self.start_at, backfill_days, board_size)
        self.build_seconds = time.perf_counter() - began
        self.site = Site(self.world)
        self.faults = FaultSet(seed)
        self._published_cache: tuple[tuple[int, ...], bytes] | None = None
        for spec in faults:
            self.faults.add(parse_cli(spec) if isinstance(spec, str) else spec)
        self._apply_silence()
        logger.info("demo world built in %.2fs: %s", self.build_seconds, self.world.counts()["published"])

    # --- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> DemoServer:
        """Bind, start serving on a background thread and start the simulated clock; returns once listening."""
        if self._httpd is not None:
            return self
        self._httpd = _HTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self.site.base_url = self.url
        self._stopping.clear()
        self._anchor = time.monotonic()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"demo-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        logger.info("demo sources listening on %s", self.url)
        return self

    def serve_forever(self) -> None:
        """Start (if needed) and block until stop() or KeyboardInterrupt (for the CLI)."""
        self.start()
        try:
            while not self._stopping.wait(0.5):
                pass
        finally:
            self.stop()

    def stop(self) -> None:
        self._stopping.set()
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.close_connections()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._anchor is not None:
            self._frozen_elapsed += time.monotonic() - self._anchor
            self._anchor = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def urls(self) -> dict[str, str]:
        """Every public feed, named, for people and for config/sources.yaml."""
        base = self.url
        today = local_date(self.sim_now()).isoformat()
        return {
            "hotline_json": f"{base}/hotline/api/orders?page=1&page_size=50",
            "open311_services": f"{base}/open311/v2/services.json",
            "open311_requests": f"{base}/open311/v2/requests.json",
            "hotline_export_csv": f"{base}/hotline/export/{today}.csv",
            "hotline_export_xlsx": f"{base}/hotline/export/{today}.xlsx",
            "board": f"{base}/board/list?page=1",
            "gbk_board": f"{base}/gbk-board/list?page=1",
            "news_rss": f"{base}/news/rss.xml",
            "news_atom": f"{base}/news/atom.xml",
            "news_list": f"{base}/news/list?page=1",
            "robots": f"{base}/robots.txt",
            "admin_state": f"{base}/_admin/state",
        }

    # --- simulated clock ---------------------------------------------------------------------------------

    def sim_now(self) -> datetime:
        elapsed = self._frozen_elapsed + (
            time.monotonic() - self._anchor if self._anchor is not None else 0.0
        )
        return self.start_at + timedelta(seconds=elapsed * self.speed) + self._offset

    def advance(self, *, minutes: float = 0, seconds: float = 0) -> datetime:
        """Jump the simulated clock forward (never back) and apply what fell due."""
        delta = timedelta(minutes=minutes, seconds=seconds)
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += delta
            now = self.sim_now()
            self.world.sync(now)
            return now

    # --- faults ------------------------------------------------------------------------------------------

    def _apply_silence(self) -> None:
        with self._lock:
            self.world.sync(self.sim_now())
            silent = self.faults.silent_sources()
            for source in SOURCE_KINDS:
                self.world.set_silent(source, source in silent)

    def add_fault(self, spec: Mapping[str, Any] | str) -> Fault:
        fault = self.faults.add(parse_cli(spec) if isinstance(spec, str) else spec)
        self._apply_silence()
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()
        self._apply_silence()

    # --- requests ----------------------------------------------------------------------------------------

    def handle(self, h: _Handler, method: str) -> None:
        split = urlsplit(h.path)
        path = unquote(split.path) or "/"
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        try:
            if path.startswith("/_admin"):
                if not _is_loopback(h.client_address[0]):
                    self._send(h, method, json_response({"error": "admin is loopback only"}, 403))
                    return
                self._send(h, method, self._admin(h, method, path, query))
                return
            if method == "POST":
                self._send(h, method, json_response({"code": 405, "msg": "method not allowed"}, 405))
                return
            fired = self.faults.for_request(path)
            for fault in fired:
                if fault.kind == "timeout":
                    self._stopping.wait(fault.seconds)
                elif fault.kind == "slow":
                    self._stopping.wait(fault.delay)
                elif fault.kind == "error":
                    self._send(h, method, _error_response(fault.status))
                    return
            if self._stopping.is_set():
                h.close_connection = True
                return
            with self._lock:
                self.world.sync(self.sim_now())
                if path == "/robots.txt":
                    response = Site.robots(self.faults.robots_disallow())
                else:
                    response = self.site.dispatch(path, query)
            for fault in fired:
                if fault.kind == "malformed":
                    response = _malform(response, fault.mode)
                elif fault.kind == "charset":
                    response = _swap_charset(response)
            self._send(h, method, response)
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True
        except Exception:  # process boundary: one bad request must not take the server down
            logger.exception("demo server failed on %s %s", method, h.path)
            try:
                self._send(h, method, _error_response(500))
            except OSError:
                h.close_connection = True

    def _send(self, h: _Handler, method: str, response: Response) -> None:
        status, body, headers = response.status, response.body, list(response.headers)
        if response.conditional and status == 200:
            etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
            headers.append(("ETag", etag))
            headers.append(("Cache-Control", "no-cache"))
            if response.last_modified is not None:
                headers.append(("Last-Modified", http_date(response.last_modified)))
            if _not_modified(h, etag, response.last_modified):
                status, body = 304, b""
        h.send_response(status)
        if status != 304:
            h.send_header("Content-Type", response.content_type)
        h.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            h.send_header(name, value)
        h.end_headers()
        if method != "HEAD" and body:
            h.wfile.write(body)

    # --- admin -------------------------------------------------------------------------------------------

    def _admin(self, h: _Handler, method: str, path: str, query: Mapping[str, str]) -> Response:
        payload: Any = None
        if method == "POST":
            length = int(h.headers.get("Content-Length") or 0)
            raw = h.rfile.read(length) if length else b""
            try:
                payload = json.loads(raw.decode("utf-8")) if raw.strip() else {}
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                return json_response({"error": f"body is not JSON: {exc}"}, 400)
            if not isinstance(payload, dict):
                return json_response({"error": "body must be a JSON object"}, 400)
        route = (method if method != "HEAD" else "GET", path.rstrip("/"))
        if route == ("GET", "/_admin/state"):
            return json_response(self.state())
        if route == ("GET", "/_admin/published"):
            source = query.get("source")
            if source and source not in SOURCE_KINDS:
                return json_response({"error": f"source must be one of {list(SOURCE_KINDS)}"}, 400)
            if source:
                return json_response(self.published([source]))
            return self._published_all()
        if route == ("GET", "/_admin/faults"):
            return json_response({"faults": self.faults.describe()})
        if route == ("POST", "/_admin/faults"):
            return self._post_faults(payload)
        if route == ("POST", "/_admin/advance"):
            try:
                minutes = float(payload.get("minutes", 0))
                seconds = float(payload.get("seconds", 0)) + float(payload.get("hours", 0)) * 3600
                now = self.advance(minutes=minutes, seconds=seconds)
            except (TypeError, ValueError) as exc:
                return json_response({"error": f"advance: {exc}"}, 400)
            return json_response({"sim_now": iso_local(now)})
        return json_response({"error": f"no admin route {method} {path}"}, 404)

    def _post_faults(self, payload: dict[str, Any]) -> Response:
        added: list[str] = []
        try:
            if payload.get("clear"):
                self.faults.clear()
            if "set" in payload:
                added = [f.id for f in self.faults.replace(_spec_list(payload["set"]))]
            for fault_id in payload.get("remove", []):
                self.faults.remove(str(fault_id))
            specs = (
                _spec_list(payload["add"]) if "add" in payload else ([payload] if "kind" in payload else [])
            )
            added.extend(self.faults.add(spec).id for spec in specs)
        except FaultError as exc:
            return json_response({"error": str(exc)}, 400)
        self._apply_silence()
        return json_response({"added": added, "faults": self.faults.describe()})

    def state(self) -> dict[str, Any]:
        with self._lock:
            now = self.sim_now()
            self.world.sync(now)
            counts = self.world.counts()
            return {
                "sim_now": iso_local(now),
                "start": iso_local(self.start_at),
                "window_start": iso_local(self.world.window_start),
                "seed": self.seed,
                "speed": self.speed,
                "backfill_days": self.backfill_days,
                "published": counts["published"],
                "live": counts["live"],
                "suppressed": counts["suppressed"],
                "silent_sources": sorted(self.world.silenced),
                "faults": self.faults.describe(),
                "incidents": [incident.as_dict() for incident in self.world.incidents],
            }

    def published(self, sources: Iterable[str] = SOURCE_KINDS) -> dict[str, Any]:
        """Ground truth: every published item per source with its current version, status and labels."""
        with self._lock:
            now = self.sim_now()
            self.world.sync(now)
            return {
                "sim_now": iso_local(now),
                "sources": {s: [_published_entry(i) for i in self.world.published_items(s)] for s in sources},
            }

    def _published_all(self) -> Response:
        with self._lock:
            self.world.sync(self.sim_now())
            key = tuple(self.world.version[s] for s in SOURCE_KINDS)
            if self._published_cache is None or self._published_cache[0] != key:
                self._published_cache = (key, json_response(self.published()).body)
            return Response(200, self._published_cache[1], "application/json; charset=utf-8")


def _spec_list(value: Any) -> list[Mapping[str, Any]]:
    items = value if isinstance(value, list) else [value]
    out: list[Mapping[str, Any]] = []
    for item in items:
        if isinstance(item, str):
            out.append(parse_cli(item))
        elif isinstance(item, dict):
            out.append(item)
        else:
            raise FaultError(f"a fault is an object or a 'kind,key=value' string, got {item!r}")
    return out


def _published_entry(item: Item) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": item.public_id,
        "version": item.version,
        "published_at": iso_local(item.publish_at),
        "updated_at": iso_local(item.updated_at),
        "deleted": item.deleted,
        "title": item.title,
        "region": item.region,
        "content_sha1": hashlib.sha1(item.content.encode("utf-8")).hexdigest(),
        "truth": item.truth.as_dict(),
    }
    if isinstance(item, HotlineOrder):
        entry["path"] = f"/open311/v2/requests/{item.public_id}.json"
        entry["status"] = item.status
        entry["dept"] = item.dept
        entry["late"] = (item.closed_at or datetime.max.replace(tzinfo=UTC)) > item.expected_at
    elif isinstance(item, BoardPost):
        entry["path"] = f"/{'board' if item.source == 'board' else 'gbk-board'}/post/{item.public_id}"
        entry["status"] = item.status
        entry["target"] = item.target
        entry["edited"] = item.edited
        entry["deadline"] = iso_local(item.deadline)
        entry["late"] = (item.reply_at or datetime.max.replace(tzinfo=UTC)) > item.deadline
    elif isinstance(item, NewsArticle):
        entry["path"] = f"/news/article/{item.public_id}.html"
        entry["status"] = "published"
        entry["channel"] = item.channel
        entry["media"] = item.media
    return entry


def _error_response(status: int) -> Response:
    reason = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    text = reason.get(status, "Error")
    body = f"<html><head><title>{status} {text}</title></head><body><center><h1>{status} {text}</h1></center><hr><center>nginx</center></body></html>"
    headers = [("Retry-After", "1")] if status == 503 else []
    return Response(status, body.encode(), "text/html", headers=headers)


def _not_modified(h: _Handler, etag: str, last_modified: datetime | None) -> bool:
    if_none_match = h.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    if_modified_since = h.headers.get("If-Modified-Since")
    if if_modified_since and last_modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return last_modified.replace(microsecond=0) <= since
    return False


def _is_text(response: Response) -> bool:
    return response.charset is not None and (
        "html" in response.content_type or "xml" in response.content_type
    )


def _malform(response: Response, mode: str) -> Response:
    if not _is_text(response) or not response.body:
        return response
    if mode == "truncate":
        # cut mid-document (possibly mid-character), as a dropped upstream connection does
        body = response.body[: max(1, len(response.body) * 55 // 100)]
    else:
        charset = response.charset or "utf-8"
        text = response.body.decode(charset, errors="replace")
        text = _CLOSING_TAGS.sub("", text)
        footer = max(
            text.rfind('<div class="footer"'), text.rfind('<div class="site-footer"'), text.rfind("<table")
        )
        stray = '<div class="ad-slot><b>'  # an attribute quote that never closes
        text = text[:footer] + stray + text[footer:] if footer > 0 else text + stray
        body = text.encode(charset, errors="xmlcharrefreplace")
    return Response(
        response.status,
        body,
        response.content_type,
        list(response.headers),
        response.conditional,
        response.last_modified,
        response.charset,
    )


def _swap_charset(response: Response) -> Response:
    """GBK bytes labelled UTF-8, or UTF-8 bytes labelled GBK: the declared charset stays, the bytes change."""
    if not _is_text(response):
        return response
    declared = response.charset or "utf-8"
    actual = "utf-8" if declared == "gbk" else "gbk"
    text = response.body.decode(declared, errors="replace")
    body = text.encode(actual, errors="xmlcharrefreplace")
    return Response(
        response.status,
        body,
        response.content_type,
        list(response.headers),
        response.conditional,
        response.last_modified,
        response.charset,
    )
