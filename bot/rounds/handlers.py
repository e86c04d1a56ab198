"""Command handlers for rounds: practice, start, schedule, join, leave, status, cancel, vote, judge, speech,
chat messages during a round, and autocomplete suggestions.

Each handler runs inside the service's transaction, changes rows through `bot.rounds.machine`, and hands
the machine's effects (messages, timers) to the runtime after the commit.
"""

from __future__ import annotations

import re
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot import chat, commands
from bot.chat import Field, Kind, Outgoing, Place
from bot.context import Context, UserError
from bot.rounds import machine, timeparse
from bot.rounds.formats import SHARED, FormatError, available_formats, resolve_format
from bot.rounds.machine import Effects, RoundError
from bot.rounds.scheduler import runtime_of
from bot.storage import models as m
from bot.storage import repo

# -- plumbing -------------------------------------------------------------------------------------------

def _now(ctx: Context) -> datetime:
    return ctx.service.clock.now()


def _commit_effects(ctx: Context, fx: Effects) -> None:
    runtime = runtime_of(ctx.service)

    async def deliver() -> None:
        await runtime.deliver(fx)

    ctx.after_commit(deliver)


def _engine(ctx: Context, round_row: m.Round):  # type: ignore[no-untyped-def]
    """The engine of the round's article (the server's article may have changed since it was created)."""
    return ctx.service.engine_for(ctx.session, SimpleNamespace(article_id=round_row.article_id))


def _format(ctx: Context, key: str | None):  # type: ignore[no-untyped-def]
    try:
        return resolve_format(key, ctx.settings)
    except FormatError as exc:
        raise UserError(str(exc)) from None


def _motion(ctx: Context, ref: str | None) -> tuple[str, str]:
    try:
        return machine.pick_motion(ctx.engine, ref)
    except RoundError as exc:
        raise UserError(str(exc)) from None


def _lock(session: Session, round_id: int) -> m.Round | None:
    return session.get(m.Round, round_id, with_for_update=True)


def find_round(ctx: Context, round_id: int | None, states: tuple[str, ...] = machine.OPEN,
               *, prefer_user: bool = False, lock: bool | str = True) -> m.Round:
    """The round named by id (on this server), else the one in this channel/thread, else the only open one.

    `lock` takes the round's row lock (PostgreSQL) for handlers that change the round itself; "share" lets
    many voters in at once while a timer closing the round waits for them (and they for it).
    """
    session = ctx.session
    if lock == "share":
        def get(s: Session, rid: int) -> m.Round | None:
            return s.get(m.Round, rid, with_for_update={"read": True})
    elif lock:
        get = _lock
    else:
        def get(s: Session, rid: int) -> m.Round | None:
            return s.get(m.Round, rid)
    if round_id is not None:
        round_row = get(session, round_id)
        if round_row is None or round_row.server_id != ctx.server.id:
            raise UserError(f"There is no round #{round_id} on this server. `/debate status` lists the open ones.")
        return round_row
    place = ctx.incoming.place
    candidates = list(session.scalars(select(m.Round).where(m.Round.server_id == ctx.server.id,
                                                            m.Round.state.in_(states))
                                      .order_by(m.Round.id.desc())))
    candidates.sort(key=lambda r: r.state not in machine.OPEN)  # open rounds before finished ones (stable)
    if prefer_user:
        mine = [r for r in candidates if machine.participant(r, ctx.user.id) is not None]
        candidates = mine + [r for r in candidates if r not in mine]
    in_thread = [r for r in candidates if place.thread_id and r.thread_id == place.thread_id]
    in_channel = [r for r in candidates if r.channel_id == place.channel_id]
    for group in (in_thread, in_channel, candidates):
        if group:
            return get(session, group[0].id) or group[0]
    raise UserError("There is no open round here. Start one with `/debate start` or practise with "
                    "`/debate practice`.")


def _the_round_for(ctx: Context, command: str, states: tuple[str, ...], *, lock: bool | str = True) -> m.Round:
    """Without `round:`, the round here for which `command` makes sense; when several do, say which they are."""
    place = ctx.incoming.place
    fitting = list(ctx.session.scalars(select(m.Round).where(m.Round.server_id == ctx.server.id,
                                                             m.Round.state.in_(states)).order_by(m.Round.id)))
    here = [r for r in fitting if (place.thread_id and r.thread_id == place.thread_id)]
    here = here or [r for r in fitting if r.channel_id == place.channel_id]
    if len(here) > 1:
        listed = ", ".join(f"#{r.id}" for r in here)
        raise UserError(f"Several rounds here take `/debate {command}` now ({listed}); add `round:<id>`, "
                        f"e.g. `/debate {command} ... round:{here[0].id}`.")
    if here:
        return find_round(ctx, here[0].id, lock=lock)
    return find_round(ctx, None, machine.OPEN + (machine.FINISHED, machine.CANCELLED), lock=lock)


# -- practice, start, schedule ------------------------------------------------------------------------------

@commands.handles("practice")
async def practice(ctx: Context, motion: str | None = None, side: str | None = None,
                   format: str | None = None) -> list[Outgoing]:  # noqa: A002 - option name
    fmt = _format(ctx, format)
    if len(fmt.sides) != 2:
        raise UserError(f"Practice needs a two-sided format; `{fmt.key}` has {len(fmt.sides)} teams. "
                        "Try `quick`, `wsdc`, `ap`, `pf` or `ld`.")
    motion_id, motion_text = _motion(ctx, motion)
    side = side or "pro"
    user_side = fmt.sides[0] if side == "pro" else fmt.sides[1]
    bot_side = next(s for s in fmt.sides if s != user_side)
    session, now, fx = ctx.session, _now(ctx), Effects()
    notes: list[Outgoing] = []
    # One practice at a time per person: a new one replaces the old.
    for old in session.scalars(select(m.Round).join(m.Participant).where(
            m.Round.server_id == ctx.server.id, m.Round.is_practice.is_(True), m.Round.state.in_(machine.ACTIVE),
            m.Participant.user_id == ctx.user.id)):
        _lock(session, old.id)
        machine.cancel(session, fx, old, now, "Replaced by a new practice round.")
        notes.append(Outgoing(text=f"Your earlier practice round #{old.id} was cancelled.", ephemeral=True))
    round_row = machine.create_round(
        session, server_id=ctx.server.id, channel_id=ctx.incoming.place.channel_id, motion_id=motion_id,
        motion_text=motion_text, fmt=fmt, time_scale=ctx.service.time_scale, created_by=ctx.user.id,
        practice=True, article_id=ctx.settings.article_id)
    if ctx.incoming.place.thread_id:
        round_row.thread_id = ctx.incoming.place.thread_id
    machine.add_participant(session, round_row, ctx.user, user_side)
    machine.add_participant(session, round_row, repo.bot_user(session, ctx.server.platform), bot_side, is_bot=True)
    machine.transition(round_row, machine.SIGNUP)
    machine.begin(session, fx, round_row, now, ctx.engine, repo.bot_user(session, ctx.server.platform))
    _commit_effects(ctx, fx)
    return notes + [Outgoing(
        title=f"Practice round #{round_row.id}", kind=Kind.SUCCESS,
        text=f"You argue **{fmt.side_name(user_side)}** on {machine.motion_line(round_row)}; Debate Bot takes "
             f"{fmt.side_name(bot_side)}. Format: {fmt.summary()}. Your turns are announced in the round's "
             "thread; type your speech as chat messages there.")]


@commands.handles("start")
async def start(ctx: Context, motion: str | None = None, format: str | None = None) -> Outgoing:  # noqa: A002
    fmt = _format(ctx, format)
    motion_id, motion_text = _motion(ctx, motion)
    session, now, fx = ctx.session, _now(ctx), Effects()
    round_row = machine.create_round(
        session, server_id=ctx.server.id, channel_id=ctx.incoming.place.channel_id, motion_id=motion_id,
        motion_text=motion_text, fmt=fmt, time_scale=ctx.service.time_scale, created_by=ctx.user.id,
        article_id=ctx.settings.article_id)
    machine.open_signup(session, fx, round_row, now, open_for=machine.OPEN_SIGNUP_SECONDS)
    _commit_effects(ctx, fx)
    return Outgoing(text=f"Round #{round_row.id} is open for sign-up. Join with the buttons or "
                         f"`/debate join pro|con|judge|audience round:{round_row.id}`.", kind=Kind.SUCCESS,
                    ephemeral=True)


@commands.handles("schedule")
async def schedule(ctx: Context, when: str, motion: str, format: str | None = None) -> Outgoing:  # noqa: A002
    fmt = _format(ctx, format)
    motion_id, motion_text = _motion(ctx, motion)
    session, now, fx = ctx.session, _now(ctx), Effects()
    try:
        parsed = timeparse.parse_when(when, ctx.settings.timezone or "UTC", now)
    except timeparse.TimeError as exc:
        raise UserError(str(exc)) from None
    channel_id = ctx.settings.channel_id or ctx.incoming.place.channel_id
    schedule_row = None
    if parsed.rule:
        schedule_row = m.Schedule(server_id=ctx.server.id, channel_id=channel_id, rule=parsed.rule,
                                  timezone=parsed.timezone, motion_ref=motion_id, format_key=fmt.key,
                                  next_at=parsed.at, active=True, created_by_id=ctx.user.id)
        session.add(schedule_row)
        session.flush()
    starts_at = parsed.at if parsed.at is not None else now + parsed.delay / ctx.service.time_scale
    round_row = machine.create_round(
        session, server_id=ctx.server.id, channel_id=channel_id, motion_id=motion_id, motion_text=motion_text,
        fmt=fmt, time_scale=ctx.service.time_scale, created_by=ctx.user.id, article_id=ctx.settings.article_id,
        schedule_id=schedule_row.id if schedule_row else None)
    machine.schedule_round(session, fx, round_row, starts_at, now)
    _commit_effects(ctx, fx)
    repeat = f" It repeats every {parsed.rule} ({parsed.timezone})." if parsed.rule else ""
    return Outgoing(
        title=f"Round #{round_row.id} scheduled", kind=Kind.SUCCESS,
        text=f"Motion: {machine.motion_line(round_row)}\nFormat: {fmt.summary()}\nStarts "
             f"{chat.timestamp(starts_at)}.{repeat} Sign-up opens "
             f"{'now' if round_row.state == machine.SIGNUP else 'a day before'}.")


# -- joining and leaving ----------------------------------------------------------------------------------

@commands.handles("join")
async def join(ctx: Context, role: str | None = None, round: int | None = None) -> Outgoing:  # noqa: A002
    session, now, fx = ctx.session, _now(ctx), Effects()
    round_row = find_round(ctx, round, (machine.SCHEDULED, machine.SIGNUP, machine.RUNNING, machine.JUDGING,
                                        machine.FINISHED, machine.CANCELLED) if round else
                           (machine.SCHEDULED, machine.SIGNUP, machine.RUNNING))
    fmt = machine.fmt_of(round_row)
    if round_row.state in (machine.FINISHED, machine.CANCELLED):
        raise UserError(f"Round #{round_row.id} is {machine.describe_state(round_row.state)}; it can't be joined.")
    existing = machine.participant(round_row, ctx.user.id)
    if existing is not None:
        what = fmt.side_name(existing.role) if existing.role in fmt.sides else existing.role
        raise UserError(f"You have already joined round #{round_row.id} as {what}. "
                        f"Use `/debate leave round:{round_row.id}` first to change roles.")
    if role is None and (round_row.is_practice or round_row.state not in (machine.SCHEDULED, machine.SIGNUP)):
        role = "audience"  # a round under way can only be watched
    if role is None:
        open_sides = [s for s in fmt.sides if len(machine.debaters(round_row, s)) < fmt.team_size]
        role = min(open_sides, key=lambda s: len(machine.debaters(round_row, s))) if open_sides else "audience"
    if role in ("pro", "con") and role not in fmt.sides:  # pro/con on a BP round: the opening benches
        role = {"pro": fmt.sides[0], "con": fmt.sides[1]}[role]
    if role not in fmt.sides and role not in ("judge", "audience"):
        raise UserError(f"Round #{round_row.id} ({fmt.name}) has the sides {', '.join(fmt.sides)}; "
                        "or join as judge or audience.")
    if role == "judge" and round_row.state not in (machine.SCHEDULED, machine.SIGNUP):
        raise UserError(f"Round #{round_row.id} has already started; judges join before it starts. "
                        "You can still join as audience.")
    if round_row.is_practice and role != "audience":
        raise UserError(f"Round #{round_row.id} is a practice round against the bot; you can join it as audience.")
    if role in fmt.sides:
        if round_row.state not in (machine.SCHEDULED, machine.SIGNUP):
            raise UserError(f"Round #{round_row.id} has already started; debaters can no longer join. "
                            "You can still join as audience.")
        if len(machine.debaters(round_row, role)) >= fmt.team_size:
            raise UserError(f"{fmt.side_name(role)} is full in round #{round_row.id}. Try another side, judge or "
                            "audience.")
    machine.add_participant(session, round_row, ctx.user, role)
    label = fmt.side_name(role) if role in fmt.sides else role
    fx.post(round_row, Outgoing(text=f"{machine.name_of(machine.participant(round_row, ctx.user.id))} joined as "
                                     f"{label}."))
    if (role in fmt.sides and round_row.state == machine.SIGNUP and round_row.starts_at is None
            and machine.seats_filled(round_row)):
        machine.begin(session, fx, round_row, now, _engine(ctx, round_row),
                      repo.bot_user(session, ctx.server.platform), ctx.settings.fill_policy)
    _commit_effects(ctx, fx)
    return Outgoing(text=f"You joined round #{round_row.id} as **{label}**.", kind=Kind.SUCCESS, ephemeral=True)


@commands.handles("leave")
async def leave(ctx: Context, round: int | None = None) -> Outgoing:  # noqa: A002
    session, fx = ctx.session, Effects()
    round_row = find_round(ctx, round, machine.OPEN, prefer_user=True)
    me = machine.participant(round_row, ctx.user.id)
    if me is None:
        raise UserError(f"You are not in round #{round_row.id}.")
    fmt = machine.fmt_of(round_row)
    if me.role in fmt.sides and round_row.state not in (machine.DRAFT, machine.SCHEDULED, machine.SIGNUP):
        raise UserError(f"Round #{round_row.id} has started, so debaters can't leave it now; an admin can "
                        f"`/debate cancel round:{round_row.id}`.")
    round_row.participants.remove(me)
    session.delete(me)
    session.flush()
    fx.post(round_row, Outgoing(text=f"{chat.user_text(ctx.user.display_name)} left round #{round_row.id}."))
    _commit_effects(ctx, fx)
    return Outgoing(text=f"You left round #{round_row.id}.", kind=Kind.SUCCESS, ephemeral=True)


# -- status and cancel -----------------------------------------------------------------------------------

@commands.handles("status")
async def status(ctx: Context, round: int | None = None) -> Outgoing:  # noqa: A002
    if round is None:
        try:
            round_row = find_round(ctx, None, machine.OPEN, prefer_user=True, lock=False)
        except UserError:
            return Outgoing(text="No round is open here. `/debate practice` starts one against the bot; "
                                 "`/debate start` opens one for people.", ephemeral=True)
    else:
        round_row = find_round(ctx, round, lock=False)
    return status_message(ctx.session, round_row, _now(ctx))


def status_message(session: Session, round_row: m.Round, now: datetime) -> Outgoing:
    fmt = machine.fmt_of(round_row)
    lines = [f"Motion: {machine.motion_line(round_row)}", f"Format: {fmt.summary()}",
             f"State: {machine.describe_state(round_row.state)}"]
    phase = machine.current_phase(round_row)
    if round_row.state in (machine.SCHEDULED, machine.SIGNUP) and round_row.starts_at:
        lines.append(f"Starts {chat.timestamp(round_row.starts_at)}.")
    if phase is not None and round_row.phase_deadline is not None:
        left = machine.debate_seconds(round_row.phase_deadline - now, round_row)
        if phase.kind == "prep":
            lines.append(f"Preparation: {machine.duration(max(0, left))} left.")
        else:
            assert phase.spec is not None
            speaker = machine.speaker_for(round_row, fmt, phase)
            who = f" by {machine.name_of(speaker)}" if speaker else ""
            time_left = (f"{machine.duration(left)} left (until {chat.timestamp(round_row.phase_deadline)})"
                         if left > 0 else "in grace time")
            lines.append(f"Speech {phase.number} of {len(fmt.speeches)}: {fmt.speech_title(phase.spec)}{who}, "
                         f"{time_left}.")
    if round_row.state == machine.JUDGING and round_row.phase_deadline:
        lines.append(f"Voting closes {chat.timestamp(round_row.phase_deadline)}.")
    if round_row.state == machine.FINISHED:
        lines.append(f"Winner: {fmt.side_name(round_row.winner) if round_row.winner else 'none (a tie)'} "
                     f"({round_row.winner_source}).")
    fields = [Field(fmt.side_name(s), ", ".join(machine.name_of(p) for p in machine.debaters(round_row, s)) or "—",
                    inline=True) for s in fmt.sides]
    others = [p for p in round_row.participants if p.role in ("judge", "audience")]
    if others:
        fields.append(Field("Judges and audience", ", ".join(f"{machine.name_of(p)} ({p.role})" for p in others)))
    buttons = machine.signup_buttons(round_row) if round_row.state in (machine.SCHEDULED, machine.SIGNUP) else []
    return Outgoing(title=f"Round #{round_row.id}", text="\n".join(lines), fields=fields, buttons=buttons,
                    ephemeral=True)


@commands.handles("cancel")
async def cancel(ctx: Context, round: int | None = None) -> Outgoing:  # noqa: A002
    session, now, fx = ctx.session, _now(ctx), Effects()
    round_row = find_round(ctx, round)
    extra = ""
    if round_row.schedule_id and round_row.state in (machine.DRAFT, machine.SCHEDULED, machine.SIGNUP):
        schedule_row = session.get(m.Schedule, round_row.schedule_id)
        if schedule_row is not None and schedule_row.active:
            schedule_row.active = False
            extra = f" The recurring schedule ({schedule_row.rule}) is stopped too."
    try:
        machine.cancel(session, fx, round_row, now,
                       f"Cancelled by {chat.user_text(ctx.user.display_name)}.{extra}")
    except RoundError as exc:
        raise UserError(str(exc)) from None
    _commit_effects(ctx, fx)
    return Outgoing(text=f"Round #{round_row.id} is cancelled.{extra}", kind=Kind.SUCCESS, ephemeral=True)


# -- votes and ballots ---------------------------------------------------------------------------------------

def _insert(session: Session):  # type: ignore[no-untyped-def]
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


@commands.handles("vote")
async def vote(ctx: Context, side: str, round: int | None = None) -> Outgoing:  # noqa: A002
    session = ctx.session
    # A shared lock: votes are independent upserts, so voters don't queue behind each other, but the timer
    # that closes the round waits for them, so no vote lands after the count.
    round_row = (find_round(ctx, round, machine.OPEN + (machine.FINISHED, machine.CANCELLED), lock="share")
                 if round is not None else _the_round_for(ctx, "vote", (machine.JUDGING,), lock="share"))
    fmt = machine.fmt_of(round_row)
    if side in ("pro", "con") and side not in fmt.sides:
        side = {"pro": fmt.sides[0], "con": fmt.sides[1]}[side]
    if round_row.state in (machine.FINISHED, machine.CANCELLED):
        raise UserError(f"Voting for round #{round_row.id} has closed; the round is "
                        f"{machine.describe_state(round_row.state)}.")
    if round_row.state != machine.JUDGING:
        raise UserError(f"Voting for round #{round_row.id} opens when the last speech ends.")
    if side not in fmt.sides:
        raise UserError(f"Round #{round_row.id} has the sides {', '.join(fmt.sides)}.")
    me = machine.participant(round_row, ctx.user.id)
    if me is not None and me.role in fmt.sides:
        raise UserError("You can't vote in your own round.")
    if me is not None and me.role == "judge":
        raise UserError(f"You are judging round #{round_row.id}: give your ballot with "
                        f"`/debate judge <winner> [points] round:{round_row.id}`.")
    now = _now(ctx)
    stmt = _insert(session)(m.Vote).values(round_id=round_row.id, voter_id=ctx.user.id, side=side, created_at=now,
                                           updated_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["round_id", "voter_id"],
                                      set_={"side": stmt.excluded.side, "updated_at": stmt.excluded.updated_at})
    session.execute(stmt)
    if everyone_has_voted(session, round_row):  # the last judge or audience member: close voting now
        fx = Effects()
        _lock(session, round_row.id)
        if round_row.state == machine.JUDGING:
            machine.finish(session, fx, round_row, now)
            _commit_effects(ctx, fx)
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
async def judge(ctx: Context, winner: str, points: str | None = None, round: int | None = None) -> Outgoing:  # noqa: A002
    session, now, fx = ctx.session, _now(ctx), Effects()
    round_row = find_round(ctx, round, machine.OPEN + (machine.FINISHED,), prefer_user=True)
    fmt = machine.fmt_of(round_row)
    me = machine.participant(round_row, ctx.user.id)
    if me is None or me.role != "judge":
        raise UserError(f"Only judges of round #{round_row.id} give ballots; join as judge before it starts, "
                        "or vote with `/debate vote`.")
    if round_row.state != machine.JUDGING:
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
        machine.finish(session, fx, round_row, now)
    _commit_effects(ctx, fx)
    return Outgoing(text=f"Ballot recorded for round #{round_row.id}: {fmt.side_name(winner)} wins"
                         + (f", points {', '.join(f'{v:g}' for v in speaker_points.values())}." if speaker_points
                            else "."), kind=Kind.SUCCESS, ephemeral=True)


# -- speeches ---------------------------------------------------------------------------------------------

def in_round_place(round_row: m.Round, place: Place) -> bool:
    """Was a message posted in the round's thread, or in its channel (platforms without threads)?"""
    if place.thread_id:
        return place.thread_id == round_row.thread_id
    return place.channel_id in (round_row.channel_id, round_row.thread_id)


def _speaking_round(ctx: Context, round_id: int | None, *, place: Place | None = None,
                    ) -> tuple[m.Round, m.Speech, machine.Phase] | None:
    """The running round where this user holds the floor now (including grace), if any.

    With `place`, only a round whose thread or channel the message was posted in counts.
    """
    session = ctx.session
    if round_id is not None:
        ids = [round_id]
    else:
        ids = list(session.scalars(select(m.Round.id).join(m.Participant).where(
            m.Round.server_id == ctx.server.id, m.Round.state == machine.RUNNING,
            m.Participant.user_id == ctx.user.id).order_by(m.Round.id.desc())))
    for rid in ids:
        round_row = _lock(session, rid)
        if round_row is None or round_row.server_id != ctx.server.id:
            continue
        if place is not None and not in_round_place(round_row, place):
            continue
        phase = machine.current_phase(round_row)
        if phase is None or phase.spec is None:
            continue
        me = machine.participant(round_row, ctx.user.id)
        if me is None:
            continue
        fmt = machine.fmt_of(round_row)
        speaker = machine.speaker_for(round_row, fmt, phase)
        if (speaker is not None and speaker.id == me.id) or (phase.spec.shared and me.role in fmt.sides):
            speech = machine.speech_row(session, round_row, phase.index)
            if speech is not None:
                return round_row, speech, phase
    return None


@commands.handles("speech")
async def speech(ctx: Context, text: str | None = None, round: int | None = None) -> Outgoing:  # noqa: A002
    if not text or not text.strip():
        raise UserError("Write your speech after the command: `/debate speech <your speech>`.")
    session, now, fx = ctx.session, _now(ctx), Effects()
    found = _speaking_round(ctx, round)
    if found is None:
        raise UserError(_not_your_turn(ctx, round))
    round_row, speech_row, phase = found
    end = machine.grace_end(round_row)
    if end is not None and now > end:
        raise UserError("Your time (and the grace period) is over; this speech can't be recorded.")
    result = machine.append_speech(session, round_row, speech_row, _label(ctx, phase, text))
    replies = [f"Speech recorded ({result.chars} characters)."]
    if result.truncated:
        replies.append(f"It was longer than {machine.MAX_SPEECH_CHARS:,} characters, so it was cut there.")
    if not phase.spec or not phase.spec.shared:
        machine.end_phase(session, fx, round_row, now, _engine(ctx, round_row))
    _commit_effects(ctx, fx)
    return Outgoing(text=" ".join(replies), kind=Kind.SUCCESS, ephemeral=True)


def _label(ctx: Context, phase: machine.Phase, text: str) -> str:
    """In shared phases (crossfire) each line says who spoke."""
    if phase.spec is not None and phase.spec.shared:
        return f"{ctx.user.display_name}: {text}"
    return text


def _not_your_turn(ctx: Context, round_id: int | None) -> str:
    try:
        round_row = find_round(ctx, round_id, machine.OPEN, prefer_user=True)
    except UserError:
        return "There is no running round where it's your turn to speak."
    if round_row.state in (machine.DRAFT, machine.SCHEDULED, machine.SIGNUP):
        return f"Round #{round_row.id} hasn't started yet, so it's not your turn to speak."
    if round_row.state != machine.RUNNING:
        return f"Round #{round_row.id} is {machine.describe_state(round_row.state)}; the speeches are over."
    phase = machine.current_phase(round_row)
    fmt = machine.fmt_of(round_row)
    if phase is None or phase.spec is None:
        return f"Round #{round_row.id} is not in a speech right now."
    speaker = machine.speaker_for(round_row, fmt, phase)
    return (f"It's not your turn: speech {phase.number} ({fmt.speech_title(phase.spec)}) belongs to "
            f"{machine.name_of(speaker)}.")


async def on_message(ctx: Context) -> Outgoing | None:
    """A chat message: part of the speaker's speech during their turn and grace, else audience chat."""
    session, now = ctx.session, _now(ctx)
    text = ctx.incoming.text
    if not text.strip():
        return None
    found = _speaking_round(ctx, None, place=ctx.incoming.place)
    if found is not None:
        round_row, speech_row, phase = found
        end = machine.grace_end(round_row)
        if end is None or now <= end:
            result = machine.append_speech(session, round_row, speech_row, _label(ctx, phase, text))
            if result.truncated:
                return Outgoing(text=f"Your speech reached {machine.MAX_SPEECH_CHARS:,} characters; the rest was "
                                     "not recorded.", kind=Kind.INFO, ephemeral=True)
            return None
        return Outgoing(text="Your time and grace period are over, so this message is not part of your speech.",
                        kind=Kind.INFO, ephemeral=True)
    # A debater talking out of turn in a running round: tell them it doesn't count.
    recent = next((r for r in session.scalars(select(m.Round).join(m.Participant).where(
        m.Round.server_id == ctx.server.id, m.Round.state == machine.RUNNING,
        m.Participant.user_id == ctx.user.id).order_by(m.Round.id.desc()))
        if in_round_place(r, ctx.incoming.place)), None)
    if recent is None:
        return None
    me = machine.participant(recent, ctx.user.id)
    fmt = machine.fmt_of(recent)
    if me is None or me.role not in fmt.sides:
        return None
    phase = machine.current_phase(recent)
    if phase is None:
        return None
    prev = machine.speech_row(session, recent, phase.index - 1) if phase.index > 0 else None
    if prev is not None and prev.participant_id == me.id:
        return Outgoing(text="Your time and grace period are over, so this message is not part of your speech.",
                        kind=Kind.INFO, ephemeral=True)
    return Outgoing(text=f"{_not_your_turn(ctx, recent.id)} This message is not part of any speech.",
                    kind=Kind.INFO, ephemeral=True)


# -- autocomplete --------------------------------------------------------------------------------------------

def suggest(session: Session, server_row: m.Server, settings_row: m.ServerSettings, kind: str,
            ) -> list[tuple[str, Any]]:
    if kind == "format":
        return [(f"{key}: {fmt.summary()}", key) for key, fmt in available_formats(settings_row).items()]
    if kind == "round":
        rows = session.scalars(select(m.Round).where(m.Round.server_id == server_row.id,
                                                     m.Round.state.in_(machine.OPEN))
                               .order_by(m.Round.id.desc()).limit(25))
        return [(f"#{r.id} ({r.state}): {r.motion_text}", r.id) for r in rows]
    if kind == "article":
        rows = session.scalars(select(m.Article).where((m.Article.server_id == server_row.id)
                                                       | m.Article.server_id.is_(None)).order_by(m.Article.name))
        return [(f"{a.name}: {a.title}" if a.title else a.name, a.name) for a in rows]
    return []
