"""Button clicks, forms from buttons, Events API callbacks (mentions, bot messages, edits, retries),
the Home tab, and Socket Mode."""

from __future__ import annotations

import asyncio

from pydantic import SecretStr

from adapters.slack.app import SlackAdapter
from bot.config import Settings
from tests.fakes import slack_client as sc
from tests.fakes.slack_fake import BOT_USER_ID, SlackFake
from tests.slack.conftest import SlackHarness, slack_settings


async def test_button_click_runs_the_command_in_its_value(slack: SlackHarness) -> None:
    status, _ = await slack.click("help vote")
    assert status == 200
    call = await slack.fake.wait_call("response_url", "/debate vote")
    assert call.params["response_type"] == "ephemeral" and call.params.get("replace_original") is False


async def test_form_button_opens_a_modal_then_sends_the_command(slack: SlackHarness) -> None:
    await slack.click("speech", action_id="form:speech", thread_ts="1700000000.000100")
    view = (await slack.fake.wait_call("views.open")).params["view"]
    text_input = next(b for b in view["blocks"] if b.get("block_id") == "opt:text")
    assert text_input["element"]["type"] == "plain_text_input" and text_input["element"]["multiline"]
    assert text_input["element"]["max_length"] <= 3000
    start = len(slack.fake.calls)
    status, _ = await slack.submit(view, {"text": "Talks <!here> beat sanctions"})
    assert status == 200
    await slack.idle()
    replies = [c for c in slack.fake.calls[start:] if c.method.startswith("chat.")]
    assert replies, "the speech command was handled and answered"
    assert replies[0].params.get("thread_ts") == "1700000000.000100", "answered in the round's thread"
    assert all("<!here>" not in c.blocks_text() for c in replies)


async def test_mention_runs_a_command_and_a_retry_does_not_repeat_it(slack: SlackHarness) -> None:
    event = sc.message_event(f"<@{BOT_USER_ID}> help", user="U0ALICE")
    event["type"] = "app_mention"
    assert (await slack.event(event, event_id="EvMENTION1"))[0] == 200
    await slack.fake.wait_call("chat.postEphemeral", "Debate bot commands")
    status, _ = await slack.event(event, event_id="EvMENTION1", headers={"X-Slack-Retry-Num": "1",
                                                                         "X-Slack-Retry-Reason": "http_timeout"})
    assert status == 200
    await slack.idle()
    assert len(slack.fake.of("chat.postEphemeral")) == 1


async def test_bot_messages_edits_and_own_mentions_are_ignored(slack: SlackHarness) -> None:
    events = [
        sc.message_event("I am a bot", bot_id="B0OTHER", subtype="bot_message"),
        sc.message_event("edited", subtype="message_changed", message={"text": "new"}, previous_message={}),
        sc.message_event(f"<@{BOT_USER_ID}> help"),  # handled by the app_mention event instead
    ]
    for event in events:
        assert (await slack.event(event))[0] == 200
    await slack.idle()
    assert not [c for c in slack.fake.calls if c.method.startswith(("chat.", "users."))]


async def test_home_tab_shows_the_leaderboard_and_own_stats(slack: SlackHarness) -> None:
    event = {"type": "app_home_opened", "user": "U0ALICE", "channel": "D0ALICE", "tab": "home"}
    assert (await slack.event(event))[0] == 200
    call = await slack.fake.wait_call("views.publish")
    assert call.params["user_id"] == "U0ALICE"
    view = call.params["view"]
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    text = call.blocks_text().lower()
    assert "leaderboard" in text and "stats" in text
    assert not any(b["type"] == "actions" for b in view["blocks"])


async def test_socket_mode_receives_envelopes_and_acks_them(settings: Settings, slack_fake: SlackFake) -> None:
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    adapter = SlackAdapter(slack_settings(settings, slack_fake, slack_app_token=SecretStr("xapp-test")))
    await adapter.start()
    handler = AsyncSocketModeHandler(adapter.app, "xapp-test", web_client=adapter.client)
    try:
        await handler.connect_async()
        body = dict(pair.split("=", 1) for pair in sc.slash_body("help")[0].split("&"))
        from urllib.parse import unquote_plus

        payload = {k: unquote_plus(v) for k, v in body.items()} | {"response_url": slack_fake.response_url()}
        slack_fake.push_envelope({"envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True,
                                  "payload": payload})
        await slack_fake.wait_call("response_url", "Debate bot commands")
        await slack_fake.wait_for(lambda calls: any(c.method == "socket_ack" for c in calls))
        assert slack_fake.socket_acks[0]["envelope_id"] == "env-1"
        assert slack_fake.of("apps.connections.open")[0].token == "xapp-test"
    finally:
        await handler.close_async()
        await asyncio.sleep(0.05)
        await adapter.stop()
