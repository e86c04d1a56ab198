"""Exactly one scheduler per platform, with failover (issue 12, probe items 1-3).

Two bot services in one process, each with its own connections (as two processes would have), on the
virtual clock; each turn of the watch loop is `Runtime.check()`, which the real loop runs every
`LOCK_CHECK_SECONDS`, and each sync is `reconcile()`, run every `SYNC_SECONDS`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from bot.config import Settings
from bot.rounds import scheduler
from bot.storage import db
from bot.storage import models as m
from tests.fakes.clock import VirtualClock
from tests.fakes.room import Room


def pending(room: Room) -> set[int]:
    with db.transaction(room.service.sessions) as session:
        return set(session.scalars(select(m.Deadline.id).where(m.Deadline.done_at.is_(None))))


def armed(rt: scheduler.Runtime) -> set[int]:
    assert rt.scheduler is not None
    return {int(job.id.split(":")[1]) for job in rt.scheduler.get_jobs() if job.id.startswith("deadline:")}


def die(rt: scheduler.Runtime) -> None:
    """The lock holder's process is killed: its lock goes with its connection (or file), nothing is released."""
    if rt._lock_conn is not None:
        rt._lock_conn.invalidate()
        rt._lock_conn = None
    if rt._lock_file is not None:
        rt._lock_file.close()
        rt._lock_file = None
    assert rt.scheduler is not None
    rt.scheduler.shutdown(wait=False)
    rt.scheduler = None


def test_the_intervals_fit_the_promises() -> None:
    assert scheduler.LOCK_CHECK_SECONDS <= 5 / 2, "a standby takes over within 5 s of the holder's death"
    assert scheduler.SYNC_SECONDS < 3, "a row written by any process is armed within 3 s"


async def test_a_standby_takes_over_and_arms_what_any_process_wrote(settings: Settings) -> None:
    clock = VirtualClock()
    async with Room(settings, clock=clock) as a, Room(settings, clock=clock) as b:
        ra, rb = a.service.rounds_runtime, b.service.rounds_runtime
        assert ra.is_leader() and not rb.is_leader()
        assert not await rb.check(), "the lock is held: the other process stands by"

        await b.say("/debate schedule in 10m diplomacy")  # written through the standby process
        await a.say("/debate schedule in 20m diplomacy")
        ra.reconcile()  # the leader's periodic sync
        assert pending(a) and pending(a) <= armed(ra)

        die(ra)
        assert await rb.check(), "the standby takes the lock at its next check"
        assert rb.is_leader() and pending(b) <= armed(rb)
        await b.say("/debate schedule in 30m diplomacy")
        assert pending(b) <= armed(rb)
        assert not await ra.check() or not rb.is_leader(), "never two schedulers"


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_lost_lock_connection_stops_scheduling_at_once(settings: Settings) -> None:
    """A PostgreSQL restart (here: the lock's backend terminated) drops the advisory lock silently."""
    clock = VirtualClock()
    async with Room(settings, clock=clock) as a, Room(settings, clock=clock) as b:
        ra, rb = a.service.rounds_runtime, b.service.rounds_runtime
        assert ra.is_leader()
        pid = ra._lock_conn.connection.dbapi_connection.info.backend_pid
        with b.service.engine_db.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.commit()
        assert await rb.check(), "the lock is free: the standby takes it"
        assert not await ra.check(), "the old holder notices its lost connection and stops scheduling"
        assert not ra.is_leader() and ra.scheduler is None and rb.is_leader()
        die(rb)
        assert await ra.check(), "and competes again: it takes over when the lock is free"


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_row_committed_after_a_higher_id_is_still_armed(settings: Settings) -> None:
    """The probe's lost rounds: an 'armed up to id' mark skipped a row that another process committed late.
    (SQLite serialises writers, so ids commit in order there.)"""
    clock = VirtualClock()
    async with Room(settings, clock=clock) as a:
        rt = a.service.rounds_runtime
        await a.say("/debate schedule in 10m diplomacy")
        round_id = a.round().id
        due = clock.now() + timedelta(hours=1)
        slow = a.service.sessions()
        slow.add(m.Deadline(round_id=round_id, kind="probe_late", due_at=due))
        slow.flush()  # id N, not committed yet (another process in the middle of its transaction)
        late_id = slow.scalar(select(m.Deadline.id).where(m.Deadline.kind == "probe_late"))
        with db.transaction(a.service.sessions) as session:
            session.add(m.Deadline(round_id=round_id, kind="probe_early", due_at=due))  # id N+1, committed
        rt.reconcile()
        slow.commit()
        slow.close()
        rt.reconcile()
        assert late_id in armed(rt)
