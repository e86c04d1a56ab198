"""Fixtures for the Slack adapter: a fake Slack Web API and the real Bolt app served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from adapters.slack.app import WORK_SLOTS, SlackAdapter
from adapters.slack.http import serve
from bot.config import Settings
from tests.fakes import slack_client as sc
from tests.fakes.clock import VirtualClock
from tests.fakes.slack_fake import Call, SlackFake

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"


@dataclass
class SlackHarness:
    fake: SlackFake
    adapter: SlackAdapter
    url: str
    http: aiohttp.ClientSession
    clock: VirtualClock

    async def command(self, text: str, *, user: str = "U0ALICE", channel: str = sc.CHANNEL,
                      trigger_id: str | None = None, **kw: Any) -> tuple[int, str]:
        body = sc.slash_body(text, user=user, channel=channel, response_url=self.fake.response_url(),
                             trigger_id=trigger_id)
        return await sc.post(self.http, self.url, SECRET, body, **kw)

    async def click(self, value: str, *, user: str = "U0ALICE", **kw: Any) -> tuple[int, str]:
        payload = sc.action_payload(value, user=user, response_url=self.fake.response_url(), **kw)
        return await sc.post(self.http, self.url, SECRET, sc.interactive_body(payload))

    async def submit(self, view: dict[str, Any], values: dict[str, Any], *, user: str = "U0ALICE") -> tuple[int, str]:
        return await sc.post(self.http, self.url, SECRET, sc.interactive_body(sc.view_payload(view, values, user=user)))

    async def event(self, event: dict[str, Any], *, event_id: str | None = None, **kw: Any) -> tuple[int, str]:
        return await sc.post(self.http, self.url, SECRET, sc.event_body(event, event_id=event_id), **kw)

    def _quiet(self) -> bool:
        return self.adapter.gate.in_flight == 0 and self.adapter._slots._value == WORK_SLOTS

    async def idle(self) -> None:
        """Wait until every listener's post-ack work, timer and round post has finished."""
        await self.clock.settle(self.adapter.service, extra=self._quiet)

    async def wait_for(self, predicate: Any) -> list[Call]:
        """Run the bot's timers on the virtual clock until `predicate(calls)` holds; returns the calls."""
        await self.clock.until(lambda: predicate(self.fake.calls), self.adapter.service, extra=self._quiet,
                               patience=10.0,
                               context=lambda: str([(c.method, c.params.get("text", "")[:80])
                                                    for c in self.fake.calls]))
        return self.fake.calls

    async def wait_call(self, method: str, contains: str = "", start: int = 0, **_: Any) -> Call:
        """The first call of `method` (after index `start`) whose text contains `contains`, running timers."""
        def match(c: Call) -> bool:
            return c.method == method and contains in c.blocks_text()

        await self.wait_for(lambda calls: any(match(c) for c in calls[start:]))
        return next(c for c in self.fake.calls[start:] if match(c))


def slack_settings(settings: Settings, fake: SlackFake, **extra: Any) -> Settings:
    return settings.model_copy(update={"slack_bot_token": SecretStr(TOKEN), "slack_signing_secret": SecretStr(SECRET),
                                       "slack_api_base": fake.api_base, "slack_admin_ids": "U0ADMIN", **extra})


@pytest.fixture
async def slack_fake() -> AsyncIterator[SlackFake]:
    async with SlackFake() as fake:
        yield fake


@pytest.fixture
async def slack_factory(settings: Settings, slack_fake: SlackFake, clock: VirtualClock) -> AsyncIterator[Any]:
    """Start the Slack app (real Bolt, real HTTP) on the test's virtual clock, with optional settings overrides."""
    started: list[tuple[Any, SlackAdapter, aiohttp.ClientSession]] = []

    async def factory(**overrides: Any) -> SlackHarness:
        adapter = SlackAdapter(slack_settings(settings, slack_fake, **overrides), update_interval=0.05, clock=clock)
        await adapter.start()
        runner = await serve(adapter.web_app(), "127.0.0.1", 0)
        host, port = runner.addresses[0][:2]
        http = aiohttp.ClientSession()
        started.append((runner, adapter, http))
        return SlackHarness(slack_fake, adapter, f"http://{host}:{port}/slack/events", http, clock)

    yield factory
    for runner, adapter, http in started:
        await http.close()
        await runner.cleanup()
        await adapter.stop()


@pytest.fixture
async def slack(slack_factory: Any) -> SlackHarness:
    return await slack_factory()
