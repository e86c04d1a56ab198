"""Exactly one scheduler with failover, with real bot processes on PostgreSQL (issue 12, probe items 1-2).

Three shell bot processes share one database; rounds are scheduled through all three. The lock holder is
SIGKILLed; a standby takes the advisory lock within 5 s, and every scheduled round starts exactly once.
"""

from __future__ import annotations

import os
import time
import zlib

import pytest
from sqlalchemy import func, select, text

from bot.rounds import scheduler
from bot.storage import db
from bot.storage import models as m
from tests.rounds.test_restart import ROOT, BotProcess, wait_db

LOCK_KEY = scheduler.ADVISORY_LOCK_KEY * 1000 + zlib.crc32(b"shell") % 1000


def lock_holder(conn) -> str | None:  # type: ignore[no-untyped-def]
    """The application name (PGAPPNAME, one per bot process) of the backend holding the scheduler lock."""
    return conn.execute(text(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = :k "
        # advisory locks are per database, and other tests' bot processes hold the same key in theirs
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
        {"k": LOCK_KEY}).scalar()


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_three_processes_a_killed_holder_and_every_round_starts_once(settings, tmp_path) -> None:
    env = {**os.environ, "DATABASE_URL": settings.resolved_database_url, "DATA_DIR": str(tmp_path / "data"),
           "TIME_SCALE": "30", "LOG_LEVEL": "INFO", "PYTHONPATH": str(ROOT)}
    engine = db.make_engine(settings.resolved_database_url)
    sessions = db.session_factory(engine)
    procs = [BotProcess({**env, "PGAPPNAME": f"bot{i}"}) for i in range(3)]
    names = {id(p): f"bot{i}" for i, p in enumerate(procs)}
    try:
        with engine.connect() as conn:
            holder = lock_holder(conn)
        owners = [p for p in procs if names[id(p)] == holder]
        assert len(owners) == 1, "exactly one process holds the scheduler lock"
        # 9 rounds through all three processes, due 5-8 minutes (10-16 s real) from now
        for i in range(9):
            out = procs[i % 3].send(f"/debate schedule in {5 + i % 4}m diplomacy")
            assert "Scheduled" in out or "#" in out, out
        killed = owners[0]
        killed.kill()
        t0 = time.monotonic()
        survivors = [p for p in procs if p is not killed]
        with engine.connect() as conn:
            while True:
                holder = lock_holder(conn)
                if holder is not None and holder in {names[id(p)] for p in survivors}:
                    break
                # the design target is 5 s (standbys retry every second; measured 0.06-0.38 s, see
                # benchmarks/RESULTS.md); the test allows a busy machine far more, so it never races the clock
                assert time.monotonic() - t0 < 60, "no standby took over"
                time.sleep(0.05)
                conn.rollback()
        takeover = time.monotonic() - t0
        print(f"takeover after SIGKILL: {takeover:.2f} s")

        def all_started(session):  # type: ignore[no-untyped-def]
            rounds = session.scalars(select(m.Round)).all()
            return len(rounds) == 9 and all(r.state not in ("scheduled", "signup", "draft") for r in rounds)

        wait_db(sessions, all_started, timeout=90, what="all 9 rounds started")
        with db.transaction(sessions) as session:
            starts = session.execute(select(m.Deadline.round_id, func.count()).where(
                m.Deadline.kind == "start", m.Deadline.done_at.is_not(None)).group_by(m.Deadline.round_id)).all()
        assert len(starts) == 9 and all(n == 1 for _, n in starts), starts
        texts = "\n".join(p.text for p in survivors)
        assert "JobLookupError" not in texts and "Traceback" not in texts, texts[-3000:]
    finally:
        for p in procs:
            p.close()
        engine.dispose()
