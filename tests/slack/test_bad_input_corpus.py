"""The bad-input corpus through the real Bolt app over HTTP (issue 12): a clear reply to each line, no
traceback, no database change; forged and duplicate requests on top."""

from __future__ import annotations

import logging
import time
import uuid

import pytest

from bot.storage import db
from tests.fakes import bad_inputs
from tests.fakes import slack_client as sc
from tests.slack.conftest import SECRET, SlackHarness

REPLIES = ("response_url", "views.open", "chat.postEphemeral", "chat.postMessage")
BATCH = 20


def state(slack: SlackHarness) -> dict:
    with db.transaction(slack.adapter.service.sessions) as session:
        return bad_inputs.snapshot(session)


async def test_bad_input_through_slack(slack: SlackHarness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    assert (await slack.command("/debate status", user="U0ADMIN"))[0] == 200
    await slack.fake.wait_call("response_url")
    await slack.idle()
    before = state(slack)
    lines = bad_inputs.corpus()
    unclear: list[str] = []
    for offset in range(0, len(lines), BATCH):
        batch = lines[offset:offset + BATCH]
        start = len(slack.fake.calls)
        for line in batch:  # the admin, so config lines are refused for their values, not for rights
            status, _ = await slack.command(f"/debate {line}", user="U0ADMIN")
            assert status == 200, line
        await slack.fake.wait_for(lambda calls, s=start, n=len(batch):
                                  len([c for c in calls[s:] if c.method in REPLIES]) >= n, timeout=60)
        await slack.idle()
        replies = [c for c in slack.fake.calls[start:] if c.method in REPLIES]
        assert len(replies) == len(batch), (batch, [c.method for c in replies])
        unclear += [f"{c.method}: {c.blocks_text()[:200]}" for c in replies
                    if c.method != "views.open" and not bad_inputs.is_clear(c.blocks_text())]
    assert not unclear, "\n".join(unclear)
    assert state(slack) == before
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [f"{r.name}: {r.getMessage()[:200]}" for r in errors]


async def test_forged_and_duplicate_requests(slack: SlackHarness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    body = sc.slash_body("/debate help", response_url=slack.fake.response_url(), trigger_id="tr.same")
    statuses = [
        (await sc.post(slack.http, slack.url, "not-the-secret", body))[0],
        (await sc.post(slack.http, slack.url, SECRET, body, timestamp=int(time.time()) - 301))[0],
        (await sc.post(slack.http, slack.url, SECRET, body, timestamp=int(time.time()) + 301))[0],
        (await sc.post(slack.http, slack.url, SECRET, body, headers={"X-Slack-Signature": "v0=" + "0" * 64}))[0],
        (await sc.post(slack.http, slack.url, SECRET, body, headers={"X-Slack-Request-Timestamp": "soon"}))[0],
        (await sc.post(slack.http, slack.url, SECRET, body, headers={"X-Slack-Signature": "é" * 70}))[0],
    ]
    assert statuses == [401] * 6
    # Slack's retry of one command: signed afresh, same trigger_id -> answered once
    now = int(time.time())
    first = await sc.post(slack.http, slack.url, SECRET, body, timestamp=now - 2)
    retry = await sc.post(slack.http, slack.url, SECRET, body, timestamp=now - 1)
    assert (first[0], retry[0]) == (200, 200)
    # the same event delivered twice
    event_id = f"Ev{uuid.uuid4().hex[:10].upper()}"
    for _ in range(2):
        assert (await slack.event(sc.message_event("hello everyone"), event_id=event_id))[0] == 200
    await slack.fake.wait_call("response_url", "Debate bot commands")
    await slack.idle()
    assert len(slack.fake.of("response_url")) == 1
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [f"{r.name}: {r.getMessage()[:200]}" for r in errors]
