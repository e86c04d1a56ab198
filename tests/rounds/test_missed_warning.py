"""A warning that fell due while the bot was down is dropped on restart, as the README says (issue 12, item
10): not posted late with the time then left (`LiveRound.warn`)."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.config import Settings
from tests.fakes.clock import VirtualClock
from tests.fakes.room import Room

TINY = {"key": "tiny", "name": "Tiny", "grace_seconds": 5, "warnings": [30],
        "speeches": [{"side": "pro", "kind": "opening", "seconds": 60},
                     {"side": "con", "kind": "opening", "seconds": 60}]}


async def test_a_warning_due_while_the_bot_was_down_is_dropped(settings: Settings) -> None:
    clock = VirtualClock()
    async with Room(settings, clock=clock) as room:
        await room.say(f"/debate config add_format '{json.dumps(TINY)}'")
        await room.say("/debate practice diplomacy pro format:tiny")
        round_id = room.round().id
        await room.until_speaker(round_id, "you")
        started = clock.now()
    # down from the start of the 60-second speech until 35 s into it: the 30-seconds-left warning fell due at 30 s
    clock.set(started + timedelta(seconds=35))
    async with Room(settings, clock=clock) as again:
        mark = again.mark()
        await again.advance(1)
        posted = again.since(mark)
    assert " left (" not in posted, posted
