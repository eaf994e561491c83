"""Fault switches, each global or limited to a path prefix: slow responses, HTTP 5xx bursts, timeouts
(hanging past a client's timeout), malformed HTML, a wrong declared charset, robots.txt disallow rules and
a source that stops publishing. Set from the command line (`kind,key=value,...`) or POST /_admin/faults.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

KINDS = ("slow", "error", "timeout", "malformed", "charset", "robots", "silent")
REQUEST_KINDS = ("timeout", "slow", "error", "malformed", "charset")  # act on individual requests
SOURCES = ("hotline", "board", "gbk_board", "news")
PREFIX_SOURCES: dict[str, tuple[str, ...]] = {
    "/hotline": ("hotline",),
    "/open311": ("hotline",),
    "/board": ("board",),
    "/gbk-board": ("gbk_board",),
    "/news": ("news",),
}
_FIELDS = {
    "kind",
    "prefix",
    "delay",
    "status",
    "count",
    "probability",
    "seconds",
    "mode",
    "disallow",
    "source",
}


class FaultError(ValueError):
    """A fault specification is invalid; the message says which key and why."""


@dataclass
class Fault:
    id: str
    kind: str
    prefix: str = "/"
    delay: float = 2.0  # slow: seconds added to each response
    status: int = 503  # error: the status returned
    count: int | None = None  # fire for the next N matching requests only, then expire
    probability: float | None = None  # fire with this probability (deterministic for the seed)
    seconds: float = 30.0  # timeout: how long to hang before answering
    mode: str = ""  # malformed: truncate | tags; charset: swap
    disallow: tuple[str, ...] = ()  # robots
    source: str | None = None  # silent: hotline | board | gbk_board | news (default: from prefix, or all)
    fired: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "prefix": self.prefix, "fired": self.fired}
        if self.kind == "slow":
            out["delay"] = self.delay
        if self.kind == "error":
            out["status"] = self.status
        if self.kind == "timeout":
            out["seconds"] = self.seconds
        if self.kind in ("malformed", "charset"):
            out["mode"] = self.mode
        if self.kind == "robots":
            out["disallow"] = list(self.disallow)
        if self.kind == "silent":
            out["sources"] = sorted(self.silent_sources())
        if self.count is not None:
            out["count"] = self.count
        if self.probability is not None:
            out["probability"] = self.probability
        return out

    def matches(self, path: str) -> bool:
        return path.startswith(self.prefix)

    def silent_sources(self) -> set[str]:
        if self.source:
            return {self.source}
        for prefix, sources in PREFIX_SOURCES.items():
            if self.prefix.startswith(prefix) or (self.prefix != "/" and prefix.startswith(self.prefix)):
                return set(sources)
        return set(SOURCES)


def _number(spec: Mapping[str, Any], key: str, kind: type, low: float, high: float) -> Any:
    raw = spec[key]
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        raise FaultError(f"{key}: expected a number, got {raw!r}") from None
    if not low <= value <= high:
        raise FaultError(f"{key}: must be between {low} and {high}, got {value}")
    return value


def build_fault(fault_id: str, spec: Mapping[str, Any], seed: int) -> Fault:
    unknown = set(spec) - _FIELDS
    if unknown:
        raise FaultError(f"unknown key(s) {sorted(unknown)}; known: {sorted(_FIELDS)}")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise FaultError(f"kind: must be one of {list(KINDS)}, got {kind!r}")
    fault = Fault(fault_id, str(kind))
    prefix = spec.get("prefix", "/")
    if not isinstance(prefix, str) or not prefix.startswith("/"):
        raise FaultError(f"prefix: must be a path starting with '/', got {prefix!r}")
    fault.prefix = prefix
    if "delay" in spec:
        fault.delay = _number(spec, "delay", float, 0, 600)
    if "status" in spec:
        fault.status = _number(spec, "status", int, 400, 599)
    if "count" in spec:
        fault.count = _number(spec, "count", int, 1, 1_000_000)
    if "probability" in spec:
        fault.probability = _number(spec, "probability", float, 0, 1)
    if "seconds" in spec:
        fault.seconds = _number(spec, "seconds", float, 0, 3600)
    if kind == "malformed":
        fault.mode = str(spec.get("mode") or "truncate")
        if fault.mode not in ("truncate", "tags"):
            raise FaultError(f"mode: malformed takes truncate or tags, got {fault.mode!r}")
    if kind == "charset":
        fault.mode = str(spec.get("mode") or "swap")
        if fault.mode != "swap":
            raise FaultError(f"mode: charset takes swap, got {fault.mode!r}")
    if kind == "robots":
        disallow = spec.get("disallow", [prefix] if prefix != "/" else ["/"])
        if isinstance(disallow, str):
            disallow = [disallow]
        if not isinstance(disallow, list | tuple) or not all(isinstance(d, str) for d in disallow):
            raise FaultError("disallow: expected a path or a list of paths")
        fault.disallow = tuple(disallow)
    if "source" in spec:
        if kind != "silent" or spec["source"] not in SOURCES:
            raise FaultError(f"source: only for kind silent, one of {list(SOURCES)}")
        fault.source = str(spec["source"])
    fault._rng = random.Random(f"yunjiang/{seed}/fault/{fault_id}")
    return fault


def parse_cli(text: str) -> dict[str, Any]:
    """'error,status=503,count=5,prefix=/board/' -> {'kind': 'error', 'status': '503', ...}.
    A key given twice (disallow=/a,disallow=/b) becomes a list."""
    head, *pairs = [p.strip() for p in text.split(",") if p.strip()]
    spec: dict[str, Any] = {"kind": head}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise FaultError(f"{pair!r}: expected key=value")
        if key in spec and key == "disallow":
            previous = spec[key]
            spec[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            spec[key] = [value] if key == "disallow" else value
    return spec


class FaultSet:
    """The active faults; thread-safe. Count-limited faults expire once used up."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._faults: dict[str, Fault] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, spec: Mapping[str, Any]) -> Fault:
        with self._lock:
            fault = build_fault(f"{spec.get('kind')}-{next(self._ids)}", spec, self._seed)
            self._faults[fault.id] = fault
            return fault

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            return self._faults.pop(fault_id, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def replace(self, specs: Iterable[Mapping[str, Any]]) -> list[Fault]:
        built = [build_fault(f"{s.get('kind')}-{next(self._ids)}", s, self._seed) for s in specs]
        with self._lock:
            self._faults = {f.id: f for f in built}
        return built

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.as_dict() for f in self._faults.values()]

    def for_request(self, path: str) -> list[Fault]:
        """The request-level faults that fire for this request, in the order they act (consumes counts)."""
        fired: list[Fault] = []
        with self._lock:
            for fault in list(self._faults.values()):
                if fault.kind not in REQUEST_KINDS or not fault.matches(path):
                    continue
                if fault.probability is not None and fault._rng.random() >= fault.probability:
                    continue
                fault.fired += 1
                fired.append(fault)
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        del self._faults[fault.id]
        fired.sort(key=lambda f: REQUEST_KINDS.index(f.kind))
        return fired

    def robots_disallow(self) -> list[str]:
        with self._lock:
            return [d for f in self._faults.values() if f.kind == "robots" for d in f.disallow]

    def silent_sources(self) -> set[str]:
        with self._lock:
            out: set[str] = set()
            for fault in self._faults.values():
                if fault.kind == "silent":
                    out |= fault.silent_sources()
            return out
