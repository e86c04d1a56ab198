"""Who is in a round: seats, speakers, names; joining adds a participant in the next free seat."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot import chat
from bot.rounds.formats import Format, Phase
from bot.storage import models as m


def debaters(round_row: m.Round, side: str | None = None) -> list[m.Participant]:
    """The round's debaters (of one side), in seat order."""
    fmt_sides = set(round_row.format_spec.get("sides", ()))
    members = [p for p in round_row.participants if p.role in fmt_sides and (side is None or p.role == side)]
    return sorted(members, key=lambda p: (p.seat, p.id or 0))


def participant(round_row: m.Round, user_id: int) -> m.Participant | None:
    """The user's participation in the round, if any."""
    return next((p for p in round_row.participants if p.user_id == user_id), None)


def name_of(p: m.Participant | None) -> str:
    """A participant's name, marked as user text."""
    if p is None:
        return "nobody"
    if p.is_bot:
        return "Debate Bot"
    return chat.user_text(p.user.display_name or p.user.external_id)


def ping(p: m.Participant) -> str:
    """A mention of the participant (the bot is named, not pinged)."""
    return "Debate Bot" if p.is_bot else chat.mention(p.user.external_id)


def stance(side: str) -> str:
    """The engine's side for a format side: government benches argue pro."""
    return "pro" if side in ("pro", "og", "cg") else "con"


def speaker_for(round_row: m.Round, fmt: Format, phase: Phase) -> m.Participant | None:
    """Who gives a speech: the side's members take turns in seat order."""
    if phase.spec is None or phase.spec.shared:
        return None
    members = debaters(round_row, phase.spec.side)
    if not members:
        return None
    earlier = sum(1 for s in fmt.speeches[: phase.number - 1] if s.side == phase.spec.side)
    return members[earlier % len(members)]


def add_participant(session: Session, round_row: m.Round, user: m.User, role: str, *, is_bot: bool = False,
                    ) -> m.Participant:
    """Add `user` in `role`; a debater takes the next seat of their side."""
    seat = len(debaters(round_row, role)) if role in round_row.format_spec.get("sides", ()) else 0
    p = m.Participant(round_id=round_row.id, user_id=user.id, role=role, seat=seat, is_bot=is_bot)
    p.user = user
    round_row.participants.append(p)
    session.flush()
    return p


def seats_filled(round_row: m.Round, fmt: Format) -> bool:
    """Every side has its full team."""
    return all(len(debaters(round_row, s)) >= fmt.team_size for s in fmt.sides)
