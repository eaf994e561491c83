"""Whether a local process is still alive: used to take over from dead lock holders and dead crawls."""

from __future__ import annotations

import os


def pid_alive(pid: int | None) -> bool:
    """True while `pid` runs on this machine. A zombie counts as dead: it will never do more work, and an
    orphan whose parent died may wait as one forever for a reaper that never comes (in a container)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by another user
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            return "\nState:\tZ" not in fh.read()
    except OSError:
        return True  # no /proc here: the signal check said it exists
