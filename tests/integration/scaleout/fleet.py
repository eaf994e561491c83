"""A small fleet of real yuqing processes for the scale-out tests: each in its own process group (one group is
one "machine": SIGKILL of the group is a machine dying), with its log in a file, all stopped at the end."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[3]

# Test politeness: no delays, short timeouts (the demo is on loopback).
TEST_DEFAULTS = {
    "download_delay": 0,
    "autothrottle": False,
    "concurrency_per_domain": 8,
    "download_timeout": 5,
    "retry_times": 2,
    "max_pages": 200,
}


# Every committed write of item_analysis, with the item's revision and the writing transaction: an item
# revision analysed twice shows as two transaction ids (rolled-back writes leave no row).
ANALYSIS_LOG = (
    """CREATE TABLE test_analysis_log (item_id integer, revision integer, txid bigint, worker text,
         at timestamptz DEFAULT clock_timestamp())""",
    """CREATE FUNCTION test_log_analysis() RETURNS trigger AS $$
       BEGIN
         INSERT INTO test_analysis_log (item_id, revision, txid, worker)
         SELECT NEW.item_id, i.revision, txid_current(), current_setting('application_name')
         FROM items i WHERE i.id = NEW.item_id;
         RETURN NEW;
       END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER test_log_analysis AFTER INSERT OR UPDATE ON item_analysis
       FOR EACH ROW EXECUTE FUNCTION test_log_analysis()""",
)


def with_app_name(url: str, name: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    killed: bool = False

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


@dataclass
class Fleet:
    workdir: Path
    env: dict[str, str]
    procs: dict[str, Proc] = field(default_factory=dict)

    def start(self, name: str, args: list[str], *, env: dict[str, str] | None = None) -> Proc:
        log = self.workdir / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "yuqing", *args],
                cwd=REPO,
                env={**self.env, **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        proc = Proc(name, popen, log)
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        """SIGKILL the process and everything it started (its process group): the machine dies."""
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.popen.wait(timeout=10)
        proc.killed = True

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=max(deadline - time.monotonic(), 0.1))
            # Whatever is left in the group (a crawl a node started) goes too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=5)


def make_config(target: Path, sources: tuple[str, ...], *, interval_minutes: float, timeout: int) -> Path:
    """The repository's config/ with only `sources` enabled, test politeness and short intervals."""
    shutil.copytree(REPO / "config", target)
    path = target / "sources.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["defaults"].update(TEST_DEFAULTS, interval_minutes=interval_minutes, timeout_seconds=timeout)
    for source in data["sources"]:
        source["enabled"] = source["key"] in sources
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def get_json(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def wait_for(
    predicate: Any, timeout: float, interval: float = 0.2, what: str = "condition", describe: Any = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    state = f" ({describe()})" if describe is not None else ""
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{state}")


def node_answers(url: str) -> bool:
    try:
        return bool(get_json(f"{url}/daemonstatus.json", timeout=1).get("status") == "ok")
    except OSError:
        return False
