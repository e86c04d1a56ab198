"""A scheduled round with three people (two debaters and a judge), recurring schedules and fill policies."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.storage import models as m


async def test_full_scheduled_round_with_three_users(room_factory) -> None:
    room = await room_factory()
    out = await room.say('/debate schedule "in 10m" diplomacy')
    assert "Round #" in out and "scheduled" in out
    round_id = room.round().id
    assert room.round(round_id).state == "signup"
    assert "sign-up is open" in room.text and "join pro round:" in room.text

    assert "joined round" in await room.say("@alice: /debate join pro")
    assert "joined round" in await room.say("@bob: /debate join con")
    assert "as judge" in await room.say("@carol: /debate join judge")
    assert room.round(round_id).state == "signup"  # a scheduled round waits for its time

    await room.until(lambda: "Reminder: Round #" in room.text, what="reminder")
    await room.until_state(round_id, "running")
    assert "begins" in room.text

    lines = {"alice": ["Diplomacy with Kim has stopped the nuclear tests.", "Talks froze the testing.",
                       "Keep talking."],
             "bob": ["Two summits produced nothing new; Hanoi rehashed old offers.", "Hanoi was an embarrassment.",
                     "No sanctions relief until the threat is reduced."]}
    for turn in range(3):
        for name in ("alice", "bob"):
            await room.until_speaker(round_id, name)
            if (turn, name) == (0, "bob"):  # alice's turn is over: she is told her message doesn't count
                assert "not part of your speech" in await room.say("@alice: and one more thing!")
                assert await room.say("@carol: good point, alice") == ""  # audience chat: no reply
            if turn == 2:
                assert "Speech recorded" in await room.say(f"@{name}: /debate speech {lines[name][turn]}")
            else:
                await room.say(f"@{name}: {lines[name][turn]}")
                await room.say(f"@{name}: (more)")
    await room.until_state(round_id, "judging")
    assert "can't vote in your own round" in await room.say("@alice: /debate vote pro")
    out = await room.say(f"@carol: /debate judge con 70,74,71,75,72,76 round:{round_id}")
    assert "Ballot recorded" in out
    await room.until_state(round_id, "finished")

    row = room.round(round_id)
    assert row.winner == "con" and row.winner_source == "judges"
    speeches = sorted(row.speeches, key=lambda s: s.phase_index)
    assert speeches[0].text == "Diplomacy with Kim has stopped the nuclear tests.\n(more)"
    assert speeches[5].text == lines["bob"][2]
    assert "Winner: Con" in room.text and "decided by the judges" in room.text
    assert "Tips for alice" in room.text and "Tips for bob" in room.text
    assert "voting for round" in (await room.say(f"@dave: /debate vote pro round:{round_id}")).lower()


async def test_recurring_schedule_and_cancel(room_factory) -> None:
    room = await room_factory()
    out = await room.say('/debate schedule "every tue 18:00" exercises')
    assert "repeats every tue 18:00" in out
    row = room.round()
    assert row.state == "scheduled" and row.schedule_id is not None
    assert row.starts_at.weekday() == 1 and (row.starts_at.hour, row.starts_at.minute) == (18, 0)
    assert not room.service.pending_work()  # a round days away does not keep a script alive
    out = await room.say(f"/debate cancel round:{row.id}")
    assert "cancelled" in out and "recurring schedule" in out
    schedule = room.query(lambda s: s.get(m.Schedule, row.schedule_id))
    assert not schedule.active


async def test_recurring_schedule_spawns_next_occurrence(room_factory) -> None:
    from datetime import timedelta

    from bot.storage import db

    room = await room_factory()
    await room.say('/debate schedule "every tue 18:00" exercises')
    await room.say("@alice: /debate join pro")
    first = room.round()
    # Pull the occurrence forward so it starts now, as if Tuesday 18:00 had come.
    with db.transaction(room.service.sessions) as session:
        deadline = session.scalars(select(m.Deadline).where(m.Deadline.round_id == first.id,
                                                           m.Deadline.kind == "start")).one()
        row = session.get(m.Round, first.id)
        row.state = "signup"
        now = room.service.clock.now()
        row.starts_at = deadline.due_at = now + timedelta(seconds=1)
        deadline_id = deadline.id
    room.service.rounds_runtime.rearm([deadline_id])
    await room.until_state(first.id, "running", "cancelled")
    await room.until(lambda: room.query(lambda s: s.scalar(select(func.count(m.Round.id)))) == 2, what="next")
    nxt = room.round()
    assert nxt.schedule_id == first.schedule_id and nxt.state == "scheduled" and nxt.starts_at.weekday() == 1
    await room.say(f"/debate cancel round:{first.id}")


async def test_fill_policy_bot_fills_an_empty_side(room_factory) -> None:
    room = await room_factory()
    await room.say('/debate schedule "in 2m" diplomacy')
    await room.say("@alice: /debate join pro")
    round_id = room.round().id
    await room.until_state(round_id, "running")
    assert "Debate Bot takes it" in room.text
    row = room.round(round_id)
    assert any(p.is_bot and p.role == "con" for p in row.participants)
    await room.say(f"/debate cancel round:{round_id}")


async def test_fill_policy_postpone_then_cancel(room_factory) -> None:
    room = await room_factory()
    await room.say("/debate config fill_policy postpone")
    await room.say('/debate schedule "in 1m" diplomacy')
    round_id = room.round().id
    await room.until(lambda: "postponed" in room.text, what="postponement")
    assert room.round(round_id).state == "signup"
    await room.until_state(round_id, "cancelled")
    assert "had no debater" in room.text


async def test_fill_policy_cancel(room_factory) -> None:
    room = await room_factory()
    await room.say("/debate config fill_policy cancel")
    await room.say('/debate schedule "in 1m" diplomacy')
    round_id = room.round().id
    await room.until_state(round_id, "cancelled")
    assert "had no debater" in room.text and "not enough people joined" in room.text


async def test_open_round_starts_when_seats_fill(room_factory) -> None:
    room = await room_factory()
    await room.say("/debate start diplomacy")
    round_id = room.round().id
    await room.say("@alice: /debate join")  # no role: the emptiest side
    await room.say("@bob: /debate join")
    row = room.round(round_id)
    assert row.state == "running"
    assert sorted(p.role for p in row.participants) == ["con", "pro"]
    await room.say(f"/debate cancel round:{round_id}")
    assert room.round(round_id).state == "cancelled"
