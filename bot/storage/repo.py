"""Small repository functions shared by handlers: find-or-create rows for neutral chat identities."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import chat
from bot.storage import models as m


def _get_or_create(session: Session, model, lookup: dict, defaults: dict):  # type: ignore[no-untyped-def]
    row = session.scalars(select(model).filter_by(**lookup)).first()
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = model(**lookup, **defaults)
            session.add(row)
            session.flush()
        return row
    except IntegrityError:  # created concurrently by another transaction
        return session.scalars(select(model).filter_by(**lookup)).one()


def server(session: Session, server: chat.Server) -> m.Server:
    row = _get_or_create(session, m.Server, {"platform": server.platform, "external_id": server.external_id},
                         {"name": server.name[:200]})
    if server.name and row.name != server.name[:200]:
        row.name = server.name[:200]
    return row


def server_settings(session: Session, server_row: m.Server) -> m.ServerSettings:
    return _get_or_create(session, m.ServerSettings, {"server_id": server_row.id}, {})


def user(session: Session, user: chat.User) -> m.User:
    row = _get_or_create(session, m.User, {"platform": user.platform, "external_id": user.external_id},
                         {"display_name": user.display_name[:100], "is_bot": user.is_bot})
    if user.display_name and row.display_name != user.display_name[:100]:
        row.display_name = user.display_name[:100]
    return row


def bot_user(session: Session, platform: str) -> m.User:
    """The bot itself as a debater (practice rounds)."""
    return _get_or_create(session, m.User, {"platform": platform, "external_id": "__bot__"},
                          {"display_name": "Debate Bot", "is_bot": True})


def claim_event(session: Session, platform: str, event_id: str) -> bool:
    """Record an event id; False when it was already handled (a retry or duplicate delivery)."""
    try:
        with session.begin_nested():
            session.add(m.ProcessedEvent(platform=platform, event_id=event_id[:128]))
            session.flush()
        return True
    except IntegrityError:
        return False
