"""Exactly one scheduler with failover, with real bot processes on PostgreSQL (issue 12, probe items 1-2).

Three shell bot processes share one database; 100 rounds are scheduled through all three. Halfway, the lock
holder is SIGKILLed (a standby takes the advisory lock) or PostgreSQL is restarted (which drops the lock
silently; the holder notices and every process competes again). Every scheduled round starts exactly once.
"""

from __future__ import annotations

import os
import time
import zlib

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from bot.rounds import scheduler
from bot.storage import db
from bot.storage import models as m
from tests.rounds.test_restart import ROOT, BotProcess, restart_postgres, wait_db

LOCK_KEY = scheduler.ADVISORY_LOCK_KEY * 1000 + zlib.crc32(b"shell") % 1000


def lock_holder(conn) -> str | None:  # type: ignore[no-untyped-def]
    """The application name (PGAPPNAME, one per bot process) of the backend holding the scheduler lock."""
    return conn.execute(text(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = :k "
        # advisory locks are per database, and other tests' bot processes hold the same key in theirs
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
        {"k": LOCK_KEY}).scalar()


def wait_holder(engine, allowed: set[str], timeout: float = 60) -> str:  # type: ignore[no-untyped-def]
    """The one of `allowed` that holds the lock, once one does."""
    t0 = time.monotonic()
    while True:
        try:
            with engine.connect() as conn:
                holder = lock_holder(conn)
        except OperationalError:  # PostgreSQL is still coming back
            holder = None
        if holder in allowed:
            return holder
        # the design target is 5 s (standbys retry every second; measured 0.06-0.38 s, see
        # benchmarks/RESULTS.md); the test allows a busy machine far more, so it never races the clock
        assert time.monotonic() - t0 < timeout, "no process took the lock"
        time.sleep(0.05)


def schedule(proc: BotProcess, i: int) -> None:
    """Schedule round i through `proc`, as a club admin would, again if the database was away."""
    for _ in range(60):
        out = proc.send(f"/debate schedule in {5 + i % 4}m diplomacy")
        if "scheduled" in out:
            return
        assert "unreachable" in out or "try again" in out.lower(), out
        time.sleep(0.5)
    raise AssertionError("could not schedule a round")


ROUNDS = 100


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["sigkill", "postgres_restart"])
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_three_processes_a_fault_halfway_and_every_round_starts_once(settings, tmp_path, fault) -> None:
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
        # 100 rounds through all three processes, each due 5-8 minutes (10-16 s real) after it is scheduled;
        # the fault comes after the first half, while early rounds are already starting
        for i in range(ROUNDS // 2):
            schedule(procs[i % 3], i)
        survivors = procs
        if fault == "sigkill":
            killed = owners[0]
            killed.kill()
            t0 = time.monotonic()
            survivors = [p for p in procs if p is not killed]
            wait_holder(engine, {names[id(p)] for p in survivors})
            print(f"takeover after SIGKILL: {time.monotonic() - t0:.2f} s")
        else:
            t0 = time.monotonic()
            restart_postgres()  # drops every connection and, with them, the advisory lock
            wait_holder(engine, set(names.values()))
            print(f"a process holds the lock {time.monotonic() - t0:.2f} s after the restart began")
        for i in range(ROUNDS // 2, ROUNDS):
            schedule(survivors[i % len(survivors)], i)

        def all_started(session):  # type: ignore[no-untyped-def]
            rounds = session.scalars(select(m.Round)).all()
            return len(rounds) == ROUNDS and all(r.state not in ("scheduled", "signup", "draft") for r in rounds)

        wait_db(sessions, all_started, timeout=180, what=f"all {ROUNDS} rounds started")
        with db.transaction(sessions) as session:
            starts = session.execute(select(m.Deadline.round_id, func.count()).where(
                m.Deadline.kind == "start", m.Deadline.done_at.is_not(None)).group_by(m.Deadline.round_id)).all()
        assert len(starts) == ROUNDS and all(n == 1 for _, n in starts), starts
        with engine.connect() as conn:
            assert lock_holder(conn) in {names[id(p)] for p in survivors}, "one process holds the lock at the end"
        texts = "\n".join(p.text for p in survivors)
        assert "JobLookupError" not in texts and "Traceback" not in texts, texts[-3000:]
    finally:
        for p in procs:
            p.close()
        engine.dispose()
