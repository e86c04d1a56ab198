"""Smaller bad-input cases of issue 12 (item 10): dates at the calendar's ends, brace and alias bombs in
`config add_format`, people given as a channel, and the shell's `/wait`, `@__bot__:` and stdin."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from adapters.shell import room as shell
from bot.config import Settings
from bot.storage import db
from bot.storage import models as m


class Transcript:
    def __init__(self, room: shell.ShellRoom) -> None:
        self.room = room
        self.lines: list[str] = []
        room.write = self.lines.append
        room.messenger.write = self.lines.append

    async def say(self, line: str) -> str:
        start = len(self.lines)
        await self.room.line(line)
        return "\n".join(self.lines[start:])

    def snapshot(self) -> dict[str, Any]:
        with db.transaction(self.room.service.sessions) as session:
            counts = {t.__tablename__: session.scalar(select(func.count()).select_from(t))
                      for t in (m.Round, m.Schedule, m.Deadline, m.Participant)}
            settings = session.scalars(select(m.ServerSettings)).all()
            counts["settings"] = sorted((s.channel_id, sorted((s.custom_formats or {}).keys())) for s in settings)
            return counts

    async def refused(self, line: str, *needles: str) -> str:
        before = self.snapshot()
        out = await self.say(line)
        assert "⚠" in out and "Traceback" not in out and "Something went wrong" not in out, out
        for needle in needles:
            assert needle.lower() in out.lower(), out
        assert self.snapshot() == before, f"{line!r} changed the database"
        return out


@pytest.fixture
async def room(settings: Settings) -> AsyncIterator[Transcript]:
    async with shell.ShellRoom(settings) as shell_room:
        yield Transcript(shell_room)


async def test_dates_at_the_ends_of_the_calendar_get_a_clear_error(room: Transcript) -> None:
    await room.say("/debate config timezone Europe/Paris")
    await room.refused('/debate schedule "0001-01-01 00:00" diplomacy', "out of range")
    await room.refused('/debate schedule "9999-12-31T23:59-12:00" diplomacy', "out of range")
    await room.refused('/debate schedule "9999-12-31 23:59" diplomacy', "a year ahead")
    await room.refused('/debate schedule "0001-01-01T00:00+14:00" diplomacy')
    await room.refused('/debate schedule "9999-12-31" diplomacy', "no time of day")


BOMBS = [
    "[" * 1999,
    "{a: " * 390 + "1" + "}" * 390,
    "- " * 990 + "x",
    '{"key": "mini", "name": "Mini", "speeches": ' + "[" * 500 + "]" * 500 + "}",
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b]",
    "key: mini\nname: &n Mini\nspeeches: *n",
]


@pytest.mark.parametrize("bomb", BOMBS, ids=["flow-list", "flow-map", "block-list", "json", "aliases", "alias"])
async def test_format_bombs_are_refused_before_they_are_built(room: Transcript, bomb: str) -> None:
    out = await room.refused(f"/debate config add_format '{bomb}'")
    assert "nested" in out or "aliases" in out or "values" in out, out


async def test_a_real_custom_format_is_still_added(room: Transcript) -> None:
    spec = ('{"key": "mini", "name": "Mini [short]", "speeches": [{"side": "pro", "kind": "opening", '
            '"seconds": 60}, {"side": "con", "kind": "opening", "seconds": 60}]}')
    out = await room.say(f"/debate config add_format '{spec}'")
    assert "Format `mini` added" in out, out


@pytest.mark.parametrize("value", ["<@U0ALICE>", "<@U0ALICE|alice>", "U0ALICE", "W0ALICE", "@alice", "<@!1234567>",
                                   "<@&1234567>", "<!here>", "<!channel>"])
async def test_config_channel_takes_channels_only(room: Transcript, value: str) -> None:
    await room.refused(f"/debate config channel {value}", "is not a channel")


@pytest.mark.parametrize("value,stored", [("#debates", "debates"), ("<#C0DEBATE|debates>", "C0DEBATE"),
                                          ("here", "general"), ("1234567890", "1234567890")])
async def test_config_channel_still_takes_channels(room: Transcript, value: str, stored: str) -> None:
    out = await room.say(f"/debate config channel {value}")
    assert "⚠" not in out, out
    assert room.snapshot()["settings"][0][0] == stored


@pytest.mark.timeout(60)
@pytest.mark.parametrize("arg", ["inf", "-inf", "nan", "-1", "1e309", "99999999", "abc", "1 2"])
async def test_shell_wait_refuses_what_would_hang_or_make_no_sense(room: Transcript, arg: str) -> None:
    out = await room.say(f"/wait {arg}")
    assert "⚠" in out and "Usage: /wait SECONDS" in out, out


def test_shell_wait_still_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    class Service:
        time_scale = 2.0

    fake = shell.ShellRoom.__new__(shell.ShellRoom)  # only what _wait needs
    fake.write, fake.service = (lambda s: None), Service()  # type: ignore[assignment]
    fake._sleep = sleep  # type: ignore[attr-defined]
    monkeypatch.setattr(shell.asyncio, "sleep", sleep)
    asyncio.run(fake._wait("/wait 3"))
    asyncio.run(fake._wait("/wait 0"))
    assert waited == [1.5, 0.0]


@pytest.mark.parametrize("name", ["__bot__", "__admin__", "__x"])
async def test_shell_refuses_speaking_as_the_bot(room: Transcript, name: str) -> None:
    out = await room.refused(f"@{name}: /debate practice diplomacy pro", "reserved")
    assert "Practice round" not in out
    out = await room.refused(f"@{name}: I am the bot now", "reserved")


def test_shell_stdin_with_bytes_that_are_not_utf8_is_read_with_replacement() -> None:
    stream = io.TextIOWrapper(io.BytesIO(b"/debate help\n\xff\xfe hello\n/debate motions\n"), encoding="utf-8",
                              errors="strict")
    assert shell.read_lines(stream) == ["/debate help", "\ufffd\ufffd hello", "/debate motions"]
    assert shell.read_lines(io.StringIO("a\nb")) == ["a", "b"]
