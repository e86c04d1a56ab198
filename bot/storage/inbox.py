"""The inbox: platform events made durable before the platform hears 200, processed after.

    inbox = Inbox(engine, "slack")
    if inbox.put(event_id, raw_event, order_key=ts_us):   # one INSERT ... ON CONFLICT DO NOTHING, committed
        ack()                                               # only now does the platform hear 200
        if inbox.claim(event_id): ...process...; inbox.done(event_id)   # or `mark_done(session, ...)` in the handler's
                                                            # own transaction, so "done" commits with its effects
    for key, payload, attempts in inbox.pending(older_than=10):   # at start-up and by a periodic sweep
        if inbox.claim(key, attempts): ...process again...      # exactly one process wins each attempt

- The unique key (platform, event id) doubles as replay protection across processes and restarts: a
  second delivery of the same event finds the row and `put` returns False.
- The insert commits with full durability (PostgreSQL's default `synchronous_commit`; SQLite in WAL mode
  survives a killed process), on its own connection, so it never waits for a handler's transaction on
  PostgreSQL.
- Each attempt is claimed first (`claim`: attempts + 1, only if nobody else has), by the process that acked
  the event as well as by one replaying it, so two processes never handle one event at once.
- A row that was attempted `MAX_ATTEMPTS` times is left alone (and counted by `depth`), so one poison event never
  blocks start-up.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, create_engine, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.storage import models as m

MAX_ATTEMPTS = 3
KEY_CHARS = 128


def _now() -> datetime:
    return datetime.now(UTC)


class Inbox:
    """Durable intake for one platform's events (see the module docstring)."""

    def __init__(self, engine: Engine, platform: str) -> None:
        self.platform = platform
        self._shared = engine
        self._own: Engine | None = None
        if engine.dialect.name == "postgresql":
            # Its own small pool: the ack never waits for a connection that a handler holds.
            url = engine.url.render_as_string(hide_password=False)
            self._own = create_engine(url, pool_size=4, max_overflow=4, pool_pre_ping=True,
                                      connect_args={"connect_timeout": 3})
        self.engine = self._own or engine
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert

    def close(self) -> None:
        if self._own is not None:
            self._own.dispose()

    def put(self, key: str, payload: dict[str, Any], *, order_key: int | None = None) -> bool:
        """Write the event durably; False when this event was received before (a retry or a replay)."""
        statement = (self._insert(m.InboxEvent).values(
            platform=self.platform, key=key[:KEY_CHARS], order_key=order_key, payload=payload,
            received_at=_now(), attempts=0)
            .on_conflict_do_nothing(index_elements=["platform", "key"]).returning(m.InboxEvent.id))
        with self.engine.begin() as conn:
            return conn.execute(statement).first() is not None

    def done(self, key: str) -> None:
        """Mark the event processed (idempotent)."""
        with self.engine.begin() as conn:
            conn.execute(_done(self.platform, key))

    def pending(self, *, older_than: float = 0.0, unclaimed: bool = False,
                limit: int = 1000) -> list[tuple[str, dict[str, Any], int]]:
        """Unprocessed events received at least `older_than` seconds ago (with `unclaimed`, also any that no
        process has started on), in the platform's order, as (key, payload, attempts so far)."""
        cutoff = _now() - timedelta(seconds=older_than)
        due = m.InboxEvent.received_at <= cutoff
        with self.engine.connect() as conn:
            rows = conn.execute(select(m.InboxEvent.key, m.InboxEvent.payload, m.InboxEvent.attempts).where(
                m.InboxEvent.platform == self.platform, m.InboxEvent.processed_at.is_(None),
                m.InboxEvent.attempts < MAX_ATTEMPTS, or_(due, m.InboxEvent.attempts == 0) if unclaimed else due)
                .order_by(m.InboxEvent.order_key, m.InboxEvent.id).limit(limit)).all()
        return [(key, payload, attempts) for key, payload, attempts in rows]

    def claim(self, key: str, attempts: int = 0) -> bool:
        """Start an attempt on the event, if nobody has since `attempts` was read: True for exactly one
        process (the one that acked it, or one replaying it), so an event is not handled twice at once."""
        with self.engine.begin() as conn:
            return (conn.execute(update(m.InboxEvent).where(
                m.InboxEvent.platform == self.platform, m.InboxEvent.key == key[:KEY_CHARS],
                m.InboxEvent.processed_at.is_(None), m.InboxEvent.attempts == attempts)
                .values(attempts=m.InboxEvent.attempts + 1)).rowcount or 0) == 1

    def release(self, key: str) -> None:
        """Give back an attempt that failed for the database's sake, not the event's (see `claim`)."""
        with self.engine.begin() as conn:
            conn.execute(update(m.InboxEvent).where(
                m.InboxEvent.platform == self.platform, m.InboxEvent.key == key[:KEY_CHARS],
                m.InboxEvent.processed_at.is_(None), m.InboxEvent.attempts > 0)
                .values(attempts=m.InboxEvent.attempts - 1))

    def depth(self) -> int:
        """How many events wait to be processed (including any given up on)."""
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(m.InboxEvent).where(
                m.InboxEvent.platform == self.platform, m.InboxEvent.processed_at.is_(None))) or 0)

    def prune(self, *, keep_seconds: float = 86_400.0) -> int:
        """Delete processed rows older than `keep_seconds` (they only guard against replays until then)."""
        from sqlalchemy import delete

        cutoff = _now() - timedelta(seconds=keep_seconds)
        with self.engine.begin() as conn:
            return conn.execute(delete(m.InboxEvent).where(
                m.InboxEvent.platform == self.platform, m.InboxEvent.processed_at.is_not(None),
                m.InboxEvent.processed_at < cutoff)).rowcount or 0


def _done(platform: str, key: str):  # type: ignore[no-untyped-def]
    return update(m.InboxEvent).where(
        m.InboxEvent.platform == platform, m.InboxEvent.key == key[:KEY_CHARS],
        m.InboxEvent.processed_at.is_(None)).values(processed_at=_now())


def mark_done(session: Session, platform: str, key: str) -> None:
    """Mark an inbox event processed inside the handler's own transaction (commits with its effects)."""
    session.execute(_done(platform, key))
