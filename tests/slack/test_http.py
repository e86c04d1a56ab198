"""The real Bolt app over real HTTP on 127.0.0.1: signatures, slash commands, usage, admins, forms."""

from __future__ import annotations

import time

from tests.fakes import slack_client as sc
from tests.slack.conftest import SECRET, SlackHarness


async def test_help_is_acked_and_answered_ephemerally(slack: SlackHarness) -> None:
    status, _ = await slack.command("/debate help")
    assert status == 200
    call = await slack.fake.wait_call("response_url", "Debate bot commands")
    assert call.params["response_type"] == "ephemeral"
    assert "/debate practice" in call.blocks_text()
    assert slack.fake.of("auth.test"), "Bolt checks the token on its first request"


async def test_forged_expired_and_replayed_requests_get_401_and_change_nothing(slack: SlackHarness) -> None:
    body = sc.slash_body("help", response_url=slack.fake.response_url())
    forged = await sc.post(slack.http, slack.url, "not-the-secret", body)
    expired = await sc.post(slack.http, slack.url, SECRET, body, timestamp=int(time.time()) - 6 * 60)
    headers = sc.sign(SECRET, body[0])
    first = await sc.post(slack.http, slack.url, SECRET, body, headers=headers)
    replay = await sc.post(slack.http, slack.url, SECRET, body, headers=headers)
    assert (forged[0], expired[0], first[0], replay[0]) == (401, 401, 200, 401)
    await slack.fake.wait_call("response_url")
    await slack.idle()
    assert len(slack.fake.of("response_url")) == 1


async def test_unknown_subcommand_gets_the_command_list_hint(slack: SlackHarness) -> None:
    assert (await slack.command("/debate fly"))[0] == 200
    call = await slack.fake.wait_call("response_url", "Unknown command")
    assert call.params["response_type"] == "ephemeral"
    assert "/debate help" in call.params["text"]


async def test_bad_option_gets_that_commands_usage(slack: SlackHarness) -> None:
    await slack.command("/debate vote sideways")
    call = await slack.fake.wait_call("response_url", "Usage")
    assert "/debate vote" in call.params["text"]
    assert "&lt;pro|con" in call.params["text"], "usage placeholders are escaped, not Slack links"


async def test_user_text_cannot_ping_the_channel(slack: SlackHarness) -> None:
    # typed literally, Slack sends "<!channel>" encoded; a real @here arrives as <!here>
    await slack.command("/debate help &lt;!channel&gt;")
    await slack.command("/debate help <!here>")
    await slack.fake.wait_for(lambda calls: len([c for c in calls if c.method == "response_url"]) == 2)
    literal, ping = sorted((c.blocks_text() for c in slack.fake.of("response_url")), key=lambda t: "@here" in t)
    for text in (literal, ping):
        assert "<!channel>" not in text and "<!here>" not in text
    assert "&lt;!channel&gt;" in literal and "@here" in ping


async def test_huge_and_odd_unicode_text_gets_a_clear_reply(slack: SlackHarness) -> None:
    await slack.command("/debate vote " + "\u202e\u200b\U0001F600é" * 2000)
    call = await slack.fake.wait_call("response_url", "Usage")
    assert call.params["response_type"] == "ephemeral" and "too long" in call.params["text"]
    assert len(call.params["text"]) < 3000
    await slack.command("/debate \u202e\u0000help")
    await slack.fake.wait_for(lambda calls: len([c for c in calls if c.method == "response_url"]) == 2)


async def test_admin_commands_need_a_workspace_admin_or_a_listed_id(slack: SlackHarness) -> None:
    await slack.command("/debate config timezone Europe/London", user="U0BOB")
    refused = await slack.fake.wait_call("response_url", "admins only")
    assert refused.params["response_type"] == "ephemeral"
    slack.fake.users["U0OWNER"] = {"is_owner": True}
    start = len(slack.fake.calls)
    await slack.command("/debate config timezone Europe/London", user="U0OWNER")
    await slack.command("/debate config timezone Europe/London", user="U0ADMIN")  # listed in SLACK_ADMIN_IDS
    await slack.fake.wait_for(lambda calls: sum(c.method in ("response_url", "chat.postMessage")
                                                for c in calls[start:]) >= 2)
    await slack.idle()
    replies = [c.blocks_text() for c in slack.fake.calls[start:] if c.method in ("response_url", "chat.postMessage")]
    assert replies and not any("admins only" in r for r in replies)
    assert {c.params["user"] for c in slack.fake.of("users.info")} >= {"U0BOB", "U0OWNER"}


async def test_schedule_alone_opens_a_form_built_from_the_command_table(slack: SlackHarness) -> None:
    await slack.command("/debate schedule", user="U0ADMIN")
    opened = await slack.fake.wait_call("views.open")
    view = opened.params["view"]
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert set(inputs) == {"opt:when", "opt:motion", "opt:format"}
    assert inputs["opt:format"]["optional"] and not inputs["opt:when"]["optional"]
    # a submission without the required `when` is refused next to that input, and nothing runs
    status, text = await slack.submit(view, {"motion": "diplomacy"}, user="U0ADMIN")
    assert status == 200 and "opt:when" in text and "errors" in text


async def test_config_form_offers_the_settings_as_a_select(slack: SlackHarness) -> None:
    await slack.command("/debate config", user="U0ADMIN")
    view = (await slack.fake.wait_call("views.open")).params["view"]
    setting = next(b for b in view["blocks"] if b.get("block_id") == "opt:setting")
    assert setting["element"]["type"] == "static_select"
    assert {o["value"] for o in setting["element"]["options"]} >= {"timezone", "channel"}
    start = len(slack.fake.calls)
    status, _ = await slack.submit(view, {"setting": "timezone", "value": "Europe/London"}, user="U0ADMIN")
    assert status == 200
    await slack.fake.wait_for(lambda calls: any(c.method in ("chat.postMessage", "chat.postEphemeral")
                                                for c in calls[start:]))
    posted = [c for c in slack.fake.calls[start:] if c.method in ("chat.postMessage", "chat.postEphemeral")]
    assert posted[0].params["channel"] == sc.CHANNEL
    assert "London" in posted[0].blocks_text()


async def test_stats_resolves_mentions_to_user_ids(slack: SlackHarness) -> None:
    await slack.command("/debate stats")
    await slack.fake.wait_call("chat.postMessage", "Stats")
    # a mention arrives escaped as <@U..|name>; the core gets the user id
    await slack.command("/debate stats <@U0ALICE|alice>", user="U0BOB")
    await slack.fake.wait_for(lambda calls: len([c for c in calls if c.method == "chat.postMessage"]) == 2)
    assert "user-u0alice" in slack.fake.of("chat.postMessage")[1].blocks_text()
    await slack.command("/debate stats <@U0NOBODY|nobody>")
    refused = await slack.fake.wait_call("response_url", "U0NOBODY")
    assert refused.params["response_type"] == "ephemeral"
