"""Helpers for round tests: a shell room that records what it prints, and polling on database state."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import select

from adapters.shell.room import ROOM, ShellRoom
from bot.chat import Incoming, Place, User
from bot.config import Settings
from bot.storage import db
from bot.storage import models as m


class Room:
    """A ShellRoom plus its transcript and a few helpers for tests."""

    def __init__(self, room: ShellRoom) -> None:
        self.room = room
        self.service = room.service
        self.lines: list[str] = []

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def mark(self) -> int:
        return len(self.lines)

    def since(self, mark: int) -> str:
        return "\n".join(self.lines[mark:])

    async def say(self, line: str) -> str:
        """Type a line (as `you`, or `@name: ...`); return what was printed meanwhile."""
        start = self.mark()
        await self.room.line(line)
        return self.since(start)

    async def handle(self, user: str, command: str, *, admin: bool = True, **options: Any) -> list:
        incoming = Incoming(server=ROOM, user=User("shell", user, user, is_admin=admin),
                            place=Place("general"), command=command, options=options)
        return await self.service.handle(incoming)

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

    async def until(self, predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
        """Poll until predicate() is truthy (a generous timeout guards against hangs; no timing is asserted)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            await asyncio.sleep(0.01)
        raise AssertionError(f"timed out waiting for {what}\n--- transcript ---\n{self.text[-4000:]}")

    async def until_speaker(self, round_id: int, name: str, timeout: float = 60.0) -> int:
        """Wait until `name` holds the floor in the round; returns the phase index."""
        from bot.rounds import machine

        def check() -> int | None:
            def inner(session: Any) -> int | None:
                row = session.get(m.Round, round_id)
                phase = machine.current_phase(row)
                if phase is None:
                    return None
                speaker = machine.speaker_for(row, machine.fmt_of(row), phase)
                if speaker is not None and speaker.user.external_id == name:
                    return phase.index + 1  # +1 so phase 0 is truthy
                return None

            return self.query(inner)

        return (await self.until(check, timeout, f"{name}'s turn")) - 1

    async def until_state(self, round_id: int, *states: str, timeout: float = 60.0) -> str:
        return await self.until(lambda: (s := self.round(round_id).state) in states and s, timeout,
                                f"round {round_id} in {states}")


@pytest.fixture
async def room_factory(settings: Settings) -> AsyncIterator[Callable[..., Any]]:
    rooms: list[ShellRoom] = []

    async def factory(time_scale: float = 200.0) -> Room:
        room = ShellRoom(settings.model_copy(update={"time_scale": time_scale}))
        wrapper = Room(room)
        room.write = wrapper.lines.append
        room.messenger.write = wrapper.lines.append
        await room.__aenter__()
        rooms.append(room)
        return wrapper

    yield factory
    for room in rooms:
        await room.__aexit__(None, None, None)
