"""Speeches: `/debate speech` in one go, and chat messages during a turn (audience chat otherwise)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot import chat, commands
from bot.chat import Kind, Outgoing, Place
from bot.context import Context, UserError
from bot.rounds import formats, lineup, live, states
from bot.rounds.commands.lookup import commit_effects, find_round, lock_round, round_engine, time_now
from bot.rounds.live import Effects
from bot.storage import models as m


def in_round_place(round_row: m.Round, place: Place) -> bool:
    """Was a message posted in the round's thread, or in its channel (platforms without threads)?"""
    if place.thread_id:
        return place.thread_id == round_row.thread_id
    return place.channel_id in (round_row.channel_id, round_row.thread_id)


def _speaking_round(ctx: Context, round_id: int | None, *, place: Place | None = None,
                    ) -> tuple[m.Round, m.Speech, formats.Phase] | None:
    """The running round where this user holds the floor now (including grace), if any.

    With `place`, only a round whose thread or channel the message was posted in counts.
    """
    session = ctx.session
    if round_id is not None:
        ids = [round_id]
    else:
        ids = list(session.scalars(select(m.Round.id).join(m.Participant).where(
            m.Round.server_id == ctx.server.id, m.Round.state == states.RUNNING,
            m.Participant.user_id == ctx.user.id).order_by(m.Round.id.desc())))
    for rid in ids:
        round_row = lock_round(session, rid)
        if round_row is None or round_row.server_id != ctx.server.id:
            continue
        if place is not None and not in_round_place(round_row, place):
            continue
        phase = live.current_phase(round_row)
        if phase is None or phase.spec is None:
            continue
        me = lineup.participant(round_row, ctx.user.id)
        if me is None:
            continue
        fmt = live.fmt_of(round_row)
        speaker = lineup.speaker_for(round_row, fmt, phase)
        if (speaker is not None and speaker.id == me.id) or (phase.spec.shared and me.role in fmt.sides):
            speech = live.speech_row(session, round_row, phase.index)
            if speech is not None:
                return round_row, speech, phase
    return None


@commands.handles("speech")
def speech(ctx: Context, text: str | None = None, round: int | None = None) -> Outgoing:  # noqa: A002
    """`/debate speech <text> [round]`: the whole speech in one go; it ends the turn."""
    if not text or not text.strip():
        raise UserError("Write your speech after the command: `/debate speech <your speech>`.")
    session, now, fx = ctx.session, time_now(ctx), Effects()
    found = _speaking_round(ctx, round)
    if found is None:
        raise UserError(_not_your_turn(ctx, round))
    round_row, speech_row, phase = found
    end = live.grace_end(round_row)
    if end is not None and now > end:
        raise UserError("Your time (and the grace period) is over; this speech can't be recorded.")
    result = live.append_speech(round_row, speech_row, _label(ctx, phase, text))
    replies = [f"Speech recorded ({result.chars} characters)."]
    if result.truncated:
        replies.append(f"It was longer than {live.MAX_SPEECH_CHARS:,} characters, so it was cut there.")
    if not phase.spec or not phase.spec.shared:
        live.LiveRound(session, round_row, now, engine=round_engine(ctx, round_row), fx=fx, defer_engine=True).end_phase()
    commit_effects(ctx, fx)
    return Outgoing(text=" ".join(replies), kind=Kind.SUCCESS, ephemeral=True)


def _label(ctx: Context, phase: formats.Phase, text: str) -> str:
    """In shared phases (crossfire) each line says who spoke."""
    if phase.spec is not None and phase.spec.shared:
        return f"{ctx.user.display_name}: {text}"
    return text


def _not_your_turn(ctx: Context, round_id: int | None) -> str:
    try:
        round_row = find_round(ctx, round_id, states.OPEN, prefer_user=True)
    except UserError:
        return "There is no running round where it's your turn to speak."
    if round_row.state in (states.DRAFT, states.SCHEDULED, states.SIGNUP):
        return f"Round #{round_row.id} hasn't started yet, so it's not your turn to speak."
    if round_row.state != states.RUNNING:
        return f"Round #{round_row.id} is {states.describe_state(round_row.state)}; the speeches are over."
    phase = live.current_phase(round_row)
    fmt = live.fmt_of(round_row)
    if phase is None or phase.spec is None:
        return f"Round #{round_row.id} is not in a speech right now."
    speaker = lineup.speaker_for(round_row, fmt, phase)
    return (f"It's not your turn: speech {phase.number} ({fmt.speech_title(phase.spec)}) belongs to "
            f"{lineup.name_of(speaker)}.")


def append_in_order(ctx: Context, round_row: m.Round, speech_row: m.Speech, text: str,
                    order_key: int | None) -> live.Appended:
    """Add a chat message to the speech in the platform's order (Slack `ts`, Discord snowflake), not the
    order of arrival: a message sent before ones already stored is put back in its place."""
    if order_key is None:
        return live.append_speech(round_row, speech_row, text)
    session = ctx.session
    cleaned = chat.clean_user_text(text).strip()
    if not cleaned:
        return live.Appended(False, len(speech_row.text))
    earlier = list(session.scalars(select(m.SpeechChunk.text).where(m.SpeechChunk.speech_id == speech_row.id)
                                   .order_by(m.SpeechChunk.order_key, m.SpeechChunk.id)))
    later = session.scalar(select(func.count()).select_from(m.SpeechChunk).where(
        m.SpeechChunk.speech_id == speech_row.id, m.SpeechChunk.order_key > order_key)) or 0
    session.add(m.SpeechChunk(speech_id=speech_row.id, order_key=order_key, text=cleaned))
    # Rebuild only a speech made of chunks alone (a `/debate speech` in a shared phase is not one).
    if not later or speech_row.truncated or speech_row.text != "\n".join(earlier):
        return live.append_speech(round_row, speech_row, cleaned)
    session.flush()
    speech_row.text = ""
    result = live.Appended(False, 0)
    for chunk in session.scalars(select(m.SpeechChunk.text).where(m.SpeechChunk.speech_id == speech_row.id)
                                 .order_by(m.SpeechChunk.order_key, m.SpeechChunk.id)):
        result = live.append_speech(round_row, speech_row, chunk)
    return result


def on_message(ctx: Context) -> Outgoing | None:
    """A chat message: part of the speaker's speech during their turn and grace, else audience chat."""
    session, now = ctx.session, time_now(ctx)
    text = ctx.incoming.text
    if not text.strip():
        return None
    found = _speaking_round(ctx, None, place=ctx.incoming.place)
    if found is not None:
        round_row, speech_row, phase = found
        end = live.grace_end(round_row)
        if end is None or now <= end:
            result = append_in_order(ctx, round_row, speech_row, _label(ctx, phase, text), ctx.incoming.order_key)
            if result.truncated:
                return Outgoing(text=f"Your speech reached {live.MAX_SPEECH_CHARS:,} characters; the rest was "
                                     "not recorded.", kind=Kind.INFO, ephemeral=True)
            return None
        return Outgoing(text="Your time and grace period are over, so this message is not part of your speech.",
                        kind=Kind.INFO, ephemeral=True)
    # A debater talking out of turn in a running round: tell them it doesn't count.
    recent = next((r for r in session.scalars(select(m.Round).join(m.Participant).where(
        m.Round.server_id == ctx.server.id, m.Round.state == states.RUNNING,
        m.Participant.user_id == ctx.user.id).order_by(m.Round.id.desc()))
        if in_round_place(r, ctx.incoming.place)), None)
    if recent is None:
        return None
    me = lineup.participant(recent, ctx.user.id)
    fmt = live.fmt_of(recent)
    if me is None or me.role not in fmt.sides:
        return None
    phase = live.current_phase(recent)
    if phase is None:
        return None
    prev = live.speech_row(session, recent, phase.index - 1) if phase.index > 0 else None
    if prev is not None and prev.participant_id == me.id:
        return Outgoing(text="Your time and grace period are over, so this message is not part of your speech.",
                        kind=Kind.INFO, ephemeral=True)
    return Outgoing(text=f"{_not_your_turn(ctx, recent.id)} This message is not part of any speech.",
                    kind=Kind.INFO, ephemeral=True)
