"""The round state machine: draft → scheduled → signup → running (prep, speech i of n) → judging → finished.

Every function here runs inside one database transaction and is synchronous (it never awaits, so no
other coroutine can interleave with a half-written round). Side effects that must wait for the commit
are collected in `Effects`: messages to post and deadline rows to arm as scheduler jobs. The runtime
(`bot.rounds.runtime`) commits, then delivers them.

A timer firing, a chat message and a command all come here with the round row locked, and each
checks the round's current state and phase first, so a duplicate or late event does nothing wrong.
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
from bot.chat import Button, ButtonStyle, Field, Kind, Outgoing
from bot.rounds.formats import SHARED, Format, SpeechSpec, from_snapshot
from bot.rounds.timeparse import next_occurrence
from bot.storage import models as m

if TYPE_CHECKING:
    from bot.engine import Engine

log = logging.getLogger(__name__)

DRAFT, SCHEDULED, SIGNUP, RUNNING, JUDGING, FINISHED, CANCELLED = (
    "draft", "scheduled", "signup", "running", "judging", "finished", "cancelled")
ACTIVE = (SIGNUP, RUNNING, JUDGING)
OPEN = (DRAFT, SCHEDULED, SIGNUP, RUNNING, JUDGING)
ALLOWED: dict[str, tuple[str, ...]] = {
    DRAFT: (SCHEDULED, SIGNUP, RUNNING, CANCELLED),
    SCHEDULED: (SIGNUP, SCHEDULED, RUNNING, CANCELLED),
    SIGNUP: (RUNNING, SCHEDULED, CANCELLED),
    RUNNING: (JUDGING, FINISHED, CANCELLED),
    JUDGING: (FINISHED, CANCELLED),
    FINISHED: (),
    CANCELLED: (),
}

# Debate-time constants (divided by the round's time scale).
OPEN_SIGNUP_SECONDS = 120  # `/debate start`: sign-up stays open this long unless every seat fills first
SIGNUP_LEAD_SECONDS = 24 * 3600  # a scheduled round opens sign-up at most a day ahead
REMINDER_LEAD_SECONDS = 10 * 60
REMINDER_MIN_LEAD_SECONDS = 60  # no reminder closer to the start than this
POSTPONE_SECONDS = 10 * 60
MAX_POSTPONEMENTS = 2
JUDGING_SECONDS = 120
MAX_SPEECH_CHARS = 10_000

# Deadline kinds.
K_SIGNUP, K_REMINDER, K_START, K_TIME_UP, K_PHASE_END, K_JUDGING_END = (
    "signup", "reminder", "start", "time_up", "phase_end", "judging_end")


def warn_kind(seconds: int) -> str:
    return f"warn_{seconds}"


class RoundError(Exception):
    """An invalid action on a round (wrong state, out of turn, ...); the message is shown to the user."""


@dataclass
class Effects:
    """What to do once the transaction has committed."""

    posts: list[tuple[int, str, Outgoing]] = field(default_factory=list)  # (round id, "thread"|"channel", msg)
    arm: list[m.Deadline] = field(default_factory=list)  # new deadline rows to schedule after the commit
    disarm: list[int] = field(default_factory=list)  # deadline ids whose jobs are obsolete

    def post(self, round_row: m.Round, message: Outgoing, where: str = "thread") -> None:
        self.posts.append((round_row.id, where, message))

    def extend(self, other: Effects) -> None:
        self.posts += other.posts
        self.arm += other.arm
        self.disarm += other.disarm


@dataclass(frozen=True)
class Phase:
    index: int
    kind: str  # "prep" or "speech"
    seconds: int
    spec: SpeechSpec | None = None
    number: int = 0  # 1-based speech number (0 for prep)


# -- small helpers -----------------------------------------------------------------------------------

def fmt_of(round_row: m.Round) -> Format:
    """The round's format snapshot, parsed once per loaded row (it never changes after creation)."""
    cached = round_row.__dict__.get("_format_cache")
    if cached is None or cached[0] is not round_row.format_spec:
        cached = (round_row.format_spec, from_snapshot(round_row.format_spec))
        round_row.__dict__["_format_cache"] = cached
    return cached[1]


def phases(fmt: Format) -> list[Phase]:
    result: list[Phase] = []
    if fmt.prep_seconds:
        result.append(Phase(0, "prep", fmt.prep_seconds))
    for number, spec in enumerate(fmt.speeches, start=1):
        result.append(Phase(len(result), "speech", spec.seconds, spec, number))
    return result


def real(seconds: float, round_row: m.Round) -> timedelta:
    """Debate seconds -> real time for this round."""
    return timedelta(seconds=seconds / (round_row.time_scale or 1.0))


def debate_seconds(delta: timedelta, round_row: m.Round) -> float:
    return delta.total_seconds() * (round_row.time_scale or 1.0)


def duration(seconds: float) -> str:
    """Debate seconds as `1:30`, `45 s`, `8 min` or `1 h 5 min`."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds // 60}:{seconds % 60:02d}"


def stance(side: str) -> str:
    """The engine's side for a format side: government benches argue pro."""
    return "pro" if side in ("pro", "og", "cg") else "con"


def round_title(round_row: m.Round) -> str:
    return f"Round #{round_row.id}"


def motion_line(round_row: m.Round) -> str:
    return f"*{round_row.motion_text}*"


def transition(round_row: m.Round, state: str) -> None:
    if state not in ALLOWED[round_row.state]:
        raise RoundError(f"{round_title(round_row)} is {describe_state(round_row.state)}; it can't become {state}.")
    log.info("round %s -> %s", round_row.state, state, extra={"server": round_row.server_id, "round": round_row.id})
    round_row.state = state


def describe_state(state: str) -> str:
    return {DRAFT: "a draft", SCHEDULED: "scheduled", SIGNUP: "open for sign-up", RUNNING: "running",
            JUDGING: "being judged", FINISHED: "finished", CANCELLED: "cancelled"}[state]


def debaters(round_row: m.Round, side: str | None = None) -> list[m.Participant]:
    fmt_sides = set(round_row.format_spec.get("sides", ()))
    members = [p for p in round_row.participants if p.role in fmt_sides and (side is None or p.role == side)]
    return sorted(members, key=lambda p: (p.seat, p.id or 0))


def participant(round_row: m.Round, user_id: int) -> m.Participant | None:
    return next((p for p in round_row.participants if p.user_id == user_id), None)


def name_of(p: m.Participant | None) -> str:
    if p is None:
        return "nobody"
    if p.is_bot:
        return "Debate Bot"
    return chat.user_text(p.user.display_name or p.user.external_id)


def ping(p: m.Participant) -> str:
    return "Debate Bot" if p.is_bot else chat.mention(p.user.external_id)


def speaker_for(round_row: m.Round, fmt: Format, phase: Phase) -> m.Participant | None:
    """Who gives a speech: the side's members take turns in seat order."""
    if phase.spec is None or phase.spec.shared:
        return None
    members = debaters(round_row, phase.spec.side)
    if not members:
        return None
    earlier = sum(1 for s in fmt.speeches[: phase.number - 1] if s.side == phase.spec.side)
    return members[earlier % len(members)]


def speech_row(session: Session, round_row: m.Round, phase_index: int) -> m.Speech | None:
    return session.scalars(select(m.Speech).where(m.Speech.round_id == round_row.id,
                                                  m.Speech.phase_index == phase_index)).first()


def current_phase(round_row: m.Round) -> Phase | None:
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


def add_deadline(session: Session, fx: Effects, round_row: m.Round, kind: str, due: datetime,
                 phase_index: int = -1) -> m.Deadline:
    row = m.Deadline(round_id=round_row.id, kind=kind, phase_index=phase_index, due_at=due)
    session.add(row)  # flushed with the next query or at commit; the runtime reads its id after the commit
    fx.arm.append(row)
    return row


def close_deadlines(session: Session, fx: Effects, round_row: m.Round, now: datetime,
                    phase_index: int | None = None) -> None:
    """Mark pending deadlines done (all of the round's, or one phase's) and drop their jobs."""
    query = select(m.Deadline.id).where(m.Deadline.round_id == round_row.id, m.Deadline.done_at.is_(None))
    if phase_index is not None:
        query = query.where(m.Deadline.phase_index == phase_index,
                            m.Deadline.kind.notin_((K_START, K_SIGNUP, K_REMINDER)))
    ids = list(session.scalars(query))
    if ids:
        session.execute(update(m.Deadline).where(m.Deadline.id.in_(ids)).values(done_at=now))
        fx.disarm += ids


# -- creating and opening rounds --------------------------------------------------------------------

def create_round(session: Session, *, server_id: int, channel_id: str, motion_id: str, motion_text: str,
                 fmt: Format, time_scale: float, created_by: int | None, practice: bool = False,
                 article_id: int | None = None, schedule_id: int | None = None) -> m.Round:
    round_row = m.Round(server_id=server_id, channel_id=channel_id, motion_id=motion_id, motion_text=motion_text,
                        format_key=fmt.key, format_spec=fmt.model_dump(mode="json"), state=DRAFT,
                        is_practice=practice, time_scale=time_scale, created_by_id=created_by,
                        article_id=article_id, schedule_id=schedule_id, phase_index=-1)
    session.add(round_row)
    session.flush()
    return round_row


def add_participant(session: Session, round_row: m.Round, user: m.User, role: str, *, is_bot: bool = False,
                    ) -> m.Participant:
    seat = len(debaters(round_row, role)) if role in round_row.format_spec.get("sides", ()) else 0
    p = m.Participant(round_id=round_row.id, user_id=user.id, role=role, seat=seat, is_bot=is_bot)
    p.user = user
    round_row.participants.append(p)
    session.flush()
    return p


def signup_buttons(round_row: m.Round) -> list[Button]:
    fmt = fmt_of(round_row)
    rid = round_row.id
    buttons = [Button(f"join {side} round:{rid}", f"Join {fmt.side_name(side)}", ButtonStyle.PRIMARY)
               for side in fmt.sides]
    buttons += [Button(f"join judge round:{rid}", "Judge"), Button(f"join audience round:{rid}", "Audience"),
                Button(f"leave round:{rid}", "Leave", ButtonStyle.DANGER)]
    return buttons


def schedule_round(session: Session, fx: Effects, round_row: m.Round, starts_at: datetime, now: datetime) -> None:
    """draft → scheduled, with deadlines to open sign-up, remind and start."""
    transition(round_row, SCHEDULED)
    round_row.starts_at = starts_at
    opens = max(now, starts_at - real(SIGNUP_LEAD_SECONDS, round_row))
    lead = min(real(REMINDER_LEAD_SECONDS, round_row), (starts_at - opens) / 2)
    add_deadline(session, fx, round_row, K_START, starts_at, 0)
    # a reminder within a minute of the start would land with the start itself: skip it
    if debate_seconds(lead, round_row) >= REMINDER_MIN_LEAD_SECONDS and starts_at - lead > opens:
        add_deadline(session, fx, round_row, K_REMINDER, starts_at - lead)
    if opens <= now:
        open_signup(session, fx, round_row, now)
    else:
        add_deadline(session, fx, round_row, K_SIGNUP, opens)


def open_signup(session: Session, fx: Effects, round_row: m.Round, now: datetime, *,
                open_for: float | None = None) -> None:
    """→ signup: the announcement with join buttons. `open_for` (debate seconds) for rounds opened now."""
    transition(round_row, SIGNUP)
    fmt = fmt_of(round_row)
    if open_for is not None:
        round_row.starts_at = None
        add_deadline(session, fx, round_row, K_START, now + real(open_for, round_row), 0)
        when = (f"Starts when every seat is taken, or at {chat.timestamp(now + real(open_for, round_row))} "
                "(empty seats are then handled by the server's fill policy).")
    else:
        assert round_row.starts_at is not None
        when = f"Starts {chat.timestamp(round_row.starts_at)}."
    seats = ", ".join(f"{fmt.side_name(s)} ({fmt.team_size})" for s in fmt.sides)
    fx.post(round_row, Outgoing(
        title=f"{round_title(round_row)}: sign-up is open", kind=Kind.ANNOUNCE,
        text=f"Motion: {motion_line(round_row)}\nFormat: {fmt.summary()}\nSeats: {seats}.\n{when}",
        buttons=signup_buttons(round_row), key=f"round:{round_row.id}:signup"), "channel")


def seats_filled(round_row: m.Round) -> bool:
    fmt = fmt_of(round_row)
    return all(len(debaters(round_row, s)) >= fmt.team_size for s in fmt.sides)


# -- starting --------------------------------------------------------------------------------------------

def begin(session: Session, fx: Effects, round_row: m.Round, now: datetime, engine: Engine, bot_user: m.User,
          fill_policy: str = "bot") -> None:
    """signup → running, after dealing with empty sides by the fill policy (bot, postpone or cancel)."""
    fmt = fmt_of(round_row)
    empty = [s for s in fmt.sides if not debaters(round_row, s)]
    if empty:
        has_bot = any(p.is_bot for p in round_row.participants)
        # the bot fills one empty side, and only when at least one person debates
        can_fill = fill_policy == "bot" and len(empty) == 1 and not has_bot and len(debaters(round_row)) > 0
        if can_fill:
            add_participant(session, round_row, bot_user, empty[0], is_bot=True)
            fx.post(round_row, Outgoing(text=f"Nobody took {fmt.side_name(empty[0])}, so Debate Bot takes it."))
        else:
            attempts = session.scalars(select(m.Deadline).where(m.Deadline.round_id == round_row.id,
                                                                m.Deadline.kind == K_START)).all()
            names = ", ".join(fmt.side_name(s) for s in empty)
            if fill_policy == "postpone" and len(attempts) <= MAX_POSTPONEMENTS:
                round_row.starts_at = now + real(POSTPONE_SECONDS, round_row)
                add_deadline(session, fx, round_row, K_START, round_row.starts_at, len(attempts))
                fx.post(round_row, Outgoing(
                    title=f"{round_title(round_row)} postponed", kind=Kind.ANNOUNCE,
                    text=f"{names} still has no debater, so the round is postponed to "
                         f"{chat.timestamp(round_row.starts_at)}. Join now!",
                    buttons=signup_buttons(round_row)), "channel")
                return
            why = ("not enough people joined" if fill_policy != "bot"
                   else "the bot can fill only one empty side and at least one person must debate")
            cancel(session, fx, round_row, now, f"{names} had no debater ({why}).")
            return
    if round_row.state == SCHEDULED:
        transition(round_row, SIGNUP)
    transition(round_row, RUNNING)
    round_row.starts_at = round_row.starts_at or now
    close_deadlines(session, fx, round_row, now)
    lineup = "\n".join(f"- **{fmt.side_name(s)}**: " + ", ".join(name_of(p) for p in debaters(round_row, s))
                       for s in fmt.sides)
    fx.post(round_row, Outgoing(
        title=f"{round_title(round_row)} begins", kind=Kind.ANNOUNCE,
        text=f"Motion: {motion_line(round_row)}\nFormat: {fmt.summary()}\n{lineup}"))
    enter_phase(session, fx, round_row, 0, now, engine)


def enter_phase(session: Session, fx: Effects, round_row: m.Round, index: int, now: datetime,
                engine: Engine) -> None:
    """Start phase `index` (prep or a speech); the bot's speeches are given at once. Past the end: judging."""
    fmt = fmt_of(round_row)
    all_phases = phases(fmt)
    while True:
        if index >= len(all_phases):
            to_judging(session, fx, round_row, now, engine)
            return
        phase = all_phases[index]
        round_row.phase_index = index
        round_row.phase_started_at = now
        round_row.phase_deadline = now + real(phase.seconds, round_row)
        if phase.kind == "prep":
            fx.post(round_row, Outgoing(
                title="Preparation time", kind=Kind.TURN,
                text=f"{duration(phase.seconds)} to prepare. The first speech starts "
                     f"{chat.timestamp(round_row.phase_deadline)}."))
            add_deadline(session, fx, round_row, K_PHASE_END, round_row.phase_deadline, index)
            return
        spec = phase.spec
        assert spec is not None
        speaker = speaker_for(round_row, fmt, phase)
        speech = m.Speech(round_id=round_row.id, phase_index=index, side=spec.side, kind=spec.kind,
                          participant_id=speaker.id if speaker else None, started_at=now, text="")
        session.add(speech)
        session.flush()
        title = f"Speech {phase.number} of {len(fmt.speeches)}: {fmt.speech_title(spec)}"
        if speaker is not None and speaker.is_bot:
            give_bot_speech(session, fx, round_row, fmt, phase, speech, engine, now, title)
            index += 1
            continue
        if speaker is None and not spec.shared:  # a side with nobody left: forfeit at once
            speech.forfeited, speech.ended_at = True, now
            fx.post(round_row, Outgoing(text=f"{title}: nobody is left to speak for "
                                             f"{fmt.side_name(spec.side)}; the speech is forfeited."))
            index += 1
            continue
        arm_phase_deadlines(session, fx, round_row, fmt, phase, now)
        fx.post(round_row, turn_message(round_row, fmt, phase, speaker, title))
        return


def arm_phase_deadlines(session: Session, fx: Effects, round_row: m.Round, fmt: Format, phase: Phase,
                        now: datetime) -> None:
    assert round_row.phase_deadline is not None
    for left in fmt.warnings:
        if left < phase.seconds:
            add_deadline(session, fx, round_row, warn_kind(left), round_row.phase_deadline - real(left, round_row),
                         phase.index)
    shared = phase.spec is not None and phase.spec.shared
    if fmt.grace_seconds and not shared:
        add_deadline(session, fx, round_row, K_TIME_UP, round_row.phase_deadline, phase.index)
    end = grace_end(round_row) or round_row.phase_deadline
    add_deadline(session, fx, round_row, K_PHASE_END, end, phase.index)


def turn_message(round_row: m.Round, fmt: Format, phase: Phase, speaker: m.Participant | None,
                 title: str) -> Outgoing:
    assert phase.spec is not None and round_row.phase_deadline is not None
    spec = phase.spec
    if spec.shared:
        text = (f"Open floor for {duration(spec.seconds)}, until {chat.timestamp(round_row.phase_deadline)}: "
                "every debater may ask and answer. This part is not scored.")
        return Outgoing(title=title, kind=Kind.TURN, text=text)
    assert speaker is not None
    grace = f", plus {duration(fmt.grace_seconds)} grace" if fmt.grace_seconds else ""
    protected = (f" The first and last {duration(spec.protected_seconds)} are protected (no points of "
                 "information)." if spec.protected_seconds else "")
    text = (f"{ping(speaker)}, you have **{duration(spec.seconds)}**{grace}; time is up "
            f"{chat.timestamp(round_row.phase_deadline)}. Type your speech here as chat messages, or submit it in "
            f"one go with the button or `/debate speech <text>` (that ends your turn).{protected}")
    return Outgoing(title=title, kind=Kind.TURN, text=text, buttons=[
        Button(f"speech round:{round_row.id}", "Submit speech", ButtonStyle.PRIMARY, opens_form=True),
        Button(f"status round:{round_row.id}", "Status")])


def give_bot_speech(session: Session, fx: Effects, round_row: m.Round, fmt: Format, phase: Phase,
                    speech: m.Speech, engine: Engine, now: datetime, title: str) -> None:
    """The bot speaks at once, answering the other side's speeches so far and never repeating a point."""
    assert phase.spec is not None
    earlier = session.scalars(select(m.Speech).where(m.Speech.round_id == round_row.id,
                                                     m.Speech.phase_index < phase.index)
                              .order_by(m.Speech.phase_index)).all()
    opponent = "\n".join(s.text for s in earlier if s.side not in (phase.spec.side, SHARED) and s.text)
    last_opponent = next((s.text for s in reversed(earlier) if s.side not in (phase.spec.side, SHARED) and s.text),
                         "")
    used: list[str] = []
    for s in earlier:
        used += (s.score or {}).get("claim_ids", [])
    kind = {"constructive": "opening", "extension": "rebuttal", "summary": "rebuttal", "final_focus": "closing",
            "reply": "closing"}.get(phase.spec.kind, phase.spec.kind)
    try:
        bot = engine.speech(round_row.motion_id, stance(phase.spec.side), kind, phase.spec.seconds,
                            opponent_text=last_opponent or opponent, used=tuple(used))
        text, claim_ids = bot.text, list(bot.claim_ids)
    except Exception:  # the engine must never stall a round
        log.exception("bot speech failed", extra={"round": round_row.id})
        text, claim_ids = "I rest my case on the points already made.", []
    speech.text = text[:MAX_SPEECH_CHARS]
    speech.ended_at = now
    score_speech(speech, round_row, fmt, engine, opponent, extra={"claim_ids": claim_ids})
    fx.post(round_row, Outgoing(title=f"{title} (Debate Bot)", kind=Kind.SPEECH, text=speech.text))


def score_speech(speech: m.Speech, round_row: m.Round, fmt: Format, engine: Engine, opponent_text: str,
                 extra: dict[str, Any] | None = None) -> None:
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
    try:
        scored = engine.score(speech.text, round_row.motion_id, stance(speech.side), opponent_text=opponent_text,
                              seconds=spec.seconds, scale=scale)
        result.update(scored.to_dict())
        speech.score_total = float(scored.total)
    except Exception:
        log.exception("scoring failed", extra={"round": round_row.id})
        speech.score_total = None
    speech.score = result


def end_phase(session: Session, fx: Effects, round_row: m.Round, now: datetime, engine: Engine) -> None:
    """Close the current phase (its speech is scored, or forfeited when empty) and move to the next."""
    phase = current_phase(round_row)
    if phase is None:
        return
    close_deadlines(session, fx, round_row, now, phase.index)
    fmt = fmt_of(round_row)
    if phase.kind == "speech":
        speech = speech_row(session, round_row, phase.index)
        if speech is not None and speech.ended_at is None:
            speech.ended_at = now
            assert phase.spec is not None
            if not speech.text.strip() and not phase.spec.shared:
                speech.forfeited = True
                speaker = speaker_for(round_row, fmt, phase)
                fx.post(round_row, Outgoing(text=f"{name_of(speaker)} said nothing in this turn; the speech is "
                                                 "recorded as forfeited.", kind=Kind.INFO))
            opponent = "\n".join(s.text for s in session.scalars(select(m.Speech).where(
                m.Speech.round_id == round_row.id, m.Speech.phase_index < phase.index,
                m.Speech.side.notin_((speech.side, SHARED)))))
            score_speech(speech, round_row, fmt, engine, opponent)
    enter_phase(session, fx, round_row, phase.index + 1, now, engine)


# -- speeches from chat ---------------------------------------------------------------------------------

@dataclass
class Appended:
    truncated: bool
    chars: int


def append_speech(session: Session, round_row: m.Round, speech: m.Speech, text: str) -> Appended:
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


# -- judging --------------------------------------------------------------------------------------------

def to_judging(session: Session, fx: Effects, round_row: m.Round, now: datetime, engine: Engine) -> None:
    transition(round_row, JUDGING)
    round_row.phase_index = len(phases(fmt_of(round_row)))
    round_row.phase_deadline = None
    if round_row.is_practice:
        finish(session, fx, round_row, now)
        return
    closes = now + real(JUDGING_SECONDS, round_row)
    round_row.phase_deadline = closes
    add_deadline(session, fx, round_row, K_JUDGING_END, closes, round_row.phase_index)
    fmt = fmt_of(round_row)
    buttons = [Button(f"vote {side} round:{round_row.id}", f"Vote {fmt.side_name(side)}", ButtonStyle.PRIMARY)
               for side in fmt.sides]
    judges = [p for p in round_row.participants if p.role == "judge"]
    judge_hint = (f"\nJudges ({', '.join(name_of(j) for j in judges)}): `/debate judge <winner> [points] "
                  f"round:{round_row.id}`, points per speech in speaking order on {fmt.speaker_scale[0]}–"
                  f"{fmt.speaker_scale[1]}." if judges else "")
    fx.post(round_row, Outgoing(
        title=f"{round_title(round_row)}: speeches are over", kind=Kind.ANNOUNCE,
        text=f"Voting is open until {chat.timestamp(closes)}: one vote per person, debaters can't vote."
             f"{judge_hint}", buttons=buttons))


def tally(session: Session, round_row: m.Round) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """(judge wins, audience votes, engine totals) per side."""
    sides = list(round_row.format_spec.get("sides", ()))
    judges = dict.fromkeys(sides, 0.0)
    for ballot in session.scalars(select(m.Ballot).where(m.Ballot.round_id == round_row.id)):
        if ballot.winner in judges:
            judges[ballot.winner] += 1
    audience = dict.fromkeys(sides, 0.0)
    for vote in session.scalars(select(m.Vote).where(m.Vote.round_id == round_row.id)):
        if vote.side in audience:
            audience[vote.side] += 1
    engine_totals = dict.fromkeys(sides, 0.0)
    counts = dict.fromkeys(sides, 0)
    for speech in round_row.speeches:
        if speech.side in engine_totals and speech.score_total is not None:
            lo, hi = (speech.score or {}).get("scale", (0, 100))
            engine_totals[speech.side] += (speech.score_total - lo) / max(1e-9, hi - lo)
            counts[speech.side] += 1
    return judges, audience, engine_totals


def decide(session: Session, round_row: m.Round) -> tuple[str | None, str, dict[str, int]]:
    """Winner and ranks by the server's winner rule (default: judges, then audience, then the engine).

    Silent or tied sources fall through to the next; the engine always decides last."""
    judges, audience, engine_totals = tally(session, round_row)
    engine_order = sorted(engine_totals, key=lambda s: -engine_totals[s])
    settings_row = session.get(m.ServerSettings, round_row.server_id)
    rule = (settings_row.winner_rule if settings_row else "judges,audience,engine").split(",")
    human = {"judges": judges, "audience": audience}
    for source, counts in ((source, human[source]) for source in rule if source in human):
        if sum(counts.values()) == 0:
            continue
        order = sorted(counts, key=lambda s: (-counts[s], -engine_totals[s]))
        if counts[order[0]] > counts[order[1]]:
            return order[0], source, {s: i for i, s in enumerate(order)}
    if len(engine_order) >= 2 and engine_totals[engine_order[0]] == engine_totals[engine_order[1]]:
        # an exact engine tie (e.g. both forfeited): the side that spoke first wins nothing; call it a draw
        return None, "engine", dict.fromkeys(engine_order, 0)
    return engine_order[0], "engine", {s: i for i, s in enumerate(engine_order)}


def finish(session: Session, fx: Effects, round_row: m.Round, now: datetime) -> None:
    """judging → finished: decide, post the results, then tell listeners (ratings) in this transaction."""
    if round_row.state == RUNNING:
        transition(round_row, JUDGING)
    transition(round_row, FINISHED)
    close_deadlines(session, fx, round_row, now)
    winner, source, ranks = decide(session, round_row)
    round_row.winner, round_row.winner_source = winner, source
    round_row.finished_at = now
    round_row.phase_deadline = None
    session.flush()
    fx.post(round_row, results_message(session, round_row, ranks))
    fmt = fmt_of(round_row)
    if fmt.team_points is None and len(fmt.sides) == 2 and winner is None:
        ranks = dict.fromkeys(fmt.sides, 0)
    events.emit(events.RoundFinished(round_id=round_row.id, server_id=round_row.server_id,
                                     format_key=round_row.format_key, winner=winner, winner_source=source,
                                     ranks=ranks, is_practice=any(p.is_bot for p in round_row.participants)),
                session)


def results_message(session: Session, round_row: m.Round, ranks: dict[str, int]) -> Outgoing:
    fmt = fmt_of(round_row)
    by_id = {p.id: p for p in round_row.participants}
    judges, audience, _ = tally(session, round_row)
    source_text = {"judges": f"the judges ({_count_line(judges, fmt)})",
                   "audience": f"the audience vote ({_count_line(audience, fmt)})",
                   "engine": "the bot's scores (no judge ballots or audience votes)"}[round_row.winner_source or "engine"]
    if round_row.winner:
        headline = f"**Winner: {fmt.side_name(round_row.winner)}**, decided by {source_text}."
    else:
        headline = f"**No winner**: a tie on {source_text}."
    if len(fmt.sides) > 2:
        order = sorted(ranks, key=lambda s: ranks[s])
        headline += "\nRanking: " + ", ".join(f"{i + 1}. {fmt.side_name(s)}" for i, s in enumerate(order))
    if sum(judges.values()) or sum(audience.values()):  # every count, not just the one that decided
        headline += (f"\nJudges' ballots: {_count_line(judges, fmt)} · audience votes: "
                     f"{_count_line(audience, fmt)}.")
    points: dict[str, list[float]] = {}
    for ballot in session.scalars(select(m.Ballot).where(m.Ballot.round_id == round_row.id)):
        for speech_id, value in (ballot.speaker_points or {}).items():
            points.setdefault(str(speech_id), []).append(float(value))
    fields: list[Field] = []
    tips: dict[int, list[str]] = {}
    for speech in sorted(round_row.speeches, key=lambda s: s.phase_index):
        spec = fmt.speeches[speech.phase_index - (1 if fmt.prep_seconds else 0)]
        if spec.shared:
            continue
        speaker = by_id.get(speech.participant_id) if speech.participant_id else None
        score = speech.score or {}
        lo, hi = score.get("scale", fmt.scale_for(spec))
        total = "forfeited" if speech.forfeited else (
            f"{speech.score_total:.0f} on {lo}–{hi}" if speech.score_total is not None else "not scored")
        if points.get(str(speech.id)):
            total += " · judges: " + ", ".join(f"{v:g}" for v in points[str(speech.id)])
        lines = [f"- {name.title()}: {crit.get('reason', '')}" for name, crit in score.get("criteria", {}).items()]
        if speech.truncated:
            lines.append("- Cut at the length limit.")
        fields.append(Field(name=f"{fmt.speech_title(spec)}: {name_of(speaker)} · {total}",
                            value=chat.truncate("\n".join(lines) or "No comments.", 1000)))
        if speaker is not None and not speaker.is_bot:
            tips.setdefault(speaker.id, [])
            for tip in score.get("tips", []):
                if tip not in tips[speaker.id]:
                    tips[speaker.id].append(tip)
    for pid, items in tips.items():
        if items:
            fields.append(Field(name=f"Tips for {name_of(by_id[pid])}",
                                value=chat.truncate("\n".join(f"- {t}" for t in items[:4]), 1000)))
    return Outgoing(title=f"{round_title(round_row)} results", kind=Kind.RESULTS,
                    text=f"Motion: {motion_line(round_row)}\n{headline}", fields=fields[:25],
                    key=f"round:{round_row.id}:results")


def _count_line(counts: dict[str, float], fmt: Format) -> str:
    return ", ".join(f"{fmt.side_name(s)} {int(n)}" for s, n in counts.items())


# -- cancelling --------------------------------------------------------------------------------------

def cancel(session: Session, fx: Effects, round_row: m.Round, now: datetime, reason: str) -> None:
    if round_row.state in (FINISHED, CANCELLED):
        raise RoundError(f"{round_title(round_row)} is already {describe_state(round_row.state)}.")
    transition(round_row, CANCELLED)
    round_row.finished_at = now
    round_row.phase_deadline = None
    close_deadlines(session, fx, round_row, now)
    fx.post(round_row, Outgoing(title=f"{round_title(round_row)} cancelled", kind=Kind.ANNOUNCE,
                                text=f"Motion: {motion_line(round_row)}\n{reason}"), "channel")


# -- timers ----------------------------------------------------------------------------------------------

def on_deadline(session: Session, fx: Effects, round_row: m.Round, deadline: m.Deadline, now: datetime,
                engine: Engine, bot_user: m.User, fill_policy: str) -> None:
    """A timer fired. Check it still applies (state, phase); a stale or duplicate one does nothing."""
    kind = deadline.kind
    if kind == K_SIGNUP:
        if round_row.state == SCHEDULED:
            open_signup(session, fx, round_row, now)
    elif kind == K_REMINDER:
        if round_row.state in (SCHEDULED, SIGNUP) and round_row.starts_at:
            fmt = fmt_of(round_row)
            missing = [fmt.side_name(s) for s in fmt.sides if not debaters(round_row, s)]
            need = f" Still needed: {', '.join(missing)}." if missing else ""
            fx.post(round_row, Outgoing(
                title=f"Reminder: {round_title(round_row)} starts {chat.timestamp(round_row.starts_at)}",
                kind=Kind.ANNOUNCE, text=f"Motion: {motion_line(round_row)}.{need}",
                buttons=signup_buttons(round_row)), "channel")
    elif kind == K_START:
        latest = session.scalars(select(m.Deadline.phase_index).where(
            m.Deadline.round_id == round_row.id, m.Deadline.kind == K_START)
            .order_by(m.Deadline.phase_index.desc())).first()
        if round_row.state in (SCHEDULED, SIGNUP) and deadline.phase_index == latest:
            if round_row.state == SCHEDULED:  # sign-up never opened (its deadline was lost): open it now
                transition(round_row, SIGNUP)
            begin(session, fx, round_row, now, engine, bot_user, fill_policy)
            if round_row.state not in (SCHEDULED, SIGNUP):
                spawn_next(session, fx, round_row, now)
    elif kind.startswith("warn_"):
        phase = current_phase(round_row)
        if phase is None or phase.index != deadline.phase_index or round_row.phase_deadline is None:
            return
        if now >= round_row.phase_deadline:
            return  # time is already up: the time-up notice covers it
        # Coalesce: any other warning of this phase that is also due is dropped; say the real time left.
        session.execute(update(m.Deadline).where(
            m.Deadline.round_id == round_row.id, m.Deadline.phase_index == phase.index,
            m.Deadline.kind.like("warn_%"), m.Deadline.done_at.is_(None), m.Deadline.due_at <= now,
            m.Deadline.id != deadline.id).values(done_at=now))
        left = debate_seconds(round_row.phase_deadline - now, round_row)
        nominal = int(kind.split("_", 1)[1])
        shown = nominal if abs(left - nominal) <= max(2.0, nominal * 0.1) else left
        title = fmt_of(round_row).speech_title(phase.spec) if phase.spec else "preparation"
        fx.post(round_row, Outgoing(text=f"{duration(shown)} left ({title}).", kind=Kind.TURN))
    elif kind == K_TIME_UP:
        phase = current_phase(round_row)
        if phase is None or phase.index != deadline.phase_index:
            return
        grace = fmt_of(round_row).grace_seconds
        who = speaker_for(round_row, fmt_of(round_row), phase)
        fx.post(round_row, Outgoing(text=f"Time! {name_of(who)}, finish your sentence: {duration(grace)} of "
                                         "grace, then the next speech begins.", kind=Kind.TURN))
    elif kind == K_PHASE_END:
        phase = current_phase(round_row)
        if phase is not None and phase.index == deadline.phase_index:
            end_phase(session, fx, round_row, now, engine)
    elif kind == K_JUDGING_END and round_row.state == JUDGING:
        finish(session, fx, round_row, now)


def spawn_next(session: Session, fx: Effects, round_row: m.Round, now: datetime) -> m.Round | None:
    """For a recurring schedule: create the next occurrence once this one has started or been skipped."""
    if round_row.schedule_id is None:
        return None
    schedule_row = session.get(m.Schedule, round_row.schedule_id)
    if schedule_row is None or not schedule_row.active:
        return None
    already = session.scalar(select(m.Round.id).where(m.Round.schedule_id == schedule_row.id,
                                                      m.Round.state.in_((DRAFT, SCHEDULED)),
                                                      m.Round.id != round_row.id))
    if already:
        return None
    after = max(now, round_row.starts_at or now)
    next_at = next_occurrence(schedule_row.rule, schedule_row.timezone, after)
    schedule_row.next_at = next_at
    nxt = create_round(
        session, server_id=round_row.server_id, channel_id=schedule_row.channel_id, motion_id=round_row.motion_id,
        motion_text=round_row.motion_text, fmt=fmt_of(round_row), time_scale=round_row.time_scale,
        created_by=schedule_row.created_by_id, article_id=round_row.article_id, schedule_id=schedule_row.id)
    schedule_round(session, fx, nxt, next_at, now)
    return nxt



def pick_motion(engine: Engine, ref: str | None) -> tuple[str, str]:
    """(motion id, text) for a user reference, or a random motion when none is given."""
    if ref:
        motion = engine.find_motion(ref)
        if motion is None:
            raise RoundError(f"No motion matches {chat.user_text(ref)}. See `/debate motions` for the list.")
    else:
        motion = random.choice(engine.motions())
    return motion.id, motion.text
