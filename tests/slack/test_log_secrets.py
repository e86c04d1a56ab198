"""Tokens, the signing secret and response_urls never reach the log, at any level (issue 12)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot import logs
from tests.fakes import slack_client as sc
from tests.slack.conftest import SECRET, TOKEN, SlackHarness

LIBRARIES = ("slack_bolt", "slack_sdk", "aiohttp", "asyncio", "apscheduler")


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """The bot's own logging set-up at DEBUG, with every library turned up to DEBUG as well."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {name: logging.getLogger(name).level for name in LIBRARIES}
    stream = io.StringIO()
    logs.configure("DEBUG", [TOKEN, SECRET], stream=stream)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


async def test_no_token_secret_or_response_url_in_a_debug_log(slack: SlackHarness, debug_log: io.StringIO) -> None:
    urls = [slack.fake.response_url() for _ in range(3)]
    await sc.post(slack.http, slack.url, SECRET, sc.slash_body("/debate help", response_url=urls[0]))
    await sc.post(slack.http, slack.url, SECRET, sc.slash_body("/debate status round:4", response_url=urls[1]))
    await sc.post(slack.http, slack.url, SECRET,
                  sc.interactive_body(sc.action_payload("status", response_url=urls[2])))
    await sc.post(slack.http, slack.url, "wrong", sc.slash_body("/debate help", response_url=urls[0]))
    await slack.event(sc.message_event("my private speech text"))
    await slack.fake.wait_for(lambda calls: len([c for c in calls if c.method == "response_url"]) >= 3)
    await slack.idle()
    text = debug_log.getvalue()
    assert "DEBUG slack_" in text or "DEBUG slack_sdk" in text, "the libraries did log at DEBUG"
    for secret in (TOKEN, SECRET, *urls, "/response/"):
        assert secret not in text, f"{secret!r} is in the log"
    assert "xoxb-" not in text


def test_the_redactor_scrubs_what_libraries_log() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.redactor(["my-signing-secret"]))
    log = logging.getLogger("slack_bolt.test_redactor")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    try:
        log.debug("Received: %s", {"response_url": "https://hooks.slack.com/commands/T/1/x", "text": "speech"})
        log.warning("token xoxb-12-34-abc, xapp-1-A-2-b, secret my-signing-secret")
        log.warning("POST https://discord.com/api/v10/interactions/1234/aW50ZXJhY3Rpb24:tok/callback")
        log.warning("Authorization: Bot MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123")
        log.warning("payload={'token': 'itoken-99', 'response_url': 'http://127.0.0.1:1/response/ab'}")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    for leaked in ("hooks.slack.com/commands", "speech", "xoxb-12", "xapp-1-A", "my-signing-secret",
                   "aW50ZXJhY3Rpb24", "MTIzNDU2Nzg5MDEyMzQ1Njc4", "itoken-99", "/response/ab"):
        assert leaked not in text, (leaked, text)


async def test_socket_mode_at_debug_logs_no_payload(settings, slack_fake, debug_log: io.StringIO) -> None:  # type: ignore[no-untyped-def]
    """Socket Mode dumps every envelope at DEBUG; none of it (response_url, user text, app token) is kept."""
    import asyncio
    from urllib.parse import parse_qsl

    from pydantic import SecretStr
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    from adapters.slack.app import SlackAdapter
    from tests.slack.conftest import slack_settings

    app_token = "xapp-1-A0SOCKET-1234-abcdef"
    adapter = SlackAdapter(slack_settings(settings, slack_fake, slack_app_token=SecretStr(app_token)))
    await adapter.start()
    handler = AsyncSocketModeHandler(adapter.app, app_token, web_client=adapter.client)
    url = slack_fake.response_url()
    try:
        await handler.connect_async()
        payload = dict(parse_qsl(sc.slash_body("help zz-private-words-zz")[0])) | {"response_url": url}
        slack_fake.push_envelope({"envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True,
                                  "payload": payload})
        await slack_fake.wait_call("response_url")
        await slack_fake.wait_for(lambda calls: any(c.method == "socket_ack" for c in calls))
    finally:
        await handler.close_async()
        await asyncio.sleep(0.05)
        await adapter.stop()
    text = debug_log.getvalue()
    for leaked in (url, "/response/", app_token, TOKEN, SECRET):
        assert leaked not in text, f"{leaked!r} is in the log"
    # the libraries' lines carry no user text (the bot's own refusal line quotes the refused word)
    library_lines = [line for line in text.splitlines() if " bot." not in line]
    assert "DEBUG slack_" in text and not [line for line in library_lines if "zz-private-words-zz" in line]
