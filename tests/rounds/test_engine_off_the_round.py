"""The engine's share of a round (the bot's speech, scores, the results) runs outside the round's
transaction and off the timers' path: judging one speech never delays another round's timer, and work
the engine owed when a process died is still done."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

from sqlalchemy import select

from bot.rounds import engine_work
from bot.storage import models as m
from tests.fakes.room import Room


def _rounds(room) -> dict[str, m.Round]:  # type: ignore[no-untyped-def]
    """Practice rounds by the name of the person who started each."""
    def get(session) -> dict[str, m.Round]:  # type: ignore[no-untyped-def]
        out = {}
        for row in session.scalars(select(m.Round).where(m.Round.is_practice.is_(True))):
            creator = session.get(m.User, row.created_by_id)
            out[creator.display_name] = row
            row.speeches  # noqa: B018 (loaded while the session is open)
        return out
    return room.query(get)


def _deadline(room, round_id: int, kind: str, phase_index: int) -> int:  # type: ignore[no-untyped-def]
    return room.query(lambda s: s.scalar(select(m.Deadline.id).where(
        m.Deadline.round_id == round_id, m.Deadline.kind == kind, m.Deadline.phase_index == phase_index,
        m.Deadline.done_at.is_(None))))


async def test_a_slow_engine_step_does_not_delay_another_rounds_timer(room_factory, monkeypatch) -> None:
    room = await room_factory()
    await room.handle("ann", "practice", motion="diplomacy", side="pro")
    await room.handle("bob", "practice", motion="diplomacy", side="pro")
    rounds = _rounds(room)
    ann, bob = rounds["ann"].id, rounds["bob"].id

    held, entered = threading.Event(), threading.Event()
    real_compute = engine_work.compute

    def slow_compute(engine, work):  # type: ignore[no-untyped-def]
        if work.round_id == ann and work.bot is not None:
            entered.set()
            held.wait()  # the engine is still composing ann's bot speech
        return real_compute(engine, work)

    monkeypatch.setattr(engine_work, "compute", slow_compute)
    runtime = room.service.rounds_runtime
    ann_ends, bob_ends = _deadline(room, ann, "phase_end", 0), _deadline(room, bob, "phase_end", 0)
    room.clock.set(rounds["ann"].phase_deadline + timedelta(seconds=20))  # past both speeches and their grace
    try:
        # ann's speech time is over: her timer moves her round to the bot's turn and returns at once
        await asyncio.wait_for(runtime.fire(ann_ends), 60)
        assert await asyncio.to_thread(entered.wait, 60), "the engine step for ann's round never started"
        # ...and while the engine is busy with ann's round, bob's timer still runs in full (the scheduler
        # may have run it already when ann's effects woke it: the clock is past it; a second run does nothing)
        await asyncio.wait_for(runtime.fire(bob_ends), 60)
        now = _rounds(room)
        assert now["bob"].phase_index == 1 and now["bob"].phase_started_at == room.clock.now()
        assert now["ann"].phase_index == 1  # ann's round moved on time too; only the bot's words wait
        bot_speech = next(s for s in now["ann"].speeches if s.phase_index == 1)
        assert bot_speech.text == "" and bot_speech.ended_at is None
    finally:
        held.set()
    await room.clock.settle(room.service)
    for name in ("ann", "bob"):
        row = _rounds(room)[name]
        assert row.phase_index == 2, (name, row.phase_index)  # the bot spoke; the person's closing is next
        bot_speech = next(s for s in row.speeches if s.phase_index == 1)
        assert bot_speech.text and bot_speech.ended_at is not None and bot_speech.score_total is not None
    assert room.text.count("(Debate Bot)") >= 2  # both bot speeches were posted


async def test_work_owed_when_the_step_is_lost_is_done_by_the_sweep(room_factory, monkeypatch) -> None:
    room = await room_factory()
    runtime, clock = room.service.rounds_runtime, room.clock
    lost = {"on": True}
    real_step = runtime._engine_step

    async def maybe_lost(round_id: int) -> None:  # as if the process died right after the round's commit
        if lost["on"]:
            runtime._engine_queue.pop(round_id, None)
            return
        await real_step(round_id)

    monkeypatch.setattr(runtime, "_engine_step", maybe_lost)
    await room.say("/debate practice diplomacy pro")
    row = room.round()
    await room.advance(135)  # the person's opening runs out (120 s and its grace)
    row = room.round(row.id)
    assert row.phase_index == 1 and not next(s for s in row.speeches if s.phase_index == 1).text
    sweeps = 0
    for _ in range(50):
        if room.round(row.id).state == "finished":
            break
        if clock.next_due(room.service) is not None:
            await clock.step(room.service)
            continue
        await runtime.sweep_engine_work()  # too early: the step may still be on its way
        assert not runtime.busy()
        clock.set(clock.now() + timedelta(seconds=31))
        lost["on"] = False
        await runtime.sweep_engine_work()
        await clock.settle(room.service)
        lost["on"] = True
        sweeps += 1
    row = room.round(row.id)
    assert row.state == "finished" and sweeps == 3  # the bot's two speeches and the results
    bot_speeches = [s for s in row.speeches if s.side == "con"]
    assert all(s.text and s.score_total is not None for s in bot_speeches), [(s.text, s.score) for s in bot_speeches]
    assert f"Round #{row.id} results" in room.text


async def test_owed_work_is_resumed_after_a_restart(room_factory, monkeypatch) -> None:
    room = await room_factory()
    runtime = room.service.rounds_runtime
    real_want = runtime.want_engine
    monkeypatch.setattr(runtime, "want_engine", lambda round_ids: None)
    await room.say("/debate practice diplomacy pro")
    row = room.round()
    await room.say("/debate speech We should keep talking: the freeze on missile tests shows that summits work.")
    row = room.round(row.id)
    own = next(s for s in row.speeches if s.phase_index == 0)
    assert own.score == {"pending": True} and own.score_total is None
    monkeypatch.setattr(runtime, "want_engine", real_want)
    await runtime.resume_engine_work()  # what a process does when it takes the lead
    await room.clock.settle(room.service)
    row = room.round(row.id)
    assert row.phase_index == 2
    own = next(s for s in row.speeches if s.phase_index == 0)
    assert own.score_total is not None and "pending" not in own.score
    assert next(s for s in row.speeches if s.phase_index == 1).text


async def test_a_round_runs_with_the_engine_in_a_worker_process(settings, clock) -> None:
    async with Room(settings.model_copy(update={"engine_processes": 1}), clock=clock) as room:
        await room.say("/debate practice diplomacy con")  # the bot opens: its speech comes from the worker
        row = room.round()
        assert row.phase_index == 1, room.text
        opening = next(s for s in row.speeches if s.phase_index == 0)
        assert opening.text and opening.score_total is not None
        assert opening.text in room.text
        await room.say(f"/debate cancel round:{row.id}")
