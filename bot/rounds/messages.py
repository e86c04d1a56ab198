"""Every message a round posts (announcements, turns, timers, results, status), built from plain rows.

Nothing here changes a round; `live.LiveRound` decides what happens and posts these.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot import chat
from bot.chat import Button, ButtonStyle, Field, Kind, Outgoing
from bot.rounds.decision import Tally, count_line
from bot.rounds.formats import Format, Phase
from bot.rounds.lineup import debaters, name_of, ping, speaker_for
from bot.rounds.states import FINISHED, JUDGING, SCHEDULED, SIGNUP, describe_state, round_title
from bot.storage import models as m


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


def motion_line(round_row: m.Round) -> str:
    """The motion, in italics."""
    return f"*{round_row.motion_text}*"


def signup_buttons(round_row: m.Round, fmt: Format) -> list[Button]:
    """Join one side, judge, audience, or leave."""
    rid = round_row.id
    buttons = [Button(f"join {side} round:{rid}", f"Join {fmt.side_name(side)}", ButtonStyle.PRIMARY)
               for side in fmt.sides]
    buttons += [Button(f"join judge round:{rid}", "Judge"), Button(f"join audience round:{rid}", "Audience"),
                Button(f"leave round:{rid}", "Leave", ButtonStyle.DANGER)]
    return buttons


SIGNUP_KEY = "signup"  # the sign-up announcement is edited in place as seats fill


def signup_open(round_row: m.Round, fmt: Format, when: str) -> Outgoing:
    """The sign-up announcement, with the join buttons and who has taken which seat."""
    def seat(side: str) -> str:
        names = ", ".join(name_of(p) for p in debaters(round_row, side))
        return f"{fmt.side_name(side)} ({fmt.team_size})" + (f": {names}" if names else "")

    seats = "; ".join(seat(s) for s in fmt.sides)
    return Outgoing(title=f"{round_title(round_row)}: sign-up is open", kind=Kind.ANNOUNCE,
                    text=f"Motion: {motion_line(round_row)}\nFormat: {fmt.summary()}\nSeats: {seats}.\n{when}",
                    buttons=signup_buttons(round_row, fmt), key=SIGNUP_KEY)


def reminder(round_row: m.Round, fmt: Format) -> Outgoing:
    """The reminder before a scheduled start, naming the sides still empty."""
    assert round_row.starts_at is not None
    missing = [fmt.side_name(s) for s in fmt.sides if not debaters(round_row, s)]
    need = f" Still needed: {', '.join(missing)}." if missing else ""
    return Outgoing(title=f"Reminder: {round_title(round_row)} starts {chat.timestamp(round_row.starts_at)}",
                    kind=Kind.ANNOUNCE, text=f"Motion: {motion_line(round_row)}.{need}",
                    buttons=signup_buttons(round_row, fmt))


def postponed(round_row: m.Round, fmt: Format, names: str) -> Outgoing:
    """A start put off because a side is empty."""
    assert round_row.starts_at is not None
    return Outgoing(title=f"{round_title(round_row)} postponed", kind=Kind.ANNOUNCE,
                    text=f"{names} still has no debater, so the round is postponed to "
                         f"{chat.timestamp(round_row.starts_at)}. Join now!", buttons=signup_buttons(round_row, fmt))


def bot_fills(fmt: Format, side: str) -> Outgoing:
    """The bot takes an empty side."""
    return Outgoing(text=f"Nobody took {fmt.side_name(side)}, so Debate Bot takes it.")


def cancelled(round_row: m.Round, reason: str) -> Outgoing:
    """The round is cancelled, and why."""
    return Outgoing(title=f"{round_title(round_row)} cancelled", kind=Kind.ANNOUNCE,
                    text=f"Motion: {motion_line(round_row)}\n{reason}")


def begins(round_row: m.Round, fmt: Format) -> Outgoing:
    """The round starts: motion, format and line-up."""
    lineup = "\n".join(f"- **{fmt.side_name(s)}**: " + ", ".join(name_of(p) for p in debaters(round_row, s))
                       for s in fmt.sides)
    return Outgoing(title=f"{round_title(round_row)} begins", kind=Kind.ANNOUNCE,
                    text=f"Motion: {motion_line(round_row)}\nFormat: {fmt.summary()}\n{lineup}")


def preparation(phase: Phase, deadline: datetime) -> Outgoing:
    """Preparation time before the first speech."""
    return Outgoing(title="Preparation time", kind=Kind.TURN,
                    text=f"{duration(phase.seconds)} to prepare. The first speech starts {chat.timestamp(deadline)}.")


def turn(round_row: m.Round, fmt: Format, phase: Phase, speaker: m.Participant | None, title: str) -> Outgoing:
    """A speaker's turn (or an open floor), with the speech form and status buttons."""
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


def bot_speech(title: str, text: str) -> Outgoing:
    """The bot's own speech."""
    return Outgoing(title=f"{title} (Debate Bot)", kind=Kind.SPEECH, text=text)


def nobody_left(title: str, fmt: Format, side: str) -> Outgoing:
    """A side with nobody left to speak forfeits the speech."""
    return Outgoing(text=f"{title}: nobody is left to speak for {fmt.side_name(side)}; the speech is forfeited.")


def said_nothing(speaker: m.Participant | None) -> Outgoing:
    """An empty turn is recorded as forfeited."""
    return Outgoing(text=f"{name_of(speaker)} said nothing in this turn; the speech is recorded as forfeited.",
                    kind=Kind.INFO)


def warning(seconds_left: float, title: str) -> Outgoing:
    """`1 min left (Pro opening).`"""
    return Outgoing(text=f"{duration(seconds_left)} left ({title}).", kind=Kind.TURN)


def time_up(speaker: m.Participant | None, grace: float) -> Outgoing:
    """Time is up; the grace period starts."""
    return Outgoing(text=f"Time! {name_of(speaker)}, finish your sentence: {duration(grace)} of grace, then the "
                         "next speech begins.", kind=Kind.TURN)


def voting_open(round_row: m.Round, fmt: Format, closes: datetime) -> Outgoing:
    """Speeches are over: vote buttons, and how judges give their ballots."""
    buttons = [Button(f"vote {side} round:{round_row.id}", f"Vote {fmt.side_name(side)}", ButtonStyle.PRIMARY)
               for side in fmt.sides]
    judges = [p for p in round_row.participants if p.role == "judge"]
    judge_hint = (f"\nJudges ({', '.join(name_of(j) for j in judges)}): `/debate judge <winner> [points] "
                  f"round:{round_row.id}`, points per speech in speaking order on {fmt.speaker_scale[0]}–"
                  f"{fmt.speaker_scale[1]}." if judges else "")
    return Outgoing(title=f"{round_title(round_row)}: speeches are over", kind=Kind.ANNOUNCE,
                    text=f"Voting is open until {chat.timestamp(closes)}: one vote per person, debaters can't vote."
                         f"{judge_hint}", buttons=buttons)


def results(round_row: m.Round, fmt: Format, counts: Tally, ranks: dict[str, int],
            points: dict[str, Sequence[float]], clash: str = "") -> Outgoing:
    """The results: winner and why, every tally, each speech's score and the judges' points, and tips."""
    by_id = {p.id: p for p in round_row.participants}

    def line(c: dict[str, float]) -> str:
        return count_line(c, fmt.side_name)

    source_text = {"judges": f"the judges ({line(counts.judges)})",
                   "audience": f"the audience vote ({line(counts.audience)})",
                   "engine": "the bot's scores (no judge ballots or audience votes)"}[round_row.winner_source or "engine"]
    if round_row.winner:
        headline = f"**Winner: {fmt.side_name(round_row.winner)}**, decided by {source_text}."
    else:
        headline = f"**No winner**: a tie on {source_text}."
    if len(fmt.sides) > 2:
        order = sorted(ranks, key=lambda s: ranks[s])
        headline += "\nRanking: " + ", ".join(f"{i + 1}. {fmt.side_name(s)}" for i, s in enumerate(order))
    if sum(counts.judges.values()) or sum(counts.audience.values()):  # every count, not just the deciding one
        headline += f"\nJudges' ballots: {line(counts.judges)} · audience votes: {line(counts.audience)}."
    if clash:
        headline += f"\nThe clash: {clash}"
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
                    text=f"Motion: {motion_line(round_row)}\n{headline}", fields=fields[:25])


def status(round_row: m.Round, fmt: Format, phase: Phase | None, seconds_left: float | None) -> Outgoing:
    """`/debate status`: phase, speaker and time left, the line-up, and join buttons while sign-up is open."""
    lines = [f"Motion: {motion_line(round_row)}", f"Format: {fmt.summary()}",
             f"State: {describe_state(round_row.state)}"]
    if round_row.state in (SCHEDULED, SIGNUP) and round_row.starts_at:
        lines.append(f"Starts {chat.timestamp(round_row.starts_at)}.")
    if phase is not None and round_row.phase_deadline is not None and seconds_left is not None:
        if phase.kind == "prep":
            lines.append(f"Preparation: {duration(max(0, seconds_left))} left.")
        else:
            assert phase.spec is not None
            speaker = speaker_for(round_row, fmt, phase)
            who = f" by {name_of(speaker)}" if speaker else ""
            time_left = (f"{duration(seconds_left)} left (until {chat.timestamp(round_row.phase_deadline)})"
                         if seconds_left > 0 else "in grace time")
            lines.append(f"Speech {phase.number} of {len(fmt.speeches)}: {fmt.speech_title(phase.spec)}{who}, "
                         f"{time_left}.")
    if round_row.state == JUDGING and round_row.phase_deadline:
        lines.append(f"Voting closes {chat.timestamp(round_row.phase_deadline)}.")
    if round_row.state == FINISHED:
        lines.append(f"Winner: {fmt.side_name(round_row.winner) if round_row.winner else 'none (a tie)'} "
                     f"({round_row.winner_source}).")
    fields = [Field(fmt.side_name(s), ", ".join(name_of(p) for p in debaters(round_row, s)) or "—", inline=True)
              for s in fmt.sides]
    others = [p for p in round_row.participants if p.role in ("judge", "audience")]
    if others:
        fields.append(Field("Judges and audience", ", ".join(f"{name_of(p)} ({p.role})" for p in others)))
    buttons = signup_buttons(round_row, fmt) if round_row.state in (SCHEDULED, SIGNUP) else []
    return Outgoing(title=f"Round #{round_row.id}", text="\n".join(lines), fields=fields, buttons=buttons,
                    ephemeral=True)
