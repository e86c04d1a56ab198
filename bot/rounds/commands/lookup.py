"""Finding the round a command means, the plumbing every round command shares, `/debate status`, and
autocomplete suggestions."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import commands
from bot.chat import Outgoing
from bot.context import Context, UserError
from bot.rounds import lineup, live, messages, states
from bot.rounds.formats import FormatError, available_formats, resolve_format
from bot.rounds.live import Effects
from bot.rounds.scheduler import runtime_of
from bot.rounds.states import RoundError
from bot.storage import models as m


def time_now(ctx: Context) -> datetime:
    """The service clock's time now."""
    return ctx.service.clock.now()


def commit_effects(ctx: Context, fx: Effects) -> None:
    """Deliver a round's effects (posts, timers) once the transaction has committed."""
    runtime = runtime_of(ctx.service)
    if fx.engine:  # what the engine now owes, read in this transaction (it runs once this one has committed)
        runtime.prepare_engine_work(ctx.session, fx)

    async def deliver() -> None:
        await runtime.deliver(fx)

    ctx.after_commit(deliver)


def round_engine(ctx: Context, round_row: m.Round):  # type: ignore[no-untyped-def]
    """The engine of the round's article (the server's article may have changed since it was created)."""
    return ctx.service.engine_for(ctx.session, SimpleNamespace(article_id=round_row.article_id))


def format_for(ctx: Context, key: str | None):  # type: ignore[no-untyped-def]
    """The format named by the user (or the server default), or a UserError."""
    try:
        return resolve_format(key, ctx.settings)
    except FormatError as exc:
        raise UserError(str(exc)) from None


def motion_for(ctx: Context, ref: str | None) -> tuple[str, str]:
    """(motion id, text) for the user's reference, or a UserError."""
    try:
        return live.pick_motion(ctx.engine, ref)
    except RoundError as exc:
        raise UserError(str(exc)) from None


def lock_round(session: Session, round_id: int) -> m.Round | None:
    """The round row, locked for update (PostgreSQL) for a handler that changes it."""
    return session.get(m.Round, round_id, with_for_update=True)


def find_round(ctx: Context, round_id: int | None, among: tuple[str, ...] = states.OPEN,
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
        get = lock_round
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
                                                            m.Round.state.in_(among))
                                      .order_by(m.Round.id.desc())))
    candidates.sort(key=lambda r: r.state not in states.OPEN)  # open rounds before finished ones (stable)
    if prefer_user:
        mine = [r for r in candidates if lineup.participant(r, ctx.user.id) is not None]
        candidates = mine + [r for r in candidates if r not in mine]
    in_thread = [r for r in candidates if place.thread_id and r.thread_id == place.thread_id]
    in_channel = [r for r in candidates if r.channel_id == place.channel_id]
    for group in (in_thread, in_channel, candidates):
        if group:
            return get(session, group[0].id) or group[0]
    raise UserError("There is no open round here. Start one with `/debate start` or practise with "
                    "`/debate practice`.")


def round_for(ctx: Context, command: str, among: tuple[str, ...], *, lock: bool | str = True,
              fallback: tuple[str, ...] = states.OPEN + (states.FINISHED, states.CANCELLED)) -> m.Round:
    """Without `round:`, the round here for which `command` makes sense; when several do, say which they are.
    When none does, the round `find_round` picks among `fallback`, so the refusal names a real round."""
    place = ctx.incoming.place
    fitting = list(ctx.session.scalars(select(m.Round).where(m.Round.server_id == ctx.server.id,
                                                             m.Round.state.in_(among)).order_by(m.Round.id)))
    here = [r for r in fitting if (place.thread_id and r.thread_id == place.thread_id)]
    here = here or [r for r in fitting if r.channel_id == place.channel_id]
    if len(here) > 1:
        listed = ", ".join(f"#{r.id}" for r in here)
        raise UserError(f"Several rounds here take `/debate {command}` now ({listed}); add `round:<id>`, "
                        f"e.g. `/debate {command} ... round:{here[0].id}`.")
    if here:
        return find_round(ctx, here[0].id, lock=lock)
    return find_round(ctx, None, fallback, lock=lock)


@commands.handles("status")
def status(ctx: Context, round: int | None = None) -> Outgoing:  # noqa: A002
    """`/debate status [round]`: phase, speaker, time left and the line-up."""
    if round is None:
        try:
            round_row = find_round(ctx, None, states.OPEN, prefer_user=True, lock=False)
        except UserError:
            return Outgoing(text="No round is open here. `/debate practice` starts one against the bot; "
                                 "`/debate start` opens one for people.", ephemeral=True)
    else:
        round_row = find_round(ctx, round, lock=False)
    fmt = live.fmt_of(round_row)
    return messages.status(round_row, fmt, live.current_phase(round_row), live.seconds_left(round_row, time_now(ctx)))


def suggest(session: Session, server_row: m.Server, settings_row: m.ServerSettings, kind: str,
            ) -> list[tuple[str, Any]]:


    """Autocomplete suggestions (label, value) for formats, rounds and articles."""
    if kind == "format":
        return [(f"{key}: {fmt.summary()}", key) for key, fmt in available_formats(settings_row).items()]
    if kind == "round":
        rows = session.scalars(select(m.Round).where(m.Round.server_id == server_row.id,
                                                     m.Round.state.in_(states.OPEN))
                               .order_by(m.Round.id.desc()).limit(25))
        return [(f"#{r.id} ({r.state}): {r.motion_text}", r.id) for r in rows]
    if kind == "article":
        rows = session.scalars(select(m.Article).where((m.Article.server_id == server_row.id)
                                                       | m.Article.server_id.is_(None)).order_by(m.Article.name))
        return [(f"{a.name}: {a.title}" if a.title else a.name, a.name) for a in rows]
    return []
