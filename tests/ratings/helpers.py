"""Builders for finished rounds inserted directly, so ratings are tested without the round engine."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bot import chat
from bot.ratings import record_round
from bot.storage import models as m
from bot.storage import repo
from tests.fakes.incoming import SERVER

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def person(session: Session, name: str) -> m.User:
    return repo.user(session, chat.User("shell", name, name.capitalize()))


def finished_round(session: Session, teams: dict[str, list[m.User]], winner: str, *,
                   at: datetime = T0, motion: str = "m1", ranks: dict[str, int] | None = None,
                   scores: dict[str, float] | None = None, server: m.Server | None = None) -> m.Round:
    """A finished round with the given sides; `scores` maps external ids to one speech's engine score."""
    server = server or repo.server(session, SERVER)
    repo.server_settings(session, server)
    rnd = m.Round(server_id=server.id, channel_id="general", motion_id=motion, motion_text=f"THW {motion}",
                  format_key="quick", state="finished", winner=winner, winner_source="engine", finished_at=at)
    session.add(rnd)
    session.flush()
    phase = 0
    for side, users in teams.items():
        for seat, user in enumerate(users):
            part = m.Participant(round_id=rnd.id, user_id=user.id, role=side, seat=seat, is_bot=user.is_bot)
            session.add(part)
            session.flush()
            if scores and user.external_id in scores:
                session.add(m.Speech(round_id=rnd.id, phase_index=phase, participant_id=part.id,
                                     side=side, kind="opening", text="...", score_total=scores[user.external_id]))
                session.flush()
                phase += 1
    record_round(session, rnd, ranks=ranks)
    return rnd
