"""Nothing acknowledged is lost, and chunks keep Slack's order (issue 12, probe items 4 and 5).

- A chat message is written to the inbox before Slack hears 200; a process that dies before handling it
  (here: its work never runs) leaves the row, and the next process to start replays it into the speech.
- The same event sent again, to any process, gets 200 and is not processed twice.
- Slash commands and button clicks are kept the same way, keyed by their trigger id, and answered through
  their `response_url` when replayed.
- A failed inbox write gets 503 (Slack retries), never 200.
- Three chunks delivered out of order end up in the speech in `ts` order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from adapters.slack.app import ts_order_key
from bot.storage import db
from bot.storage import models as m
from tests.fakes import slack_client as sc
from tests.slack.conftest import SlackHarness


def first_speech(slack: SlackHarness) -> str:
    with db.transaction(slack.adapter.service.sessions) as session:
        row = session.scalars(select(m.Speech).where(m.Speech.phase_index == 0)).one()
        return row.text


def inbox_rows(slack: SlackHarness, kinds: tuple[str, ...] = ("Ev",)) -> list[tuple[str, bool]]:
    """(key, processed) of the inbox rows whose key starts with one of `kinds` (chat messages by default)."""
    with db.transaction(slack.adapter.service.sessions) as session:
        return [(r.key, r.processed_at is not None) for r in session.scalars(select(m.InboxEvent).order_by(m.InboxEvent.id))
                if r.key.startswith(kinds)]


async def practice_thread(slack: SlackHarness) -> str:
    assert (await slack.command("/debate practice diplomacy pro"))[0] == 200
    turn = await slack.wait_call("chat.postMessage", "Speech 1 of 6")
    return turn.params["thread_ts"]


def test_ts_order_key_is_exact() -> None:
    assert ts_order_key("1700000000.000100") == 1_700_000_000_000_100
    assert ts_order_key("1700000000.1") == 1_700_000_000_100_000
    assert ts_order_key("1700000000") == 1_700_000_000_000_000
    assert [ts_order_key(x) for x in (None, "", "abc", "1.2.3", "1e9", "-1.0", 17)] == [None] * 7


async def test_chunks_delivered_out_of_order_are_stored_in_ts_order(slack: SlackHarness) -> None:
    thread_ts = await practice_thread(slack)
    base = 1_800_000_000
    chunks = {f"{base}.000001": "First, talks froze the tests.",
              f"{base}.000002": "Second, sanctions alone never worked.",
              f"{base}.000003": "Third, the channel must stay open."}
    for ts in (f"{base}.000003", f"{base}.000001", f"{base}.000002"):  # arrival order: 3, 1, 2
        assert (await slack.event(sc.message_event(chunks[ts], thread_ts=thread_ts, ts=ts)))[0] == 200
        await slack.idle()
    assert first_speech(slack) == "\n".join(chunks[ts] for ts in sorted(chunks))


async def test_an_acknowledged_message_is_replayed_after_a_crash(slack_factory: Any) -> None:
    first: SlackHarness = await slack_factory()
    thread_ts = await practice_thread(first)

    async def died(*_: Any) -> None:  # the process is killed right after the 200: the work never runs
        return None

    first.adapter._chat_message = died  # type: ignore[method-assign]
    text = "Talks froze the testing, and that alone is worth the summit."
    status, _ = await first.event(sc.message_event(text, thread_ts=thread_ts), event_id="EvCRASH1")
    assert status == 200
    await first.idle()
    assert first_speech(first) == "" and inbox_rows(first) == [("EvCRASH1", False)], "durable before the 200"

    second: SlackHarness = await slack_factory()  # the next process to start replays it
    await second.idle()
    assert first_speech(second) == text
    assert inbox_rows(second) == [("EvCRASH1", True)]

    # Slack's retry, or a replay of the same event to either process: 200, and never processed twice.
    for harness in (second, first):
        status, _ = await harness.event(sc.message_event(text, thread_ts=thread_ts), event_id="EvCRASH1",
                                        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
        assert status == 200
        await harness.idle()
    assert first_speech(second) == text


async def test_a_failed_inbox_write_is_not_acknowledged(slack: SlackHarness) -> None:
    thread_ts = await practice_thread(slack)

    def down(*_: Any, **__: Any) -> bool:
        raise ConnectionError("database restarting")

    slack.adapter.service.inbox.put = down  # type: ignore[method-assign]
    status, body = await slack.event(sc.message_event("a chunk", thread_ts=thread_ts))
    assert status == 503, body  # Slack retries a non-200; nothing was acknowledged that could be lost
    await slack.idle()
    assert first_speech(slack) == ""


async def test_a_database_failure_while_handling_leaves_the_event_for_the_sweep(slack: SlackHarness) -> None:
    """No "Something went wrong" for an acknowledged chunk the database failed on: it is replayed later."""
    from sqlalchemy.exc import OperationalError

    thread_ts = await practice_thread(slack)
    service = slack.adapter.service
    real_run = service._run

    async def database_restarting(*_: Any, **__: Any) -> Any:
        raise OperationalError("UPDATE speeches", {}, ConnectionError("server closed the connection"))

    service._run = database_restarting  # type: ignore[method-assign]
    start = len(slack.fake.calls)
    text = "Sanctions alone never moved Pyongyang an inch."
    assert (await slack.event(sc.message_event(text, thread_ts=thread_ts), event_id="EvDBDOWN"))[0] == 200
    await slack.idle()
    for _ in range(4):  # the sweep meets the failing database again, more often than the event's 3 attempts
        await slack.adapter.replay_inbox()
        await slack.idle()
    assert not any("Something went wrong" in c.blocks_text() or "unreachable" in c.blocks_text()
                   for c in slack.fake.calls[start:])
    assert inbox_rows(slack) == [("EvDBDOWN", False)] and first_speech(slack) == ""
    assert [a for _, _, a in service.inbox.pending()] == [0], "a database failure costs the event no attempt"

    service._run = real_run  # type: ignore[method-assign]
    assert await slack.adapter.replay_inbox() == 1  # what the sweep does every few seconds
    await slack.idle()
    assert first_speech(slack) == text and inbox_rows(slack) == [("EvDBDOWN", True)]


async def test_an_acknowledged_command_and_button_click_are_replayed_after_a_crash(slack_factory: Any) -> None:
    first: SlackHarness = await slack_factory()

    async def died(*_: Any) -> None:  # killed right after the 200: the command is never handled
        return None

    first.adapter._answer = died  # type: ignore[method-assign]
    assert (await first.command("/debate practice diplomacy pro"))[0] == 200
    assert (await first.click("help"))[0] == 200
    await first.idle()
    assert not first.fake.of("chat.postMessage") and not first.fake.of("response_url")
    assert [done for _, done in inbox_rows(first, ("cmd:", "act:"))] == [False, False], "durable before the 200"

    second: SlackHarness = await slack_factory()  # the next process to start replays both, in arrival order
    await second.wait_call("chat.postMessage", "Speech 1 of 6")
    await second.wait_call("response_url", "Debate bot commands")  # the click's reply, through its response_url
    await second.idle()
    assert [done for _, done in inbox_rows(second, ("cmd:", "act:"))] == [True, True]
    practices = [c for c in second.fake.calls if c.method == "chat.postMessage" and "Speech 1 of 6" in c.blocks_text()]
    assert len(practices) == 1, "one practice round, started once"


async def test_an_event_another_process_is_handling_is_not_replayed(slack_factory: Any) -> None:
    """A process that starts while a peer is handling an event it acked leaves that event to the peer."""
    import asyncio

    first: SlackHarness = await slack_factory()
    held = asyncio.Event()
    real_handle = first.adapter._handle

    async def slow_handle(incoming: Any) -> Any:  # the peer has claimed the command and is still at work on it
        await held.wait()
        return await real_handle(incoming)

    first.adapter._handle = slow_handle  # type: ignore[method-assign]
    assert (await first.command("/debate help"))[0] == 200
    box = first.adapter.service.inbox
    for _ in range(1000):  # wait for the claim (a condition, not a time)
        if [a for _, _, a in await asyncio.to_thread(box.pending)] == [1]:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the acking process never claimed its command")

    second: SlackHarness = await slack_factory()  # starts while the peer works: replays nothing of it
    await second.idle()
    assert not first.fake.of("response_url")
    held.set()
    await first.idle()
    assert len(first.fake.of("response_url")) == 1, "answered once"
    assert inbox_rows(first, ("cmd:",))[0][1], "and marked processed"
