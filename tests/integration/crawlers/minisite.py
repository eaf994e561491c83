"""A small message board with markup of its own (tables, XPath-friendly, `?p=N` pages, GB18030 optional),
served on loopback: the "new site added by YAML alone" the crawler has never seen in code."""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PER_PAGE = 5


@dataclass
class Post:
    pid: int
    title: str
    body: str
    who: str
    when: str
    to: str
    reply: str | None = None
    reply_by: str | None = None
    reply_when: str | None = None
    deleted: bool = False


@dataclass
class MiniBoard:
    posts: list[Post] = field(default_factory=list)
    encoding: str = "utf-8"
    declared: str | None = None  # the charset the header claims (may be wrong on purpose)
    requests: list[str] = field(default_factory=list)
    fail_paths: dict[str, int] = field(default_factory=dict)  # path -> remaining 503 answers

    def add(self, n: int) -> None:
        start = len(self.posts) + 1
        for pid in range(start, start + n):
            self.posts.append(
                Post(pid, f"关于第{pid}号小区停车难的问题", f"我们小区停车位严重不足，第{pid}栋楼下每天堵车。\n希望尽快解决。",
                     f"张*{pid}", f"2026年11月{(pid % 20) + 1}日 09:{pid % 60:02d}", "市交通运输局")
            )  # fmt: skip

    def list_page(self, page: int) -> str:
        visible = [p for p in reversed(self.posts) if not p.deleted]
        chunk = visible[(page - 1) * PER_PAGE : page * PER_PAGE]
        rows = "".join(
            f"<tr class='r'><td class='t'><a href='/show.php?id={p.pid}'>{html.escape(p.title)}</a></td>"
            f"<td>{'已答复' if p.reply else '待答复'}</td></tr>"
            for p in chunk
        )
        more = (
            f"<a class='more' href='/list.php?p={page + 1}'>后页</a>"
            if page * PER_PAGE < len(visible)
            else ""
        )
        return f"<html><body><div id='nav'>首页 | 留言</div><table id='letters'>{rows}</table>{more}</body></html>"

    def post_page(self, post: Post) -> str:
        reply = ""
        if post.reply:
            reply = (f"<div class='answer'><b class='org'>{post.reply_by}</b><i class='at'>{post.reply_when}</i>"
                     f"<div class='txt'>{html.escape(post.reply)}</div></div>")  # fmt: skip
        body = "".join(f"<p>{html.escape(line)}</p>" for line in post.body.split("\n"))
        return (
            "<html><head><title>来信详情</title></head><body><div id='nav'>首页</div>"
            f"<h2 class='subject'>{html.escape(post.title)}</h2>"
            f"<table class='meta'><tr><th>来信人</th><td>{post.who}</td></tr>"
            f"<tr><th>来信时间</th><td>{post.when}</td></tr><tr><th>受理单位</th><td>{post.to}</td></tr>"
            f"<tr><th>状态</th><td>{'已答复' if post.reply else '待答复'}</td></tr></table>"
            f"<div class='letter'>{body}</div>{reply}<div id='foot'>版权所有</div></body></html>"
        )


def _handler(site: MiniBoard) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _send(self, status: int, text: str, ctype: str = "text/html") -> None:
            body = text.encode(site.encoding)
            self.send_response(status)
            self.send_header("Content-Type", f"{ctype}; charset={site.declared or site.encoding}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            site.requests.append(self.path)
            query = parse_qs(parts.query)
            if site.fail_paths.get(parts.path, 0) > 0:
                site.fail_paths[parts.path] -= 1
                self._send(503, "busy")
                return
            if parts.path == "/robots.txt":
                self._send(200, "User-agent: *\nDisallow: /admin/\n", "text/plain")
            elif parts.path == "/list.php":
                self._send(200, site.list_page(int(query.get("p", ["1"])[0])))
            elif parts.path == "/show.php":
                pid = int(query.get("id", ["0"])[0])
                post = next((p for p in site.posts if p.pid == pid), None)
                if post is None or post.deleted:
                    self._send(404, "<html><body>该信件不存在</body></html>")
                else:
                    self._send(200, site.post_page(post))
            else:
                self._send(404, "not found")

    return Handler


class MiniServer:
    def __init__(self, site: MiniBoard) -> None:
        self.site = site
        ThreadingHTTPServer.request_queue_size = 128  # the default 5 drops SYNs of bursty crawls (1 s stalls)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> MiniServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


MINI_SOURCE_YAML = """
  - key: mini_board
    name: 某县来信选登(测试站)
    kind: board
    type: html
    url: {url}/
    region: 青山区
    max_pages: 20
    politeness: {{download_delay: 0, autothrottle: false, concurrency_per_domain: 8}}
    board:
      encoding: auto
      status_replied: [已答复]
      revisit_interval_minutes: 0.001
      revisit_max_age_days: 36500
      list:
        url: {url}/list.php
        item_links: {{xpath: "//table[@id='letters']//td[@class='t']/a"}}
        next_page: {{css: "a.more"}}
        id_regex: "id=(\\\\d+)"
      fields:
        title: {{css: "h2.subject"}}
        author: {{xpath: "//table[@class='meta']//th[text()='来信人']/following-sibling::td"}}
        published_at: {{xpath: "//th[text()='来信时间']/following-sibling::td/text()"}}
        addressee: {{xpath: "//th[text()='受理单位']/following-sibling::td"}}
        source_status: {{xpath: "//th[text()='状态']/following-sibling::td"}}
        content: {{css: "div.letter"}}
        reply_department: {{css: "div.answer b.org"}}
        reply_at: {{css: "div.answer i.at::text"}}
        reply_text: {{css: "div.answer div.txt"}}
"""
