"""Slack's 429 and 5xx answers, through the real slack_sdk client against the fake (issue 12).

The bot's speech ("Speech 2 of 6") is the post the fake refuses: a 429 with `Retry-After: 1`, or a 500, is
retried by slack_sdk's own handlers and delivered once, in its place among the round's posts; an error that
outlasts the retries costs that one post and one log line, never the round or the stored speech.
No assertion is on how long anything took.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select

from adapters.slack.app import API_RETRIES
from bot.storage import db
from bot.storage import models as m
from tests.fakes import slack_client as sc
from tests.fakes.slack_fake import Call
from tests.slack.conftest import SlackHarness

OPENING = ("Trump's personal diplomacy with Kim has produced results: there have been no nuclear tests "
           "and no missile launches since the talks began.")
BOT_SPEECH = "Speech 2 of 6"  # the title of the bot's speech, the post the fake refuses
NEXT_TURN = "Speech 3 of 6"


async def opening_given(slack: SlackHarness) -> str:
    """A practice round (pro against the bot) whose first speech has been given; returns its thread."""
    assert (await slack.command("/debate practice diplomacy pro"))[0] == 200
    turn = await slack.wait_call("chat.postMessage", "Speech 1 of 6")
    thread_ts = str(turn.params["thread_ts"])
    await slack.event(sc.message_event(OPENING, thread_ts=thread_ts))
    return thread_ts


def posts(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method == "chat.postMessage"]


def speeches(slack: SlackHarness) -> tuple[m.Round, list[m.Speech]]:
    with db.transaction(slack.adapter.service.sessions) as session:
        row = session.scalars(select(m.Round).order_by(m.Round.id.desc())).first()
        assert row is not None
        return row, sorted(row.speeches, key=lambda s: s.phase_index)


@pytest.mark.parametrize("status", [429, 500])
async def test_a_refused_post_is_retried_and_delivered_once_in_order(slack: SlackHarness, status: int) -> None:
    fake = slack.fake
    thread_ts = await opening_given(slack)
    start = len(fake.calls)
    fake.fail_next("chat.postMessage", status=status, retry_after=1, contains=BOT_SPEECH)
    await slack.wait_call("chat.postMessage", NEXT_TURN, start=start)

    (refused,) = fake.refused  # exactly one refusal, as asked
    assert refused.status == status and BOT_SPEECH in refused.blocks_text()
    sent = posts(fake.calls[start:])
    texts = [c.blocks_text() for c in sent]
    retried = [i for i, text in enumerate(texts) if BOT_SPEECH in text]
    assert len(retried) == 1, "the refused post was delivered exactly once"
    assert sent[retried[0]].params == refused.params, "the same message, resent as it was"
    assert sent[retried[0]].params["thread_ts"] == thread_ts
    time_up = next(i for i, text in enumerate(texts) if "Time!" in text)  # the post queued before it
    next_turn = next(i for i, text in enumerate(texts) if NEXT_TURN in text)  # and the one queued after it
    assert time_up < retried[0] < next_turn, "it kept its place: nothing overtook it"
    assert len(set(texts)) == len(texts), "no post went out twice"
    row, stored = speeches(slack)
    assert row.state == "running" and stored[0].text == OPENING and stored[1].text


async def test_an_error_outlasting_the_retries_costs_one_post_and_one_log_line(
        slack: SlackHarness, caplog: pytest.LogCaptureFixture) -> None:
    fake = slack.fake
    await opening_given(slack)
    start = len(fake.calls)
    fake.fail_next("chat.postMessage", times=API_RETRIES + 1, status=500, contains=BOT_SPEECH)
    with caplog.at_level(logging.WARNING):
        await slack.wait_call("chat.postMessage", NEXT_TURN, start=start)  # the round goes on

    assert [c.status for c in fake.refused] == [500] * (API_RETRIES + 1), "one try and API_RETRIES retries"
    assert not any(BOT_SPEECH in c.blocks_text() for c in posts(fake.calls[start:]))
    lines = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    line: Any = lines[0]
    assert line.exc_info is None and "\n" not in line.getMessage()
    assert "could not post a round message" in line.getMessage()
    assert "HTTP 500: internal_error" in line.getMessage()
    row, stored = speeches(slack)
    assert line.round == row.id
    assert row.state == "running" and stored[0].text == OPENING
    assert stored[1].text and stored[1].text.split()[0] in fake.refused[0].blocks_text(), \
        "the bot's speech is stored although its post was lost"
