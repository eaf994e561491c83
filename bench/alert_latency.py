"""Publication -> alert mail: the demo publishes an incident item, a poll loop runs the pipeline the scheduler
runs (crawl subprocess, analysis, alerts evaluate, mail send) and the local mail catcher receives the alert.

The demo clock is frozen (speed 0) and moved by hand, so the publication moment is known exactly; it falls at
a random phase of the poll interval, as in production. Target: latency <= poll interval + 10 s, i.e. the
processing after the crawl that first sees the item stays under 10 s.

    .venv/bin/python bench/alert_latency.py [--trials 3] [--poll 20] [--group-wait 0] [--seed 7]

--group-wait sets alerts.yaml's group_wait_seconds for the run (the shipped 30 s adds up to 30 s on purpose:
a growing event sends one mail, not five).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alerts import jobs as alert_jobs  # noqa: E402
from analysis import jobs as analysis_jobs  # noqa: E402
from core.catalog import sync_reference_data  # noqa: E402
from core.clock import SystemClock  # noqa: E402
from core.db import Database  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.runtime import JobContext  # noqa: E402
from core.settings import load_config  # noqa: E402
from demo.server import DemoServer  # noqa: E402
from tests.pgserver import free_port  # noqa: E402
from yuqing.crawlproc import run_crawl  # noqa: E402
from yuqing.mailcatcher import start_catcher  # noqa: E402

TARGET_WORDS = "聚集"  # the wage-arrears item that threatens a gathering at the city government
SITE = "翡翠湾"


def read_mail(path: Path) -> EmailMessage:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def mail_text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    return body.get_content() if body is not None else ""


def pipeline(ctx: JobContext, source_keys: list[str]) -> dict[str, float]:
    """One poll: crawl (each a subprocess, as the scheduler does), analyse, evaluate, send. Seconds per stage."""
    times: dict[str, float] = {}
    began = time.perf_counter()
    for key in source_keys:
        run_crawl(ctx.config.settings, ctx.db, ctx.clock, key, timeout=120)
    times["crawl"] = time.perf_counter() - began
    t = time.perf_counter()
    analysis_jobs.run(ctx)
    times["analyze"] = time.perf_counter() - t
    t = time.perf_counter()
    alert_jobs.evaluate(ctx)
    times["evaluate"] = time.perf_counter() - t
    t = time.perf_counter()
    alert_jobs.send_mail(ctx)
    times["send"] = time.perf_counter() - t
    return times


def trial(number: int, args: argparse.Namespace) -> dict[str, float]:
    rng = random.Random(args.seed * 1000 + number)
    work = Path(tempfile.mkdtemp(prefix="yuqing-latency-"))
    # Simulated start two hours and a quarter ago, so that the incident's items carry about real times.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=135)
    demo = DemoServer(seed=args.seed, speed=0, backfill_days=0, start=start).start()
    mail_dir = work / "mail"
    smtp_port = free_port()
    catcher = start_catcher(mail_dir, port=smtp_port)
    os.environ["YUQING_DEMO_URL"] = demo.url  # config/sources.yaml reads it; crawl subprocesses inherit it
    db_url = f"sqlite:///{work / 'yuqing.db'}"
    try:
        config = load_config(
            {"config_dir": REPO / "config", "data_dir": work, "database_url": db_url, "smtp_port": smtp_port}
        )
        config = dataclasses.replace(
            config, alerts=config.alerts.model_copy(update={"group_wait_seconds": args.group_wait})
        )
        db = Database(db_url)
        upgrade(db.engine)
        clock = SystemClock()
        with db.session() as session:
            sync_reference_data(session, config, clock)
        ctx = JobContext(config=config, db=db, clock=clock)
        sources = [s.key for s in config.sources.sources if s.enabled and s.type != "file"]
        wage = next(i for i in demo.world.incidents if i.key == "wage_arrears")
        target = next(i for i in wage.items if TARGET_WORDS in i.title)
        target_kind = {"hotline": "hotline", "board": "board", "gbk_board": "board"}.get(
            target.source, "news"
        )
        poll_sources = [
            s.key for s in config.sources.sources if s.enabled and s.kind == target_kind and s.type != "file"
        ]
        # Everything before the target is published and processed first (the system is warm and quiet).
        demo.advance(seconds=(target.publish_at - demo.sim_now()).total_seconds() - 30)
        warm = pipeline(ctx, sources)
        alert_jobs.send_mail(ctx)
        seen = set(mail_dir.glob("*.eml"))
        # The poll loop; the publication falls at a random phase of the interval.
        phase = rng.uniform(0.1, 0.9) * args.poll
        loop_start = time.monotonic()
        published_at: float | None = None
        detect_started: float | None = None
        received_at: float | None = None
        stages: dict[str, float] = {}
        deadline = loop_start + args.poll * 4 + 60
        next_poll = loop_start
        while received_at is None and time.monotonic() < deadline:
            now = time.monotonic()
            if published_at is None and now >= loop_start + phase:
                demo.advance(seconds=60)  # the target item (publish_at within these 60 s) goes public
                published_at = time.monotonic()
            if now >= next_poll:
                poll_began = time.monotonic()
                stages = pipeline(ctx, poll_sources)
                if published_at is not None and detect_started is None and published_at <= poll_began:
                    detect_started = poll_began
                next_poll += args.poll
            for path in sorted(set(mail_dir.glob("*.eml")) - seen):
                seen.add(path)
                message = read_mail(path)
                if (
                    published_at is not None
                    and str(message["Subject"]).startswith("[")
                    and (target.title in mail_text(message) or SITE in mail_text(message))
                ):
                    received_at = path.stat().st_mtime - time.time() + time.monotonic()
                    print(f"  trial {number + 1}: {message['Subject']} -> {message['X-Envelope-To']}")
                    break
            time.sleep(0.05)
        if received_at is None or published_at is None or detect_started is None:
            raise SystemExit(f"trial {number + 1}: no alert mail within the deadline")
        return {
            "latency": received_at - published_at,
            "wait_for_poll": detect_started - published_at,
            "processing": received_at - detect_started,
            "crawl": stages.get("crawl", 0.0),
            "analyze": stages.get("analyze", 0.0),
            "evaluate": stages.get("evaluate", 0.0),
            "send": stages.get("send", 0.0),
            "warm_pipeline": sum(warm.values()),
        }
    finally:
        catcher.stop()
        demo.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--poll", type=float, default=20.0, help="poll interval in seconds")
    parser.add_argument("--group-wait", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    results = [trial(n, args) for n in range(args.trials)]
    print(f"poll interval {args.poll:g} s, group_wait {args.group_wait:g} s, {args.trials} trials")
    for key in ("latency", "wait_for_poll", "processing", "crawl", "analyze", "evaluate", "send"):
        values = [r[key] for r in results]
        print(f"  {key:14s} median {statistics.median(values):6.2f} s   max {max(values):6.2f} s")
    worst = max(r["latency"] for r in results)
    budget = args.poll + 10 + args.group_wait
    verdict = "within" if worst <= budget else "OVER"
    print(f"worst latency {worst:.2f} s vs poll + 10 s (+ group_wait) = {budget:.2f} s: {verdict} target")


if __name__ == "__main__":
    main()
