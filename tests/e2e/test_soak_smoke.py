"""A short whole-system soak (bench/soak.py compressed to 60 s): board 5xx bursts, news timeouts, a silent
source, the mail server down and the scheduler SIGKILLed mid-crawl; afterwards nothing published is missing,
every outbox row reached the catcher, at most one mail was duplicated for the one kill."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _processes_in(directory: Path) -> list[int]:
    found = []
    for proc_dir in Path("/proc").iterdir():
        if not proc_dir.name.isdigit():
            continue
        try:
            alive = "\nState:\tZ" not in (proc_dir / "status").read_text()
            if alive and Path(os.readlink(proc_dir / "cwd")) == directory:
                found.append(int(proc_dir.name))
        except OSError:
            continue
    return found


@pytest.mark.slow
def test_short_soak_loses_nothing_and_duplicates_within_the_bound(tmp_path: Path) -> None:
    work = tmp_path / "work"
    figures = tmp_path / "soak.json"
    command = [
        sys.executable,
        str(REPO / "bench" / "soak.py"),
        "--minutes",
        "1",
        "--speed",
        "600",
        "--download-timeout",
        "4",
        "--restart-delay",
        "3",
        "--keep",
        str(work),
        "--json",
        str(figures),
        "--quiet",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    report = done.stdout[-4000:] + done.stderr[-4000:]
    assert figures.exists(), report
    result = json.loads(figures.read_text(encoding="utf-8"))

    assert result["settled"], report
    steps = [s["step"] for s in result["timeline"]]
    assert any("SIGKILL" in s for s in steps) and any("restarted" in s for s in steps)
    assert result["kills"] == 1 and result["mail_outages"] == 1
    # The faults really bit: board crawls met the 5xx bursts.
    assert result["crawl_runs"]["demo_board"].get("with_errors", 0) >= 1, result["crawl_runs"]

    items = result["items"]
    assert items["published"] >= 100, items
    assert items["missing"] == 0, items
    assert items["duplicated"] == 0, items
    assert all(v["published"] > 0 for v in items["per_source"].values()), items

    mail = result["mail"]
    assert mail["expected"] >= 5, mail
    assert mail["missing"] == 0, mail
    assert mail["duplicated"] <= result["kills"], mail
    assert result["timers"]["overdue_not_flagged"] == 0, result["timers"]
    assert result["crashes"] == []
    assert done.returncode == 0, report
    assert _processes_in(work) == [], "processes left running after the soak"
