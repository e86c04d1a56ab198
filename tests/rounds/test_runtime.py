"""Timers: late, duplicate and stale jobs do the right thing; missed warnings are dropped."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.storage import models as m


async def test_late_duplicate_and_stale_jobs(room_factory) -> None:
    room = await room_factory()
    await room.say("/debate practice diplomacy pro")
    row = room.round()
    deadlines = {d.kind: d for d in room.query(lambda s: s.scalars(
        select(m.Deadline).where(m.Deadline.round_id == row.id, m.Deadline.phase_index == 0)).all())}
    assert set(deadlines) == {"warn_60", "warn_30", "time_up", "phase_end"}
    clock = room.clock

    # As after a restart 95 s into a 120 s speech: both warnings are overdue, so both are dropped (README).
    clock.set(row.phase_started_at + timedelta(seconds=95))
    mark = room.mark()
    await room.fire(deadlines["warn_60"].id)
    await room.fire(deadlines["warn_30"].id)
    await room.fire(deadlines["warn_60"].id)  # a duplicate
    out = room.since(mark)
    assert " left (" not in out, out

    # After time is up but within the 15 s grace, the speaker's messages still count.
    clock.set(row.phase_started_at + timedelta(seconds=125))
    assert await room.say("A last sentence in the grace period.") == ""

    # Past the deadline and grace: the phase ends once; duplicates and the stale time-up say nothing.
    clock.set(row.phase_started_at + timedelta(seconds=136))
    await room.fire(deadlines["phase_end"].id)
    assert room.round(row.id).phase_index == 2  # the bot spoke at once; the user's rebuttal is next
    mark = room.mark()
    await room.fire(deadlines["phase_end"].id)
    await room.fire(deadlines["time_up"].id)
    assert room.since(mark) == ""
    assert room.round(row.id).phase_index == 2
    speech = next(s for s in room.round(row.id).speeches if s.phase_index == 0)
    assert speech.text == "A last sentence in the grace period." and not speech.forfeited
    assert speech.ended_at == clock.at
    await room.say(f"/debate cancel round:{row.id}")


async def test_pending_work_and_scheduler_lock(room_factory) -> None:
    room = await room_factory()
    assert not room.service.pending_work()
    await room.say("/debate practice diplomacy pro")
    assert room.service.pending_work()
    # The job store holds one job per pending deadline, with explicit ids.
    jobs = {j.id for j in room.service.rounds_runtime.scheduler.get_jobs()}
    pending = room.query(lambda s: s.scalars(select(m.Deadline.id).where(m.Deadline.done_at.is_(None))).all())
    assert {f"deadline:{i}" for i in pending} <= jobs
    # A second service of the same platform on the same database does not run a second scheduler...
    other = await room_factory()
    assert other.service.rounds_runtime.scheduler is None
    # ...but another platform's process runs its own scheduler, for its own rounds.
    from adapters.shell.room import ShellMessenger
    from bot.service import DebateService

    slack = DebateService(room.service.settings, ShellMessenger(lambda _: None), platform="slack")
    await slack.start()
    try:
        runtime = slack.rounds_runtime
        assert runtime.scheduler is not None
        assert not [j for j in runtime.scheduler.get_jobs() if j.id.startswith("deadline:")]
        assert not slack.pending_work()  # the shell's practice round is not the Slack process's work
    finally:
        await slack.stop()
    await room.say("/debate cancel")
    assert not room.service.pending_work()


async def test_autocomplete_formats_and_rounds(room_factory) -> None:
    from adapters.shell.room import ROOM

    room = await room_factory()
    formats = room.service.autocomplete(ROOM, "format", "")
    assert ("quick" in [v for _, v in formats]) and any("World Schools" in label for label, _ in formats)
    assert room.service.autocomplete(ROOM, "format", "parl")  # matches on the label
    await room.say("/debate start diplomacy")
    rounds = room.service.autocomplete(ROOM, "round", "")
    assert rounds and rounds[0][1] == room.round().id and "signup" in rounds[0][0]
    await room.say("/debate cancel")
    assert room.service.autocomplete(ROOM, "round", "") == []


async def test_team_rotation_and_crossfire(room_factory) -> None:
    """Public Forum, two per side: speakers take turns in seat order; crossfire is open to every debater,
    labelled by speaker and not scored."""
    room = await room_factory()
    await room.say("/debate start diplomacy pf")
    round_id = room.round().id
    for name, side in (("ann", "pro"), ("cat", "con"), ("ben", "pro"), ("dan", "con")):
        await room.say(f"@{name}: /debate join {side}")
    row = room.round(round_id)
    assert row.state == "running"  # every seat taken: an open round starts at once
    clock = room.clock
    expected = ["ann", "cat", None, "ben", "dan", None, "ann", "cat", None, "ben", "dan"]
    for number, speaker in enumerate(expected):
        row = room.round(round_id)
        assert row.phase_index == number
        if speaker is None:
            await room.say(f"@ann: Question {number}?")
            await room.say(f"@dan: Answer {number}.")
            clock.set(row.phase_deadline + timedelta(seconds=1))
            end = room.query(lambda s, r=row: s.scalars(select(m.Deadline).where(
                m.Deadline.round_id == r.id, m.Deadline.phase_index == r.phase_index,
                m.Deadline.kind == "phase_end")).one())
            await room.fire(end.id)
        else:
            assert "Speech recorded" in await room.say(f"@{speaker}: /debate speech Point {number} from {speaker}.")
    row = room.round(round_id)
    assert row.state == "judging"
    speeches = sorted(row.speeches, key=lambda s: s.phase_index)
    crossfire = speeches[2]
    assert crossfire.side == "both" and crossfire.text == "ann: Question 2?\ndan: Answer 2."
    assert crossfire.score_total is None
    assert speeches[3].text == "Point 3 from ben." and speeches[3].score_total is not None
    await room.say(f"/debate cancel round:{round_id}")
