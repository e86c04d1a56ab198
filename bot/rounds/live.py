"""`LiveRound`: one round, loaded with its database session, effects, time and engine, and everything
that moves it along: schedule, open_signup, begin, enter_phase, end_phase, to_judging, finish, cancel.

Every method runs inside one database transaction and is synchronous (it never awaits, so no other
coroutine can interleave with a half-written round). Side effects that must wait for the commit are
collected in `Effects`: messages to post, deadline rows to arm as scheduler jobs, and rounds the engine
still owes work; `bot.rounds.scheduler` delivers them after the commit.

With `defer_engine` (how the runtime's timers and handlers run) a round never waits for the engine inside
its transaction: it marks what the engine owes (a pending score, the bot's turn, the results) and moves
on; `engine_work()` reads that work as plain values, the runtime computes it outside any transaction
(`bot.rounds.engine_work`), and `apply_engine()` writes it in a second short transaction. If that step
never comes (the process died between the two), the scheduler's sweep finds the round still owing work
(`OWED_SWEEP_SECONDS`) and runs the step again.

A timer firing (`bot.rounds.timers`), a chat message and a command all come here with the round row
locked, and each checks the round's current state and phase first, so a duplicate or late event does
nothing wrong. Only `finish()` emits `RoundFinished` (ratings listen to it).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import chat, events
from bot.chat import Outgoing
from bot.rounds import decision, engine_work, messages
from bot.rounds.engine_work import ArticleRef, BotJob, ClashJob, EngineResults, EngineWork, Scored, ScoreJob
from bot.rounds.formats import SHARED, Format, Phase, from_snapshot, phases
from bot.rounds.lineup import add_participant, debaters, speaker_for, stance
from bot.rounds.states import (
    CANCELLED,
    DRAFT,
    FINISHED,
    JUDGING,
    RUNNING,
    SCHEDULED,
    SIGNUP,
    RoundError,
    describe_state,
    round_title,
    transition,
)
from bot.rounds.timeparse import next_occurrence
from bot.storage import models as m

if TYPE_CHECKING:
    from bot.engine import Engine

log = logging.getLogger(__name__)

# Debate-time constants (divided by the round's time scale).
OPEN_SIGNUP_SECONDS = 120  # `/debate start`: sign-up stays open this long unless every seat fills first
SIGNUP_LEAD_SECONDS = 24 * 3600  # a scheduled round opens sign-up at most a day ahead
REMINDER_LEAD_SECONDS = 10 * 60
REMINDER_MIN_LEAD_SECONDS = 60  # no reminder closer to the start than this: it would land with the start
POSTPONE_SECONDS = 10 * 60
MAX_POSTPONEMENTS = 2
JUDGING_SECONDS = 120
MAX_SPEECH_CHARS = 10_000

# Deadline kinds (bot.rounds.timers maps each to a LiveRound method).
K_SIGNUP, K_REMINDER, K_START, K_TIME_UP, K_PHASE_END, K_JUDGING_END = (
    "signup", "reminder", "start", "time_up", "phase_end", "judging_end")
WARN_PREFIX = "warn_"
PENDING = "pending"  # in `speeches.score`: the engine has not scored this speech yet


def warn_kind(seconds: int) -> str:
    """The deadline kind of the warning `seconds` before time is up."""
    return f"{WARN_PREFIX}{seconds}"


@dataclass
class Effects:
    """What to do once the transaction has committed."""

    posts: list[tuple[int, str, Outgoing]] = field(default_factory=list)  # (round id, "thread"|"channel", msg)
    arm: list[m.Deadline] = field(default_factory=list)  # new deadline rows to schedule after the commit
    disarm: list[int] = field(default_factory=list)  # deadline ids whose jobs are obsolete
    engine: set[int] = field(default_factory=set)  # rounds the engine owes work (see `LiveRound.engine_work`)
    work: list[tuple[EngineWork, Any]] | None = None  # that work, read in the same transaction (with its engine)

    def post(self, round_row: m.Round, message: Outgoing, where: str = "thread") -> None:
        """Queue a message for the round's thread (or its channel)."""
        self.posts.append((round_row.id, where, message))


@dataclass
class Appended:
    """What appending a chat message to a speech did."""

    truncated: bool
    chars: int


# -- reading a round -------------------------------------------------------------------------------------

def fmt_of(round_row: m.Round) -> Format:
    """The round's format snapshot, parsed once per loaded row (it never changes after creation)."""
    cached = round_row.__dict__.get("_format_cache")
    if cached is None or cached[0] is not round_row.format_spec:
        cached = (round_row.format_spec, from_snapshot(round_row.format_spec))
        round_row.__dict__["_format_cache"] = cached
    return cached[1]


def real(seconds: float, round_row: m.Round) -> timedelta:
    """Debate seconds -> real time for this round."""
    return timedelta(seconds=seconds / (round_row.time_scale or 1.0))


def debate_seconds(delta: timedelta, round_row: m.Round) -> float:
    """Real time -> debate seconds for this round."""
    return delta.total_seconds() * (round_row.time_scale or 1.0)


def speech_title(fmt: Format, phase: Phase) -> str:
    """"Speech 2 of 4: Con opening" (the heading of a turn and of the speech given in it)."""
    assert phase.spec is not None
    return f"Speech {phase.number} of {len(fmt.speeches)}: {fmt.speech_title(phase.spec)}"


def current_phase(round_row: m.Round) -> Phase | None:
    """The phase a running round is in, or None."""
    if round_row.state != RUNNING or round_row.phase_index < 0:
        return None
    all_phases = phases(fmt_of(round_row))
    return all_phases[round_row.phase_index] if round_row.phase_index < len(all_phases) else None


def grace_end(round_row: m.Round) -> datetime | None:
    """When the current phase really ends: speaking time plus the grace period."""
    phase = current_phase(round_row)
    if phase is None or round_row.phase_deadline is None:
        return None
    grace = 0 if phase.kind == "prep" or (phase.spec and phase.spec.shared) else fmt_of(round_row).grace_seconds
    return round_row.phase_deadline + real(grace, round_row)


def speech_row(session: Session, round_row: m.Round, phase_index: int) -> m.Speech | None:
    """The speech row of a phase, if it has started (`round_row.speeches`: loaded once per transaction)."""
    return next((s for s in round_row.speeches if s.phase_index == phase_index), None)


def seconds_left(round_row: m.Round, now: datetime) -> float | None:
    """Debate seconds until the current phase's time is up (negative in grace), or None."""
    if round_row.phase_deadline is None:
        return None
    return debate_seconds(round_row.phase_deadline - now, round_row)


def append_speech(round_row: m.Round, speech: m.Speech, text: str) -> Appended:
    """Add a message to the speech; the whole speech is capped at MAX_SPEECH_CHARS."""
    text = chat.clean_user_text(text).strip()
    if not text:
        return Appended(False, len(speech.text))
    was_truncated = speech.truncated
    room = MAX_SPEECH_CHARS - len(speech.text) - (1 if speech.text else 0)
    if room <= 0:
        speech.truncated = True
        return Appended(not was_truncated, len(speech.text))
    if len(text) > room:
        text = text[:room]
        speech.truncated = True
    speech.text = f"{speech.text}\n{text}" if speech.text else text
    return Appended(speech.truncated and not was_truncated, len(speech.text))


def pick_motion(engine: Engine, ref: str | None) -> tuple[str, str]:
    """(motion id, text) for a user reference, or a random motion when none is given."""
    if ref:
        motion = engine.find_motion(ref)
        if motion is None:
            raise RoundError(f"No motion matches {chat.user_text(ref)}. See `/debate motions` for the list.")
    else:
        motion = random.choice(engine.motions())
    return motion.id, motion.text


def create_round(session: Session, *, server_id: int, channel_id: str, motion_id: str, motion_text: str,
                 fmt: Format, time_scale: float, created_by: int | None, practice: bool = False,
                 article_id: int | None = None, schedule_id: int | None = None) -> m.Round:
    """A new round row in the draft state, with a snapshot of its format."""
    round_row = m.Round(server_id=server_id, channel_id=channel_id, motion_id=motion_id, motion_text=motion_text,
                        format_key=fmt.key, format_spec=fmt.model_dump(mode="json"), state=DRAFT,
                        is_practice=practice, time_scale=time_scale, created_by_id=created_by,
                        article_id=article_id, schedule_id=schedule_id, phase_index=-1)
    session.add(round_row)
    session.flush()
    return round_row


class LiveRound:
    """One round in one transaction: its row, session, effects, the time now, and the engine."""

    def __init__(self, session: Session, row: m.Round, now: datetime, *, engine: Engine | None = None,
                 fx: Effects | None = None, bot_user: m.User | None = None, fill_policy: str = "bot",
                 defer_engine: bool = False) -> None:
        self.session = session
        self.row = row
        self.now = now
        self._engine = engine
        self.fx = fx if fx is not None else Effects()
        self.bot_user = bot_user
        self.fill_policy = fill_policy
        self.defer_engine = defer_engine

    @property
    def fmt(self) -> Format:
        """The round's format."""
        return fmt_of(self.row)

    @property
    def engine(self) -> Engine:
        """The engine of the round's article (needed for bot speeches and scores)."""
        assert self._engine is not None, "this step needs the engine"
        return self._engine

    def post(self, message: Outgoing, where: str = "thread") -> None:
        """Post a message once the transaction has committed."""
        self.fx.post(self.row, message, where)

    # -- deadlines -------------------------------------------------------------------------------------
    def add_deadline(self, kind: str, due: datetime, phase_index: int = -1) -> m.Deadline:
        """A deadline row, armed as a job after the commit."""
        row = m.Deadline(round_id=self.row.id, kind=kind, phase_index=phase_index, due_at=due)
        self.session.add(row)  # flushed with the next query or at commit; the scheduler reads its id afterwards
        self.fx.arm.append(row)
        return row

    def close_deadlines(self, phase_index: int | None = None) -> None:
        """Mark pending deadlines done (all of the round's, or one phase's) and drop their jobs."""
        query = select(m.Deadline.id).where(m.Deadline.round_id == self.row.id, m.Deadline.done_at.is_(None))
        if phase_index is not None:
            query = query.where(m.Deadline.phase_index == phase_index,
                                m.Deadline.kind.notin_((K_START, K_SIGNUP, K_REMINDER)))
        ids = list(self.session.scalars(query))
        if ids:
            self.session.execute(update(m.Deadline).where(m.Deadline.id.in_(ids)).values(done_at=self.now))
            self.fx.disarm += ids

    # -- scheduling and sign-up ------------------------------------------------------------------------
    def schedule(self, starts_at: datetime) -> None:
        """draft → scheduled, with deadlines to open sign-up, remind and start."""
        row = self.row
        transition(row, SCHEDULED)
        row.starts_at = starts_at
        opens = max(self.now, starts_at - real(SIGNUP_LEAD_SECONDS, row))
        lead = min(real(REMINDER_LEAD_SECONDS, row), (starts_at - opens) / 2)
        self.add_deadline(K_START, starts_at, 0)
        if debate_seconds(lead, row) >= REMINDER_MIN_LEAD_SECONDS and starts_at - lead > opens:
            self.add_deadline(K_REMINDER, starts_at - lead)
        if opens <= self.now:
            self.open_signup()
        else:
            self.add_deadline(K_SIGNUP, opens)

    def open_signup(self, *, open_for: float | None = None) -> None:
        """→ signup: the announcement with join buttons. `open_for` (debate seconds) for rounds opened now."""
        row = self.row
        transition(row, SIGNUP)
        ends = None
        if open_for is not None:
            row.starts_at = None
            ends = self.now + real(open_for, row)
            self.add_deadline(K_START, ends, 0)
        self.post(messages.signup_open(row, self.fmt, self._signup_when(ends)), "channel")

    def _signup_when(self, ends: datetime | None = None) -> str:
        row = self.row
        if row.starts_at is not None:
            return f"Starts {chat.timestamp(row.starts_at)}."
        if ends is None:
            ends = self.session.scalar(select(m.Deadline.due_at).where(
                m.Deadline.round_id == row.id, m.Deadline.kind == K_START, m.Deadline.done_at.is_(None))
                .order_by(m.Deadline.phase_index.desc()))
        until = f", or at {chat.timestamp(ends)}" if ends is not None else ""
        return f"Starts when every seat is taken{until} (empty seats are then handled by the server's fill policy)."

    def refresh_signup(self) -> None:
        """Someone joined or left: edit the sign-up announcement in place (`Messenger.edit`) to show the seats."""
        if self.row.state == SIGNUP:
            self.post(messages.signup_open(self.row, self.fmt, self._signup_when()), "edit")

    def remind(self) -> None:
        """The reminder before a scheduled start."""
        if self.row.state in (SCHEDULED, SIGNUP) and self.row.starts_at:
            self.post(messages.reminder(self.row, self.fmt), "channel")

    # -- starting --------------------------------------------------------------------------------------
    def start_when_due(self, deadline: m.Deadline) -> None:
        """A start deadline fired: begin, unless a later start (a postponement) replaced this one."""
        row = self.row
        latest = self.session.scalars(select(m.Deadline.phase_index).where(
            m.Deadline.round_id == row.id, m.Deadline.kind == K_START)
            .order_by(m.Deadline.phase_index.desc())).first()
        if row.state not in (SCHEDULED, SIGNUP) or deadline.phase_index != latest:
            return
        if row.state == SCHEDULED:  # sign-up never opened (its deadline was lost): open it now
            transition(row, SIGNUP)
        self.begin()
        if row.state not in (SCHEDULED, SIGNUP):
            self.spawn_next()

    def begin(self) -> None:
        """signup → running, after dealing with empty sides by the fill policy (bot, postpone or cancel)."""
        row, fmt = self.row, self.fmt
        empty = [s for s in fmt.sides if not debaters(row, s)]
        if empty:
            has_bot = any(p.is_bot for p in row.participants)
            # the bot fills one empty side, and only when at least one person debates
            can_fill = (self.fill_policy == "bot" and len(empty) == 1 and not has_bot and len(debaters(row)) > 0
                        and self.bot_user is not None)
            if can_fill:
                assert self.bot_user is not None
                add_participant(self.session, row, self.bot_user, empty[0], is_bot=True)
                self.post(messages.bot_fills(fmt, empty[0]))
            else:
                attempts = self.session.scalars(select(m.Deadline).where(m.Deadline.round_id == row.id,
                                                                         m.Deadline.kind == K_START)).all()
                names = ", ".join(fmt.side_name(s) for s in empty)
                if self.fill_policy == "postpone" and len(attempts) <= MAX_POSTPONEMENTS:
                    row.starts_at = self.now + real(POSTPONE_SECONDS, row)
                    self.add_deadline(K_START, row.starts_at, len(attempts))
                    self.post(messages.postponed(row, fmt, names), "channel")
                    return
                why = ("not enough people joined" if self.fill_policy != "bot"
                       else "the bot can fill only one empty side and at least one person must debate")
                self.cancel(f"{names} had no debater ({why}).")
                return
        if row.state == SCHEDULED:
            transition(row, SIGNUP)
        transition(row, RUNNING)
        row.starts_at = row.starts_at or self.now
        self.close_deadlines()
        self.post(messages.begins(row, fmt))
        self.enter_phase(0)

    # -- phases ----------------------------------------------------------------------------------------
    def enter_phase(self, index: int) -> None:
        """Start phase `index` (prep or a speech); the bot's speeches are given at once. Past the end: judging."""
        row, fmt, now = self.row, self.fmt, self.now
        all_phases = phases(fmt)
        while True:
            if index >= len(all_phases):
                self.to_judging()
                return
            phase = all_phases[index]
            row.phase_index = index
            row.phase_started_at = now
            row.phase_deadline = now + real(phase.seconds, row)
            if phase.kind == "prep":
                self.post(messages.preparation(phase, row.phase_deadline))
                self.add_deadline(K_PHASE_END, row.phase_deadline, index)
                return
            spec = phase.spec
            assert spec is not None
            speaker = speaker_for(row, fmt, phase)
            speech = m.Speech(round_id=row.id, phase_index=index, side=spec.side, kind=spec.kind,
                              participant_id=speaker.id if speaker else None, started_at=now, text="")
            row.speeches.append(speech)  # so every reader of `row.speeches` in this transaction sees it
            self.session.flush()
            title = speech_title(fmt, phase)
            if speaker is not None and speaker.is_bot:
                if self.defer_engine:  # the engine composes it after this transaction (`apply_engine`)
                    self.fx.engine.add(row.id)
                    return
                self.give_bot_speech(phase, speech, title)
                index += 1
                continue
            if speaker is None and not spec.shared:  # a side with nobody left: forfeit at once
                speech.forfeited, speech.ended_at = True, now
                self.post(messages.nobody_left(title, fmt, spec.side))
                index += 1
                continue
            self.arm_phase_deadlines(phase)
            self.post(messages.turn(row, fmt, phase, speaker, title))
            return

    def arm_phase_deadlines(self, phase: Phase) -> None:
        """Warnings, time-up and the end of grace for a speech."""
        row, fmt = self.row, self.fmt
        assert row.phase_deadline is not None
        for left in fmt.warnings:
            if left < phase.seconds:
                self.add_deadline(warn_kind(left), row.phase_deadline - real(left, row), phase.index)
        shared = phase.spec is not None and phase.spec.shared
        if fmt.grace_seconds and not shared:
            self.add_deadline(K_TIME_UP, row.phase_deadline, phase.index)
        end = grace_end(row) or row.phase_deadline
        self.add_deadline(K_PHASE_END, end, phase.index)

    def bot_job(self, phase: Phase, speech: m.Speech) -> BotJob:
        """What the bot's speech in this phase answers, and the claims it must not repeat, as plain values."""
        assert phase.spec is not None
        row = self.row
        earlier = sorted((s for s in row.speeches if s.phase_index < phase.index), key=lambda s: s.phase_index)
        opponent = "\n".join(s.text for s in earlier if s.side not in (phase.spec.side, SHARED) and s.text)
        last_opponent = next((s.text for s in reversed(earlier)
                              if s.side not in (phase.spec.side, SHARED) and s.text), "")
        used: list[str] = []
        for s in earlier:
            used += (s.score or {}).get("claim_ids", [])
        kind = {"constructive": "opening", "extension": "rebuttal", "summary": "rebuttal", "final_focus": "closing",
                "reply": "closing"}.get(phase.spec.kind, phase.spec.kind)
        return BotJob(speech_id=speech.id, phase_index=phase.index, motion_id=row.motion_id,
                      side=stance(phase.spec.side), kind=kind, seconds=phase.spec.seconds,
                      answers=last_opponent or opponent, opponent_text=opponent, used=tuple(used),
                      scale=self.fmt.scale_for(phase.spec))

    def give_bot_speech(self, phase: Phase, speech: m.Speech, title: str) -> None:
        """The bot speaks at once (computed here), answering the other side so far and never repeating a point."""
        job = self.bot_job(phase, speech)
        results = engine_work.compute(self.engine, EngineWork(round_id=self.row.id, article=ArticleRef(None),
                                                              bot=job))
        self.bot_speaks(speech, title, results.bot_text, results.bot_claim_ids, results.bot_score)

    def bot_speaks(self, speech: m.Speech, title: str, text: str, claim_ids: list[str],
                   scored: Scored | None) -> None:
        """Record and post the bot's speech with its score."""
        speech.text = text[:MAX_SPEECH_CHARS]
        speech.ended_at = self.now
        if scored is not None and len(speech.text) == len(text):
            speech.score_total = scored.total
            speech.score = {"claim_ids": claim_ids, **scored.sheet}
        else:  # failed, or cut (the score was of the whole text): scored again in its stored form
            self.score_speech(speech, self.bot_job_opponent(speech), extra={"claim_ids": claim_ids})
        self.post(messages.bot_speech(title, speech.text))

    def bot_job_opponent(self, speech: m.Speech) -> str:
        """Everything the other side said before this speech."""
        return "\n".join(s.text for s in sorted(self.row.speeches, key=lambda s: s.phase_index)
                         if s.phase_index < speech.phase_index and s.side not in (speech.side, SHARED))

    def score_speech(self, speech: m.Speech, opponent_text: str, extra: dict[str, Any] | None = None) -> None:
        """The engine's score on the format's scale; an empty speech scores the bottom of the scale."""
        fmt = self.fmt
        spec = fmt.speeches[speech.phase_index - (1 if fmt.prep_seconds else 0)]
        scale = fmt.scale_for(spec)
        result: dict[str, Any] = dict(extra or {})
        if spec.shared:
            speech.score = result or None
            return
        if speech.forfeited or not speech.text.strip():
            speech.score_total = float(scale[0])
            speech.score = {**result, "total": scale[0], "scale": list(scale), "criteria": {},
                            "tips": ["Say something in your turn: even a short point with one quote scores."],
                            "forfeited": True}
            return
        if self.defer_engine:  # scored after this transaction (`engine_work`, `apply_engine`)
            speech.score_total = None
            speech.score = {**result, PENDING: True}
            self.fx.engine.add(self.row.id)
            return
        try:
            scored = self.engine.score(speech.text, self.row.motion_id, stance(speech.side),
                                       opponent_text=opponent_text, seconds=spec.seconds, scale=scale)
            result.update(scored.to_dict())
            speech.score_total = float(scored.total)
        except Exception:
            log.exception("scoring failed", extra={"round": self.row.id})
            speech.score_total = None
        speech.score = result

    def end_phase(self) -> None:
        """Close the current phase (its speech is scored, or forfeited when empty) and move to the next."""
        row, fmt = self.row, self.fmt
        phase = current_phase(row)
        if phase is None:
            return
        self.close_deadlines(phase.index)
        if phase.kind == "speech":
            speech = speech_row(self.session, row, phase.index)
            if speech is not None and speech.ended_at is None:
                speech.ended_at = self.now
                assert phase.spec is not None
                if not speech.text.strip() and not phase.spec.shared:
                    speech.forfeited = True
                    self.post(messages.said_nothing(speaker_for(row, fmt, phase)))
                self.score_speech(speech, self.bot_job_opponent(speech))
        self.enter_phase(phase.index + 1)

    def end_phase_if(self, deadline: m.Deadline) -> None:
        """The end of grace fired: end the phase if it is still the deadline's."""
        phase = current_phase(self.row)
        if phase is not None and phase.index == deadline.phase_index:
            self.end_phase()

    def warn(self, deadline: m.Deadline) -> None:
        """A time warning. One that fell due while the bot was down (overdue by more than a little) is dropped,
        with any other overdue warning of the phase; the time-up notice still comes."""
        row = self.row
        phase = current_phase(row)
        if phase is None or phase.index != deadline.phase_index or row.phase_deadline is None:
            return
        if self.now >= row.phase_deadline:
            return  # time is already up: the time-up notice covers it
        self.session.execute(update(m.Deadline).where(
            m.Deadline.round_id == row.id, m.Deadline.phase_index == phase.index,
            m.Deadline.kind.like(f"{WARN_PREFIX}%"), m.Deadline.done_at.is_(None), m.Deadline.due_at <= self.now,
            m.Deadline.id != deadline.id).values(done_at=self.now))
        left = debate_seconds(row.phase_deadline - self.now, row)
        nominal = int(deadline.kind.removeprefix(WARN_PREFIX))
        if abs(left - nominal) > max(2.0, nominal * 0.1):
            # Missed (the bot was down when it fell due): dropped, as the README says, not posted with
            # another time; the next warning or the time-up notice still comes on time.
            log.info("missed warning dropped", extra={"round": row.id, "warning": nominal, "left": round(left, 1)})
            return
        title = self.fmt.speech_title(phase.spec) if phase.spec else "preparation"
        self.post(messages.warning(nominal, title))

    def time_up(self, deadline: m.Deadline) -> None:
        """Time is up for the speaker; the grace period runs."""
        phase = current_phase(self.row)
        if phase is None or phase.index != deadline.phase_index:
            return
        self.post(messages.time_up(speaker_for(self.row, self.fmt, phase), self.fmt.grace_seconds))

    # -- judging and the end ---------------------------------------------------------------------------
    def to_judging(self) -> None:
        """running → judging: voting opens until its announced end (a practice round finishes at once)."""
        row = self.row
        transition(row, JUDGING)
        row.phase_index = len(phases(self.fmt))
        row.phase_deadline = None
        if row.is_practice:
            self.finish()  # with `defer_engine`, once the engine has weighed the clash
            return
        closes = self.now + real(JUDGING_SECONDS, row)
        row.phase_deadline = closes
        self.add_deadline(K_JUDGING_END, closes, row.phase_index)
        self.post(messages.voting_open(row, self.fmt, closes))

    def close_voting(self) -> None:
        """Voting's announced end."""
        if self.row.state == JUDGING:
            self.finish()

    def tally(self) -> decision.Tally:
        """The round's ballots, votes and engine scores, counted."""
        row = self.row
        return decision.tally(
            list(row.format_spec.get("sides", ())),
            self.session.scalars(select(m.Ballot.winner).where(m.Ballot.round_id == row.id)),
            self.session.scalars(select(m.Vote.side).where(m.Vote.round_id == row.id)),
            [(s.side, s.score_total, (s.score or {}).get("scale", (0, 100))) for s in row.speeches])

    def decide(self) -> tuple[str | None, str, dict[str, int]]:
        """Winner, source and ranks by the server's winner rule."""
        settings_row = self.session.get(m.ServerSettings, self.row.server_id)
        rule = settings_row.winner_rule.split(",") if settings_row else list(decision.DEFAULT_RULE)
        return decision.decide(self.tally(), rule)

    def finish(self, clash: str | None = None) -> None:
        """→ finished: decide, post the results, then tell listeners (ratings) in this transaction.

        The only place a round finishes, and the only emitter of `RoundFinished`. With `defer_engine` and no
        `clash` (the engine's weighing), the round waits in judging, with no closing time, for the engine."""
        row, fmt = self.row, self.fmt
        if row.state == RUNNING:
            transition(row, JUDGING)
        if self.defer_engine and clash is None:
            row.phase_deadline = None  # judging with no closing time: the results are owed (`engine_work`)
            row.phase_started_at = self.now  # since when (the scheduler's sweep reads it)
            self.fx.engine.add(row.id)
            return
        transition(row, FINISHED)
        self.close_deadlines()
        winner, source, ranks = self.decide()
        row.winner, row.winner_source = winner, source
        row.finished_at = self.now
        row.phase_deadline = None
        self.session.flush()
        points: dict[str, list[float]] = {}
        for ballot in self.session.scalars(select(m.Ballot).where(m.Ballot.round_id == row.id)):
            for speech_id, value in (ballot.speaker_points or {}).items():
                points.setdefault(str(speech_id), []).append(float(value))
        reason = clash if clash is not None else self.clash_reason()
        self.post(messages.results(row, fmt, self.tally(), ranks, points, clash=reason))
        if fmt.team_points is None and len(fmt.sides) == 2 and winner is None:
            ranks = dict.fromkeys(fmt.sides, 0)
        events.emit(events.RoundFinished(round_id=row.id, server_id=row.server_id, format_key=row.format_key,
                                         winner=winner, winner_source=source, ranks=ranks,
                                         is_practice=any(p.is_bot for p in row.participants)), self.session)

    def clash_job(self) -> ClashJob | None:
        """The speeches whose clash the results weigh, as plain values (None: nothing to weigh)."""
        row, fmt = self.row, self.fmt
        if len(fmt.sides) != 2:
            return None
        spoken = tuple((stance(s.side), s.text) for s in sorted(row.speeches, key=lambda s: s.phase_index)
                       if s.text and s.text.strip() and not s.forfeited and s.side in fmt.sides)
        if not spoken:
            return None
        names = tuple((stance(side), fmt.side_name(side)) for side in fmt.sides)
        return ClashJob(motion_id=row.motion_id, spoken=spoken, names=names)

    def clash_reason(self) -> str:
        """The engine's weighing of the clash (which points stood, which were answered), or "" without one."""
        job = self.clash_job()
        if self._engine is None or job is None:
            return ""
        work = EngineWork(round_id=self.row.id, article=ArticleRef(None), clash=job)
        return engine_work.compute(self._engine, work).clash_reason

    # -- the engine's deferred share -------------------------------------------------------------------
    def score_jobs(self) -> tuple[ScoreJob, ...]:
        """The round's finished speeches the engine has not scored yet."""
        row, fmt = self.row, self.fmt
        jobs = []
        for speech in sorted(row.speeches, key=lambda s: s.phase_index):
            if not (speech.score or {}).get(PENDING):
                continue
            spec = fmt.speeches[speech.phase_index - (1 if fmt.prep_seconds else 0)]
            jobs.append(ScoreJob(speech_id=speech.id, text=speech.text, motion_id=row.motion_id,
                                 side=stance(speech.side), opponent_text=self.bot_job_opponent(speech),
                                 seconds=spec.seconds, scale=fmt.scale_for(spec)))
        return tuple(jobs)

    def waiting_bot_speech(self) -> tuple[Phase, m.Speech] | None:
        """The bot's turn, entered but not yet spoken, or None."""
        phase = current_phase(self.row)
        if phase is None or phase.kind != "speech":
            return None
        speaker = speaker_for(self.row, self.fmt, phase)
        speech = speech_row(self.session, self.row, phase.index)
        if speaker is None or not speaker.is_bot or speech is None or speech.ended_at is not None or speech.text:
            return None
        return phase, speech

    def awaiting_results(self) -> bool:
        """True when the round is in judging with no closing time: its results wait for the engine."""
        return self.row.state == JUDGING and self.row.phase_deadline is None

    def engine_work(self, article: ArticleRef) -> EngineWork | None:
        """What the engine owes this round now, as plain values (None: nothing)."""
        scores = self.score_jobs()
        waiting = self.waiting_bot_speech()
        bot = self.bot_job(*waiting) if waiting is not None else None
        clash = self.clash_job() if waiting is None and self.awaiting_results() else None
        if not scores and bot is None and clash is None and not (waiting is None and self.awaiting_results()):
            return None
        return EngineWork(round_id=self.row.id, article=article, scores=scores, bot=bot, clash=clash)

    def apply_engine(self, work: EngineWork, results: EngineResults) -> None:
        """Write what the engine computed for `work`, where the round still wants it, and move the round on."""
        for job in work.scores:
            speech = self.session.get(m.Speech, job.speech_id)
            if speech is None or not (speech.score or {}).get(PENDING):
                continue
            extra = {k: v for k, v in speech.score.items() if k != PENDING}
            scored = results.scores.get(job.speech_id)
            if scored is None or speech.text != job.text:
                speech.score, speech.score_total = extra or None, None
                if scored is not None:  # the text changed meanwhile: score what is stored now
                    speech.score = {**extra, PENDING: True}
                    self.fx.engine.add(self.row.id)
                continue
            speech.score_total, speech.score = scored.total, {**extra, **scored.sheet}
        if work.bot is not None:
            waiting = self.waiting_bot_speech()
            if waiting is not None and waiting[0].index == work.bot.phase_index:
                phase, speech = waiting
                self.bot_speaks(speech, speech_title(self.fmt, phase), results.bot_text, results.bot_claim_ids,
                                results.bot_score)
                self.enter_phase(phase.index + 1)
            return
        if self.awaiting_results():
            if self.score_jobs():  # a speech still owes its score: the next step brings it, then the results
                self.fx.engine.add(self.row.id)
                return
            self.finish(clash=results.clash_reason if work.clash is not None else "")

    def cancel(self, reason: str) -> None:
        """→ cancelled, with the reason posted in the channel."""
        row = self.row
        if row.state in (FINISHED, CANCELLED):
            raise RoundError(f"{round_title(row)} is already {describe_state(row.state)}.")
        transition(row, CANCELLED)
        row.finished_at = self.now
        row.phase_deadline = None
        self.close_deadlines()
        self.post(messages.cancelled(row, reason), "channel")

    def spawn_next(self) -> m.Round | None:
        """For a recurring schedule: create the next occurrence once this one has started or been skipped."""
        row, session = self.row, self.session
        if row.schedule_id is None:
            return None
        schedule_row = session.get(m.Schedule, row.schedule_id)
        if schedule_row is None or not schedule_row.active:
            return None
        already = session.scalar(select(m.Round.id).where(m.Round.schedule_id == schedule_row.id,
                                                          m.Round.state.in_((DRAFT, SCHEDULED)),
                                                          m.Round.id != row.id))
        if already:
            return None
        after = max(self.now, row.starts_at or self.now)
        next_at = next_occurrence(schedule_row.rule, schedule_row.timezone, after)
        schedule_row.next_at = next_at
        nxt = create_round(
            session, server_id=row.server_id, channel_id=schedule_row.channel_id, motion_id=row.motion_id,
            motion_text=row.motion_text, fmt=self.fmt, time_scale=row.time_scale,
            created_by=schedule_row.created_by_id, article_id=row.article_id, schedule_id=schedule_row.id)
        LiveRound(session, nxt, self.now, fx=self.fx).schedule(next_at)
        return nxt
