"""The bad-input corpus through the shell (issue 12): every line gets a clear reply, nothing is logged as
an error, and the database is unchanged. The Slack and Discord runs are in tests/slack and tests/discord."""

from __future__ import annotations

import logging

import pytest

from adapters.shell.room import ShellRoom
from bot.config import Settings
from bot.storage import db
from tests.fakes import bad_inputs

SHELL_ONLY = ("/wait inf", "/wait nan", "/wait -1", "/wait 1e400", "/wait 1 2", "/nosuch", "/", "@__bot__: hello",
              "@__bot__: /debate practice", "/debate\x00", "/debate help \x1b[31mred\x1b[0m")
# chat with no round running: silence is the right answer, but never an error
CHAT = ("@: hi", "@" + "a" * 40 + ": hi", "\ufffd\ufffd bytes", "<!channel> \u202e hello", "x" * 5000)


def test_the_corpus_is_big_enough() -> None:
    assert len(bad_inputs.corpus()) >= 200


async def test_bad_input_through_the_shell(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    lines: list[str] = []
    async with ShellRoom(settings, write=lines.append) as room:
        room.messenger.write = lines.append
        await room.line("/debate status")  # creates the server, settings and user rows, which are valid
        with db.transaction(room.service.sessions) as session:
            before = bad_inputs.snapshot(session)
        silent: list[str] = []
        for line in [*(f"/debate {text}" for text in bad_inputs.corpus()), *SHELL_ONLY]:
            start = len(lines)
            await room.line(line)
            reply = "\n".join(lines[start:])
            if not bad_inputs.is_clear(reply):
                silent.append(f"{line[:80]!r} -> {reply[:200]!r}")
        for line in CHAT:
            start = len(lines)
            await room.line(line)
            assert "Something went wrong" not in "\n".join(lines[start:])
        with db.transaction(room.service.sessions) as session:
            after = bad_inputs.snapshot(session)
    assert not silent, "\n".join(silent)
    assert after == before
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [f"{r.name}: {r.getMessage()[:200]}" for r in errors]
