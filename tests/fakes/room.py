"""The shell room driver: the real shell adapter on a virtual clock, with its transcript.

    async with Room(settings) as room:
        await room.say("/debate practice diplomacy pro")
        await room.until_speaker(round_id, "you")      # runs timers until it is your turn
        await room.advance(60)                          # a minute passes

Every timer runs because the test moved the clock, never because real time passed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from adapters.shell.room import ShellRoom
from bot.config import Settings
from bot.storage import db
from bot.storage import models as m
from tests.fakes.clock import VirtualClock
from tests.fakes.incoming import PLACE, incoming


class Room:
    """A ShellRoom on a virtual clock, plus its transcript and a few helpers for tests."""

    def __init__(self, settings: Settings, *, clock: VirtualClock | None = None, time_scale: float = 1.0) -> None:
        self.clock = clock or VirtualClock()
        self.lines: list[str] = []
        self.shell = ShellRoom(settings.model_copy(update={"time_scale": time_scale}), write=self.lines.append,
                               clock=self.clock, wait=lambda seconds: self.clock.advance(seconds, self.service))
        self.service = self.shell.service

    async def __aenter__(self) -> Room:
        await self.shell.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.clock.settle(self.service)
        await self.shell.__aexit__(*exc)

    # -- transcript --------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def mark(self) -> int:
        return len(self.lines)

    def since(self, mark: int) -> str:
        return "\n".join(self.lines[mark:])

    # -- input -------------------------------------------------------------------------------------
    async def say(self, line: str) -> str:
        """Type a line (as `you`, or `@name: ...`); return what was printed until the room was idle."""
        start = self.mark()
        await self.shell.line(line)
        await self.clock.settle(self.service)
        return self.since(start)

    async def handle(self, user: str, command: str, *, admin: bool = True, **options: Any) -> list:
        """Send a command straight to the service, as `user` on the shell room's server."""
        from adapters.shell.room import ROOM

        event = incoming(command, user, admin=admin, server=ROOM, place=PLACE, display_name=user, **options)
        replies = await self.service.handle(event)
        await self.clock.settle(self.service)
        return replies

    # -- time --------------------------------------------------------------------------------------
    async def advance(self, debate_seconds: float) -> None:
        """Let this many debate seconds pass (scaled by the room's time scale), running due timers."""
        await self.clock.advance(debate_seconds / self.service.time_scale, self.service)

    async def until(self, predicate: Callable[[], Any], what: str = "condition", **_: Any) -> Any:
        """Run timers one by one until predicate() is truthy."""
        return await self.clock.until(predicate, self.service, what=what,
                                      context=lambda: f"--- transcript ---\n{self.text[-4000:]}")

    async def until_speaker(self, round_id: int, name: str, **_: Any) -> int:
        """Run timers until `name` holds the floor in the round; returns the phase index."""
        from bot.rounds import live
        from bot.rounds.lineup import speaker_for

        def check() -> int | None:
            def inner(session: Any) -> int | None:
                row = session.get(m.Round, round_id)
                phase = live.current_phase(row)
                if phase is None:
                    return None
                speaker = speaker_for(row, live.fmt_of(row), phase)
                if speaker is not None and speaker.user.external_id == name:
                    return phase.index + 1  # +1 so phase 0 is truthy
                return None

            return self.query(inner)

        return (await self.until(check, f"{name}'s turn")) - 1

    async def until_state(self, round_id: int, *states: str, **_: Any) -> str:
        return await self.until(lambda: (s := self.round(round_id).state) in states and s,
                                f"round {round_id} in {states}")

    async def fire(self, deadline_id: int) -> None:
        """Run one deadline's job now (late, early or twice, as a test pleases), then wait for its posts."""
        await self.service.rounds_runtime.fire(deadline_id)
        await self.clock.settle(self.service)

    def later(self, seconds: float) -> Any:
        return self.clock.now() + timedelta(seconds=seconds)

    # -- database ----------------------------------------------------------------------------------
    def query(self, fn: Callable[[Any], Any]) -> Any:
        with db.transaction(self.service.sessions) as session:
            return fn(session)

    def round(self, round_id: int | None = None) -> m.Round:
        def get(session: Any) -> m.Round:
            q = select(m.Round).order_by(m.Round.id.desc())
            if round_id is not None:
                q = q.where(m.Round.id == round_id)
            row = session.scalars(q).first()
            assert row is not None, "no round"
            _ = list(row.participants), list(row.speeches)
            return row

        return self.query(get)
