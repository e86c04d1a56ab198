"""The engine's share of a round (the bot's speech, scores, the clash), done outside the round's transaction.

A timer or a handler that ends a phase only moves the round on and marks what the engine still owes: a
speech's score (`{"pending": true}` in `speeches.score`), the bot's speech (its phase entered, its text
empty) or the results (state `judging` with no closing time). The round's runtime then reads that work
as plain values (`EngineWork`), computes it with no transaction open, in a worker of its own (a thread,
or a process pool when `ENGINE_PROCESSES` is set, since the GIL serialises threads), and writes the
results in a second short transaction (`LiveRound.apply_engine`). So judging one speech never delays
another round's timer, and on SQLite never holds the one write lock while it thinks.

Nothing here touches the database: a process-pool worker builds its own engine from the article's text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.engine import Engine

log = logging.getLogger(__name__)

FALLBACK_SPEECH = "I rest my case on the points already made."


@dataclass(frozen=True)
class ArticleRef:
    """Which engine a round needs: a stored article's texts, or the default article's files."""

    article_id: int | None
    article_text: str | None = None  # None: the default article (`default_article`, `default_pack` paths)
    pack_yaml: str | None = None
    default_article: str = ""
    default_pack: str = ""

    def key(self) -> tuple[Any, ...]:
        """A key that changes whenever the engine would."""
        if self.article_text is None:
            return ("default", self.default_article, self.default_pack)
        return (self.article_id, hash(self.article_text), hash(self.pack_yaml))


@dataclass(frozen=True)
class ScoreJob:
    """One finished speech to score."""

    speech_id: int
    text: str
    motion_id: str | None
    side: str  # pro | con
    opponent_text: str
    seconds: int
    scale: tuple[float, float]


@dataclass(frozen=True)
class BotJob:
    """The bot's speech for the phase it is in, then its score."""

    speech_id: int
    phase_index: int
    motion_id: str
    side: str
    kind: str
    seconds: int
    answers: str  # the opponent's text the speech answers
    opponent_text: str  # everything the opponent said before it (what its score weighs)
    used: tuple[str, ...]
    scale: tuple[float, float]


@dataclass(frozen=True)
class ClashJob:
    """The round's clash, weighed for the results."""

    motion_id: str | None
    spoken: tuple[tuple[str, str], ...]
    names: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class EngineWork:
    """Everything the engine owes one round right now, as plain values."""

    round_id: int
    article: ArticleRef
    scores: tuple[ScoreJob, ...] = ()
    bot: BotJob | None = None
    clash: ClashJob | None = None


@dataclass(frozen=True)
class Scored:
    """A speech's score: the judge's sheet (`SpeechScore.to_dict()`) and its exact total."""

    sheet: dict[str, Any]
    total: float


@dataclass
class EngineResults:
    """What the engine made of an `EngineWork` (a failed step gives None or the fallback, never raises)."""

    scores: dict[int, Scored | None] = field(default_factory=dict)  # speech id -> its score
    bot_text: str = ""
    bot_claim_ids: list[str] = field(default_factory=list)
    bot_score: Scored | None = None
    clash_reason: str = ""


def _score(engine: Engine, job: ScoreJob | BotJob, text: str, round_id: int) -> Scored | None:
    try:
        scored = engine.score(text, job.motion_id, job.side, opponent_text=job.opponent_text,
                              seconds=job.seconds, scale=job.scale)
        return Scored(scored.to_dict(), float(scored.total))
    except Exception:  # the engine must never stall a round
        log.exception("scoring failed", extra={"round": round_id})
        return None


def compute(engine: Engine, work: EngineWork) -> EngineResults:
    """Do the work with this engine (in whatever worker the caller chose)."""
    out = EngineResults()
    for job in work.scores:
        out.scores[job.speech_id] = _score(engine, job, job.text, work.round_id)
    if work.bot is not None:
        bot = work.bot
        try:
            speech = engine.speech(bot.motion_id, bot.side, bot.kind, bot.seconds, opponent_text=bot.answers,
                                   used=bot.used)
            out.bot_text, out.bot_claim_ids = speech.text, list(speech.claim_ids)
        except Exception:  # the engine must never stall a round
            log.exception("bot speech failed", extra={"round": work.round_id})
            out.bot_text, out.bot_claim_ids = FALLBACK_SPEECH, []
        out.bot_score = _score(engine, bot, out.bot_text, work.round_id)
    if work.clash is not None:
        clash = work.clash
        try:
            out.clash_reason = engine.clash(clash.motion_id, list(clash.spoken), names=dict(clash.names)).reason
        except Exception:  # the engine must never stall a round
            log.exception("weighing the clash failed", extra={"round": work.round_id})
    return out


_ENGINES: dict[tuple[Any, ...], Engine] = {}  # a process-pool worker's engines, by article


def engine_of(ref: ArticleRef) -> Engine:
    """The engine for an article, built once per process."""
    from bot.engine import Engine, get_engine

    key = ref.key()
    if key not in _ENGINES:
        if ref.article_text is None:
            _ENGINES[key] = get_engine(ref.default_article, ref.default_pack)
        else:
            _ENGINES[key] = Engine.from_texts(ref.article_text, ref.pack_yaml or "")
    return _ENGINES[key]


def compute_in_worker(work: EngineWork) -> EngineResults:
    """The process-pool entry point: the worker's own engine for the round's article, then `compute`."""
    return compute(engine_of(work.article), work)


def warm_worker(ref: ArticleRef) -> None:
    """Load the default engine in a new process-pool worker, so the first round does not wait for it."""
    engine_of(ref)
