"""Every fault switch over real HTTP, set through POST /_admin/faults (and once from the constructor):
slow, 5xx bursts (count and probability), timeouts, malformed HTML, wrong charset, robots, silent source."""

from __future__ import annotations

import socket
import time
import urllib.error

import pytest

from demo.server import DemoServer
from tests.integration.demo.demo_http import START, Fetch, http, make_fetch


def _add(fetch: Fetch, **spec: object) -> str:
    reply = fetch("/_admin/faults", method="POST", payload={"add": spec})
    assert reply.status == 200, reply.body
    return reply.json()["added"][0]


def test_slow_responses_only_under_the_prefix(fetch: Fetch):
    _add(fetch, kind="slow", delay=0.6, prefix="/board/")
    began = time.monotonic()
    assert fetch("/board/list").status == 200
    assert time.monotonic() - began >= 0.6
    began = time.monotonic()
    assert fetch("/news/rss.xml").status == 200
    assert time.monotonic() - began < 0.5


def test_error_burst_for_the_next_n_requests(fetch: Fetch):
    fault_id = _add(fetch, kind="error", status=503, count=3, prefix="/hotline/")
    statuses = [fetch("/hotline/api/orders").status for _ in range(5)]
    assert statuses == [503, 503, 503, 200, 200]
    assert fetch("/board/list").status == 200
    assert fault_id not in {f["id"] for f in fetch("/_admin/faults").json()["faults"]}  # used up


def test_error_probability_is_deterministic_for_the_seed():
    def run() -> list[int]:
        with DemoServer(
            seed=7,
            speed=0,
            backfill_days=1,
            start=START,
            faults=["error,status=500,probability=0.5,prefix=/news/"],
        ) as srv:
            fetch = make_fetch(srv)
            return [fetch("/news/rss.xml").status for _ in range(30)]

    first = run()
    assert set(first) == {200, 500}
    assert 5 < first.count(500) < 25
    assert run() == first


def test_timeout_hangs_past_the_client_timeout(fetch: Fetch, server: DemoServer):
    fault_id = _add(fetch, kind="timeout", seconds=5, prefix="/news/")
    began = time.monotonic()
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        http(server.url + "/news/rss.xml", timeout=0.5)
    assert time.monotonic() - began < 2
    fetch("/_admin/faults", method="POST", payload={"remove": [fault_id]})
    assert fetch("/news/rss.xml", timeout=2).status == 200


def test_malformed_html_truncated_and_broken_tags(fetch: Fetch):
    whole = fetch("/board/list").body
    fault_id = _add(fetch, kind="malformed", mode="truncate", prefix="/board/list")
    cut = fetch("/board/list").body
    assert whole.startswith(cut) and len(cut) < len(whole) * 0.6 and b"</html>" not in cut
    fetch("/_admin/faults", method="POST", payload={"remove": [fault_id]})
    _add(fetch, kind="malformed", mode="tags", prefix="/board/list")
    broken = fetch("/board/list").text()
    assert "</div>" not in broken and "</li>" not in broken and '<div class="ad-slot><b>' in broken
    assert fetch("/news/list").body.count(b"</div>") > 0  # other paths untouched


def test_wrong_declared_charset_both_ways(fetch: Fetch):
    _add(fetch, kind="charset", prefix="/board/")
    _add(fetch, kind="charset", prefix="/gbk-board/")
    utf8_labelled = fetch("/board/list")
    assert utf8_labelled.headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        utf8_labelled.body.decode("utf-8")
    assert "网民留言板" in utf8_labelled.body.decode("gbk")
    gbk_labelled = fetch("/gbk-board/list")
    assert gbk_labelled.headers["Content-Type"] == "text/html; charset=gbk"
    assert b'<meta charset="gbk">' in gbk_labelled.body
    assert "领导留言板" in gbk_labelled.body.decode("utf-8")


def test_robots_disallow_rules(fetch: Fetch):
    _add(fetch, kind="robots", disallow=["/board/", "/news/article/"])
    lines = fetch("/robots.txt").text().splitlines()
    assert lines == ["User-agent: *", "Disallow: /_admin/", "Disallow: /board/", "Disallow: /news/article/"]
    fetch("/_admin/faults", method="POST", payload={"clear": True})
    assert fetch("/robots.txt").text().splitlines() == ["User-agent: *", "Disallow: /_admin/"]


def test_silent_source_stops_publishing(fetch: Fetch):
    state = fetch("/_admin/state").json()
    fault_id = _add(fetch, kind="silent", source="board")
    fetch("/_admin/advance", method="POST", payload={"minutes": 240})
    silent = fetch("/_admin/state").json()
    assert silent["silent_sources"] == ["board"]
    assert silent["published"]["board"] == state["published"]["board"]
    assert silent["suppressed"]["board"] > 0
    assert silent["published"]["hotline"] > state["published"]["hotline"]
    fetch("/_admin/faults", method="POST", payload={"remove": [fault_id]})
    fetch("/_admin/advance", method="POST", payload={"minutes": 240})
    assert fetch("/_admin/state").json()["published"]["board"] > state["published"]["board"]


def test_silent_by_prefix_and_global_faults(fetch: Fetch):
    _add(fetch, kind="silent", prefix="/news/")
    assert fetch("/_admin/state").json()["silent_sources"] == ["news"]
    _add(fetch, kind="error", status=500, count=1)  # global: any path, admin excepted
    assert fetch("/gbk-board/list").status == 500
    assert fetch("/gbk-board/list").status == 200


def test_bad_fault_specs_are_rejected(fetch: Fetch):
    bad = [
        {"kind": "flood"},
        {"kind": "slow", "delay": "fast"},
        {"kind": "error", "status": 200},
        {"kind": "slow", "prefix": "board"},
        {"kind": "malformed", "mode": "sideways"},
        {"kind": "slow", "x": 1},
    ]
    for spec in bad:
        reply = fetch("/_admin/faults", method="POST", payload={"add": spec})
        assert reply.status == 400 and reply.json()["error"], spec
    assert fetch("/_admin/faults").json()["faults"] == []


def test_set_replaces_and_cli_strings_are_accepted(fetch: Fetch):
    _add(fetch, kind="slow", delay=0.1)
    reply = fetch(
        "/_admin/faults",
        method="POST",
        payload={"set": ["error,status=503,count=2,prefix=/news/", {"kind": "robots", "disallow": "/x/"}]},
    )
    kinds = sorted(f["kind"] for f in reply.json()["faults"])
    assert kinds == ["error", "robots"]
    assert fetch("/news/list").status == 503


def test_admin_is_never_faulted(fetch: Fetch):
    _add(fetch, kind="error", status=503)
    assert fetch("/_admin/state").status == 200
    assert fetch("/board/list").status == 503
