"""Whole rounds through the real discord.py bot and the fake Discord, on a virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from adapters.discord.client import DebateBot
from bot.config import Settings
from tests.discord.conftest import running_bot
from tests.fakes.clock import VirtualClock
from tests.fakes.discord_fake import EPHEMERAL, MODAL, FakeDiscord

ARGUMENT = ("Trump's personal diplomacy with Kim is the only channel that has produced results: no nuclear tests "
            "and no missile launches since the talks began. Walking away would hand the field to hardliners.")


@pytest.fixture
async def fast_bot(discord_settings: Settings, fake: FakeDiscord, redirect_points: None,
                   clock: VirtualClock) -> AsyncIterator[DebateBot]:
    async with running_bot(discord_settings, fake, clock) as client:
        yield client


async def run_timers_until(bot: DebateBot, clock: VirtualClock, predicate: Any) -> None:
    """Move the virtual clock timer by timer until `predicate()` holds on the fake."""
    await clock.until(predicate, bot.service, patience=10.0)


def form_buttons(fake: FakeDiscord, channel_id: str) -> list[tuple[dict[str, Any], str]]:
    return [(m, b["custom_id"]) for m in fake.channel_messages(channel_id) for b in fake.buttons(m)
            if b["custom_id"].startswith("dbf:speech")]


async def next_turn(fake: FakeDiscord, thread_id: str, number: int) -> tuple[dict[str, Any], str]:
    await fake.wait_for(lambda: len(form_buttons(fake, thread_id)) >= number, timeout=30)
    return form_buttons(fake, thread_id)[number - 1]


async def speak_with_form(fake: FakeDiscord, thread_id: str, message: dict[str, Any], custom_id: str,
                          text: str) -> None:
    record = await (await fake.click(message, custom_id)).wait_response()
    assert record.response_type == MODAL
    modal_id = record.response_data["custom_id"]
    record = await (await fake.submit_modal(modal_id, {"text": text}, channel_id=thread_id)).wait_response()
    (reply,) = await record.wait_replies(1)
    assert "Speech recorded" in fake.text_of(reply) and reply["flags"] & EPHEMERAL


async def test_practice_round_with_form_chat_and_slash_speeches(fast_bot: DebateBot, fake: FakeDiscord) -> None:
    record = await (await fake.slash("practice", {"motion": "diplomacy", "side": "pro"})).wait_response()
    (reply,) = await record.wait_replies(1)
    assert reply["embeds"][0]["title"].startswith("Practice round #")
    await fake.wait_for(lambda: fake.threads(), timeout=10)
    (thread,) = fake.threads()
    thread_id = thread["id"]
    assert thread["parent_id"] == fake.general and thread["type"] == 11

    # Speech 1: the whole speech in the modal.
    message, custom_id = await next_turn(fake, thread_id, 1)
    assert message["pings"] == [fake.users["alice"]["id"]]  # only the speaker is pinged
    await speak_with_form(fake, thread_id, message, custom_id, ARGUMENT)

    # Speech 3: chat messages in the thread, then `/debate speech` ends the turn.
    await next_turn(fake, thread_id, 2)
    await fake.say("Hanoi was not a failure: walking away kept the talks alive. @everyone", channel_id=thread_id)
    record = await (await fake.slash("speech", {"text": "And the freeze on tests still holds."},
                                     channel_id=thread_id)).wait_response()
    (reply,) = await record.wait_replies(1)
    assert "Speech recorded" in fake.text_of(reply)

    # Speech 5: the form again.
    message, custom_id = await next_turn(fake, thread_id, 3)
    await speak_with_form(fake, thread_id, message, custom_id, "To close: keep talking, because talking works.")

    await fake.wait_for(lambda: any("results" in (e.get("title") or "") for m in fake.channel_messages(thread_id)
                                    for e in m["embeds"]), timeout=30)
    results = next(m for m in fake.channel_messages(thread_id) for e in m["embeds"] if "results" in (e.get("title") or ""))
    text = fake.text_of(results)
    assert "Pro opening: Alice" in text and "forfeited" not in text.split("Pro opening: Alice")[1].split("\n")[0]
    assert "Pro rebuttal: Alice" in text and "forfeited" not in text.split("Pro rebuttal: Alice")[1].split("\n")[0]
    for message in fake.channel_messages(thread_id):
        if message["author"]["id"] != fake.bot_user["id"]:
            continue  # alice's own chat message
        assert "everyone" not in message["pings"]
        assert all(len(e.get("description") or "") <= 4096 for e in message["embeds"])

    # Stats carry the rating chart as an attached image; the bot pool leaderboard answers.
    record = await (await fake.slash("stats")).wait_response()
    (reply,) = await record.wait_replies(1)
    assert reply["attachments"] and reply["attachments"][0]["filename"].endswith(".png")
    assert fake.files[reply["attachments"][0]["id"]].startswith(b"\x89PNG")
    assert reply["embeds"][0]["image"]["url"] == f"attachment://{reply['attachments'][0]['filename']}"
    record = await (await fake.slash("leaderboard", {"pool": "bot"})).wait_response()
    (reply,) = await record.wait_replies(1)
    assert "rounds against the bot" in fake.text_of(reply) and "1 rated round" in fake.text_of(reply)


async def test_scheduled_round_with_join_buttons_and_votes(fast_bot: DebateBot, fake: FakeDiscord,
                                                           clock: VirtualClock) -> None:
    record = await (await fake.slash("schedule", {"when": "in 1m", "motion": "diplomacy"}, user="bob")).wait_response()
    (reply,) = await record.wait_replies(1)
    assert reply["flags"] & EPHEMERAL and "admins only" in fake.text_of(reply)

    record = await (await fake.slash("schedule", {"when": "in 1m", "motion": "diplomacy"})).wait_response()
    (reply,) = await record.wait_replies(1)
    text = fake.text_of(reply)
    assert "<t:" in text and ":R>" in text  # the start time as a Discord timestamp
    start = int(text.split("<t:")[1].split(":")[0])
    assert start == int((clock.now() + timedelta(seconds=60)).timestamp())

    # The signup message has join buttons; bob and carol join with them.
    def signup() -> list[dict[str, Any]]:
        return [m for m in fake.bot_messages() if any(b["custom_id"].startswith("dbt:join") for b in fake.buttons(m))]

    await fake.wait_for(lambda: signup(), timeout=30)
    message = signup()[-1]
    ids = [b["custom_id"] for b in fake.buttons(message)]
    pro = next(i for i in ids if i.startswith("dbt:join pro"))
    con = next(i for i in ids if i.startswith("dbt:join con"))
    for user, button in (("bob", pro), ("carol", con)):
        record = await (await fake.click(message, button, user=user)).wait_response()
        assert record.response_type in (4, 6)
    audience = next(i for i in ids if i.startswith("dbt:join audience"))
    await (await fake.click(message, audience, user="alice")).wait_response()

    # The round starts by itself in a thread; bob and carol give all six speeches with the form.
    await run_timers_until(fast_bot, clock, lambda: fake.threads() and form_buttons(fake, fake.threads()[-1]["id"]))
    thread_id = fake.threads()[-1]["id"]
    for number in range(1, 7):
        message, custom_id = await next_turn(fake, thread_id, number)
        speaker = "bob" if number % 2 else "carol"
        assert message["pings"] == [fake.users[speaker]["id"]]
        record = await (await fake.click(message, custom_id, user=speaker)).wait_response()
        record = await (await fake.submit_modal(record.response_data["custom_id"], {"text": ARGUMENT}, user=speaker,
                                                channel_id=thread_id)).wait_response()
        (reply,) = await record.wait_replies(1)
        assert "Speech recorded" in fake.text_of(reply)

    # Votes with buttons: the audience votes privately; a debater may not vote.
    def vote_buttons() -> list[tuple[dict[str, Any], str]]:
        return [(m, b["custom_id"]) for m in fake.bot_messages() for b in fake.buttons(m)
                if b["custom_id"].startswith("dbt:vote")]

    await fake.wait_for(lambda: vote_buttons(), timeout=30)
    message, custom_id = next((m, c) for m, c in vote_buttons() if c.startswith("dbt:vote pro"))
    record = await (await fake.click(message, custom_id, user="alice")).wait_response()
    (reply,) = await record.wait_replies(1)
    assert reply["flags"] & EPHEMERAL and "counted" in fake.text_of(reply)
    record = await (await fake.click(message, custom_id, user="bob")).wait_response()
    (reply,) = await record.wait_replies(1)
    assert reply["flags"] & EPHEMERAL and "counted" not in fake.text_of(reply)

    await run_timers_until(fast_bot, clock, lambda: any("results" in (e.get("title") or "")
                                                        for m in fake.channel_messages(thread_id) for e in m["embeds"]))
