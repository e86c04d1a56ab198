"""Discord's 429 and 5xx answers, through discord.py's own HTTP client against the fake (issue 12).

The bot's speech ("Speech 2 of 6") is the post the fake refuses. discord.py waits out a 429's `retry_after`
(1 s here) and retries a 500 after 1 s; the post is delivered once, in its place among the round's posts.
A 503 is not retried by discord.py (only 500, 502, 504 and 524 are): it costs that one post and one log line,
never the round or the stored speech. No assertion is on how long anything took.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select

from adapters.discord.client import DebateBot
from bot.storage import db
from bot.storage import models as m
from tests.discord.test_rounds import fast_bot, next_turn, speak_with_form  # noqa: F401 - the fixture
from tests.fakes.discord_fake import CREATE_MESSAGE, FakeDiscord

OPENING = ("Trump's personal diplomacy with Kim is the only channel that has produced results: no nuclear tests "
           "and no missile launches since the talks began.")
BOT_SPEECH = "Speech 2 of 6"  # the title of the bot's speech, the post the fake refuses
NEXT_TURN = "Speech 3 of 6"


async def practice_thread(fake: FakeDiscord) -> tuple[str, dict[str, Any], str]:
    """A practice round (pro against the bot): its thread and the first turn's form button."""
    record = await (await fake.slash("practice", {"motion": "diplomacy", "side": "pro"})).wait_response()
    await record.wait_replies(1)
    await fake.wait_for(lambda: fake.threads(), timeout=10)
    (thread,) = fake.threads()
    message, custom_id = await next_turn(fake, thread["id"], 1)
    return thread["id"], message, custom_id


def thread_texts(fake: FakeDiscord, thread_id: str) -> list[str]:
    """The bot's posts in the thread, in the order the fake received them."""
    return [fake.text_of(msg) for msg in fake.channel_messages(thread_id) if msg["author"]["id"] == fake.bot_user["id"]]


def speeches(bot: DebateBot) -> tuple[m.Round, list[m.Speech]]:
    with db.transaction(bot.service.sessions) as session:
        row = session.scalars(select(m.Round).order_by(m.Round.id.desc())).first()
        assert row is not None
        return row, sorted(row.speeches, key=lambda s: s.phase_index)


@pytest.mark.parametrize("status", [429, 500])
async def test_a_refused_post_is_retried_and_delivered_once_in_order(fast_bot: DebateBot,  # noqa: F811
                                                                    fake: FakeDiscord, status: int) -> None:
    thread_id, message, custom_id = await practice_thread(fake)
    fake.fail_next(status=status, retry_after=1.0, contains=BOT_SPEECH)
    await speak_with_form(fake, thread_id, message, custom_id, OPENING)
    await next_turn(fake, thread_id, 2)  # the turn after the bot's speech

    (refused,) = fake.refused  # exactly one refusal, as asked
    assert refused["status"] == status and refused["path"] == f"/channels/{thread_id}/messages"
    assert refused["user_agent"].startswith("DiscordBot "), "sent by discord.py's HTTP client, not around it"
    texts = thread_texts(fake, thread_id)
    retried = [i for i, text in enumerate(texts) if BOT_SPEECH in text]
    assert len(retried) == 1, "the refused post was delivered exactly once"
    first_turn = next(i for i, text in enumerate(texts) if "Speech 1 of 6" in text)
    next_post = next(i for i, text in enumerate(texts) if NEXT_TURN in text)
    assert first_turn < retried[0] < next_post, "it kept its place: nothing overtook it"
    assert len(set(texts)) == len(texts), "no post went out twice"
    row, stored = speeches(fast_bot)
    assert row.state == "running" and stored[0].text == OPENING and stored[1].text


async def test_an_error_discord_py_does_not_retry_costs_one_post_and_one_log_line(
        fast_bot: DebateBot, fake: FakeDiscord, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    thread_id, message, custom_id = await practice_thread(fake)
    fake.fail_next(status=503, contains=BOT_SPEECH, path=CREATE_MESSAGE)
    with caplog.at_level(logging.WARNING):
        await speak_with_form(fake, thread_id, message, custom_id, OPENING)
        await next_turn(fake, thread_id, 2)  # the round goes on

    assert [r["status"] for r in fake.refused] == [503]
    assert not any(BOT_SPEECH in text for text in thread_texts(fake, thread_id))
    lines = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    line: Any = lines[0]
    assert line.exc_info is None and "\n" not in line.getMessage()
    assert "could not post a round message" in line.getMessage()
    assert "Discord answered HTTP 503" in line.getMessage()
    row, stored = speeches(fast_bot)
    assert line.round == row.id
    assert row.state == "running" and stored[0].text == OPENING
    refused_text = FakeDiscord.text_of(fake.refused[0]["body"])
    assert stored[1].text and stored[1].text.split()[0] in refused_text, \
        "the bot's speech is stored although its post was lost"
