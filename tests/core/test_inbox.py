"""The inbox (bot/storage/inbox.py): durable before the ack, one row per event id, replayed in order."""

from __future__ import annotations

from bot.storage import db, inbox
from bot.storage import models as m


def test_put_is_once_per_event_and_pending_is_in_platform_order(database_url: str) -> None:
    engine = db.make_engine(database_url)
    box = inbox.Inbox(engine, "slack")
    try:
        assert box.put("Ev3", {"n": 3}, order_key=1_700_000_000_000_003)
        assert box.put("Ev1", {"n": 1}, order_key=1_700_000_000_000_001)
        assert box.put("Ev2", {"n": 2}, order_key=1_700_000_000_000_002)
        assert not box.put("Ev1", {"n": 1}), "a second delivery (retry, replay to any process) is refused"
        assert inbox.Inbox(engine, "discord").put("Ev1", {}), "keys are per platform"
        assert [key for key, _, _ in box.pending()] == ["Ev1", "Ev2", "Ev3"]
        assert box.depth() == 3
        with db.transaction(db.session_factory(engine)) as session:  # done inside a handler's transaction
            inbox.mark_done(session, "slack", "Ev1")
        box.done("Ev2")
        box.done("Ev2")  # idempotent
        assert [payload for _, payload, _ in box.pending()] == [{"n": 3}]
        assert box.pending(older_than=3600) == [], "a sweep leaves fresh rows to the process handling them"
        assert [k for k, _, _ in box.pending(older_than=3600, unclaimed=True)] == ["Ev3"], "never started: any may"
        assert box.claim("Ev3") and not box.claim("Ev3"), "exactly one process wins an attempt"
        assert box.pending(older_than=3600, unclaimed=True) == [], "a fresh claimed row is left to its process"
        assert [a for _, _, a in box.pending()] == [1]
        box.release("Ev3")
        assert [a for _, _, a in box.pending()] == [0], "an attempt the database cost is given back"
        assert box.claim("Ev3")
        for attempts in range(1, inbox.MAX_ATTEMPTS):
            assert box.claim("Ev3", attempts)
        assert box.pending() == [] and box.depth() == 1, "a poison event is given up on, but still counted"
        assert not box.put("Ev2", {"n": 2}), "a processed event still refuses replays until pruned"
        assert box.prune(keep_seconds=0) == 2
    finally:
        box.close()
        engine.dispose()


def test_each_put_is_one_durable_row(database_url: str) -> None:
    """Every put is stored at once, one row each (its speed is measured in benchmarks/inbox_ack.py, not here)."""
    engine = db.make_engine(database_url)
    box = inbox.Inbox(engine, "slack")
    try:
        box.put("warm", {})
        for i in range(50):
            box.put(f"Ev{i}", {"event": {"type": "message", "text": "x" * 500}}, order_key=i)
        with db.transaction(db.session_factory(engine)) as session:
            assert session.query(m.InboxEvent).count() == 51
    finally:
        box.close()
        engine.dispose()
