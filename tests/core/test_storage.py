"""Migrations and constraints on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from bot import chat
from bot.storage import db, repo
from bot.storage import models as m


def test_migrations_go_down_and_up(database_url: str) -> None:
    assert db.current_revision(database_url) is not None
    db.downgrade(database_url, "base")
    engine = db.make_engine(database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    db.upgrade(database_url)
    engine = db.make_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"servers", "users", "rounds", "participants", "speeches", "votes", "ballots", "ratings",
            "server_settings", "articles", "packs", "deadlines"} <= tables


def _round(session, server: m.Server) -> m.Round:  # type: ignore[no-untyped-def]
    row = m.Round(server_id=server.id, channel_id="c", motion_id="m1", motion_text="THBT", format_key="quick")
    session.add(row)
    session.flush()
    return row


def test_one_vote_per_voter_and_one_participant_per_user(database_url: str) -> None:
    factory = db.session_factory(db.make_engine(database_url))
    with db.transaction(factory) as session:
        server = repo.server(session, chat.Server("shell", "s1"))
        user = repo.user(session, chat.User("shell", "u1", "Ann"))
        rnd = _round(session, server)
        session.add(m.Vote(round_id=rnd.id, voter_id=user.id, side="pro"))
        session.add(m.Participant(round_id=rnd.id, user_id=user.id, role="pro"))
        round_id, user_id = rnd.id, user.id
    with pytest.raises(IntegrityError), db.transaction(factory) as session:
        session.add(m.Vote(round_id=round_id, voter_id=user_id, side="con"))
    with pytest.raises(IntegrityError), db.transaction(factory) as session:
        session.add(m.Participant(round_id=round_id, user_id=user_id, role="con"))
    with pytest.raises(IntegrityError), db.transaction(factory) as session:
        session.add(m.Vote(round_id=999_999, voter_id=user_id, side="con"))  # foreign key enforced
    with db.transaction(factory) as session:
        assert session.scalars(select(m.Vote.side)).all() == ["pro"]


def test_same_person_on_two_platforms_is_two_users(database_url: str) -> None:
    factory = db.session_factory(db.make_engine(database_url))
    with db.transaction(factory) as session:
        a = repo.user(session, chat.User("discord", "42", "Ann"))
        b = repo.user(session, chat.User("slack", "42", "Ann"))
        again = repo.user(session, chat.User("discord", "42", "Ann R."))
        assert a.id != b.id and again.id == a.id and again.display_name == "Ann R."


def test_transaction_rolls_back_everything_on_error(database_url: str) -> None:
    factory = db.session_factory(db.make_engine(database_url))
    with pytest.raises(RuntimeError), db.transaction(factory) as session:
        repo.server(session, chat.Server("shell", "half-written"))
        raise RuntimeError("boom")
    with db.transaction(factory) as session:
        assert session.scalars(select(m.Server)).all() == []


def test_datetimes_come_back_as_utc(database_url: str) -> None:
    factory = db.session_factory(db.make_engine(database_url))
    when = datetime(2026, 3, 1, 18, 30, tzinfo=UTC)
    with db.transaction(factory) as session:
        server = repo.server(session, chat.Server("shell", "s"))
        rnd = _round(session, server)
        rnd.starts_at = when
        rid = rnd.id
    with db.transaction(factory) as session:
        assert session.get(m.Round, rid).starts_at == when


def test_duplicate_event_ids_are_claimed_once(database_url: str) -> None:
    factory = db.session_factory(db.make_engine(database_url))
    with db.transaction(factory) as session:
        assert repo.claim_event(session, "slack", "Ev1") is True
        assert repo.claim_event(session, "slack", "Ev1") is False
        assert repo.claim_event(session, "discord", "Ev1") is True


def test_unreachable_database_names_the_host() -> None:
    engine = db.make_engine("postgresql://nobody@127.0.0.1:1/nowhere")
    with pytest.raises(db.DatabaseUnavailable, match=r"127\.0\.0\.1:1"):
        db.check_connection(engine)
