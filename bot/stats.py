"""`/debate stats [user]`: rounds, wins, average speaker score, strongest motion and a rating-history chart.

Speaker scores are averaged as a share (0-100) of each speech's scale, so formats with different
scales (World Schools 60-80, BP 50-99) can be mixed; judges' speaker points count before the engine's.
The chart is drawn with matplotlib's object API on an Agg canvas (no pyplot, no display, no global
backend switch), so it is safe inside a running bot and in tests.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, cast, func, or_, select
from sqlalchemy.orm import Session

from bot import chat, commands
from bot.chat import Field, Image, Outgoing
from bot.ratings import ALL_TIME, MIN_ROUNDS, PLACE_LIMIT, ordinal, standing_of
from bot.storage import models as m

if TYPE_CHECKING:
    from bot.context import Context

_MENTION = re.compile(r"^<@!?([A-Za-z0-9_.\-]+)(?:\|[^>]*)?>$")  # <@123>, <@!123>, <@U123|name>
POOL_LABEL = {"people": "vs people", "bot": "vs the bot"}


def _user_error(text: str) -> Exception:
    from bot.context import UserError

    return UserError(text)


def resolve_user(session: Session, server_id: int, platform: str, ref: str) -> m.User:
    """A user by external id (adapters resolve mentions to it) or, in the shell, by display name."""
    ref = chat.clean_user_text(ref, limit=200).strip()
    match = _MENTION.match(ref)
    key = match.group(1) if match else ref.removeprefix("@")
    if not key:
        raise _user_error("Whose stats? Give a user, e.g. `/debate stats @ann`.")
    row = session.scalars(select(m.User).where(m.User.platform == platform, m.User.external_id == key)).first()
    if row is None:
        # display names are not unique: prefer someone with results on this server
        candidates = session.scalars(
            select(m.User).where(m.User.platform == platform, func.lower(m.User.display_name) == key.lower())
            .order_by(m.User.id)).all()
        rated = set(session.scalars(select(m.Result.user_id).where(
            m.Result.server_id == server_id, m.Result.user_id.in_([c.id for c in candidates])))) if candidates else set()
        row = next((c for c in candidates if c.id in rated), candidates[0] if candidates else None)
    if row is None:
        raise _user_error(f"I don't know a debater called {chat.user_text(key)} here. "
                          "Mention them, or check the spelling.")
    return row


@dataclass(frozen=True, slots=True)
class MotionRecord:
    motion_id: str
    text: str
    rounds: int
    wins: int
    avg_score: float | None


def motion_records(session: Session, server_id: int, user_id: int) -> list[MotionRecord]:
    """Per-motion rounds, wins and average speaker score, best first (win rate, then score, then rounds)."""
    rows = session.execute(
        select(m.Result.motion_id, func.max(m.Round.motion_text), func.count(),
               func.sum(cast(m.Result.won, Integer)), func.avg(m.Result.speaker_score))
        .join(m.Round, m.Round.id == m.Result.round_id)
        .where(m.Result.server_id == server_id, m.Result.user_id == user_id)
        .group_by(m.Result.motion_id)
    ).all()
    records = [MotionRecord(mid, text or mid, int(n), int(w or 0), float(avg) if avg is not None else None)
               for mid, text, n, w, avg in rows]
    records.sort(key=lambda r: (-r.wins / r.rounds, -(r.avg_score or 0.0), -r.rounds, r.motion_id))
    return records


def history(session: Session, server_id: int, user_id: int) -> dict[str, list[tuple[datetime, float]]]:
    """Ordinal after each rated round, per pool, oldest first."""
    series: dict[str, list[tuple[datetime, float]]] = {}
    rows = session.execute(
        select(m.Result.pool, m.Result.finished_at, m.Result.mu_after, m.Result.sigma_after)
        .where(m.Result.server_id == server_id, m.Result.user_id == user_id)
        .order_by(m.Result.finished_at, m.Result.id)
    )
    for pool, at, mu, sigma in rows:
        series.setdefault(pool, []).append((at, ordinal(mu, sigma)))
    return series


def chart_figure(series: dict[str, list[tuple[datetime, float]]], title: str) -> Any:
    """The rating chart as a matplotlib Figure: rating (ordinal) per pool against the date of each round,
    both pools on one time axis (a lone round gets a day either side instead of a 0.945–1.050 axis)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    when: list[datetime] = []
    for pool, points in sorted(series.items()):
        xs = [at for at, _ in points]
        when += xs
        count = len(points)
        ax.plot(xs, [p[1] for p in points], marker="o", markersize=3, linewidth=1.6,
                label=f"{POOL_LABEL.get(pool, pool)} ({count} round{'s' * (count != 1)})")
    ax.axhline(0, color="#999999", linewidth=0.8, linestyle=":")
    ax.set_title(title, fontsize=11)
    locator = AutoDateLocator(minticks=2, maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    if when:
        first, last = min(when), max(when)
        pad = max((last - first) * 0.05, timedelta(days=1) if first == last else timedelta(hours=1))
        ax.set_xlim(date2num(first - pad), date2num(last + pad))
    ax.set_xlabel("date of the round")
    ax.set_ylabel("rating (μ − 3σ)")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def rating_chart(series: dict[str, list[tuple[datetime, float]]], title: str) -> bytes:
    """A PNG line chart of rating per pool over time (see `chart_figure`)."""
    buffer = io.BytesIO()
    chart_figure(series, title).savefig(buffer, format="png")
    return buffer.getvalue()


@commands.handles("stats")
async def stats_command(ctx: Context, user: str | None = None) -> Outgoing:
    session, server_id = ctx.session, ctx.server.id
    target = ctx.user if not user else resolve_user(session, server_id, ctx.user.platform, user)
    name = target.display_name or target.external_id
    if target.is_bot:
        raise _user_error("The bot is the yardstick for practice rounds, so it has no rating of its own.")
    total, wins, avg_score = session.execute(
        select(func.count(), func.sum(cast(m.Result.won, Integer)), func.avg(m.Result.speaker_score))
        .where(m.Result.server_id == server_id, m.Result.user_id == target.id)
    ).one()
    if not total:
        who = "You have" if target.id == ctx.user.id else f"{chat.user_text(name)} has"
        return Outgoing(title=f"Stats — {chat.user_text(name)}",
                        text=f"{who} no rated rounds on this server yet. "
                             "Try `/debate practice` to play one against the bot.")
    fields = [Field("Rounds", str(total), inline=True),
              Field("Wins", f"{int(wins or 0)} ({100 * int(wins or 0) / total:.0f}%)", inline=True),
              Field("Average speaker score", f"{avg_score:.1f} / 100" if avg_score is not None else "—",
                    inline=True)]
    records = motion_records(session, server_id, target.id)
    if records:
        best = records[0]
        score = f", average score {best.avg_score:.1f} / 100" if best.avg_score is not None else ""
        fields.append(Field("Strongest motion", f"{chat.user_text(chat.truncate(best.text, 200))} "
                                                f"(`{best.motion_id}`): {best.wins}/{best.rounds} won{score}"))
    now = ctx.service.clock.now()
    for rating in session.scalars(select(m.Rating).where(
            m.Rating.server_id == server_id, m.Rating.user_id == target.id, m.Rating.season == ALL_TIME,
            or_(m.Rating.pool == "people", m.Rating.pool == "bot")).order_by(m.Rating.pool.desc())):
        mine = standing_of(session, server_id, target.id, pool=rating.pool, period="all", now=now)
        where = (f"#{mine.place} on the board" if mine.place
                 else f"outside the top {PLACE_LIMIT:,}" if mine.eligible
                 else f"{MIN_ROUNDS - mine.rounds} more round(s) to join the board")
        fields.append(Field(f"Rating {POOL_LABEL.get(rating.pool, rating.pool)}",
                            f"{rating.ordinal:.1f} (μ {rating.mu:.1f} ± {rating.sigma:.1f}), "
                            f"{rating.wins}W / {rating.rounds} rounds, {where}", inline=True))
    series = history(session, server_id, target.id)
    png = rating_chart(series, f"Rating history — {chat.truncate(name, 40)}")
    return Outgoing(title=f"Stats — {chat.user_text(name)}", fields=fields,
                    image=Image(filename=f"rating-{target.id}.png", data=png))
