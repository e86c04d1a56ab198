"""Input hygiene on the Slack endpoint (issue 12, probe items 6-9): garbage, malformed payloads, big
bodies, huge ids and replays get a clear status or reply, one log line, and never a 500 or a traceback."""

from __future__ import annotations

import asyncio
import logging
import uuid
from urllib.parse import parse_qsl, urlencode

import aiohttp
import pytest

from adapters.slack import http as slack_http
from tests.fakes import slack_client as sc
from tests.slack.conftest import SECRET, SlackHarness

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


async def post_raw(slack: SlackHarness, body: bytes, content_type: str, *, signed: bool = True,
                   headers: dict[str, str] | None = None) -> tuple[int, str]:
    all_headers = {"Content-Type": content_type, **(headers or {})}
    if signed:
        import hashlib
        import hmac
        import time

        ts = str(int(time.time()))
        digest = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
        all_headers.update({"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest})
    async with slack.http.post(slack.url, data=body, headers=all_headers) as response:
        return response.status, await response.text()


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, [f"{r.name}: {r.getMessage()[:200]}" for r in bad]


GARBAGE: list[tuple[str, bytes, str]] = [
    ("invalid utf-8 form", b"text=\xff\xfe\xfa&command=/debate", FORM),
    ("invalid utf-8 json", b'{"type": "event_callback", "x": "\xff"}', JSON),
    ("json array", b"[1, 2, 3]", JSON),
    ("json number", b"42", JSON),
    ("json null", b"null", JSON),
    ("json string", b'"hello"', JSON),
    ("broken json", b'{"type": ', JSON),
    ("deep json", b"[" * 100_000 + b"]" * 100_000, JSON),
    ("payload not json", b"payload=not-json", FORM),
    ("payload json array", b"payload=%5B1%5D", FORM),
    ("payload json string", b"payload=%22x%22", FORM),
    ("payload invalid utf-8", b"payload=%7B%22type%22%3A%22\xff%22%7D", FORM),
    ("empty body", b"", FORM),
    ("object without a type", b'{"hello": "world"}', JSON),
    ("event without an event", b'{"type": "event_callback", "event": "nope"}', JSON),
    ("event with a list event", b'{"type": "event_callback", "event": [1]}', JSON),
]


@pytest.mark.parametrize("name,body,content_type", GARBAGE, ids=[g[0] for g in GARBAGE])
async def test_garbage_gets_401_unsigned_and_400_signed_with_one_log_line(
        slack: SlackHarness, caplog: pytest.LogCaptureFixture, name: str, body: bytes, content_type: str) -> None:
    caplog.set_level(logging.INFO)
    unsigned = await post_raw(slack, body, content_type, signed=False)
    assert unsigned[0] == 401, (name, unsigned)
    caplog.clear()
    signed = await post_raw(slack, body, content_type)
    assert signed[0] == 400, (name, signed)
    lines = [r for r in caplog.records if r.name == "adapters.slack.http"]
    assert len(lines) == 1 and "refused (400)" in lines[0].getMessage(), [r.getMessage() for r in caplog.records]
    await slack.idle()
    no_tracebacks(caplog)
    assert not slack.fake.of("response_url") and not slack.fake.of("chat.postMessage")


def _view(callback_id: str) -> dict:
    return {"type": "view_submission", "team": {"id": sc.TEAM_ID, "domain": "fake"},
            "user": {"id": "U0ALICE", "username": "alice", "team_id": sc.TEAM_ID}, "api_app_id": "AFAKE",
            "trigger_id": f"tr.{uuid.uuid4().hex}",
            "view": {"id": "V1", "hash": "h", "type": "modal", "callback_id": callback_id,
                     "private_metadata": "", "state": {"values": {}}}}


async def test_signed_but_malformed_requests_get_a_clear_400_or_reply(slack: SlackHarness,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    fields = dict(parse_qsl(sc.slash_body("help", response_url=slack.fake.response_url())[0]))
    fields.pop("user_id")
    assert (await sc.post(slack.http, slack.url, SECRET, (urlencode(fields), FORM)))[0] == 400
    # a button payload without a user, or without actions
    click = sc.action_payload("status", response_url=slack.fake.response_url())
    for broken in ({**click, "user": {}}, {**click, "actions": []}, {**click, "actions": ["status"]}):
        assert (await sc.post(slack.http, slack.url, SECRET, sc.interactive_body(broken)))[0] == 400
    # a form Slack says we opened, but with a callback_id nobody registered, or a command that doesn't exist
    status, text = await sc.post(slack.http, slack.url, SECRET, sc.interactive_body(_view("someone-elses-form")))
    assert status == 400 and "unhandled" in text
    status, _ = await sc.post(slack.http, slack.url, SECRET, sc.interactive_body(_view("debate:no-such-command")))
    assert status == 200  # acked (the modal closes); nothing runs
    broken_meta = _view("debate:status")
    broken_meta["view"]["private_metadata"] = "{not json"
    assert (await sc.post(slack.http, slack.url, SECRET, sc.interactive_body(broken_meta)))[0] == 200
    # a message whose ts is not a number is still taken, with the time of arrival
    for ts in ("abc", "nan", "1e400", "-5"):
        assert (await slack.event(sc.message_event("hello there", ts=ts)))[0] == 200
    # an event type nobody listens for is acknowledged (a non-200 makes Slack retry it)
    assert (await slack.event({"type": "reaction_added", "user": "U0ALICE"}))[0] == 200
    await slack.idle()
    no_tracebacks(caplog)
    assert not slack.fake.of("response_url")


async def test_bodies_over_the_cap_get_413_before_they_are_read(slack: SlackHarness,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    big = urlencode({"command": "/debate", "user_id": "U0ALICE", "text": "x" * (slack_http.MAX_BODY + 10)})
    status, _ = await sc.post(slack.http, slack.url, SECRET, (big, FORM))
    assert status == 413

    async def chunks():  # no Content-Length: refused once the cap is passed
        for _ in range(slack_http.MAX_BODY // 65536 + 2):
            yield b"x" * 65536

    headers = {"Content-Type": FORM, **sc.sign(SECRET, "")}
    async with slack.http.post(slack.url, data=chunks(), headers=headers) as response:
        assert response.status == 413
    # a body just under the cap is still read and verified
    under = urlencode({"command": "/debate", "user_id": "U0ALICE", "text": "help",
                       "pad": "x" * (slack_http.MAX_BODY - 200)})
    assert len(under) <= slack_http.MAX_BODY
    assert (await sc.post(slack.http, slack.url, "wrong-secret", (under, FORM)))[0] == 401
    assert (await slack.command("/debate help"))[0] == 200
    await slack.fake.wait_call("response_url", "Debate bot commands")
    no_tracebacks(caplog)


HUGE_IDS = (2**31, 2**31 + 7, 2**63, 10**30)


async def test_round_ids_beyond_the_database_range_get_no_such_round(slack: SlackHarness,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    lines = [f"/debate status round:{HUGE_IDS[0]}", f"/debate vote pro {HUGE_IDS[1]}",
             f"/debate leave round:{HUGE_IDS[2]}", f"/debate join pro round:{HUGE_IDS[3]}",
             f"/debate cancel round:{HUGE_IDS[0]}", f"/debate judge pro round:{HUGE_IDS[0]}"]
    for line in lines:
        assert (await slack.command(line, user="U0ADMIN"))[0] == 200
    for value in ("leave round:2147483648", f"vote con round:{2**63}", f"join pro round:{10**25}"):
        assert (await slack.click(value))[0] == 200
    await slack.fake.wait_for(lambda calls: len([c for c in calls if c.method == "response_url"]) >= 9)
    await slack.idle()
    replies = [c.params.get("text", "") for c in slack.fake.of("response_url")]
    assert len(replies) == 9 and all("There is no round #" in r for r in replies), replies
    assert not any("Something went wrong" in r for r in replies)
    no_tracebacks(caplog)


async def test_a_replay_is_refused_by_a_second_process_and_after_a_restart(backend: str, slack_factory,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    """A request replayed after a restart gets 401 (PostgreSQL: marks in the database, checked before the ack;
    SQLite: a marks file beside it, written behind the ack and read at start-up). On PostgreSQL, where
    several workers share the database, a replay sent to the other worker gets 401 too."""
    first = await slack_factory()
    body = sc.slash_body("help", response_url=first.fake.response_url())
    headers = sc.sign(SECRET, body[0])
    assert (await sc.post(first.http, first.url, SECRET, body, headers=headers))[0] == 200
    assert (await sc.post(first.http, first.url, SECRET, body, headers=headers))[0] == 401
    if backend == "postgres":
        second = await slack_factory()
        assert (await sc.post(second.http, second.url, SECRET, body, headers=headers))[0] == 401
        await second.idle()
    else:
        await asyncio.to_thread(first.adapter.write_marks, first.adapter.take_marks())  # as it does about once a second
    # a fresh adapter (a restart) on the same database refuses it too
    third = await slack_factory()
    assert (await sc.post(third.http, third.url, SECRET, body, headers=headers))[0] == 401
    await first.fake.wait_call("response_url")
    await first.idle()
    assert len(first.fake.of("response_url")) == 1
    no_tracebacks(caplog)


async def test_the_signature_check_reads_bytes_not_text() -> None:
    guard = slack_http.ReplayGuard(SECRET)
    body = b"text=\xff"
    headers = sc.sign(SECRET, "")  # a signature over another body
    assert not guard.signed(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert not guard.signed(body, "not-a-number", "v0=00")
    assert not guard.signed(body, "9" * 5000, "v0=00")
    assert not guard.signed(body, None, None)


async def test_unsigned_requests_never_reach_bolt(slack: SlackHarness) -> None:
    async with aiohttp.ClientSession() as http, \
            http.post(slack.url, data=b"\xff" * 1000, headers={"Content-Type": JSON}) as response:
        assert response.status == 401
    assert not slack.fake.of("auth.test"), "Bolt saw nothing, so it never checked the token"
