"""Starting rounds: `/debate practice` (against the bot), `start` (open now), `schedule`, and `cancel`."""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot import chat, commands
from bot.chat import Kind, Outgoing
from bot.context import Context, UserError
from bot.rounds import lineup, live, messages, states, timeparse
from bot.rounds.commands.lookup import (
    commit_effects,
    find_round,
    format_for,
    lock_round,
    motion_for,
    time_now,
)
from bot.rounds.live import Effects
from bot.rounds.states import RoundError
from bot.storage import models as m
from bot.storage import repo

log = logging.getLogger(__name__)


def prep_brief(engine: object, motion_id: str, side: str) -> list[Outgoing]:
    """The engine's prep brief for the practising debater, shown only to them (where the platform can)."""
    brief = getattr(engine, "brief", None)
    if not callable(brief):
        return []
    try:
        text = brief(motion_id, lineup.stance(side)).render()
    except Exception:  # a brief is a help, never a reason for the practice round to fail
        log.exception("prep brief failed")
        return []
    return [Outgoing(title="Your prep brief", text=text, kind=Kind.INFO, ephemeral=True)] if text else []


@commands.handles("practice")
def practice(ctx: Context, motion: str | None = None, side: str | None = None,
                   format: str | None = None) -> list[Outgoing]:  # noqa: A002 - option name
    """`/debate practice [motion] [side] [format]`: a round against the bot, starting now."""
    fmt = format_for(ctx, format)
    if len(fmt.sides) != 2:
        raise UserError(f"Practice needs a two-sided format; `{fmt.key}` has {len(fmt.sides)} teams. "
                        "Try `quick`, `wsdc`, `ap`, `pf` or `ld`.")
    motion_id, motion_text = motion_for(ctx, motion)
    side = side or "pro"
    user_side = fmt.sides[0] if side == "pro" else fmt.sides[1]
    bot_side = next(s for s in fmt.sides if s != user_side)
    session, now, fx = ctx.session, time_now(ctx), Effects()
    notes: list[Outgoing] = []
    # One practice at a time per person: a new one replaces the old.
    for old in session.scalars(select(m.Round).join(m.Participant).where(
            m.Round.server_id == ctx.server.id, m.Round.is_practice.is_(True), m.Round.state.in_(states.ACTIVE),
            m.Participant.user_id == ctx.user.id)):
        lock_round(session, old.id)
        live.LiveRound(session, old, now, fx=fx).cancel("Replaced by a new practice round.")
        notes.append(Outgoing(text=f"Your earlier practice round #{old.id} was cancelled.", ephemeral=True))
    round_row = live.create_round(
        session, server_id=ctx.server.id, channel_id=ctx.incoming.place.channel_id, motion_id=motion_id,
        motion_text=motion_text, fmt=fmt, time_scale=ctx.service.time_scale, created_by=ctx.user.id,
        practice=True, article_id=ctx.settings.article_id)
    if ctx.incoming.place.thread_id:
        round_row.thread_id = ctx.incoming.place.thread_id
    lineup.add_participant(session, round_row, ctx.user, user_side)
    lineup.add_participant(session, round_row, repo.bot_user(session, ctx.server.platform), bot_side, is_bot=True)
    states.transition(round_row, states.SIGNUP)
    live.LiveRound(session, round_row, now, engine=ctx.engine, fx=fx, defer_engine=True,
                   bot_user=repo.bot_user(session, ctx.server.platform)).begin()
    commit_effects(ctx, fx)
    started = Outgoing(
        title=f"Practice round #{round_row.id}", kind=Kind.SUCCESS,
        text=f"You argue **{fmt.side_name(user_side)}** on {messages.motion_line(round_row)}; Debate Bot takes "
             f"{fmt.side_name(bot_side)}. Format: {fmt.summary()}. Your turns are announced in the round's "
             "thread; type your speech as chat messages there.")
    return [*notes, started, *prep_brief(ctx.engine, motion_id, user_side)]


@commands.handles("start")
def start(ctx: Context, motion: str | None = None, format: str | None = None) -> Outgoing:  # noqa: A002
    """`/debate start [motion] [format]`: open a round for people now; it starts when the seats are full."""
    fmt = format_for(ctx, format)
    motion_id, motion_text = motion_for(ctx, motion)
    session, now, fx = ctx.session, time_now(ctx), Effects()
    round_row = live.create_round(
        session, server_id=ctx.server.id, channel_id=ctx.incoming.place.channel_id, motion_id=motion_id,
        motion_text=motion_text, fmt=fmt, time_scale=ctx.service.time_scale, created_by=ctx.user.id,
        article_id=ctx.settings.article_id)
    live.LiveRound(session, round_row, now, fx=fx).open_signup(open_for=live.OPEN_SIGNUP_SECONDS)
    commit_effects(ctx, fx)
    return Outgoing(text=f"Round #{round_row.id} is open for sign-up. Join with the buttons or "
                         f"`/debate join pro|con|judge|audience round:{round_row.id}`.", kind=Kind.SUCCESS,
                    ephemeral=True)


@commands.handles("schedule")
def schedule(ctx: Context, when: str, motion: str, format: str | None = None) -> Outgoing:  # noqa: A002
    """`/debate schedule <when> <motion> [format]`: problems are reported in the order written (time first)."""
    session, now, fx = ctx.session, time_now(ctx), Effects()
    try:
        parsed = timeparse.parse_when(when, ctx.settings.timezone or "UTC", now)
    except timeparse.TimeError as exc:
        raise UserError(str(exc)) from None
    motion_id, motion_text = motion_for(ctx, motion)
    fmt = format_for(ctx, format)
    channel_id = ctx.settings.channel_id or ctx.incoming.place.channel_id
    schedule_row = None
    if parsed.rule:
        schedule_row = m.Schedule(server_id=ctx.server.id, channel_id=channel_id, rule=parsed.rule,
                                  timezone=parsed.timezone, motion_ref=motion_id, format_key=fmt.key,
                                  next_at=parsed.at, active=True, created_by_id=ctx.user.id)
        session.add(schedule_row)
        session.flush()
    starts_at = parsed.at if parsed.at is not None else now + parsed.delay / ctx.service.time_scale
    round_row = live.create_round(
        session, server_id=ctx.server.id, channel_id=channel_id, motion_id=motion_id, motion_text=motion_text,
        fmt=fmt, time_scale=ctx.service.time_scale, created_by=ctx.user.id, article_id=ctx.settings.article_id,
        schedule_id=schedule_row.id if schedule_row else None)
    live.LiveRound(session, round_row, now, fx=fx).schedule(starts_at)
    commit_effects(ctx, fx)
    repeat = f" It repeats every {parsed.rule} ({parsed.timezone})." if parsed.rule else ""
    return Outgoing(
        title=f"Round #{round_row.id} scheduled", kind=Kind.SUCCESS,
        text=f"Motion: {messages.motion_line(round_row)}\nFormat: {fmt.summary()}\nStarts "
             f"{chat.timestamp(starts_at)}.{repeat} Sign-up opens "
             f"{'now' if round_row.state == states.SIGNUP else 'a day before'}.")


@commands.handles("cancel")
def cancel(ctx: Context, round: int | None = None) -> Outgoing:  # noqa: A002
    """`/debate cancel [round]`: cancel a round, and stop its recurring schedule."""
    session, now, fx = ctx.session, time_now(ctx), Effects()
    round_row = find_round(ctx, round)
    extra = ""
    if round_row.schedule_id and round_row.state in (states.DRAFT, states.SCHEDULED, states.SIGNUP):
        schedule_row = session.get(m.Schedule, round_row.schedule_id)
        if schedule_row is not None and schedule_row.active:
            schedule_row.active = False
            extra = f" The recurring schedule ({schedule_row.rule}) is stopped too."
    try:
        live.LiveRound(session, round_row, now, fx=fx).cancel(
            f"Cancelled by {chat.user_text(ctx.user.display_name)}.{extra}")
    except RoundError as exc:
        raise UserError(str(exc)) from None
    commit_effects(ctx, fx)
    return Outgoing(text=f"Round #{round_row.id} is cancelled.{extra}", kind=Kind.SUCCESS, ephemeral=True)
