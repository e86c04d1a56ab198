"""Process roles (issue 12): a Slack web worker runs no timers; the Slack scheduler role serves only the
operations endpoints; an unknown role is refused."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest
from pydantic import ValidationError

from adapters.slack import runner as slack_runner
from bot.config import Settings
from tests.fakes.slack_fake import SlackFake
from tests.slack.conftest import slack_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, role="leader")
    assert Settings(_env_file=None, role=" Web ").role == "web"


async def test_a_web_worker_runs_no_timers_and_is_ready_without_the_lock(slack_factory) -> None:  # type: ignore[no-untyped-def]
    slack = await slack_factory(role="web")
    assert not slack.adapter.service.run_scheduler and not slack.adapter.service.rounds_runtime.is_leader()
    async with aiohttp.ClientSession() as http, http.get(slack.url.removesuffix("/slack/events") + "/readyz") as r:
        assert r.status == 200, await r.text()


async def test_the_slack_scheduler_role_serves_only_the_ops_endpoints(settings: Settings, slack_fake: SlackFake) -> None:
    ops_port, events_port = free_port(), free_port()
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(slack_runner.serve(slack_settings(settings, slack_fake, role="scheduler",
                                                                 ops_port=ops_port),
                                                  port=events_port, host="127.0.0.1", stop=stop, ready=ready))
    try:
        await asyncio.wait_for(ready.wait(), 60)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{ops_port}/readyz") as r:
                body = await r.text()
                assert r.status == 200 and '"scheduler_lock": true' in body, body
            async with http.post(f"http://127.0.0.1:{ops_port}/slack/events", data=b"{}") as r:
                assert r.status == 404  # no Slack events here
            with pytest.raises(aiohttp.ClientConnectionError):
                async with http.get(f"http://127.0.0.1:{events_port}/healthz"):
                    pass
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
