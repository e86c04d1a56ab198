"""Discord: round ids beyond the database's range, and a DEBUG log without tokens (issue 12)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from adapters.discord.client import DebateBot
from adapters.discord.render import ACTION_PREFIX
from bot import logs
from bot.config import Settings
from tests.fakes.discord_fake import FakeDiscord

LIBRARIES = ("discord", "aiohttp", "asyncio", "apscheduler")
HUGE = (2**31, 2**53, 2**63 + 1)


async def forged_click(fake: FakeDiscord, custom_id: str, user: str = "alice"):  # type: ignore[no-untyped-def]
    """A button click whose custom_id the bot never sent (an old or forged message)."""
    message = {"id": fake.snowflake(), "channel_id": fake.general, "components": [], "content": "x",
               "author": fake.bot_user, "embeds": [], "flags": 0, "type": 0}
    payload = fake._interaction_payload(3, {"custom_id": custom_id, "component_type": 2}, user, fake.general,
                                        message=message)
    return await fake._send_interaction(payload)


async def test_round_ids_beyond_the_database_range_get_no_such_round(bot: DebateBot, fake: FakeDiscord,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    records = [await fake.slash("status", {"round": HUGE[0]}), await fake.slash("vote", {"side": "pro",
                                                                                         "round": HUGE[1]}),
               await fake.slash("leave", {"round": HUGE[2]}),
               await forged_click(fake, f"{ACTION_PREFIX}leave round:{HUGE[0]}"),
               await forged_click(fake, f"{ACTION_PREFIX}join pro round:{HUGE[2]}")]
    for record in records:
        await record.wait_response()
        (reply,) = await record.wait_replies(1)
        text = fake.text_of(reply)
        assert "There is no round #" in text and "Something went wrong" not in text, text
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.fixture
def debug_log(discord_settings: Settings) -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {name: logging.getLogger(name).level for name in LIBRARIES}
    stream = io.StringIO()
    logs.configure("DEBUG", logs.settings_secrets(discord_settings), stream=stream)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


async def test_no_bot_or_interaction_token_in_a_debug_log(debug_log: io.StringIO, bot: DebateBot,
                                                          fake: FakeDiscord) -> None:
    records = [await fake.slash("help"), await fake.slash("status", {"round": 5}),
               await forged_click(fake, f"{ACTION_PREFIX}status")]
    for record in records:
        await record.wait_response()
    await fake.say("my private speech text")
    text = debug_log.getvalue()
    assert "DEBUG discord" in text, "discord.py did log at DEBUG"
    assert fake.token not in text
    for record in records:
        assert record.token not in text, f"interaction token {record.token} is in the log"
