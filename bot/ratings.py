"""Ratings and leaderboards: openskill's PlackettLuce model, per user, per server, per pool, per season.

How rounds are rated
--------------------
- **Two pools.** A round in which the bot is one of the debaters (every practice round, and any round
  where the bot filled an empty side) is rated in the ``bot`` pool. A round only between people is
  rated in the ``people`` pool. Everyone has a separate rating in each pool, so practising against the
  bot never moves your ranking among people; ``/debate leaderboard pool:bot`` shows the other board.
- **The bot is a fixed yardstick.** In the bot pool the bot plays with a constant rating
  (mu 25, sigma 25/6) instead of a rating of its own, so its strength never drifts with whoever it
  happens to meet, and it never appears on any leaderboard.
- **Teams and ranks.** Each side is a team; PlackettLuce takes the sides' finishing order, so a 1 v 1
  or 3 v 3 round ranks winner over loser and British Parliamentary ranks all four teams (1st-4th).
- **Boards.** The leaderboard ranks by ordinal (mu - 3 sigma, a cautious estimate that rises as the
  rating becomes certain). You appear after ``MIN_ROUNDS`` rated rounds in that pool and period.
- **Periods.** *all*: every rated round. *season*: ratings that start afresh each season; a season is
  the calendar quarter (UTC) unless an admin starts one with ``/debate config season new``, which then
  runs until the next one is started. *30d*: the people with at least ``MIN_ROUNDS`` rounds in the last
  30 days, ranked by their current all-time rating (the board of active debaters).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from openskill.models import PlackettLuce, PlackettLuceRating
from sqlalchemy import Integer, cast, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import chat, commands
from bot.chat import Outgoing
from bot.storage import models as m

if TYPE_CHECKING:
    from bot.context import Context

log = logging.getLogger(__name__)

MODEL = PlackettLuce()
MIN_ROUNDS = 3
BOARD_SIZE = 10
RECENT_DAYS = 30
POOLS = ("people", "bot")
PERIODS = ("all", "30d", "season")
ALL_TIME = "all"
BOT_MU, BOT_SIGMA = 25.0, 25.0 / 6
NON_DEBATER_ROLES = frozenset({"judge", "audience"})
PERIOD_LABEL = {"all": "all time", "30d": "last 30 days", "season": "this season"}


def ordinal(mu: float, sigma: float) -> float:
    """openskill's default ordinal: mu - 3 sigma."""
    return mu - 3.0 * sigma


def season_key(settings_row: m.ServerSettings | None, when: datetime) -> str:
    """The season a moment belongs to: "2026Q4", or "s202611252200" after an admin started a season."""
    start = settings_row.season_started_at if settings_row is not None else None
    if start is not None and when >= start:
        return "s" + start.astimezone(UTC).strftime("%Y%m%d%H%M")
    when = when.astimezone(UTC)
    return f"{when.year}Q{(when.month - 1) // 3 + 1}"


def season_label(key: str) -> str:
    if key.startswith("s") and len(key) == 13:
        return f"season since {key[1:5]}-{key[5:7]}-{key[7:9]}"
    return key.replace("Q", " Q")


# -- recording a finished round --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Debater:
    participant_id: int
    user_id: int
    side: str
    is_bot: bool


def _debaters(session: Session, round_row: m.Round) -> list[Debater]:
    rows = session.execute(
        select(m.Participant.id, m.Participant.user_id, m.Participant.role, m.Participant.is_bot, m.User.is_bot)
        .join(m.User, m.User.id == m.Participant.user_id)
        .where(m.Participant.round_id == round_row.id, m.Participant.role.not_in(NON_DEBATER_ROLES))
        .order_by(m.Participant.role, m.Participant.seat, m.Participant.id)
    ).all()
    return [Debater(pid, uid, role, bool(p_bot or u_bot)) for pid, uid, role, p_bot, u_bot in rows]


def side_ranks(sides: Sequence[str], winner: str | None, ranks: Mapping[str, int] | None = None) -> dict[str, int]:
    """Rank per side (0 = first). Explicit ranks win (BP's four places); otherwise winner first, rest tied."""
    if ranks:
        missing = [s for s in sides if s not in ranks]
        if missing:
            raise ValueError(f"no rank given for side(s) {', '.join(missing)}")
        return {s: int(ranks[s]) for s in sides}
    if winner is None or winner not in sides:
        raise ValueError(f"winner {winner!r} is not one of the round's sides {sorted(sides)}")
    return {s: 0 if s == winner else 1 for s in sides}


def _scale(value: Any, fallback: tuple[float, float]) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in value)
        return (lo, hi) if hi > lo else fallback
    except (TypeError, ValueError):
        return fallback


def _speaker_scores(session: Session, round_row: m.Round) -> dict[int, float]:
    """Average speaker score per participant on 0-100 (a share of each speech's scale, so formats mix).

    Judges' speaker points win where given; otherwise the engine's totals.
    """
    spec = round_row.format_spec or {}
    speaker_scale = _scale(spec.get("speaker_scale"), (0.0, 100.0))
    reply_scale = _scale(spec.get("reply_scale"), speaker_scale)
    speeches = session.execute(
        select(m.Speech.id, m.Speech.participant_id, m.Speech.score_total, m.Speech.score, m.Speech.kind)
        .where(m.Speech.round_id == round_row.id)
    ).all()
    owner: dict[int, tuple[int, tuple[float, float]]] = {}
    engine: dict[int, list[float]] = {}

    def share(value: float, scale: tuple[float, float]) -> float:
        lo, hi = scale
        return max(0.0, min(100.0, 100.0 * (value - lo) / (hi - lo)))

    for sid, pid, total, detail, kind in speeches:
        if pid is None:
            continue
        scale = _scale((detail or {}).get("scale"), reply_scale if kind == "reply" else speaker_scale)
        owner[sid] = (pid, scale)
        if total is not None:
            engine.setdefault(pid, []).append(share(float(total), scale))
    judged: dict[int, list[float]] = {}
    for points in session.scalars(select(m.Ballot.speaker_points).where(m.Ballot.round_id == round_row.id)):
        for speech_id, value in (points or {}).items():
            try:
                pid, scale = owner[int(speech_id)]
                judged.setdefault(pid, []).append(share(float(value), scale))
            except (KeyError, TypeError, ValueError):
                continue
    scores = {pid: sum(v) / len(v) for pid, v in engine.items()}
    scores.update({pid: sum(v) / len(v) for pid, v in judged.items()})
    return scores


def _rating_rows(session: Session, server_id: int, pool: str, season: str, user_ids: Sequence[int],
                 lock: bool) -> dict[int, m.Rating]:
    """Get or create the rating rows, locked in user-id order so concurrent rounds cannot lose an update."""
    ids = sorted(set(user_ids))
    query = select(m.Rating).where(m.Rating.server_id == server_id, m.Rating.pool == pool,
                                   m.Rating.season == season, m.Rating.user_id.in_(ids)).order_by(m.Rating.user_id)
    if lock:
        query = query.with_for_update()
    rows = {r.user_id: r for r in session.scalars(query)}
    for uid in ids:
        if uid in rows:
            continue
        fresh = MODEL.rating()
        try:
            with session.begin_nested():
                row = m.Rating(server_id=server_id, user_id=uid, pool=pool, season=season, mu=fresh.mu,
                               sigma=fresh.sigma, ordinal=ordinal(fresh.mu, fresh.sigma), rounds=0, wins=0)
                session.add(row)
                session.flush()
        except IntegrityError:  # created by a concurrent round
            again = select(m.Rating).where(m.Rating.server_id == server_id, m.Rating.pool == pool,
                                           m.Rating.season == season, m.Rating.user_id == uid)
            row = session.scalars(again.with_for_update() if lock else again).one()
        rows[uid] = row
    return rows


def rate_teams(teams: Sequence[Sequence[tuple[float, float]]], ranks: Sequence[int]) -> list[list[tuple[float, float]]]:
    """Pure PlackettLuce update: teams of (mu, sigma), ranks (0 = first) → new (mu, sigma) per member."""
    model_teams = [[PlackettLuceRating(mu, sigma) for mu, sigma in team] for team in teams]
    rated = MODEL.rate(model_teams, ranks=list(ranks))
    return [[(r.mu, r.sigma) for r in team] for team in rated]


def record_round(session: Session, round_row: m.Round, *, ranks: Mapping[str, int] | None = None,
                 settings_row: m.ServerSettings | None = None, now: datetime | None = None) -> list[m.Result]:
    """Write one Result per human debater and update their ratings (all time and this season).

    Runs in the caller's transaction. Idempotent: a round that already has results is left alone.
    Returns the new Result rows ([] when there was nothing to rate).
    """
    if session.scalar(select(func.count()).select_from(m.Result).where(m.Result.round_id == round_row.id)):
        return []
    debaters = _debaters(session, round_row)
    sides = sorted({d.side for d in debaters})
    if len(sides) < 2:
        log.info("round %s has fewer than two sides; not rated", round_row.id)
        return []
    try:
        rank_of = side_ranks(sides, round_row.winner, ranks)
    except ValueError as exc:
        log.warning("round %s not rated: %s", round_row.id, exc)
        return []
    humans = [d for d in debaters if not d.is_bot]
    if not humans:
        return []
    pool = "bot" if any(d.is_bot for d in debaters) else "people"
    finished = round_row.finished_at or now or datetime.now(UTC)
    if settings_row is None:
        settings_row = session.get(m.ServerSettings, round_row.server_id)
    lock = session.get_bind().dialect.name != "sqlite"
    ordered_sides = sorted(sides, key=lambda s: (rank_of[s], s))
    firsts = [s for s in sides if rank_of[s] == 0]
    sole_winner = firsts[0] if len(firsts) == 1 else None  # a draw is nobody's win
    after: dict[int, tuple[float, float]] = {}
    for season in dict.fromkeys((ALL_TIME, season_key(settings_row, finished))):
        rows = _rating_rows(session, round_row.server_id, pool, season, [d.user_id for d in humans], lock)
        teams = [[d for d in debaters if d.side == side] for side in ordered_sides]
        current = [[(BOT_MU, BOT_SIGMA) if d.is_bot else (rows[d.user_id].mu, rows[d.user_id].sigma)
                    for d in team] for team in teams]
        new = rate_teams(current, [rank_of[s] for s in ordered_sides])
        for team, values in zip(teams, new, strict=True):
            for debater, (mu, sigma) in zip(team, values, strict=True):
                if debater.is_bot:
                    continue
                row = rows[debater.user_id]
                row.mu, row.sigma, row.ordinal = mu, sigma, ordinal(mu, sigma)
                row.rounds += 1
                row.wins += int(debater.side == sole_winner)
                if season == ALL_TIME:
                    after[debater.user_id] = (mu, sigma)
    scores = _speaker_scores(session, round_row)
    results = []
    for d in humans:
        mu, sigma = after[d.user_id]
        results.append(m.Result(
            round_id=round_row.id, server_id=round_row.server_id, user_id=d.user_id, pool=pool, side=d.side,
            rank=rank_of[d.side], won=d.side == sole_winner, speaker_score=scores.get(d.participant_id),
            motion_id=round_row.motion_id, mu_after=mu, sigma_after=sigma, finished_at=finished))
    session.add_all(results)
    session.flush()
    return results


def on_round_finished(event: Any, session: Session) -> None:
    """Event-bus listener for ``bot.events.RoundFinished``: rate the round in the same transaction."""
    round_row = session.get(m.Round, event.round_id)
    if round_row is None:
        log.warning("RoundFinished for unknown round %s", event.round_id)
        return
    record_round(session, round_row, ranks=getattr(event, "ranks", None) or None)


def install() -> None:
    """Subscribe to the rounds event bus. Safe to call more than once (the service calls it on start)."""
    from bot import events

    events.subscribe(events.RoundFinished, on_round_finished)


# -- leaderboards ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Standing:
    user_id: int
    name: str
    ordinal: float
    mu: float
    sigma: float
    rounds: int
    wins: int


# Below this many results in the 30-day window, aggregating the window is cheapest; above it, walking the
# board in rating order and probing each debater's recent results (an index lookup) stops after 10 hits.
AGGREGATE_WINDOW_BELOW = 5_000
PLACE_LIMIT = 1_000  # "you are #k" is counted up to here, so it costs at most this many index entries


def _recent_rounds(server_id: int, pool: str, since: datetime, user_id: Any) -> Any:
    """Correlated count of a debater's rounds in the window (uses ix_results_user)."""
    return (select(func.count()).select_from(m.Result)
            .where(m.Result.user_id == user_id, m.Result.finished_at >= since, m.Result.server_id == server_id,
                   m.Result.pool == pool)
            .scalar_subquery())


def top(session: Session, server_id: int, *, pool: str = "people", period: str = "all",
        season: str | None = None, now: datetime | None = None, limit: int = BOARD_SIZE,
        min_rounds: int = MIN_ROUNDS) -> list[Standing]:
    """The leaderboard: debaters with at least `min_rounds` rounds in the period, best ordinal first.

    For "30d", `rounds` and `wins` are those of the last 30 days; the rating is the current all-time one.
    """
    board = (
        select(m.Rating.user_id, m.User.display_name, m.Rating.ordinal, m.Rating.mu, m.Rating.sigma,
               m.Rating.rounds, m.Rating.wins)
        .join(m.User, m.User.id == m.Rating.user_id)
        .where(m.Rating.server_id == server_id, m.Rating.pool == pool, m.Rating.rounds >= min_rounds,
               m.User.is_bot.is_(False))
        .order_by(m.Rating.ordinal.desc(), m.Rating.user_id)
        .limit(limit)
    )
    if period != "30d":
        key = ALL_TIME if period == "all" else (season or ALL_TIME)
        rows = session.execute(board.where(m.Rating.season == key)).all()
        return [Standing(uid, name or f"user {uid}", o, mu, s, n, w) for uid, name, o, mu, s, n, w in rows]

    since = (now or datetime.now(UTC)) - timedelta(days=RECENT_DAYS)
    in_window = (m.Result.server_id == server_id, m.Result.pool == pool, m.Result.finished_at >= since)
    # how busy the window is, counted only up to the threshold so this stays cheap on big servers
    window = session.scalar(select(func.count()).select_from(
        select(m.Result.id).where(*in_window).limit(max(1, AGGREGATE_WINDOW_BELOW)).subquery())) or 0
    if window == 0:
        return []
    board = board.where(m.Rating.season == ALL_TIME)
    if window < AGGREGATE_WINDOW_BELOW:
        recent = (select(m.Result.user_id).where(*in_window).group_by(m.Result.user_id)
                  .having(func.count() >= min_rounds).subquery())
        board = board.join(recent, recent.c.user_id == m.Rating.user_id)
    else:
        board = board.where(_recent_rounds(server_id, pool, since, m.Rating.user_id) >= min_rounds)
    rows = session.execute(board).all()
    # the period's own rounds and wins, for the ten shown
    ids = [r[0] for r in rows]
    counts = {uid: (int(n), int(w or 0)) for uid, n, w in session.execute(
        select(m.Result.user_id, func.count(), func.sum(cast(m.Result.won, Integer)))
        .where(*in_window, m.Result.user_id.in_(ids)).group_by(m.Result.user_id))} if ids else {}
    return [Standing(uid, name or f"user {uid}", o, mu, s, *counts.get(uid, (0, 0)))
            for uid, name, o, mu, s, _, _ in rows]


@dataclass(frozen=True, slots=True)
class MyStanding:
    rounds: int  # rated rounds that count for this board
    eligible: bool  # enough rounds to appear
    place: int | None  # 1-based; None when not eligible, beyond PLACE_LIMIT, or for 30 days (not counted)


def standing_of(session: Session, server_id: int, user_id: int, *, pool: str, period: str,
                season: str | None = None, now: datetime | None = None,
                min_rounds: int = MIN_ROUNDS) -> MyStanding:
    """Where a debater stands on a board. For "30d" the place is not counted (it would aggregate the window)."""
    key = season if period == "season" and season else ALL_TIME
    mine = session.scalars(select(m.Rating).where(m.Rating.server_id == server_id, m.Rating.pool == pool,
                                                  m.Rating.season == key, m.Rating.user_id == user_id)).first()
    if period == "30d":
        since = (now or datetime.now(UTC)) - timedelta(days=RECENT_DAYS)
        rounds = session.scalar(select(func.count()).select_from(m.Result).where(
            m.Result.user_id == user_id, m.Result.finished_at >= since, m.Result.server_id == server_id,
            m.Result.pool == pool)) or 0
        return MyStanding(rounds, mine is not None and rounds >= min_rounds, None)
    if mine is None or mine.rounds < min_rounds:
        return MyStanding(mine.rounds if mine else 0, False, None)
    above = session.scalar(select(func.count()).select_from(
        select(m.Rating.id).where(m.Rating.server_id == server_id, m.Rating.pool == pool, m.Rating.season == key,
                                  m.Rating.ordinal > mine.ordinal, m.Rating.rounds >= min_rounds)
        .limit(PLACE_LIMIT).subquery())) or 0
    return MyStanding(mine.rounds, True, above + 1 if above < PLACE_LIMIT else None)


def _has_ratings(session: Session, server_id: int, pool: str, user_id: int | None = None) -> bool:
    query = select(m.Rating.id).where(m.Rating.server_id == server_id, m.Rating.pool == pool,
                                      m.Rating.season == ALL_TIME)
    if user_id is not None:
        query = query.where(m.Rating.user_id == user_id)
    return session.scalar(query.limit(1)) is not None


def default_pool(session: Session, server_id: int, user_id: int) -> tuple[str, str]:
    """(pool, why): the pool where the caller has rounds (people first), else where this server has any."""
    mine = [p for p in ("people", "bot") if _has_ratings(session, server_id, p, user_id)]
    if len(mine) == 1:
        return mine[0], "the pool with your rounds"
    if mine:
        return "people", "you have rounds in both pools"
    if not _has_ratings(session, server_id, "people") and _has_ratings(session, server_id, "bot"):
        return "bot", "this server has only practice rounds so far"
    return "people", "the default pool"


def format_standing(place: int, s: Standing) -> str:
    return (f"**{place}.** {chat.user_text(s.name)} — **{s.ordinal:.1f}** "
            f"(μ {s.mu:.1f} ± {s.sigma:.1f}) · {s.wins}W / {s.rounds} rounds")


@commands.handles("leaderboard")
async def leaderboard_command(ctx: Context, period: str | None = None, pool: str | None = None) -> Outgoing:
    period = period or "all"
    now = ctx.service.clock.now()
    server_id = ctx.server.id
    why = ""
    if pool is None:  # the pool where the caller has rounds; the board says which one it shows, and why
        pool, why = default_pool(ctx.session, server_id, ctx.user.id)
    season = season_key(ctx.settings, now)
    board = top(ctx.session, server_id, pool=pool, period=period, season=season, now=now)
    label = season_label(season) if period == "season" else PERIOD_LABEL[period]
    pool_label = "rounds between people" if pool == "people" else "rounds against the bot"
    title = f"Leaderboard — {pool_label}, {label}"
    lines = [f"Showing {pool_label} ({why})." if why else f"Showing {pool_label}."]
    lines += [format_standing(i, s) for i, s in enumerate(board, 1)]
    if not board:
        lines.append(f"Nobody has {MIN_ROUNDS} rated rounds here yet ({pool_label}, {label}).")
    mine = standing_of(ctx.session, server_id, ctx.user.id, pool=pool, period=period, season=season, now=now)
    shown = any(s.user_id == ctx.user.id for s in board)
    if not mine.eligible:
        scope = "in the last 30 days" if period == "30d" else "here"
        lines.append(f"\nYou have {mine.rounds} rated round{'s' * (mine.rounds != 1)} {scope}; "
                     f"{MIN_ROUNDS - mine.rounds} more to appear on this board.")
    elif not shown:
        beyond = BOARD_SIZE if period == "30d" else PLACE_LIMIT
        lines.append(f"\nYou are #{mine.place}." if mine.place else f"\nYou are outside the top {beyond:,}.")
    other = "bot" if pool == "people" else "people"
    footer = (f"Ranked by rating (μ − 3σ); at least {MIN_ROUNDS} rounds to appear. "
              f"Periods: all, 30d, season · other pool: pool:{other}")
    return Outgoing(title=title, text="\n".join(lines), footer=footer)

