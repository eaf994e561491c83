"""pid_alive: running processes are alive; finished ones, and zombies nobody reaped, are not."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from core.processes import pid_alive


def test_running_finished_and_zombie() -> None:
    assert pid_alive(os.getpid())
    assert not pid_alive(None) and not pid_alive(0)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    # Not waited for yet: the finished child stays a zombie, which must count as dead.
    while time.monotonic() < deadline and pid_alive(child.pid):
        time.sleep(0.05)
    assert not pid_alive(child.pid)
    child.wait()
    assert not pid_alive(child.pid)
