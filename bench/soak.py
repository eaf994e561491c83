"""Whole-system soak under faults: the demo sources at high speed, the scheduler, the dashboard and a mail
catcher owned by this script run for a set time while the board throws 500/503 bursts, the news times out,
a source goes silent, the mail server goes away for two minutes and the scheduler is SIGKILLed once; then
faults are cleared, the system settles, and published/stored items, outbox/caught mail, unflagged overdue
timers and per-process memory are compared and printed.

    .venv/bin/python bench/soak.py [--minutes 10] [--speed 120] [--keep DIR] [--json FILE]

Exit status 1 if an item or a mail is missing, an overdue timer is not flagged, or more mails were
duplicated than there were scheduler kills (target: at most one duplicate per kill).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.cookiejar
import json
import logging
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import psutil
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from alerts.routing import held_back  # noqa: E402
from core.clock import ensure_utc  # noqa: E402
from core.db import Database  # noqa: E402
from core.models import Alert, Item, JobRun, Notification, ResponseTask, Source  # noqa: E402
from core.settings import load_config  # noqa: E402

logger = logging.getLogger("soak")

# Demo feed -> the source keys that crawl it (config/sources.yaml).
SOURCE_MAP: dict[str, tuple[str, ...]] = {
    "hotline": ("demo_hotline",),
    "board": ("demo_board",),
    "gbk_board": ("demo_gbk_board",),
    "news": ("demo_news_rss", "demo_news_atom"),
}
NEWS_ID = re.compile(r"article[-/](\w+?)(?:\.html)?$")
DEMO_PASSWORD = "yuqing-demo"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.3)
    return False


def http_json(url: str, payload: dict[str, Any] | None = None, timeout: float = 60) -> Any:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


# --- the mail catcher this script controls -------------------------------------------------------------


@dataclass(frozen=True)
class Caught:
    message_id: str
    recipients: tuple[str, ...]
    key: str
    at: float


class RecordingHandler:
    """Records every message's Message-ID and recipients (aiosmtpd handler)."""

    def __init__(self) -> None:
        self.messages: list[Caught] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        headers = BytesHeaderParser().parsebytes(envelope.original_content or envelope.content or b"")
        caught = Caught(
            str(headers.get("Message-ID", "")).strip(),
            tuple(envelope.rcpt_tos),
            str(headers.get("X-Yuqing-Key", "")),
            time.monotonic(),
        )
        with self._lock:
            self.messages.append(caught)
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[Caught]:
        with self._lock:
            return list(self.messages)


class Catcher:
    """An aiosmtpd server on a fixed loopback port that can be stopped and started again (mail outage)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = RecordingHandler()
        self._controller: Controller | None = None
        self.outages = 0

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
            controller.start()
            self._controller = controller

    def stop(self) -> None:
        """The mail server goes away: connections are refused until start()."""
        if self._controller is not None:
            self.close()
            self.outages += 1

    def close(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


# --- processes -------------------------------------------------------------------------------------------


@dataclass
class Child:
    role: str  # demo | dashboard | scheduler
    name: str  # log name, e.g. scheduler-2
    proc: subprocess.Popen[bytes]
    started: float
    ended: float | None = None


@dataclass
class Sample:
    t: float
    rss: int


@dataclass
class Memory:
    """RSS samples per process instance plus the crawl subprocesses as one group."""

    series: dict[str, list[Sample]] = field(default_factory=lambda: defaultdict(list))
    crawl_group: list[Sample] = field(default_factory=list)
    crawl_single_peak: int = 0
    crawl_seen: set[int] = field(default_factory=set)


def tree_rss(pid: int, exclude: Callable[[psutil.Process], bool]) -> int:
    """RSS of a process and its descendants (a gunicorn master and its workers count as one)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        try:
            if proc.pid != pid and exclude(proc):
                continue
            total += proc.memory_info().rss
        except psutil.Error:
            continue
    return total


def is_crawl(proc: psutil.Process) -> bool:
    try:
        return "crawlers.run" in " ".join(proc.cmdline())
    except psutil.Error:
        return False


def crawl_processes(workdir: Path) -> list[psutil.Process]:
    """Crawl subprocesses of this soak (they inherit the working directory, even once orphaned)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        try:
            if proc.info["cwd"] == str(workdir) and "crawlers.run" in " ".join(proc.info["cmdline"] or ()):
                found.append(proc)
        except psutil.Error:
            continue
    return found


class System:
    """Starts, kills and stops the parts of yuqing on loopback ports in one work directory."""

    def __init__(self, workdir: Path, env: dict[str, str], speed: float, seed: int, demo_port: int) -> None:
        self.workdir = workdir
        self.env = env
        self.speed = speed
        self.seed = seed
        self.demo_port = demo_port
        self.start = datetime.now(UTC)
        self.logs = workdir / "var" / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.children: list[Child] = []
        self.t0 = time.monotonic()
        self.kills = 0
        self.crashes: list[str] = []
        self.orphans: list[int] = []  # crawl subprocesses running when the scheduler was killed
        self.killed_at: list[datetime] = []

    def _start(self, role: str, args: list[str]) -> Child:
        count = sum(1 for c in self.children if c.role == role) + 1
        name = f"{role}-{count}" if role == "scheduler" else role
        log = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "yuqing", *args],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        child = Child(role, name, proc, time.monotonic() - self.t0)
        self.children.append(child)
        return child

    def current(self, role: str) -> Child | None:
        for child in reversed(self.children):
            if child.role == role and child.ended is None:
                return child
        return None

    def init(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "yuqing", "init", "--demo-users"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"yuqing init failed:\n{done.stdout}{done.stderr}")

    def start_demo(self) -> None:
        self._start(
            "demo",
            [
                "demo-sources",
                "--port",
                str(self.demo_port),
                "--speed",
                str(self.speed),
                "--backfill",
                "1",
                "--seed",
                str(self.seed),
                "--start",
                self.start.isoformat(timespec="seconds"),
            ],
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, ValueError):
                http_json(f"http://127.0.0.1:{self.demo_port}/_admin/state", timeout=5)
                return
            time.sleep(0.3)
        raise RuntimeError("the demo sources did not come up within 60 s")

    def start_dashboard(self, port: int) -> None:
        self._start("dashboard", ["dashboard"])
        if not wait_port(port, 90):
            raise RuntimeError("the dashboard did not come up within 90 s")

    def start_scheduler(self) -> None:
        self._start("scheduler", ["scheduler"])

    def kill_scheduler(self) -> None:
        child = self.current("scheduler")
        if child is None:
            return
        # Kill while a crawl runs (waiting a little for one), so a crawl subprocess is orphaned for sure.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not crawl_processes(self.workdir):
            time.sleep(0.1)
        orphans = [p.pid for p in crawl_processes(self.workdir)]
        # SIGKILL the scheduler alone: its crawl subprocesses (own sessions) are left behind, as after an OOM kill.
        os.kill(child.proc.pid, signal.SIGKILL)
        child.proc.wait()
        child.ended = time.monotonic() - self.t0
        self.kills += 1
        self.killed_at.append(datetime.now(UTC))
        self.orphans.extend(orphans)

    def check_alive(self) -> None:
        for child in self.children:
            if child.ended is None and child.proc.poll() is not None:
                child.ended = time.monotonic() - self.t0
                self.crashes.append(f"{child.name} exited with status {child.proc.returncode}")
                logger.error("%s exited with status %s", child.name, child.proc.returncode)

    def demo(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        return http_json(f"http://127.0.0.1:{self.demo_port}{path}", payload)

    def sample(self, memory: Memory) -> None:
        t = time.monotonic() - self.t0
        for child in self.children:
            if child.ended is None:
                rss = tree_rss(child.proc.pid, is_crawl)
                if rss:
                    memory.series[child.name].append(Sample(t, rss))
        with contextlib.suppress(psutil.Error):
            memory.series["bench+mail-catcher"].append(Sample(t, psutil.Process().memory_info().rss))
        group = 0
        for proc in crawl_processes(self.workdir):
            with contextlib.suppress(psutil.Error):
                rss = proc.memory_info().rss
                group += rss
                memory.crawl_single_peak = max(memory.crawl_single_peak, rss)
                memory.crawl_seen.add(proc.pid)
        memory.crawl_group.append(Sample(t, group))

    def stop(self) -> None:
        for child in self.children:
            if child.ended is None and child.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for child in self.children:
            try:
                child.proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.proc.pid, signal.SIGKILL)
                child.proc.wait()
        # Crawls orphaned by the killed scheduler (or still running) are ours too: end them by pid.
        for proc in crawl_processes(self.workdir):
            with contextlib.suppress(psutil.Error):
                proc.kill()


# --- the dashboard, used the way a duty officer's screen uses it ---------------------------------------


class DashboardProbe:
    """Signs in as the demo admin and refreshes the overview cards and the alert queue, like an open screen."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.ok = 0
        self.errors: Counter[str] = Counter()
        self.latencies: list[float] = []
        self._opener: urllib.request.OpenerDirector | None = None
        self._bodies: list[dict[str, Any]] = []
        self._jar = http.cookiejar.CookieJar()
        self._csrf = ""
        self._busy = threading.Lock()

    def _login(self) -> None:
        self._jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self._jar))
        page = opener.open(self.base + "/login", timeout=30).read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if token is None:
            raise RuntimeError("no csrf_token on the login page")
        form = urllib.parse.urlencode(
            {"username": "admin", "password": DEMO_PASSWORD, "csrf_token": token.group(1), "next": "/"}
        ).encode()
        opener.open(self.base + "/login", data=form, timeout=30).read()
        csrf = next((c.value for c in self._jar if c.name == "yuqing_csrf"), None)
        if not csrf:
            raise RuntimeError("sign-in refused")
        self._csrf = csrf
        opener.open(self.base + "/", timeout=30).read()
        deps = json.loads(opener.open(self.base + "/_dash-dependencies", timeout=30).read())
        self._bodies = [
            _callback_body(deps, "overview-cards.children", {"overview-window.value": "24h"}),
            _callback_body(
                deps,
                "alerts-queue.children",
                {
                    "alerts-states.value": ["triggered", "acknowledged", "responding"],
                    "alerts-levels.value": 0,
                },
            ),
        ]
        self._opener = opener

    def poll(self) -> None:
        if not self._busy.acquire(blocking=False):
            return  # the previous refresh is still running: a real screen would skip this tick too
        try:
            self._poll()
        finally:
            self._busy.release()

    def _poll(self) -> None:
        try:
            if self._opener is None:
                self._login()
            assert self._opener is not None
            for body in self._bodies:
                started = time.perf_counter()
                request = urllib.request.Request(
                    self.base + "/_dash-update-component",
                    data=json.dumps(body).encode(),
                    headers={"Content-Type": "application/json", "X-CSRF-Token": self._csrf},
                )
                self._opener.open(request, timeout=60).read()
                self.latencies.append(time.perf_counter() - started)
                self.ok += 1
        except (OSError, RuntimeError, ValueError, StopIteration) as exc:
            self.errors[type(exc).__name__] += 1
            self._opener = None


def _callback_body(deps: list[dict[str, Any]], output: str, values: dict[str, Any]) -> dict[str, Any]:
    spec = next(d for d in deps if output in d["output"])
    key = spec["output"]
    parts = key.strip(".").split("...") if key.startswith("..") else [key]
    outputs = [{"id": p.rpartition(".")[0], "property": p.rpartition(".")[2]} for p in parts]
    values = {"refresh-interval.n_intervals": 1, **values}
    inputs = [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in spec["inputs"]]
    state = [{**s, "value": values.get(f"{s['id']}.{s['property']}")} for s in spec.get("state", [])]
    return {
        "output": key,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "state": state,
        "changedPropIds": [f"{inputs[-1]['id']}.{inputs[-1]['property']}"] if inputs else [],
    }


# --- the fault timeline ----------------------------------------------------------------------------------


@dataclass
class Step:
    at: float  # seconds after the run began
    label: str
    action: Callable[[], None]
    done: bool = False
    fired_at: float | None = None


def build_timeline(
    duration: float, system: System, catcher: Catcher, restart_delay: float, news_timeout: float
) -> list[Step]:
    """Fault times as fractions of the run, so a short smoke run sees the same story compressed."""
    fault_ids: dict[str, list[str]] = {}

    def add(tag: str, spec: dict[str, Any]) -> Callable[[], None]:
        def go() -> None:
            fault_ids.setdefault(tag, []).extend(system.demo("/_admin/faults", {"add": spec})["added"])

        return go

    def remove(tag: str) -> Callable[[], None]:
        def go() -> None:
            system.demo("/_admin/faults", {"remove": fault_ids.pop(tag, [])})

        return go

    def restart() -> None:
        if system.current("scheduler") is None:
            system.start_scheduler()

    mail_down = min(120.0, 0.2 * duration)
    d = duration
    steps = [
        Step(0.10 * d, "board: 503 burst (20 requests)", add("b1", _error(503, 20))),
        Step(0.15 * d, "board: 500 burst (20 requests)", add("b2", _error(500, 20))),
        Step(0.20 * d, "news: requests hang past the crawler's timeout", add("news", _timeout(news_timeout))),
        Step(0.24 * d, "board: 503 burst (40 requests)", add("b3", _error(503, 40))),
        Step(0.30 * d, "gbk_board: goes silent", add("silent", {"kind": "silent", "source": "gbk_board"})),
        Step(0.35 * d, "news: timeouts end", remove("news")),
        Step(0.40 * d, "board: 500 burst (30 requests)", add("b4", _error(500, 30))),
        Step(0.45 * d, f"mail server down for {mail_down:.0f} s", catcher.stop),
        Step(0.45 * d + mail_down, "mail server back", catcher.start),
        Step(0.55 * d, "gbk_board: publishes again", remove("silent")),
        Step(0.72 * d, "scheduler: SIGKILL", system.kill_scheduler),
        Step(0.72 * d + restart_delay, "scheduler: restarted", restart),
    ]
    return sorted(steps, key=lambda s: s.at)


def _error(status: int, count: int) -> dict[str, Any]:
    return {"kind": "error", "status": status, "count": count, "prefix": "/board/"}


def _timeout(seconds: float) -> dict[str, Any]:
    return {"kind": "timeout", "seconds": seconds, "prefix": "/news/"}


# --- settling --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cycle:
    end: datetime
    analysis_start: datetime
    alerts_start: datetime
    mail_start: datetime
    quiet: bool
    pending: dict[str, int]


def _first_run_after(db: Database, job: str, after: datetime) -> tuple[datetime, datetime] | None:
    with db.session() as s:
        row = s.execute(
            select(JobRun.started_at, JobRun.finished_at)
            .where(JobRun.job == job, JobRun.started_at >= after, JobRun.finished_at.is_not(None))
            .order_by(JobRun.started_at)
            .limit(1)
        ).first()
    if row is None or row.finished_at is None:
        return None
    return ensure_utc(row.started_at), ensure_utc(row.finished_at)


def cycle_after(db: Database, crawl_jobs: list[str], mark: datetime) -> tuple[datetime, ...] | None:
    """A full cycle after `mark`: every source crawled, then analysis, alerts and mail, each started after
    the previous stage finished. Returns (end, analysis start, alerts start, mail start) or None."""
    last_crawl = mark
    for job in crawl_jobs:
        run = _first_run_after(db, job, mark)
        if run is None:
            return None
        last_crawl = max(last_crawl, run[1])
    starts = []
    after = last_crawl
    for job in ("analysis", "alerts", "mail"):
        run = _first_run_after(db, job, after)
        if run is None:
            return None
        starts.append(run[0])
        after = run[1]
    return (after, *starts)


def pending_at(
    db: Database, config: Any, analysis: datetime, alerts: datetime, mail: datetime
) -> dict[str, int]:
    """What a completed cycle should have handled and did not: items older than its analysis run still
    new, alerts older than its alerts run never notified, outbox rows older than its mail run unsent."""
    with db.session() as s:
        items = s.scalar(select(func.count()).where(Item.status == "new", Item.updated_at < analysis)) or 0
        mails = (
            s.scalar(
                select(func.count()).where(Notification.status == "pending", Notification.created_at < mail)
            )
            or 0
        )
        rows = s.execute(
            select(Alert.level, Alert.notify_after).where(
                Alert.state != "resolved",
                Alert.inhibited_by.is_(None),
                Alert.last_notified_at.is_(None),
                Alert.opened_at < alerts,
            )
        ).all()
    unnotified = sum(
        1
        for r in rows
        if (r.notify_after is None or ensure_utc(r.notify_after) < alerts)
        and not held_back(config.alerts.quiet_hours, r.level, alerts)
    )
    return {"items_new": int(items), "mail_pending": int(mails), "alerts_unnotified": unnotified}


def settle(
    db: Database, config: Any, crawl_jobs: list[str], limit: float, on_tick: Callable[[], None]
) -> tuple[list[Cycle], bool]:
    """Wait until two consecutive full cycles end with nothing older than them pending (or `limit` s)."""
    cycles: list[Cycle] = []
    mark = datetime.now(UTC)
    deadline = time.monotonic() + limit
    quiet_in_a_row = 0
    while time.monotonic() < deadline:
        on_tick()
        found = cycle_after(db, crawl_jobs, mark)
        if found is None:
            time.sleep(1.0)
            continue
        end, analysis, alerts, mail = found
        pending = pending_at(db, config, analysis, alerts, mail)
        quiet = not any(pending.values())
        cycles.append(Cycle(end, analysis, alerts, mail, quiet, pending))
        logger.info("settle: cycle ended %s, pending %s", end.strftime("%H:%M:%S"), pending)
        quiet_in_a_row = quiet_in_a_row + 1 if quiet else 0
        if quiet_in_a_row >= 2:
            return cycles, True
        mark = end
    return cycles, False


# --- comparison ------------------------------------------------------------------------------------------


def published_id(kind: str, external_id: str, url: str | None) -> str:
    """The demo's public id of a stored item, from what the crawler stores as external_id (news: the RSS
    guid is the article URL, the Atom id a tag URI ending in article-<id>)."""
    if kind == "news":
        for text in (external_id, url or ""):
            match = NEWS_ID.search(text)
            if match:
                return match.group(1)
    return external_id


def compare_items(db: Database, published: dict[str, Any], cutoff: datetime) -> dict[str, Any]:
    truth: dict[str, set[str]] = {}
    for feed, entries in published["sources"].items():
        truth[feed] = {
            e["id"]
            for e in entries
            if not e["deleted"] and datetime.fromisoformat(e["published_at"]) <= cutoff
        }
    with db.session() as s:
        rows = s.execute(
            select(Source.key, Item.external_id, Item.url, Item.status).join(
                Source, Source.id == Item.source_id
            )
        ).all()
    stored: dict[str, Counter[str]] = {feed: Counter() for feed in SOURCE_MAP}
    status_counts: Counter[str] = Counter()
    feed_of = {key: feed for feed, keys in SOURCE_MAP.items() for key in keys}
    for row in rows:
        status_counts[row.status] += 1
        feed = feed_of.get(row.key)
        if feed is not None:
            stored[feed][published_id(feed, row.external_id, row.url)] += 1
    per_feed: dict[str, dict[str, Any]] = {}
    for feed, ids in truth.items():
        counts = stored.get(feed, Counter())
        missing = sorted(ids - set(counts))
        per_feed[feed] = {
            "published": len(ids),
            "stored": sum(1 for i in ids if i in counts),
            "missing": len(missing),
            "missing_ids": missing[:20],
            "duplicated": sum(n - 1 for n in counts.values() if n > 1),
            "later_or_deleted": sum(1 for i in counts if i not in ids),
        }
    total = {
        k: sum(int(v[k]) for v in per_feed.values()) for k in ("published", "stored", "missing", "duplicated")
    }
    return {"per_source": per_feed, **total, "rows": len(rows), "status": dict(status_counts)}


def compare_mail(db: Database, caught: list[Caught], cutoff: datetime) -> dict[str, Any]:
    with db.session() as s:
        rows = s.execute(
            select(
                Notification.id,
                Notification.kind,
                Notification.status,
                Notification.message_id,
                Notification.created_at,
                Notification.alert_id,
                Notification.attempts,
            )
        ).all()
    received = Counter(c.message_id for c in caught)
    expected = [r for r in rows if ensure_utc(r.created_at) < cutoff]
    not_sent = [r for r in expected if r.status != "sent"]
    sent_not_caught = [r for r in expected if r.status == "sent" and r.message_id not in received]
    known = {r.message_id for r in rows}
    by_kind = Counter(r.kind for r in expected)
    return {
        "expected": len(expected),
        "by_kind": dict(by_kind),
        "for_alerts": sum(1 for r in expected if r.alert_id is not None),
        "retried": sum(1 for r in expected if r.attempts > 1),
        "mailed": sum(1 for r in expected if r.message_id in received),
        "missing": len(not_sent) + len(sent_not_caught),
        "not_sent": [f"{r.id}:{r.kind}:{r.status}" for r in not_sent][:20],
        "sent_not_caught": [r.id for r in sent_not_caught][:20],
        "messages_caught": len(caught),
        "duplicated": sum(n - 1 for n in received.values() if n > 1),
        "unknown": sum(1 for c in caught if c.message_id not in known),
        "after_cutoff": len(rows) - len(expected),
    }


def compare_alerts(db: Database) -> dict[str, Any]:
    with db.session() as s:
        rows = s.execute(select(Alert.level, Alert.state, Alert.inhibited_by)).all()
    return {
        "opened": len(rows),
        "by_level": dict(Counter(int(r.level) for r in rows)),
        "by_state": dict(Counter(r.state for r in rows)),
        "inhibited": sum(1 for r in rows if r.inhibited_by is not None),
    }


def overdue_timers(db: Database, at: datetime) -> dict[str, int]:
    """Timers the last settled alerts pass should have flagged 红灯 (a paused timer's clock is stopped)."""
    with db.session() as s:
        running = s.scalar(
            select(func.count()).where(
                ResponseTask.state == "running", ResponseTask.due_at < at, ResponseTask.overdue_at.is_(None)
            )
        )
        paused = s.scalar(
            select(func.count()).where(ResponseTask.state == "paused", ResponseTask.due_at < at)
        )
        flagged = s.scalar(select(func.count()).where(ResponseTask.overdue_at.is_not(None)))
        total = s.scalar(select(func.count()).select_from(ResponseTask))
    return {
        "timers": int(total or 0),
        "flagged_overdue": int(flagged or 0),
        "overdue_not_flagged": int(running or 0),
        "paused_past_due": int(paused or 0),
    }


def memory_report(memory: Memory, warm_up: float = 60.0, min_span: float = 120.0) -> dict[str, Any]:
    """Peak RSS per process; for each process that lived long enough, the median RSS of the first and the
    last quarter of its life after a warm-up (imports, models, caches), and whether it stayed flat."""
    out: dict[str, Any] = {}
    for name, samples in memory.series.items():
        if not samples:
            continue
        entry: dict[str, Any] = {"peak_mb": max(s.rss for s in samples) / 2**20, "samples": len(samples)}
        life = samples[-1].t - samples[0].t
        begin = samples[0].t + min(warm_up, 0.2 * life)
        steady = [s for s in samples if s.t >= begin]
        span = steady[-1].t - steady[0].t if steady else 0.0
        entry["life_s"] = round(life)
        if span >= min_span and len(steady) >= 8:
            first = statistics.median(s.rss for s in steady if s.t <= steady[0].t + span / 4)
            last = statistics.median(s.rss for s in steady if s.t >= steady[-1].t - span / 4)
            entry.update(first_q_mb=first / 2**20, last_q_mb=last / 2**20)
            entry["flat"] = last - first <= max(0.10 * first, 15 * 2**20)
        out[name] = entry
    group = [s.rss for s in memory.crawl_group]
    out["crawls (group)"] = {
        "peak_mb": max(group, default=0) / 2**20,
        "single_peak_mb": memory.crawl_single_peak / 2**20,
        "processes": len(memory.crawl_seen),
    }
    return out


# --- the run ---------------------------------------------------------------------------------------------


def prepare(workdir: Path, interval_minutes: float, download_timeout: float) -> Path:
    """A copy of config/ with short crawl intervals and timeouts, so faults show within minutes."""
    config_dir = workdir / "config"
    shutil.copytree(REPO / "config", config_dir)
    path = config_dir / "sources.yaml"
    sources = yaml.safe_load(path.read_text(encoding="utf-8"))
    sources["defaults"].update(
        interval_minutes=interval_minutes,
        download_timeout=download_timeout,
        timeout_seconds=max(60, int(download_timeout * 12)),
    )
    path.write_text(yaml.safe_dump(sources, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config_dir


def run(args: argparse.Namespace) -> dict[str, Any]:
    duration = args.minutes * 60
    workdir = Path(args.keep).resolve() if args.keep else Path(tempfile.mkdtemp(prefix="yuqing-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    config_dir = prepare(workdir, args.interval, args.download_timeout)
    ports = {name: free_port() for name in ("demo", "dashboard", "smtp")}
    lock_seconds = int(min(60, max(6, duration / 10)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    env.update(
        YUQING_CONFIG_DIR=str(config_dir),
        YUQING_DATA_DIR=str(workdir / "var"),
        YUQING_DASHBOARD_PORT=str(ports["dashboard"]),
        YUQING_DEMO_PORT=str(ports["demo"]),
        YUQING_DEMO_URL=f"http://127.0.0.1:{ports['demo']}",
        YUQING_SMTP_PORT=str(ports["smtp"]),
        YUQING_MAIL_CATCHER_PORT=str(ports["smtp"]),
        YUQING_SCHEDULER_LOCK_SECONDS=str(lock_seconds),
    )
    # load_config reads the environment too: point it at the soak's copy before loading.
    for key in ("YUQING_CONFIG_DIR", "YUQING_DATA_DIR"):
        os.environ[key] = env[key]
    config = load_config()
    crawl_jobs = [f"crawl:{s.key}" for s in config.sources.sources if s.enabled and s.type != "file"]
    db = Database(f"sqlite:///{workdir / 'var' / 'yuqing.db'}")
    catcher = Catcher(ports["smtp"])
    system = System(workdir, env, args.speed, args.seed, ports["demo"])
    system.start = datetime.now(UTC) - timedelta(hours=args.start_hours_ago)
    memory = Memory()
    probe = DashboardProbe(f"http://127.0.0.1:{ports['dashboard']}")
    log = functools.partial(print, flush=True) if not args.quiet else (lambda *a, **k: None)
    log(f"soak: {args.minutes:g} min at demo speed {args.speed:g}, work dir {workdir}")
    log(f"      load average at start {os.getloadavg()[0]:.2f}, {psutil.cpu_count()} cores")
    result: dict[str, Any] = {
        "minutes": args.minutes,
        "speed": args.speed,
        "workdir": str(workdir),
        "lock_seconds": lock_seconds,
    }
    loads: list[float] = []
    try:
        system.init()
        catcher.start()
        system.start_demo()
        system.start_dashboard(ports["dashboard"])
        system.t0 = time.monotonic()  # the timeline starts when the scheduler does
        for child in system.children:
            child.started = 0.0
        system.start_scheduler()
        steps = build_timeline(duration, system, catcher, args.restart_delay, args.download_timeout + 3)
        next_sample = next_probe = 0.0
        while True:
            now = time.monotonic() - system.t0
            if now >= duration and all(s.done for s in steps):
                break
            for step in steps:
                if not step.done and now >= step.at:
                    step.done, step.fired_at = True, now
                    log(f"[{now:6.1f}s] {step.label}")
                    try:
                        step.action()
                    except (OSError, ValueError, KeyError) as exc:
                        log(f"          failed: {exc}")
            system.check_alive()
            if now >= next_sample:
                system.sample(memory)
                loads.append(os.getloadavg()[0])
                next_sample = now + args.sample
            if now >= next_probe:
                threading.Thread(target=probe.poll, daemon=True).start()
                next_probe = now + args.probe
            time.sleep(0.25)

        # Clear every fault, make sure the mail server and a scheduler are up, then let the system settle.
        system.demo("/_admin/faults", {"clear": True})
        catcher.start()
        if system.current("scheduler") is None:
            system.start_scheduler()
        state = system.demo("/_admin/state")
        settle_sim = datetime.fromisoformat(state["sim_now"])
        settle_began = time.monotonic()
        log(f"[{time.monotonic() - system.t0:6.1f}s] faults cleared; settling (sim time {state['sim_now']})")
        last_tick = [0.0]

        def tick() -> None:
            system.check_alive()
            if time.monotonic() - last_tick[0] >= args.sample:
                last_tick[0] = time.monotonic()
                system.sample(memory)

        settle_limit = args.settle_max * 60 if args.settle_max else max(360.0, 0.5 * duration)
        cycles, settled = settle(db, config, crawl_jobs, settle_limit, tick)
        settle_seconds = time.monotonic() - settle_began
        log(
            f"[{time.monotonic() - system.t0:6.1f}s] {'settled' if settled else 'NOT settled'} after "
            f"{settle_seconds:.0f} s ({len(cycles)} cycles)"
        )
        published = system.demo("/_admin/published")
        cutoff_mail = cycles[-1].mail_start if cycles else datetime.now(UTC)
        cutoff_alerts = cycles[-1].alerts_start if cycles else datetime.now(UTC)
        time.sleep(1.0)  # the last mail pass's messages are in the catcher before we read it
        result.update(
            settled=settled,
            settle_seconds=round(settle_seconds, 1),
            cycles=[{"end": c.end.isoformat(), "quiet": c.quiet, "pending": c.pending} for c in cycles],
            items=compare_items(db, published, settle_sim),
            mail=compare_mail(db, catcher.handler.snapshot(), cutoff_mail),
            alerts=compare_alerts(db),
            timers=overdue_timers(db, cutoff_alerts),
            memory=memory_report(memory),
            kills=system.kills,
            orphaned_crawls=len(system.orphans),
            takeover_seconds=[takeover(db, at) for at in system.killed_at],
            mail_outages=catcher.outages,
            crashes=system.crashes,
            timeline=[{"at": round(s.fired_at or s.at, 1), "step": s.label} for s in steps],
            dashboard={
                "callbacks_ok": probe.ok,
                "errors": dict(probe.errors),
                "p50_ms": round(statistics.median(probe.latencies) * 1000) if probe.latencies else None,
                "max_ms": round(max(probe.latencies) * 1000) if probe.latencies else None,
            },
            load_average={
                "mean": round(statistics.mean(loads), 2) if loads else None,
                "max": max(loads or [0]),
            },
            crawl_runs=crawl_summary(db),
        )
    finally:
        system.stop()
        catcher.close()
        db.engine.dispose()
    result["failures"] = failures(result)
    if not args.keep and not result["failures"]:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def takeover(db: Database, killed: datetime) -> float | None:
    """Seconds from the kill to the first job the restarted scheduler ran (the lock's TTL dominates)."""
    with db.session() as s:
        first = s.scalar(select(func.min(JobRun.started_at)).where(JobRun.started_at > killed))
    return round((ensure_utc(first) - killed).total_seconds(), 1) if first else None


def crawl_summary(db: Database) -> dict[str, dict[str, int]]:
    """crawl_runs per source by status, plus how many runs recorded errors (a 5xx page, a timeout)."""
    from core.models import CrawlRun

    with db.session() as s:
        rows = s.execute(
            select(Source.key, CrawlRun.status, CrawlRun.error_message).join(
                Source, Source.id == CrawlRun.source_id
            )
        ).all()
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for key, status, error in rows:
        out[key][status] += 1
        if error:
            out[key]["with_errors"] += 1
    return {key: dict(counts) for key, counts in sorted(out.items())}


def failures(result: dict[str, Any]) -> list[str]:
    problems = []
    if "items" not in result:
        return ["the run did not finish"]
    if not result["settled"]:
        problems.append("the system did not settle")
    if result["items"]["missing"]:
        problems.append(f"{result['items']['missing']} item(s) missing")
    if result["items"]["duplicated"]:
        problems.append(f"{result['items']['duplicated']} item(s) stored twice")
    if result["mail"]["missing"]:
        problems.append(f"{result['mail']['missing']} mail(s) missing")
    if result["mail"]["duplicated"] > result["kills"]:
        problems.append(f"{result['mail']['duplicated']} duplicate mail(s) for {result['kills']} kill(s)")
    if result["timers"]["overdue_not_flagged"]:
        problems.append(f"{result['timers']['overdue_not_flagged']} overdue timer(s) not flagged")
    problems.extend(result["crashes"])
    return problems


def print_report(r: dict[str, Any]) -> None:
    items, mail, timers = r["items"], r["mail"], r["timers"]
    print()
    print(
        f"soak {r['minutes']:g} min, demo speed {r['speed']:g}; settled={r['settled']} after {r['settle_seconds']} s;"
        f" load average mean {r['load_average']['mean']} max {r['load_average']['max']:.2f}"
    )
    print("timeline:")
    for step in r["timeline"]:
        print(f"  {step['at']:7.1f} s  {step['step']}")
    print(
        f"items: published {items['published']}, stored {items['stored']}, missing {items['missing']}, "
        f"duplicated {items['duplicated']}  (rows {items['rows']}, status {items['status']})"
    )
    for feed, v in items["per_source"].items():
        print(
            f"  {feed:10s} published {v['published']:4d} stored {v['stored']:4d} missing {v['missing']:3d} "
            f"duplicated {v['duplicated']:2d}  later/deleted {v['later_or_deleted']}"
            + (f"  missing ids {v['missing_ids']}" if v["missing"] else "")
        )
    print(
        f"alerts: opened {r['alerts']['opened']} by level {r['alerts']['by_level']} by state {r['alerts']['by_state']}"
    )
    print(
        f"mail: expected {mail['expected']} {mail['by_kind']} (for alerts {mail['for_alerts']}), mailed "
        f"{mail['mailed']}, missing {mail['missing']}, duplicated {mail['duplicated']} "
        f"(bound {r['kills']}: one per kill, {r['orphaned_crawls']} crawl(s) orphaned); {mail['retried']} "
        f"retried after the outage; caught {mail['messages_caught']}, unknown {mail['unknown']}"
    )
    if mail["missing"]:
        print(f"  not sent {mail['not_sent']}  sent but not caught {mail['sent_not_caught']}")
    print(
        f"timers: {timers['timers']}, flagged overdue {timers['flagged_overdue']}, overdue not flagged "
        f"{timers['overdue_not_flagged']} (paused past due, clock stopped: {timers['paused_past_due']})"
    )
    print(f"scheduler takeover after the kill: {r['takeover_seconds']} s (lock TTL {r['lock_seconds']} s)")
    print(f"dashboard: {r['dashboard']}")
    print(f"crawl runs: {r['crawl_runs']}")
    print("memory (RSS MB): peak, first-quarter and last-quarter median of each process's life")
    for name, m in r["memory"].items():
        if "first_q_mb" in m:
            print(
                f"  {name:20s} peak {m['peak_mb']:7.1f}  first {m['first_q_mb']:7.1f}  last {m['last_q_mb']:7.1f}"
                f"  {'flat' if m['flat'] else 'GROWING'}"
            )
        elif "single_peak_mb" in m:
            print(
                f"  {name:20s} peak {m['peak_mb']:7.1f}  (one crawl at most {m['single_peak_mb']:.1f}; "
                f"{m['processes']} processes)"
            )
        else:
            print(f"  {name:20s} peak {m['peak_mb']:7.1f}  (lived {m['life_s']} s: too short to judge)")
    print("result:", "OK" if not r["failures"] else "FAILED: " + "; ".join(r["failures"]))
    if r["failures"]:
        print(f"work dir kept: {r['workdir']}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the faulted run")
    parser.add_argument("--speed", type=float, default=120.0, help="demo simulated seconds per real second")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--start-hours-ago",
        type=float,
        default=24.0,
        help="start the demo's simulated clock this many hours in the past, so response timers of older "
        "items fall due during the run and the overdue check has work",
    )
    parser.add_argument("--keep", help="work directory to use and keep (default: a temporary one)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--interval", type=float, default=0.25, help="crawl interval in minutes")
    parser.add_argument("--download-timeout", type=float, default=10.0, help="crawler per-request timeout, s")
    parser.add_argument(
        "--restart-delay", type=float, default=5.0, help="seconds before the scheduler restarts"
    )
    parser.add_argument(
        "--settle-max", type=float, default=None, help="minutes to wait for the settle at most"
    )
    parser.add_argument("--sample", type=float, default=3.0, help="seconds between memory samples")
    parser.add_argument("--probe", type=float, default=10.0, help="seconds between dashboard refreshes")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    result = run(args)
    print_report(result)
    if args.json:
        Path(args.json).write_text(
            json.dumps(result, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
