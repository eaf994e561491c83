"""Crawls dispatched to a pool of Scrapyd nodes (Settings.scrapyd_nodes) instead of local subprocesses.

The scheduler schedules `scrapy crawl yuqing -a source=KEY` on the least-busy node through Scrapyd's JSON API
(daemonstatus.json, schedule.json, status.json, cancel.json), polls it with the same hard timeout as a local
crawl, and reads the outcome from the crawl_runs row the crawl writes itself. A node that does not answer is
passed over; with every node down, or a node lost mid-crawl, the failure is recorded on crawl_runs and on the
source's health, as a local crash would be.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from core.clock import Clock, ensure_utc
from core.db import Database
from core.models import CrawlRun, Source
from core.processes import pid_alive
from core.settings import AppConfig
from crawlers.run import ensure_source_row
from yuqing.crawlproc import KILL_GRACE_SECONDS, CrawlOutcome

logger = logging.getLogger(__name__)

PROJECT = "yuqing"  # the [settings] name in each node's scrapyd.conf
SPIDER = "yuqing"  # crawlers.spiders.source.SourceSpider
SETTINGS_MODULE = "crawlers.scrapyd_settings"
HTTP_TIMEOUT_SECONDS = 5.0
POLL_SECONDS = 1.0
# A node that has not answered for this long while running our crawl is taken for dead: the failure is
# recorded and the next run goes to another node (a crawl still running there closes its own row anyway).
NODE_LOST_SECONDS = 15.0


class NodeError(Exception):
    """The node did not answer, or answered with an error."""


@dataclass(frozen=True)
class ScrapydNode:
    """One Scrapyd node, by its base URL (credentials, if any, in the URL's user info: sent as Basic auth)."""

    url: str

    @property
    def label(self) -> str:
        """The URL without credentials, for logs and crawl_runs."""
        parts = urllib.parse.urlsplit(self.url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc)).rstrip("/")

    def _request(
        self, path: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> bytes:
        parts = urllib.parse.urlsplit(self.url)
        url = f"{self.label}/{path.lstrip('/')}"
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers=dict(headers or {}))
        if parts.username:
            token = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
            request.add_header("Authorization", "Basic " + base64.b64encode(token.encode()).decode())
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
                return bytes(response.read())
        except (OSError, urllib.error.URLError) as exc:  # refused, reset, timeout, HTTP errors
            raise NodeError(f"{self.label}: {exc}") from exc

    def _json(self, path: str, data: dict[str, str] | None = None, **params: str) -> dict[str, Any]:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        raw = self._request(path + query, data)
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise NodeError(f"{self.label}/{path}: not JSON") from exc
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            message = answer.get("message") if isinstance(answer, dict) else answer
            raise NodeError(f"{self.label}/{path}: {message}")
        return answer

    def load(self) -> int:
        """Jobs pending or running on the node."""
        answer = self._json("daemonstatus.json")
        return int(answer.get("pending", 0)) + int(answer.get("running", 0))

    def schedule(self, job_id: str, source_key: str, trigger: str) -> None:
        self._json(
            "schedule.json",
            {"project": PROJECT, "spider": SPIDER, "jobid": job_id, "source": source_key, "trigger": trigger},
        )

    def job_state(self, job_id: str) -> str | None:
        """pending | running | finished, or None when the node does not know the job (it restarted)."""
        state = self._json("status.json", job=job_id, project=PROJECT).get("currstate")
        return str(state) if state else None

    def running(self) -> tuple[str, set[int]]:
        """(the node's host name, pids of the crawls it is running)."""
        answer = self._json("listjobs.json", project=PROJECT)
        pids = {int(job["pid"]) for job in answer.get("running", []) if job.get("pid")}
        return str(answer.get("node_name", "")), pids

    def cancel(self, job_id: str, signal: str = "TERM") -> None:
        self._json("cancel.json", {"project": PROJECT, "job": job_id, "signal": signal})

    def log_tail(self, job_id: str, size: int = 4000) -> str:
        """The end of the job's Scrapy log (Scrapyd serves logs/<project>/<spider>/<job>.log)."""
        try:
            raw = self._request(f"logs/{PROJECT}/{SPIDER}/{job_id}.log")
        except NodeError:
            return ""
        return raw[-size:].decode("utf-8", "replace")


def scrapyd_conf(*, port: int, bind: str = "127.0.0.1", max_proc: int = 4, poll_interval: float = 1.0) -> str:
    """A node's scrapyd.conf: the `yuqing` project runs the installed `crawlers` package (no egg); the
    directories are relative to the node's working directory. Credentials (username, password) go in the
    node user's ~/.scrapyd.conf, which Scrapyd reads after this file."""
    return (
        "[scrapyd]\n"
        f"bind_address = {bind}\n"
        f"http_port = {port}\n"
        f"max_proc = {max_proc}\n"
        f"poll_interval = {poll_interval}\n"
        "eggs_dir = eggs\n"
        "logs_dir = logs\n"
        # Not ":memory:": Scrapyd's web service and its poller would each get their own empty queue.
        "dbs_dir = dbs\n"
        "items_dir =\n"
        "jobs_to_keep = 50\n"
        "finished_to_keep = 200\n"
        "\n"
        "[settings]\n"
        f"{PROJECT} = {SETTINGS_MODULE}\n"
    )


def scrapy_cfg() -> str:
    """The scrapy.cfg beside scrapyd.conf, naming the same settings module for Scrapy's own commands."""
    return f"[settings]\n{PROJECT} = {SETTINGS_MODULE}\n"


# --- dispatch ------------------------------------------------------------------------------------------------


def rank_nodes(nodes: Sequence[ScrapydNode]) -> list[ScrapydNode]:
    """Answering nodes, least busy first (ties in random order, so equal nodes share the work)."""
    ranked: list[tuple[int, float, ScrapydNode]] = []
    for node in nodes:
        try:
            ranked.append((node.load(), random.random(), node))
        except NodeError as exc:
            logger.warning("crawl node down: %s", exc)
    return [node for _, _, node in sorted(ranked, key=lambda entry: entry[:2])]


def dispatch_crawl(
    config: AppConfig,
    db: Database,
    clock: Clock,
    source_key: str,
    *,
    timeout: float,
    trigger: str = "schedule",
    poll_seconds: float = POLL_SECONDS,
    lost_after: float = NODE_LOST_SECONDS,
) -> CrawlOutcome:
    """Crawl `source_key` on a Scrapyd node and wait for it (at most `timeout` seconds, then cancel)."""
    started = time.monotonic()
    nodes = [ScrapydNode(url) for url in config.settings.scrapyd_nodes]
    ensure_source_row(db, config.sources.get(source_key), clock)
    under_way, before_id = _prepare(db, clock, source_key, timeout, nodes)
    if under_way:
        # A previous scheduler (now dead) dispatched this source and its crawl is still within its time.
        logger.info("crawl of %s is already under way (run %s); not dispatched again", source_key, under_way)
        return CrawlOutcome(source_key, "skipped", None, time.monotonic() - started, "")
    job_id = uuid.uuid4().hex
    node = None
    for candidate in rank_nodes(nodes):
        try:
            candidate.schedule(job_id, source_key, trigger)
        except NodeError as exc:
            logger.warning("could not schedule %s on %s: %s", source_key, candidate.label, exc)
            continue
        node = candidate
        break
    if node is None:
        message = f"所有采集节点均不可用 (no Scrapyd node answered: {', '.join(n.label for n in nodes)})"
        logger.error("crawl of %s not started: %s", source_key, message)
        _record_failure(db, clock, source_key, None, "failed", message, trigger=trigger)
        return CrawlOutcome(source_key, "failed", None, time.monotonic() - started, message)
    logger.info("crawl of %s dispatched to %s (job %s)", source_key, node.label, job_id)
    ended = _wait(node, job_id, started + timeout, poll_seconds, lost_after)
    duration = time.monotonic() - started
    run = _our_run(db, source_key, before_id)
    if ended == "timeout":
        tail = node.log_tail(job_id)
        logger.warning("crawl of %s on %s timed out after %.1fs", source_key, node.label, duration)
        _record_failure(db, clock, source_key, run, "timeout", "超时被终止 (timeout)", trigger=trigger)
        return CrawlOutcome(source_key, "timeout", None, duration, tail)
    if ended == "lost":
        message = f"采集节点失联 (crawl node {node.label} stopped answering)"
        logger.warning("crawl of %s: %s", source_key, message)
        _record_failure(db, clock, source_key, run, "failed", message, trigger=trigger)
        return CrawlOutcome(source_key, "failed", None, duration, message)
    if run is None or run.status == "running":
        # The process ended without closing its run (killed, crashed, or it never opened one).
        tail = node.log_tail(job_id)
        message = (
            f"采集进程异常结束 (crawl process on {node.label} ended without closing its run): {tail[-500:]}"
        )
        _record_failure(db, clock, source_key, run, "failed", message, trigger=trigger)
        logger.warning("crawl of %s on %s ended without closing its run", source_key, node.label)
        return CrawlOutcome(source_key, "failed", None, duration, tail)
    status = "success" if run.status == "success" else "failed"
    tail = "" if status == "success" else node.log_tail(job_id)
    logger.info("crawl of %s on %s ended %s in %.1fs", source_key, node.label, run.status, duration)
    return CrawlOutcome(source_key, status, None, duration, tail)


@dataclass(frozen=True)
class _Run:
    id: int
    status: str


def _prepare(
    db: Database, clock: Clock, source_key: str, timeout: float, nodes: Sequence[ScrapydNode]
) -> tuple[int | None, int]:
    """(id of a crawl of this source still under way, or None; the highest crawl_runs id now).

    Normally the previous crawl of the source has ended: the dispatcher waited for it. A run still 'running'
    was started by a scheduler that died (this one took over). It is left alone while its process lives;
    a run whose process is gone (its node died too), or that is past its time limit, is closed as killed.
    """
    now = clock.now()
    limit = timedelta(seconds=timeout + KILL_GRACE_SECONDS + NODE_LOST_SECONDS)
    with db.session() as session:
        before = session.scalar(select(func.max(CrawlRun.id))) or 0
        source = session.scalars(select(Source).where(Source.key == source_key)).one()
        running = list(
            session.scalars(
                select(CrawlRun).where(CrawlRun.source_id == source.id, CrawlRun.status == "running")
            )
        )
        if not running:
            return None, int(before)
        crawls = _running_crawls(nodes)
        under_way = None
        for run in running:
            if now - ensure_utc(run.started_at) <= limit and _process_alive(run.node, run.pid, crawls):
                under_way = run.id
                continue
            run.status = "killed"
            run.finished_at = now
            run.error_message = "采集进程已不存在，未正常结束 (its process and node are gone)"
            source.consecutive_failures = (source.consecutive_failures or 0) + 1
            source.last_failure_at = now
            source.last_error = run.error_message
            logger.warning(
                "crawl run %s of %s was left running by a dead process; closed", run.id, source_key
            )
        return under_way, int(before)


def _running_crawls(nodes: Sequence[ScrapydNode]) -> dict[str, set[int]]:
    """Host name -> pids of the crawls running there, from every node that answers."""
    found: dict[str, set[int]] = {}
    for node in nodes:
        try:
            name, pids = node.running()
        except NodeError:
            continue
        found.setdefault(name, set()).update(pids)
    return found


def _process_alive(host: str | None, pid: int | None, crawls: dict[str, set[int]]) -> bool:
    """Whether the crawl process (host, pid) of a run may still be running. A crawl on this machine is
    checked directly; one on another is dead when a node on that host answers and does not list it; with
    no node of that host answering (a network problem, or a local `yuqing crawl`), it is taken as alive."""
    if not pid:
        return True
    if host == socket.gethostname():
        return pid_alive(pid)
    if host in crawls:
        return pid in crawls[host]
    return True


def _wait(node: ScrapydNode, job_id: str, deadline: float, poll: float, lost_after: float) -> str:
    """Poll until the job ends: 'finished', 'timeout' (cancelled) or 'lost' (the node stopped answering)."""
    silent_since: float | None = None
    while True:
        now = time.monotonic()
        try:
            state = node.job_state(job_id)
            silent_since = None
        except NodeError:
            state = "unknown"
            silent_since = silent_since or now
            if now - silent_since >= lost_after:
                return "lost"
        if state in ("finished", None):  # None: the node restarted and forgot the job; the row tells
            return "finished"
        if now >= deadline:
            _cancel(node, job_id, poll)
            return "timeout"
        time.sleep(poll)


def _cancel(node: ScrapydNode, job_id: str, poll: float) -> None:
    """SIGTERM (Scrapy closes the run as killed), then SIGKILL after the same grace as a local crawl."""
    try:
        node.cancel(job_id, "TERM")
        grace_end = time.monotonic() + KILL_GRACE_SECONDS
        while time.monotonic() < grace_end:
            if node.job_state(job_id) in ("finished", None):
                return
            time.sleep(min(poll, 0.5))
        node.cancel(job_id, "KILL")
    except NodeError as exc:
        logger.warning("cancelling job %s: %s", job_id, exc)


def _our_run(db: Database, source_key: str, before_id: int) -> _Run | None:
    """The run our job opened: the first run of the source created after dispatch (ids only grow, so no
    clock comparison between machines is needed; one crawl of a source at a time, see _prepare)."""
    with db.session() as session:
        row = session.execute(
            select(CrawlRun.id, CrawlRun.status)
            .join(Source, Source.id == CrawlRun.source_id)
            .where(Source.key == source_key, CrawlRun.id > before_id)
            .order_by(CrawlRun.id)
            .limit(1)
        ).first()
    return _Run(int(row.id), str(row.status)) if row is not None else None


def _record_failure(
    db: Database, clock: Clock, source_key: str, run: _Run | None, status: str, message: str, *, trigger: str
) -> None:
    """Close our run (or write one, when the crawl never opened it) and count the failure on the source."""
    now = clock.now()
    with db.session() as session:
        source = session.scalars(select(Source).where(Source.key == source_key)).one()
        row = session.get(CrawlRun, run.id) if run is not None else None
        if row is None:
            session.add(
                CrawlRun(
                    source_id=source.id, started_at=now, finished_at=now, status=status, trigger=trigger,
                    error_message=message[:2000], node="scrapyd", dropped_reasons={},
                )
            )  # fmt: skip
        elif row.status == "running":
            row.status = status
            row.finished_at = now
            row.error_message = message[:2000]
        elif not (status == "timeout" and row.status == "killed"):
            return  # the crawl closed its own run (and counted its own failure, if it failed)
        source.consecutive_failures = (source.consecutive_failures or 0) + 1
        source.last_failure_at = now
        source.last_run_at = now
        source.last_error = message[:2000]
