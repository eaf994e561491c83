"""The sender killed with SIGKILL between the SMTP '250' and marking the row sent, 20 times in a row:
nothing is lost and each kill costs at most one duplicate."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.content import MailContent
from alerts.notify.outbox import deliver_due, enqueue
from alerts.notify.smtp import SmtpTransport
from core.clock import FixedClock, SystemClock
from core.db import Database
from core.models import Notification
from tests.integration.alerts.smtpserver import KillSecondMessage, Recorder, start_server
from tests.pgserver import free_port

REPO = Path(__file__).resolve().parents[3]
LEASE = 0.3
SENDER = f"""
import sys
from core.clock import SystemClock
from core.db import Database
from alerts.notify.outbox import deliver_due
from alerts.notify.smtp import SmtpTransport
db = Database(sys.argv[1])
deliver_due(db, SystemClock(), SmtpTransport("127.0.0.1", int(sys.argv[2]), timeout=10),
            mail_from="yuqing@gov.example", limit=5, lease_seconds={LEASE})
"""
KILLS = 20


@pytest.mark.slow
def test_sigkill_between_send_and_mark_20_times(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    now = datetime.now(UTC) - timedelta(minutes=1)
    with db.session() as s:
        for i in range(45):
            enqueue(
                s,
                now,
                batch=f"kill:{i}",
                kind="alert",
                recipients=["duty@x.test"],
                mail=MailContent(f"[红色预警] 第 {i} 条", f"正文 {i}", None),
            )
    recorder = Recorder()
    killer = KillSecondMessage()
    recorder.on_message = killer
    port = free_port()
    controller = start_server(recorder, port)
    try:
        runs = 0
        while killer.kills < KILLS and runs < KILLS * 2:
            runs += 1
            proc = subprocess.Popen(
                [sys.executable, "-c", SENDER, sqlite_url, str(port)],
                cwd=REPO,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            killer.arm(proc.pid)
            _, err = proc.communicate(timeout=60)
            assert proc.returncode in (0, -9), err.decode()
            time.sleep(LEASE + 0.05)  # the killed row's lease runs out
        assert killer.kills == KILLS
        killer.victim = None
        # a sender that is not killed finishes the job
        report = deliver_due(
            db,
            SystemClock(),
            SmtpTransport("127.0.0.1", port),
            mail_from="yuqing@gov.example",
            lease_seconds=LEASE,
        )
        assert report.failed == 0
    finally:
        controller.stop()
    with db.session() as s:
        rows = s.scalars(select(Notification)).all()
    assert all(r.status == "sent" for r in rows)
    received = Counter(recorder.keys())
    assert set(received) == {r.dedupe_key for r in rows}  # nothing lost
    duplicates = sum(n - 1 for n in received.values())
    assert 1 <= duplicates <= KILLS  # the kills did land between send and mark; at most one copy per kill
    assert max(received.values()) <= 2
    # the duplicate carries the same Message-ID, so mail clients fold it
    ids: dict[str, set[str]] = {}
    for message in recorder.messages:
        ids.setdefault(str(message["X-Yuqing-Key"]), set()).add(str(message["Message-ID"]))
    assert all(len(v) == 1 for v in ids.values())
    db.dispose()


def test_killed_sender_row_is_resent_after_its_lease(db: Database) -> None:
    """The same guarantee on a fake clock, without processes: a claimed row that was never marked comes back
    once its lease expires, and not before."""
    clock = FixedClock(datetime(2026, 11, 20, 2, tzinfo=UTC))
    with db.session() as s:
        enqueue(
            s, clock.now(), batch="b", kind="alert", recipients=["a@x.test"], mail=MailContent("s", "t", None)
        )
    from alerts.notify.outbox import claim

    [first] = claim(db, clock.now(), mail_from="y@x.test", lease_seconds=300)
    assert claim(db, clock.now() + timedelta(seconds=299), mail_from="y@x.test") == []
    [again] = claim(db, clock.now() + timedelta(seconds=301), mail_from="y@x.test")
    assert again.id == first.id and again.message_id == first.message_id and again.attempts == 2
