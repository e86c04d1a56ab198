"""Block Kit rendering, escaping and the Messenger (against the fake Web API; no database)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from adapters.slack.app import slack_text_to_plain
from adapters.slack.messenger import SlackMessenger
from bot import chat
from bot.chat import Button, ButtonStyle, Field, Image, Kind, Outgoing, Place, Server
from tests.fakes.slack_fake import SlackFake

SERVER = Server("slack", "T0FAKE")


def test_user_text_and_bot_text_are_escaped_but_markers_become_slack_markup() -> None:
    when = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    text = (f"**Round** for {chat.mention('U0ALICE')} at {chat.timestamp(when)}: "
            f"{chat.user_text('<!channel> & <@U0BOB> *bold*')} — usage `<when>`")
    out = render.mrkdwn(text)
    assert out.startswith(f"*Round* for <@U0ALICE> at <!date^{int(when.timestamp())}^")
    assert "&lt;!channel&gt; &amp; &lt;@U0BOB&gt;" in out
    assert "`&lt;when&gt;`" in out
    assert "<!channel>" not in out and "<@U0BOB>" not in out


def test_marker_lookalikes_in_user_text_cannot_smuggle_markup() -> None:
    sneaky = "\ue0100\ue011 <!here>"
    out = render.mrkdwn(f"{chat.mention('U0ALICE')} {chat.user_text(sneaky)} {sneaky}")
    assert out.count("<@U0ALICE>") == 1 and "<!here>" not in out


def test_bot_mention_and_non_slack_ids_are_plain() -> None:
    assert render.mrkdwn(chat.mention("__bot__")) == "@Debate Bot"
    assert render.mrkdwn(chat.mention("<!channel>")) == "@&lt;!channel&gt;"


def test_blocks_carry_title_fields_buttons_and_footer() -> None:
    message = Outgoing(
        title="Round 12 — signup", text="Motion: *talks* beat sanctions", kind=Kind.ANNOUNCE,
        fields=[Field("Pro", "nobody", inline=True), Field("Con", "nobody", inline=True), Field("Notes", "long")],
        buttons=[Button("join pro round:12", "Join pro", ButtonStyle.PRIMARY),
                 Button("join con round:12", "Join con", ButtonStyle.DANGER),
                 Button("speech round:12", "Write speech", opens_form=True)],
        footer="Starts soon")
    blocks = render.blocks(message)
    kinds = [b["type"] for b in blocks]
    assert kinds == ["section", "section", "section", "section", "actions", "context"]
    assert blocks[0]["text"]["text"] == ":mega: *Round 12 — signup*"
    assert blocks[1]["text"]["text"] == "Motion: _talks_ beat sanctions"
    assert len(blocks[2]["fields"]) == 2
    buttons = blocks[4]["elements"]
    assert [b["value"] for b in buttons] == ["join pro round:12", "join con round:12", "speech round:12"]
    assert [b["action_id"] for b in buttons] == ["run:join pro round:12", "run:join con round:12",
                                                 "form:speech round:12"]
    assert buttons[0]["style"] == "primary" and buttons[1]["style"] == "danger" and "style" not in buttons[2]


def test_long_text_and_many_fields_stay_within_slack_limits() -> None:
    message = Outgoing(text=("word " * 400 + "\n") * 10, fields=[Field(f"#{i}", "x" * 2500) for i in range(80)],
                       buttons=[Button(f"vote pro round:{i}", "Vote") for i in range(30)])
    blocks = render.blocks(message)
    assert len(blocks) <= render.MAX_BLOCKS
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
    ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(ids) == len(set(ids))
    assert len(render.fallback_text(message)) <= 3000


def test_incoming_slack_text_is_decoded_for_the_core() -> None:
    assert slack_text_to_plain("Ask <@U0BOB|bob> &amp; see <https://x.org|the source> &lt;3 <!here>") == \
        "Ask @bob & see the source <3 @here"
    assert slack_text_to_plain("stats <@U0BOB|bob> &lt;@U0EVE&gt;", mentions_as_ids=True) == "stats U0BOB <@U0EVE>"


async def test_messenger_posts_uploads_threads_and_throttles_updates() -> None:
    async with SlackFake() as fake:
        messenger = SlackMessenger(AsyncWebClient(token="xoxb-t", base_url=fake.api_base), update_interval=0.2)
        thread = await messenger.open_thread(SERVER, Place("C1"), "Round 3: talks beat sanctions")
        assert thread.channel_id == "C1" and thread.thread_id
        ts = await messenger.send(SERVER, thread, Outgoing(text="chart", image=Image("rating.png", b"\x89PNG" * 50)))
        post = fake.of("chat.postMessage")[-1]
        assert post.params["thread_ts"] == thread.thread_id and post.token == "xoxb-t"
        assert [c.method for c in fake.calls[-3:]] == ["files.getUploadURLExternal", "upload",
                                                       "files.completeUploadExternal"]
        for n in range(6):  # a ticking clock: only the first and the newest reach Slack
            await messenger.edit(SERVER, thread, ts, Outgoing(text=f"{60 - n}s left"))
        await asyncio.sleep(0.4)
        updates = fake.of("chat.update")
        assert [u.params["text"] for u in updates] == ["60s left", "55s left"]
        assert updates[0].params["ts"] == ts
        await messenger.edit(SERVER, thread, ts, Outgoing(text="time"))
        await messenger.edit(SERVER, thread, ts, Outgoing(text="time's up"))
        await messenger.flush()
        assert fake.of("chat.update")[-1].params["text"] == "time's up"
