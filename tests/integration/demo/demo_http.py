"""A small HTTP client over urllib for the demo simulator's tests, and their fixed simulated start."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from typing import Any

from demo.server import DemoServer

# Friday 2026-11-20 10:00 in Asia/Shanghai.
START = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def text(self, encoding: str = "utf-8") -> str:
        return self.body.decode(encoding)


Fetch = Callable[..., Reply]


def http(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    payload: Any = None,
    timeout: float = 10,
) -> Reply:
    data = None if payload is None else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, err.headers, err.read())


def make_fetch(server: DemoServer) -> Fetch:
    def fetch(path: str, **kwargs: Any) -> Reply:
        return http(server.url + path, **kwargs)

    return fetch
