"""SQLAlchemy 2 typed models. Times are stored in UTC. The same code runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite drops tzinfo otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Server(Base):
    """A Discord guild, Slack workspace or shell room, identified by platform plus external id."""

    __tablename__ = "servers"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    settings: Mapped[ServerSettings | None] = relationship(back_populates="server", uselist=False)


class ServerSettings(Base):
    __tablename__ = "server_settings"

    server_id: Mapped[int] = mapped_column(ForeignKey("servers.id", ondelete="CASCADE"), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    channel_id: Mapped[str | None] = mapped_column(String(64))
    default_format: Mapped[str] = mapped_column(String(32), default="quick")
    fill_policy: Mapped[str] = mapped_column(String(16), default="bot")  # bot | postpone | cancel
    # who decides a round's winner, in order; the automatic judge is always the last resort
    winner_rule: Mapped[str] = mapped_column(String(40), default="judges,audience,engine",
                                             server_default="judges,audience,engine")
    custom_formats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    season_started_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    server: Mapped[Server] = relationship(back_populates="settings")


class User(Base):
    """A person on one platform. The same person on two platforms is two users unless linked."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    linked_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Article(Base):
    """An article a server debates from. server_id NULL means built in (the seed article)."""

    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("server_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int | None] = mapped_column(ForeignKey("servers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300), default="")
    author: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    packs: Mapped[list[Pack]] = relationship(back_populates="article", cascade="all, delete-orphan")


class Pack(Base):
    """A debate pack (motions, claims, quotes, rebuttal links) for an article, stored as YAML."""

    __tablename__ = "packs"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    body_yaml: Mapped[str] = mapped_column(Text)
    is_draft: Mapped[bool] = mapped_column(Boolean, default=False)
    confidence: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    article: Mapped[Article] = relationship(back_populates="packs")


class Schedule(Base):
    """A recurring session (`every tue 18:00`); each occurrence becomes a Round."""

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = mapped_column(ForeignKey("servers.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64))
    motion_ref: Mapped[str] = mapped_column(String(300))
    format_key: Mapped[str] = mapped_column(String(32))
    next_at: Mapped[datetime | None] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Round(Base):
    """One debate. `state` follows draft → scheduled → signup → running → judging → finished | cancelled."""

    __tablename__ = "rounds"
    __table_args__ = (Index("ix_rounds_server_state", "server_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = mapped_column(ForeignKey("servers.id", ondelete="CASCADE"))
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.id", ondelete="SET NULL"))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    channel_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str | None] = mapped_column(String(64))
    signup_message_id: Mapped[str | None] = mapped_column(String(64))
    motion_id: Mapped[str] = mapped_column(String(64))
    motion_text: Mapped[str] = mapped_column(Text)
    format_key: Mapped[str] = mapped_column(String(32))
    format_spec: Mapped[dict[str, Any]] = mapped_column(default=dict)  # snapshot of the format when created
    state: Mapped[str] = mapped_column(String(16), default="draft")
    is_practice: Mapped[bool] = mapped_column(Boolean, default=False)
    time_scale: Mapped[float] = mapped_column(Float, default=1.0)
    starts_at: Mapped[datetime | None] = mapped_column()
    phase_index: Mapped[int] = mapped_column(Integer, default=-1)  # -1 before the first phase
    phase_started_at: Mapped[datetime | None] = mapped_column()
    phase_deadline: Mapped[datetime | None] = mapped_column()
    winner: Mapped[str | None] = mapped_column(String(16))
    winner_source: Mapped[str | None] = mapped_column(String(16))  # judges | audience | engine
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()

    participants: Mapped[list[Participant]] = relationship(back_populates="round", cascade="all, delete-orphan")
    speeches: Mapped[list[Speech]] = relationship(back_populates="round", cascade="all, delete-orphan")


class Participant(Base):
    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # a side key (pro, con, og, ...), judge or audience
    seat: Mapped[int] = mapped_column(Integer, default=0)  # speaking order within the side
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    round: Mapped[Round] = relationship(back_populates="participants")
    user: Mapped[User] = relationship()


class Speech(Base):
    """One speech slot of a round. Text is appended message by message so a crash loses nothing."""

    __tablename__ = "speeches"
    __table_args__ = (UniqueConstraint("round_id", "phase_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    phase_index: Mapped[int] = mapped_column(Integer)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    side: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))  # opening, rebuttal, closing, reply, ...
    text: Mapped[str] = mapped_column(Text, default="")
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    forfeited: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    score_total: Mapped[float | None] = mapped_column(Float)
    score: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # criteria, reasons, tips

    round: Mapped[Round] = relationship(back_populates="speeches")


class Ballot(Base):
    """A judge's ballot: the winning side plus speaker points per speech."""

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("round_id", "judge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    winner: Mapped[str] = mapped_column(String(16))
    speaker_points: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {speech_id: points}
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Vote(Base):
    """An audience vote: one per voter per round; a changed vote replaces the old one."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("round_id", "voter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Result(Base):
    """A debater's outcome in a finished round: feeds stats, history charts and period leaderboards."""

    __tablename__ = "results"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id"),
        Index("ix_results_server_pool_finished", "server_id", "pool", "finished_at"),
        Index("ix_results_user", "user_id", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    server_id: Mapped[int] = mapped_column(ForeignKey("servers.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    pool: Mapped[str] = mapped_column(String(8))  # people | bot
    side: Mapped[str] = mapped_column(String(16))
    rank: Mapped[int] = mapped_column(Integer)  # 0 = first
    won: Mapped[bool] = mapped_column(Boolean)
    speaker_score: Mapped[float | None] = mapped_column(Float)
    motion_id: Mapped[str] = mapped_column(String(64))
    mu_after: Mapped[float] = mapped_column(Float)
    sigma_after: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)


class Rating(Base):
    """openskill PlackettLuce rating per user per server, kept apart for rounds vs people and vs the bot.

    `season` is "all" for all-time, or a season key; `ordinal` is stored for an indexed leaderboard.
    """

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("server_id", "user_id", "pool", "season"),
        # `rounds` last makes the index covering for "ordinal above mine with enough rounds" counts
        Index("ix_ratings_board", "server_id", "pool", "season", "ordinal", "rounds"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = mapped_column(ForeignKey("servers.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    pool: Mapped[str] = mapped_column(String(8))
    season: Mapped[str] = mapped_column(String(16), default="all")
    mu: Mapped[float] = mapped_column(Float)
    sigma: Mapped[float] = mapped_column(Float)
    ordinal: Mapped[float] = mapped_column(Float)
    rounds: Mapped[int] = mapped_column(Integer, default=0)
    wins: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Deadline(Base):
    """A timed event of a round. The scheduler job carries only this row's id; `done_at` makes it idempotent."""

    __tablename__ = "deadlines"
    __table_args__ = (
        UniqueConstraint("round_id", "kind", "phase_index"),
        Index("ix_deadlines_pending", "done_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))  # start, reminder, warn_60, warn_30, time_up, grace_end, ...
    phase_index: Mapped[int] = mapped_column(Integer, default=-1)
    due_at: Mapped[datetime] = mapped_column()
    done_at: Mapped[datetime | None] = mapped_column()


class ProcessedEvent(Base):
    """Platform event ids already handled, so retries and duplicate deliveries have no effect."""

    __tablename__ = "processed_events"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxEvent(Base):
    """A platform event written durably before the platform hears 200 (the inbox), processed after.

    `key` is the platform's event id: unique per platform, so a second delivery (a retry, a replay to
    another process) finds the row and is not processed again. `processed_at` stays empty until the event
    was handled; start-up (and a periodic sweep) replays rows left unprocessed by a crash.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("platform", "key"),
        Index("ix_inbox_pending", "platform", "processed_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    order_key: Mapped[int | None] = mapped_column(BigInteger)  # Slack ts in microseconds, Discord snowflake
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # the platform's own event, as received
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class SpeechChunk(Base):
    """One chat message of a speech with the platform's order key, so chunks delivered out of order are
    put back in the order they were sent (`Speech.text` is rebuilt from them)."""

    __tablename__ = "speech_chunks"
    __table_args__ = (Index("ix_speech_chunks_speech", "speech_id", "order_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    speech_id: Mapped[int] = mapped_column(ForeignKey("speeches.id", ondelete="CASCADE"))
    order_key: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
