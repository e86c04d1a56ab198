"""The real discord.py bot against the fake Discord: slash commands, sync, buttons, a modal, messages."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.discord.client import DebateBot
from adapters.discord.runner import sync_commands
from bot import chat, commands
from bot.chat import Button, ButtonStyle, Incoming, Kind, Outgoing, Place
from bot.config import Settings
from tests.fakes.discord_fake import DEFERRED_MESSAGE, EPHEMERAL, MESSAGE, MODAL, FakeDiscord


def capture(bot: DebateBot, monkeypatch: pytest.MonkeyPatch, reply: Any = None) -> list[Incoming]:
    """Record what the adapter hands the core, answering with `reply(incoming)` (default: nothing)."""
    seen: list[Incoming] = []

    async def handle(incoming: Incoming) -> list[Outgoing]:
        seen.append(incoming)
        return reply(incoming) if reply else []

    monkeypatch.setattr(bot.service, "handle", handle)
    return seen


async def test_sync_sends_the_generated_group_to_the_guild(discord_settings: Settings, fake: FakeDiscord,
                                                           redirect_points: None) -> None:
    lines = await sync_commands(discord_settings)
    assert lines == [f"synced 1 command(s) (/debate; {len(commands.COMMANDS)} subcommands) to guild {fake.guild_id}"]
    (group,) = fake.commands[fake.guild_id]
    assert group["name"] == "debate" and group.get("contexts") in (None, [0])  # guild only
    subs = {s["name"]: s for s in group["options"]}
    assert list(subs) == [c.name for c in commands.COMMANDS]
    for command in commands.COMMANDS:
        sub = subs[command.name]
        assert sub["type"] == 1 and len(sub["description"]) <= 100
        by_name = {o["name"]: o for o in sub["options"]}
        assert set(by_name) == {o.name for o in command.options}
        required = [o["required"] for o in sub["options"]]
        assert required == sorted(required, reverse=True), "Discord wants required options first"
        for option in command.options:
            synced = by_name[option.name]
            assert synced["type"] == {"str": 3, "int": 4, "user": 6}[option.type]
            assert synced["required"] == option.required
            assert [c["value"] for c in synced.get("choices", [])] == list(option.choices)
            assert synced.get("autocomplete", False) == bool(option.autocomplete and not option.choices)
            if option.min_value is not None:
                assert synced["min_value"] == option.min_value
    assert ("GET", "/gateway/bot") not in fake.requests


async def test_help_answers_with_an_ephemeral_embed(bot: DebateBot, fake: FakeDiscord) -> None:
    record = await (await fake.slash("help")).wait_response()
    assert record.response_type == MESSAGE
    assert record.response_data["flags"] & EPHEMERAL
    (message,) = record.replies
    text = fake.text_of(message)
    assert message["embeds"][0]["title"] == "Debate bot"
    for command in commands.COMMANDS:
        assert f"/debate {command.name}" in text
    assert message["pings"] == [] and not fake.unhandled


async def test_help_for_one_command_and_unknown_command(bot: DebateBot, fake: FakeDiscord) -> None:
    record = await (await fake.slash("help", {"command": "practice"})).wait_response()
    assert "Usage: `/debate practice" in fake.text_of(record.replies[0])
    record = await (await fake.slash("help", {"command": "@everyone"}, user="bob")).wait_response()
    (reply,) = record.replies
    assert reply["flags"] & EPHEMERAL and "no command" in fake.text_of(reply)
    assert reply["pings"] == []


async def test_motions_lists_the_articles_motions(bot: DebateBot, fake: FakeDiscord) -> None:
    record = await (await fake.slash("motions", user="bob")).wait_response()
    assert record.response_type == DEFERRED_MESSAGE  # may load the engine: deferred first
    (reply,) = await record.wait_replies(1)
    assert reply["embeds"][0]["title"] == "Motions" and not reply["flags"] & EPHEMERAL
    assert len(reply["embeds"][0]["fields"]) >= 1


async def test_leaderboard_on_a_new_server(bot: DebateBot, fake: FakeDiscord) -> None:
    record = await (await fake.slash("leaderboard", {"pool": "people"}, user="carol")).wait_response()
    (reply,) = await record.wait_replies(1)
    assert "Leaderboard" in fake.text_of(reply)
    assert "0 rated rounds" in fake.text_of(reply)


async def test_admin_commands_refuse_non_admins(bot: DebateBot, fake: FakeDiscord,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    record = await (await fake.slash("cancel", {"round": 1}, user="bob")).wait_response()
    (reply,) = record.replies
    assert reply["flags"] & EPHEMERAL and "admins only" in fake.text_of(reply)
    seen = capture(bot, monkeypatch)
    await (await fake.slash("cancel", {"round": 1}, user="alice")).wait_response()
    await (await fake.slash("cancel", {"round": 1}, user="bob")).wait_response()
    assert [i.user.is_admin for i in seen] == [True, False]


async def test_wrong_types_and_out_of_range_get_an_ephemeral_explanation(bot: DebateBot, fake: FakeDiscord) -> None:
    record = await (await fake.slash("status", {"round": "twelve"}, user="bob")).wait_response()
    assert record.response_data["flags"] & EPHEMERAL
    assert "whole number" in fake.text_of(record.replies[0])
    record = await (await fake.slash("status", {"round": 0}, user="bob")).wait_response()
    assert record.response_data["flags"] & EPHEMERAL and "at least 1" in fake.text_of(record.replies[0])
    record = await (await fake.slash("join", {"role": "referee"}, user="bob")).wait_response()
    (reply,) = record.replies
    assert reply["flags"] & EPHEMERAL and "must be one of" in fake.text_of(reply)


async def test_options_reach_the_core_typed(bot: DebateBot, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = capture(bot, monkeypatch, lambda i: [Outgoing(text="ok")])
    await (await fake.slash("join", {"role": "con", "round": 7}, user="bob")).wait_response()
    await (await fake.slash("stats", {"user": "@carol"}, user="bob")).wait_response()
    join, stats = seen
    assert join.command == "join" and join.options == {"role": "con", "round": 7}
    assert join.server == chat.Server("discord", fake.guild_id, "Debate Club")
    assert join.user.external_id == fake.users["bob"]["id"] and join.user.display_name == "Bob"
    assert join.place == Place(fake.general) and join.event_id and join.event_id.startswith("i")
    assert stats.options == {"user": fake.users["carol"]["id"]}


async def test_slow_command_defers_then_edits_and_errors_stay_private(bot: DebateBot, fake: FakeDiscord,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([[Outgoing(title="Practice", text="Round 1 starts", kind=Kind.ANNOUNCE),
                     Outgoing(text="and a second message")],
                    [Outgoing(text="No such motion", kind=Kind.ERROR, ephemeral=True)]])
    capture(bot, monkeypatch, lambda i: next(answers))
    record = await (await fake.slash("practice", {"motion": "diplomacy"})).wait_response()
    assert record.response_type == DEFERRED_MESSAGE
    first, second = await record.wait_replies(2)
    assert first["id"] == record.original_id and first["embeds"][0]["title"] == "Practice"
    assert second["content"] == "and a second message"
    record = await (await fake.slash("practice", {"motion": "nonsense"})).wait_response()
    (reply,) = await record.wait_replies(1)
    assert reply["flags"] & EPHEMERAL and reply["content"] == "No such motion"
    assert fake.messages[record.original_id]["deleted"]  # the public "thinking…" message is gone


async def test_replies_for_another_place_go_there_with_the_bot_token(bot: DebateBot, fake: FakeDiscord,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    thread = await bot.messenger.open_thread(chat.Server("discord", fake.guild_id), Place(fake.general), "Round 5")
    assert thread.channel_id == fake.general and thread.thread_id in fake.channels
    assert fake.channels[thread.thread_id]["type"] == 11 and fake.channels[thread.thread_id]["name"] == "Round 5"
    capture(bot, monkeypatch, lambda i: [Outgoing(text="Opened a thread"),
                                         Outgoing(title="Round 5", text="Welcome", place=thread, kind=Kind.ANNOUNCE)])
    record = await (await fake.slash("start")).wait_response()
    await record.wait_replies(1)
    await fake.wait_for(lambda: fake.channel_messages(thread.thread_id))
    (posted,) = fake.channel_messages(thread.thread_id)
    assert posted["embeds"][0]["title"] == "Round 5" and "interaction_metadata" not in posted


async def test_messenger_send_edit_and_image(bot: DebateBot, fake: FakeDiscord) -> None:
    server = chat.Server("discord", fake.guild_id)
    message_id = await bot.messenger.send(server, Place(fake.general), Outgoing(
        title="Stats", text="chart", image=chat.Image("chart.png", b"\x89PNG fake"), kind=Kind.RESULTS))
    message = fake.messages[message_id]
    assert message["attachments"][0]["filename"] == "chart.png"
    assert fake.files[message["attachments"][0]["id"]] == b"\x89PNG fake"
    assert message["embeds"][0]["image"]["url"] == "attachment://chart.png"
    await bot.messenger.edit(server, Place(fake.general), message_id, Outgoing(text="edited"))
    assert fake.messages[message_id]["content"] == "edited" and fake.messages[message_id]["edits"] == 1


async def test_button_click_becomes_the_buttons_command(bot: DebateBot, fake: FakeDiscord) -> None:
    server = chat.Server("discord", fake.guild_id)
    message_id = await bot.messenger.send(server, Place(fake.general), Outgoing(
        text="Need help?", buttons=[Button("help practice", "How to practise", ButtonStyle.PRIMARY)]))
    record = await (await fake.click(fake.messages[message_id], "dbt:help practice", user="bob")).wait_response()
    (reply,) = record.replies
    assert "Usage: `/debate practice" in fake.text_of(reply) and reply["flags"] & EPHEMERAL


async def test_button_click_with_no_reply_is_acknowledged(bot: DebateBot, fake: FakeDiscord,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    seen = capture(bot, monkeypatch)
    server = chat.Server("discord", fake.guild_id)
    message_id = await bot.messenger.send(server, Place(fake.general), Outgoing(
        text="Round 12", buttons=[Button("vote pro round:12", "Vote pro")]))
    record = await (await fake.click(fake.messages[message_id], "dbt:vote pro round:12", user="carol")).wait_response()
    assert record.response_type == 6  # deferred update: no new message
    assert seen[0].action_id == "vote pro round:12" and seen[0].user.display_name == "Carol"


async def test_form_button_opens_a_modal_and_its_submit_is_a_speech(bot: DebateBot, fake: FakeDiscord,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    seen = capture(bot, monkeypatch, lambda i: [Outgoing(text="Speech received", kind=Kind.SUCCESS)])
    server = chat.Server("discord", fake.guild_id)
    message_id = await bot.messenger.send(server, Place(fake.general), Outgoing(
        text="Your turn", buttons=[Button("speech", "Submit a speech", opens_form=True)]))
    record = await (await fake.click(fake.messages[message_id], "dbf:speech", user="bob")).wait_response()
    assert record.response_type == MODAL and not seen
    modal = record.response_data
    assert modal["custom_id"] == "dbm:speech"
    (text_input,) = [c for row in modal["components"] for c in row["components"]]
    assert text_input["style"] == 2 and text_input["max_length"] == 4000
    speech = "Sanctions work. " * 100
    record = await (await fake.submit_modal("dbm:speech", {"text": speech}, user="bob")).wait_response()
    (reply,) = await record.wait_replies(1)
    assert reply["content"] == "Speech received"
    assert seen[0].command == "speech" and seen[0].options == {"text": speech}


async def test_messages_in_a_thread_reach_the_core_as_chat(bot: DebateBot, fake: FakeDiscord,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    seen = capture(bot, monkeypatch, lambda i: [Outgoing(text="Noted " + chat.user_text(i.text))])
    thread = await bot.messenger.open_thread(chat.Server("discord", fake.guild_id), Place(fake.general), "Round 9")
    await fake.say("My first argument @everyone", user="bob", channel_id=thread.thread_id)
    await fake.wait_for(lambda: len(fake.channel_messages(thread.thread_id)) >= 2)
    (incoming,) = seen  # the bot's own reply is not fed back
    assert incoming.is_message and incoming.text == "My first argument @everyone"
    assert incoming.place == thread and not incoming.user.is_admin
    reply = fake.channel_messages(thread.thread_id)[-1]
    assert reply["author"]["id"] == fake.bot_user["id"] and reply["pings"] == []


async def test_motion_autocomplete(bot: DebateBot, fake: FakeDiscord) -> None:
    choices = await fake.autocomplete("practice", "motion", "")
    assert choices and all(len(c["name"]) <= 100 for c in choices)
    some = choices[0]["name"].split(":", 1)[1].split()[1]
    narrowed = await fake.autocomplete("practice", "motion", some)
    assert narrowed and all(some.lower() in c["name"].lower() for c in narrowed)


async def test_format_and_round_autocomplete(bot: DebateBot, fake: FakeDiscord) -> None:
    formats = await fake.autocomplete("practice", "format", "")
    assert formats and all(isinstance(c["value"], str) for c in formats)
    record = await (await fake.slash("start", {"motion": "diplomacy"})).wait_response()
    await record.wait_replies(1)
    rounds = await fake.autocomplete("join", "round", "")
    assert rounds and all(isinstance(c["value"], int) for c in rounds)
