"""The bad-input corpus through discord.py and the fake Discord (issue 12): each slash command gets a clear
reply (the core's refusal, or discord.py's "doesn't fit this option"), nothing is logged as an error, and
the database is unchanged."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from adapters.discord.client import DebateBot
from bot import commands
from bot.storage import db
from tests.fakes import bad_inputs
from tests.fakes.discord_fake import FakeDiscord

_ROUND = re.compile(r"\bround:(\S*)")


def as_slash(line: str) -> tuple[str, dict[str, Any]]:
    """A corpus line as Discord would send it: the subcommand, and its text in the options."""
    words = line.split(maxsplit=1)
    command = commands.BY_NAME.get(words[0].lower()) if words else None
    if command is None:
        return "help", {"command": line[:6000]}
    rest = words[1] if len(words) > 1 else ""
    options: dict[str, Any] = {}
    match = _ROUND.search(rest)
    if match and command.option("round"):
        raw = match.group(1)
        options["round"] = int(raw) if re.fullmatch(r"-?\d{1,30}", raw) else raw  # Discord sends what it gets
        rest = _ROUND.sub("", rest, count=1).strip()
    text_options = [o for o in command.options if o.type == "str" and o.name not in options]
    if rest and text_options:
        first, *others = text_options
        if first.required or not others or not first.choices or rest.split()[0].lower() in first.choices:
            options[first.name] = rest[:6000]
        else:
            options[others[0].name] = rest[:6000]
    for opt in command.options:  # a required option Discord would not let through empty
        if opt.required and opt.name not in options:
            options[opt.name] = "x"
    return command.name, options


def state(bot: DebateBot) -> dict:
    with db.transaction(bot.service.sessions) as session:
        return bad_inputs.snapshot(session)


async def test_bad_input_through_discord(bot: DebateBot, fake: FakeDiscord,
                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    await (await fake.slash("status", user="alice")).wait_response()
    before = state(bot)
    unclear: list[str] = []
    lines = bad_inputs.corpus()
    for line in lines:
        name, options = as_slash(line)
        record = await fake.slash(name, options, user="alice")
        await record.wait_response(timeout=30)
        replies = await record.wait_replies(1, timeout=30)
        text = " ".join(fake.text_of(r) for r in replies)
        if not bad_inputs.is_clear(text):
            unclear.append(f"{line[:60]!r} as /{name} {str(options)[:80]} -> {text[:200]!r}")
        assert all(not r["pings"] for r in replies), (line, replies)
    assert not unclear, "\n".join(unclear)
    assert state(bot) == before
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [f"{r.name}: {r.getMessage()[:200]}" for r in errors]
    assert not fake.unhandled
