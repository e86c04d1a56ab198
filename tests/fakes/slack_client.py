"""Signed Slack requests, as Slack would send them to the app: slash commands, button clicks,
form submissions and Events API callbacks.

By hand, against `debate-bot run slack` and a fake started with ``python -m tests.fakes.slack_fake``::

    python -m tests.fakes.slack_client --secret S --fake http://127.0.0.1:8091 "/debate help"
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

TEAM_ID = "T0FAKE"
CHANNEL = "C0GENERAL"


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)}


def slash_body(text: str, *, user: str = "U0ALICE", channel: str = CHANNEL, response_url: str = "",
               trigger_id: str | None = None, command: str = "/debate") -> tuple[str, str]:
    """(form body, content type) of a slash command."""
    fields = {"token": "legacy", "team_id": TEAM_ID, "team_domain": "fake", "channel_id": channel,
              "channel_name": "general", "user_id": user, "user_name": user.lower(), "command": command,
              "text": text.removeprefix(command).strip(), "api_app_id": "AFAKE", "response_url": response_url,
              "trigger_id": trigger_id or f"tr.{uuid.uuid4().hex}"}
    return urlencode(fields), "application/x-www-form-urlencoded"


def interactive_body(payload: dict[str, Any]) -> tuple[str, str]:
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def action_payload(value: str, *, user: str = "U0ALICE", channel: str = CHANNEL, response_url: str = "",
                   action_id: str | None = None, thread_ts: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "message", "ts": "1700000000.000100", "text": "announcement"}
    if thread_ts:
        message["thread_ts"] = thread_ts
    return {
        "type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "api_app_id": "AFAKE", "team": {"id": TEAM_ID, "domain": "fake"}, "trigger_id": f"tr.{uuid.uuid4().hex}",
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel},
        "channel": {"id": channel, "name": "general"}, "message": message, "response_url": response_url,
        "actions": [{"type": "button", "action_id": action_id or f"run:{value}", "block_id": "b1", "value": value,
                     "action_ts": f"{time.time():.6f}"}],
    }


def view_payload(view: dict[str, Any], values: dict[str, Any], *, user: str = "U0ALICE") -> dict[str, Any]:
    """A view_submission for a modal the app opened; `values` maps option name -> typed value."""
    state: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        name = block["block_id"].removeprefix("opt:")
        if name not in values:
            continue
        kind = block["element"]["type"]
        value = values[name]
        if kind == "static_select":
            entry = {"type": kind, "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}}
        elif kind == "users_select":
            entry = {"type": kind, "selected_user": value}
        else:
            entry = {"type": kind, "value": str(value)}
        state[block["block_id"]] = {"value": entry}
    return {
        "type": "view_submission", "team": {"id": TEAM_ID, "domain": "fake"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID}, "api_app_id": "AFAKE",
        "trigger_id": f"tr.{uuid.uuid4().hex}",
        "view": {**view, "id": "V" + uuid.uuid4().hex[:8].upper(), "hash": uuid.uuid4().hex[:8],
                 "state": {"values": state}},
    }


def event_body(event: dict[str, Any], *, event_id: str | None = None) -> tuple[str, str]:
    envelope = {"token": "legacy", "team_id": TEAM_ID, "api_app_id": "AFAKE", "type": "event_callback",
                "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}", "event_time": int(time.time()),
                "event": {"event_ts": f"{time.time():.6f}", **event},
                "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT0001", "is_bot": True}]}
    return json.dumps(envelope), "application/json"


def message_event(text: str, *, user: str = "U0ALICE", channel: str = CHANNEL, thread_ts: str | None = None,
                  **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "message", "channel": channel, "user": user, "text": text,
                             "ts": f"{time.time():.6f}", "channel_type": "channel", **extra}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


async def post(session: aiohttp.ClientSession, url: str, secret: str, body: tuple[str, str], *,
               timestamp: int | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    text, content_type = body
    all_headers = {"Content-Type": content_type, **sign(secret, text, timestamp), **(headers or {})}
    async with session.post(url, data=text.encode(), headers=all_headers) as response:
        return response.status, await response.text()


async def _main(args: argparse.Namespace) -> None:
    response_url = f"{args.fake.rstrip('/')}/response/{uuid.uuid4().hex[:8]}" if args.fake else ""
    async with aiohttp.ClientSession() as session:
        status, text = await post(session, args.url, args.secret,
                                  slash_body(args.text, user=args.user, response_url=response_url))
        print(f"HTTP {status} {text!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Send a signed /debate command to a running Slack app.")
    parser.add_argument("text", help='e.g. "/debate help"')
    parser.add_argument("--url", default="http://127.0.0.1:3000/slack/events")
    parser.add_argument("--secret", required=True, help="the app's SLACK_SIGNING_SECRET")
    parser.add_argument("--fake", default="http://127.0.0.1:8091", help="fake Slack base (for response_url)")
    parser.add_argument("--user", default="U0ALICE")
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
