"""Chunks of a speech keep Discord's order (the message snowflake), not the order of arrival (issue 12)."""

from __future__ import annotations

from sqlalchemy import select

from adapters.discord.client import DebateBot
from bot.storage import db
from bot.storage import models as m
from tests.discord.test_rounds import fast_bot, next_turn  # noqa: F401 - the fixture
from tests.fakes.discord_fake import FakeDiscord


async def test_messages_delivered_out_of_order_are_stored_in_snowflake_order(fast_bot: DebateBot,  # noqa: F811
                                                                               fake: FakeDiscord) -> None:
    record = await (await fake.slash("practice", {"motion": "diplomacy", "side": "pro"})).wait_response()
    await record.wait_replies(1)
    await fake.wait_for(lambda: fake.threads(), timeout=10)
    (thread,) = fake.threads()
    await next_turn(fake, thread["id"], 1)
    chunks = ["First, talks froze the tests.", "Second, sanctions alone never worked.",
              "Third, the channel must stay open."]
    member = {k: v for k, v in fake.member("alice").items() if k not in ("user", "permissions")}
    messages = [fake._message(thread["id"], {"content": text}, author=fake.users["alice"]) for text in chunks]
    for message in (messages[2], messages[0], messages[1]):  # arrival order: 3, 1, 2
        await fake.dispatch("MESSAGE_CREATE", {**message, "member": member})
        await fast_bot.service.rounds_runtime.idle()
    def speech() -> str:
        with db.transaction(fast_bot.service.sessions) as session:
            return session.scalars(select(m.Speech).where(m.Speech.phase_index == 0)).one().text

    await fake.wait_for(lambda: speech().count("\n") == 2, timeout=30)
    assert speech() == "\n".join(chunks)
