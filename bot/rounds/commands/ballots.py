"""Deciding a round: audience votes (`/debate vote`) and judges' ballots (`/debate judge`)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot import commands
from bot.chat import Kind, Outgoing
from bot.context import Context, UserError
from bot.rounds import lineup, live, states
from bot.rounds.commands.lookup import (
    commit_effects,
    find_round,
    lock_round,
    round_engine,
    round_for,
    time_now,
)
from bot.rounds.formats import SHARED
from bot.rounds.live import Effects
from bot.storage import models as m


def _insert(session: Session):  # type: ignore[no-untyped-def]
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


@commands.handles("vote")
def vote(ctx: Context, side: str, round: int | None = None) -> Outgoing:  # noqa: A002
    """`/debate vote <side> [round]`: one audience vote per person (a new vote replaces the old one)."""
    session = ctx.session
    # A shared lock: votes are independent upserts, so voters don't queue behind each other, but the timer
    # that closes the round waits for them, so no vote lands after the count.
    round_row = (find_round(ctx, round, states.OPEN + (states.FINISHED, states.CANCELLED), lock="share")
                 if round is not None else round_for(ctx, "vote", (states.JUDGING,), lock="share"))
    fmt = live.fmt_of(round_row)
    if side in ("pro", "con") and side not in fmt.sides:
        side = {"pro": fmt.sides[0], "con": fmt.sides[1]}[side]
    if round_row.state in (states.FINISHED, states.CANCELLED):
        raise UserError(f"Voting for round #{round_row.id} has closed; the round is "
                        f"{states.describe_state(round_row.state)}.")
    if round_row.state != states.JUDGING:
        raise UserError(f"Voting for round #{round_row.id} opens when the last speech ends.")
    if side not in fmt.sides:
        raise UserError(f"Round #{round_row.id} has the sides {', '.join(fmt.sides)}.")
    me = lineup.participant(round_row, ctx.user.id)
    if me is not None and me.role in fmt.sides:
        raise UserError("You can't vote in your own round.")
    if me is not None and me.role == "judge":
        raise UserError(f"You are judging round #{round_row.id}: give your ballot with "
                        f"`/debate judge <winner> [points] round:{round_row.id}`.")
    now = time_now(ctx)
    stmt = _insert(session)(m.Vote).values(round_id=round_row.id, voter_id=ctx.user.id, side=side, created_at=now,
                                           updated_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["round_id", "voter_id"],
                                      set_={"side": stmt.excluded.side, "updated_at": stmt.excluded.updated_at})
    session.execute(stmt)
    if everyone_has_voted(session, round_row):  # the last judge or audience member: close voting now
        fx = Effects()
        lock_round(session, round_row.id)
        if round_row.state == states.JUDGING:
            live.LiveRound(session, round_row, now, engine=round_engine(ctx, round_row), fx=fx, defer_engine=True).finish()
            commit_effects(ctx, fx)
    return Outgoing(text=f"Your vote for **{fmt.side_name(side)}** in round #{round_row.id} is counted "
                         "(voting again changes it).", kind=Kind.SUCCESS, ephemeral=True)


_POINTS = re.compile(r"\d+(?:\.\d+)?")


def everyone_has_voted(session: Session, round_row: m.Round) -> bool:
    """Every judge gave a ballot and every audience member voted: voting may close before its announced end."""
    judges = {p.user_id for p in round_row.participants if p.role == "judge"}
    audience = {p.user_id for p in round_row.participants if p.role == "audience"}
    if not judges and not audience:
        return False
    given = set(session.scalars(select(m.Ballot.judge_id).where(m.Ballot.round_id == round_row.id)))
    voted = set(session.scalars(select(m.Vote.voter_id).where(m.Vote.round_id == round_row.id)))
    return judges <= given and audience <= voted


@commands.handles("judge")
def judge(ctx: Context, winner: str, points: str | None = None, round: int | None = None) -> Outgoing:  # noqa: A002
    """`/debate judge <winner> [points] [round]`: a judge's ballot, with speaker points per speech in order."""
    session, now, fx = ctx.session, time_now(ctx), Effects()
    round_row = find_round(ctx, round, states.OPEN + (states.FINISHED,), prefer_user=True)
    fmt = live.fmt_of(round_row)
    me = lineup.participant(round_row, ctx.user.id)
    if me is None or me.role != "judge":
        raise UserError(f"Only judges of round #{round_row.id} give ballots; join as judge before it starts, "
                        "or vote with `/debate vote`.")
    if round_row.state != states.JUDGING:
        raise UserError(f"Ballots for round #{round_row.id} are taken after the last speech, until judging closes.")
    if winner in ("pro", "con") and winner not in fmt.sides:
        winner = {"pro": fmt.sides[0], "con": fmt.sides[1]}[winner]
    if winner not in fmt.sides:
        raise UserError(f"The winner must be one of {', '.join(fmt.sides)}.")
    scored = [s for s in sorted(round_row.speeches, key=lambda s: s.phase_index) if s.side != SHARED]
    speaker_points: dict[str, float] = {}
    if points:
        values = [float(v) for v in _POINTS.findall(points)]
        if len(values) != len(scored):
            raise UserError(f"Give {len(scored)} speaker points, one per speech in speaking order "
                            f"(you gave {len(values)}).")
        for speech, value in zip(scored, values, strict=True):
            spec = fmt.speeches[speech.phase_index - (1 if fmt.prep_seconds else 0)]
            lo, hi = fmt.scale_for(spec)
            if not lo <= value <= hi:
                raise UserError(f"{fmt.speech_title(spec)}: {value:g} is outside the scale {lo}–{hi}.")
            speaker_points[str(speech.id)] = value
    stmt = _insert(session)(m.Ballot).values(round_id=round_row.id, judge_id=ctx.user.id, winner=winner,
                                             speaker_points=speaker_points, created_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["round_id", "judge_id"],
                                      set_={"winner": stmt.excluded.winner,
                                            "speaker_points": stmt.excluded.speaker_points})
    session.execute(stmt)
    if everyone_has_voted(session, round_row):
        live.LiveRound(session, round_row, now, engine=round_engine(ctx, round_row), fx=fx, defer_engine=True).finish()
    commit_effects(ctx, fx)
    return Outgoing(text=f"Ballot recorded for round #{round_row.id}: {fmt.side_name(winner)} wins"
                         + (f", points {', '.join(f'{v:g}' for v in speaker_points.values())}." if speaker_points
                            else "."), kind=Kind.SUCCESS, ephemeral=True)
