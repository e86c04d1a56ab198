"""Whole rounds through Slack on a virtual clock: a practice round in a thread (chat speeches and
the speech form), and a scheduled round (form, sign-up buttons, vote buttons, results)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.storage import db
from bot.storage import models as m
from tests.fakes import slack_client as sc
from tests.fakes.slack_fake import Call
from tests.slack.conftest import SlackHarness

OPENING = ("Trump's personal diplomacy with Kim has produced results: there have been no nuclear tests "
           "and no missile launches since the talks began.")
# as Slack delivers what the speaker typed: "<!channel> & more" arrives encoded
REBUTTAL = "They say the summits produced nothing new. But the talks froze the testing &lt;!channel&gt; &amp; more."
CLOSING = "To close: talking beats fighting, and the channel between the leaders is worth keeping open."


def rounds(slack: SlackHarness) -> list[m.Round]:
    with db.transaction(slack.adapter.service.sessions) as session:
        rows = list(session.scalars(select(m.Round).order_by(m.Round.id)))
        for row in rows:
            _ = list(row.speeches), [p.user for p in row.participants]
        return rows


def button(call: Call, prefix: str) -> dict[str, Any]:
    for block in call.params.get("blocks") or []:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["value"].startswith(prefix):
                return element
    raise AssertionError(f"no button {prefix!r} in {call.blocks_text()[:500]}")


async def test_full_practice_round_in_a_thread(slack_factory: Any) -> None:
    slack: SlackHarness = await slack_factory()
    fake = slack.fake
    assert (await slack.command("/debate practice diplomacy pro"))[0] == 200
    await slack.wait_call("chat.postMessage", "Practice round #")
    turn = await slack.wait_call("chat.postMessage", "Speech 1 of 6")
    thread_ts = turn.params["thread_ts"]
    assert thread_ts and turn.params["channel"] == sc.CHANNEL
    await slack.event(sc.message_event(OPENING, thread_ts=thread_ts))
    await slack.event(sc.message_event("go pro!", user="U0CAROL", thread_ts=thread_ts))  # audience chat
    await slack.event(sc.message_event("edited", thread_ts=thread_ts, subtype="message_changed",
                                       message={"text": "rewritten", "user": "U0ALICE"}))

    turn = await slack.wait_call("chat.postMessage", "Speech 3 of 6")
    await slack.event(sc.message_event(REBUTTAL, thread_ts=thread_ts))

    turn = await slack.wait_call("chat.postMessage", "Speech 5 of 6")
    form_button = button(turn, "speech")
    assert form_button["action_id"].startswith("form:")
    start = len(fake.calls)
    await slack.click(form_button["value"], action_id=form_button["action_id"], thread_ts=thread_ts)
    view = (await slack.wait_call("views.open", start=start)).params["view"]
    assert (await slack.submit(view, {"text": CLOSING}))[0] == 200
    recorded = await slack.wait_call("chat.postEphemeral", "recorded", start=start)
    assert recorded.params["thread_ts"] == thread_ts and recorded.params["user"] == "U0ALICE"

    results = await slack.wait_call("chat.postMessage", "Winner")
    assert results.params["thread_ts"] == thread_ts
    row = rounds(slack)[-1]
    assert row.state == "finished"
    speeches = sorted(row.speeches, key=lambda s: s.phase_index)
    assert [s.side for s in speeches] == ["pro", "con"] * 3
    assert speeches[0].text.startswith("Trump's personal diplomacy") and "go pro" not in speeches[0].text
    assert "rewritten" not in speeches[0].text
    assert "<!channel> & more" in speeches[2].text, "the core stores what the speaker typed"
    assert speeches[4].text == CLOSING
    for call in fake.calls:
        if call.method.startswith("chat."):
            assert "<!channel>" not in call.blocks_text(), "user text never pings the channel"

    # the rating chart is uploaded with the current upload API, into the channel
    await slack.command("/debate stats")
    complete = await slack.wait_call("files.completeUploadExternal")
    assert complete.params["channel_id"] == sc.CHANNEL
    assert fake.of("upload")[0].params["size"] > 100, "the PNG bytes were uploaded"


async def test_scheduled_round_with_form_signup_buttons_and_votes(slack_factory: Any) -> None:
    slack: SlackHarness = await slack_factory()
    fake = slack.fake
    await slack.command("/debate schedule", user="U0ADMIN")
    view = (await slack.wait_call("views.open")).params["view"]
    motion = next(b for b in view["blocks"] if b.get("block_id") == "opt:motion")
    assert motion["element"]["type"] == "static_select", "motions are offered from the engine"
    motion_id = motion["element"]["options"][0]["value"]
    assert (await slack.submit(view, {"when": "in 10m", "motion": motion_id}, user="U0ADMIN"))[0] == 200
    await slack.wait_call("chat.postMessage", "scheduled")
    signup = await slack.wait_call("chat.postMessage", "Join")
    await slack.click(button(signup, "join pro")["value"], user="U0ALICE")
    await slack.click(button(signup, "join con")["value"], user="U0BOB")
    await slack.wait_for(lambda calls: sum(c.method == "response_url" and "You joined" in c.blocks_text()
                                          for c in calls) == 2)
    turn = await slack.wait_call("chat.postMessage", "Speech 1 of 6")
    await slack.event(sc.message_event(OPENING, thread_ts=turn.params.get("thread_ts")))
    voting = await slack.wait_call("chat.postMessage", "Vote")
    await slack.click(button(voting, "vote pro")["value"], user="U0CAROL")
    await slack.click(button(voting, "vote con")["value"], user="U0ALICE")  # debaters can't vote
    results = await slack.wait_call("chat.postMessage", "Winner")
    row = rounds(slack)[-1]
    assert row.state == "finished" and not row.is_practice
    assert {p.user.external_id: p.role for p in row.participants if p.role in ("pro", "con")} == \
        {"U0ALICE": "pro", "U0BOB": "con"}
    assert row.winner == "pro" and "audience" in results.blocks_text()
    refused = [c for c in fake.of("response_url") if "vote" in c.blocks_text().lower()
               and c.params.get("response_type") == "ephemeral"]
    assert refused, "the debater's vote was refused with an ephemeral note"
