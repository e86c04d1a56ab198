"""Joining and leaving a round: `/debate join` and `/debate leave`."""

from __future__ import annotations

from bot import chat, commands
from bot.chat import Kind, Outgoing
from bot.context import Context, UserError
from bot.rounds import lineup, live, states
from bot.rounds.commands.lookup import commit_effects, find_round, round_engine, round_for, time_now
from bot.rounds.live import Effects
from bot.storage import repo


@commands.handles("join")
def join(ctx: Context, role: str | None = None, round: int | None = None) -> Outgoing:  # noqa: A002
    """`/debate join [role] [round]`: take a seat, judge (before the start) or watch."""
    session, now, fx = ctx.session, time_now(ctx), Effects()
    if round is not None:
        round_row = find_round(ctx, round, (states.SCHEDULED, states.SIGNUP, states.RUNNING, states.JUDGING,
                                            states.FINISHED, states.CANCELLED))
    else:  # a seat or a judge's place: rounds not yet started; the audience may also join one under way
        among = (states.SCHEDULED, states.SIGNUP) + ((states.RUNNING,) if role == "audience" else ())
        round_row = round_for(ctx, "join", among, fallback=(states.SCHEDULED, states.SIGNUP, states.RUNNING))
    fmt = live.fmt_of(round_row)
    if round_row.state in (states.FINISHED, states.CANCELLED):
        raise UserError(f"Round #{round_row.id} is {states.describe_state(round_row.state)}; it can't be joined.")
    existing = lineup.participant(round_row, ctx.user.id)
    if existing is not None:
        what = fmt.side_name(existing.role) if existing.role in fmt.sides else existing.role
        raise UserError(f"You have already joined round #{round_row.id} as {what}. "
                        f"Use `/debate leave round:{round_row.id}` first to change roles.")
    if role is None and (round_row.is_practice or round_row.state not in (states.SCHEDULED, states.SIGNUP)):
        role = "audience"  # a round under way can only be watched
    if role is None:
        open_sides = [s for s in fmt.sides if len(lineup.debaters(round_row, s)) < fmt.team_size]
        role = min(open_sides, key=lambda s: len(lineup.debaters(round_row, s))) if open_sides else "audience"
    if role in ("pro", "con") and role not in fmt.sides:  # pro/con on a BP round: the opening benches
        role = {"pro": fmt.sides[0], "con": fmt.sides[1]}[role]
    if role not in fmt.sides and role not in ("judge", "audience"):
        raise UserError(f"Round #{round_row.id} ({fmt.name}) has the sides {', '.join(fmt.sides)}; "
                        "or join as judge or audience.")
    if role == "judge" and round_row.state not in (states.SCHEDULED, states.SIGNUP):
        raise UserError(f"Round #{round_row.id} has already started; judges join before it starts. "
                        "You can still join as audience.")
    if round_row.is_practice and role != "audience":
        raise UserError(f"Round #{round_row.id} is a practice round against the bot; you can join it as audience.")
    if role in fmt.sides:
        if round_row.state not in (states.SCHEDULED, states.SIGNUP):
            raise UserError(f"Round #{round_row.id} has already started; debaters can no longer join. "
                            "You can still join as audience.")
        if len(lineup.debaters(round_row, role)) >= fmt.team_size:
            raise UserError(f"{fmt.side_name(role)} is full in round #{round_row.id}. Try another side, judge or "
                            "audience.")
    lineup.add_participant(session, round_row, ctx.user, role)
    label = fmt.side_name(role) if role in fmt.sides else role
    fx.post(round_row, Outgoing(text=f"{lineup.name_of(lineup.participant(round_row, ctx.user.id))} joined as "
                                     f"{label}."))
    current = live.LiveRound(session, round_row, now, engine=round_engine(ctx, round_row), fx=fx,
                             bot_user=repo.bot_user(session, ctx.server.platform),
                             fill_policy=ctx.settings.fill_policy, defer_engine=True)
    if role in fmt.sides:
        current.refresh_signup()  # the announcement shows who has taken which seat
    if (role in fmt.sides and round_row.state == states.SIGNUP and round_row.starts_at is None
            and lineup.seats_filled(round_row, fmt)):
        current.begin()
    commit_effects(ctx, fx)
    return Outgoing(text=f"You joined round #{round_row.id} as **{label}**.", kind=Kind.SUCCESS, ephemeral=True)


@commands.handles("leave")
def leave(ctx: Context, round: int | None = None) -> Outgoing:  # noqa: A002
    """`/debate leave [round]`: leave before the round starts (the audience may leave any time)."""
    session, fx = ctx.session, Effects()
    round_row = find_round(ctx, round, states.OPEN, prefer_user=True)
    me = lineup.participant(round_row, ctx.user.id)
    if me is None:
        raise UserError(f"You are not in round #{round_row.id}.")
    fmt = live.fmt_of(round_row)
    if me.role in fmt.sides and round_row.state not in (states.DRAFT, states.SCHEDULED, states.SIGNUP):
        raise UserError(f"Round #{round_row.id} has started, so debaters can't leave it now; an admin can "
                        f"`/debate cancel round:{round_row.id}`.")
    round_row.participants.remove(me)
    session.delete(me)
    session.flush()
    fx.post(round_row, Outgoing(text=f"{chat.user_text(ctx.user.display_name)} left round #{round_row.id}."))
    if me.role in fmt.sides:
        live.LiveRound(session, round_row, time_now(ctx), fx=fx).refresh_signup()
    commit_effects(ctx, fx)
    return Outgoing(text=f"You left round #{round_row.id}.", kind=Kind.SUCCESS, ephemeral=True)
